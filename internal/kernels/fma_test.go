package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// fmaExact is a·b + c rounded once to float32, computed with big.Float.
func fmaExact(a, b, c float32) float32 {
	if math.IsNaN(float64(a)) || math.IsNaN(float64(b)) || math.IsNaN(float64(c)) || math.IsInf(float64(a), 0) || math.IsInf(float64(b), 0) || math.IsInf(float64(c), 0) {
		return float32(math.FMA(float64(a), float64(b), float64(c)))
	}
	x := new(big.Float).SetPrec(400).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(400).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(400).SetFloat64(float64(c)))
	f, _ := x.Float32() // nearest even, subnormals included
	if f == 0 {
		// the sign of an exact zero: IEEE's rules for a·b + c
		if x.Sign() == 0 {
			return float32(math.FMA(float64(a), float64(b), float64(c)))
		}
		if x.Sign() < 0 {
			return float32(math.Copysign(0, -1))
		}
	}
	return f
}

// TestFMA32 checks the emulated float32 fused multiply-add against an
// exact computation, on random operands and on ones built to make the
// float64 sum land on or next to a float32 midpoint, where rounding twice
// would go wrong; and, where the CPU's FMA runs (AVX2 tests), against it.
func TestFMA32(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(a, b, c float32) {
		t.Helper()
		got, want := fma32(a, b, c), fmaExact(a, b, c)
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("fma32(%g, %g, %g) = %g (%#x), want %g (%#x)", a, b, c, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	doubleRoundingWrong := 0
	for range 200000 {
		a := float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(40)-20))
		b := float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(40)-20))
		if rng.IntN(2) == 0 {
			b = -b
		}
		// c close to −a·b's float32 neighbourhood, or far from it
		var c float32
		switch rng.IntN(3) {
		case 0:
			c = float32(-float64(a) * float64(b))
			c = math.Float32frombits(math.Float32bits(c) + uint32(rng.IntN(5)) - 2)
		case 1:
			// c with an odd last bit and a·b just below half its ulp:
			// a·b = h·(1 − u²·2^-46), which float64 rounds, summed with c,
			// onto the midpoint c + h, which float32 then rounds to even,
			// away from c — where one rounding keeps c.
			c = math.Float32frombits(math.Float32bits(float32(math.Ldexp(rng.Float64()+1, rng.IntN(40)-20))) | 1)
			h := float32(math.Ldexp(1, math.Ilogb(float64(c))-24))
			u := float32(1 + rng.IntN(1000))
			a, b = 1+u*0x1p-23, h*(1-u*0x1p-23)
			if rng.IntN(2) == 0 {
				a, c = -a, -c
			}
		default:
			c = float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(80)-40))
		}
		check(a, b, c)
		if float32(math.FMA(float64(a), float64(b), float64(c))) != fmaExact(a, b, c) {
			doubleRoundingWrong++
		}
	}
	// rounding twice does go wrong on such operands, so the test has teeth
	if doubleRoundingWrong == 0 {
		t.Error("float32(math.FMA(...)) was right every time: the operands miss the hard cases")
	}
	t.Logf("float32(math.FMA) wrong %d times of 200000; fma32 never", doubleRoundingWrong)
	for _, v := range tinyValues() {
		for _, w := range tinyValues() {
			check(v, w, 0x1p-126)
			check(v, 3, w)
			check(1e30, v, w)
		}
	}
}
