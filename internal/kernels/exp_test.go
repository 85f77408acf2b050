package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpsIsMathExp checks exps against math.Exp bit for bit: on a million
// values across the vector range, on the values whose x·log2 e is nearest a
// half-integer (where the exponent's rounding decides), on the range's ends
// and beyond them, and on the special values, at every tail length.
func TestExpsIsMathExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var xs []float64
	for range 1 << 20 {
		switch rng.IntN(3) {
		case 0:
			xs = append(xs, expVecMin+rng.Float64()*(expVecMax-expVecMin))
		case 1:
			xs = append(xs, -rng.ExpFloat64()) // softmax's inputs: x ≤ 0, mostly near 0
		default:
			xs = append(xs, float64(float32(-20*rng.Float64()))) // float32 differences
		}
	}
	for k := -1100; k <= 1100; k++ {
		x := (float64(k) + 0.5) / math.Log2E
		xs = append(xs, math.Nextafter(x, math.Inf(-1)), x, math.Nextafter(x, math.Inf(1)))
	}
	xs = append(xs, 0, math.Copysign(0, -1), expVecMin, expVecMax, math.Nextafter(expVecMin, -1000), math.Nextafter(expVecMax, 1000),
		-745.2, -746, -1e300, 709.8, 710, 1e300, math.Inf(1), math.Inf(-1), math.NaN(), 1e-300, -1e-300, 5e-324)
	for n := range 17 { // every tail length, and two vectors
		for lo := 0; lo+n <= len(xs); lo += 1 + rng.IntN(5000) {
			check(t, xs[lo:lo+n])
		}
	}
	check(t, xs)
}

func check(t *testing.T, xs []float64) {
	t.Helper()
	got := make([]float64, len(xs))
	exps(got, xs)
	for i, x := range xs {
		want := math.Exp(x)
		if math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(got[i]) && math.IsNaN(want)) {
			t.Fatalf("exp(%v) = %v (%#x), math.Exp %v (%#x)", x, got[i], math.Float64bits(got[i]), want, math.Float64bits(want))
		}
	}
}

// softmaxRef is Softmax one exponential at a time, the oracle.
func softmaxRef(x []float32, m, n int) {
	for i := 0; i < m; i++ {
		row := x[i*n : i*n+n]
		mx := row[0]
		for _, v := range row[1:] {
			mx = max(mx, v)
		}
		var sum float64
		for j, v := range row {
			e := math.Exp(float64(v - mx))
			row[j] = float32(e)
			sum += e
		}
		inv := float32(1 / sum)
		for j := range row {
			row[j] *= inv
		}
	}
}

// TestSoftmaxIsReference: Softmax gives the reference's bits for short rows
// taken several at a time (with a partial last group), rows longer than a
// chunk, logits far apart (exponentials that underflow) and non-finite
// logits, on every path.
func TestSoftmaxIsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, shape := range [][2]int{{32, 10}, {100, 3}, {1, 1}, {7, 256}, {3, 257}, {2, 1000}, {5, 300}} {
		m, n := shape[0], shape[1]
		x := make([]float32, m*n)
		for i := range x {
			x[i] = float32(rng.NormFloat64() * 5)
			switch rng.IntN(50) {
			case 0:
				x[i] = -1000 // exp(-1000 - max) underflows to 0
			case 1:
				x[i] = 800
			}
		}
		if m > 2 {
			x[n] = float32(math.Inf(1)) // row 1: NaNs, as the reference gives
			x[2*n] = float32(math.NaN())
		}
		want := append([]float32(nil), x...)
		softmaxRef(want, m, n)
		withLoops(t, fmt.Sprintf("%dx%d", m, n), func(t *testing.T, path string) {
			got := append([]float32(nil), x...)
			Softmax(got, m, n)
			same(t, "softmax", got, want)
		})
	}
}
