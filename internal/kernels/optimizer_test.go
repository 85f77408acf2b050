package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkAdamUpdate times one Adam step over the tutorial MLP's weights
// (101,770), the reference CNN's (421,642) and a 4M-weight arena, on the
// threads -cpu gives.
func BenchmarkAdamUpdate(b *testing.B) {
	for _, n := range []int{101770, 421642, 1 << 22} {
		p, g, m, v := benchRand(n), benchRand(n), make([]float32, n), make([]float32, n)
		for i := range g {
			g[i] *= 1e-3
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			cpuLoop(b, func() { AdamWUpdate(p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, 1) })
		})
	}
}

// BenchmarkSGDUpdate times one step of SGD with momentum.
func BenchmarkSGDUpdate(b *testing.B) {
	for _, n := range []int{101770, 421642, 1 << 22} {
		p, g, vel := benchRand(n), benchRand(n), make([]float32, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			cpuLoop(b, func() { SGDWUpdate(p, g, vel, 1e-2, 0.9, false, 1) })
		})
	}
}

// withLoops runs f once per vector loop family the CPU supports and once
// with the portable loops ("go"), switching hasAVX512 and hasAVX2.
func withLoops(t *testing.T, name string, f func(t *testing.T, path string)) {
	t.Helper()
	defer func(a, b bool) { hasAVX512, hasAVX2 = a, b }(hasAVX512, hasAVX2)
	for _, path := range append(simdLoops(), "go") {
		hasAVX512, hasAVX2 = path == "avx512", path == "avx2"
		t.Run(name+path, func(t *testing.T) { f(t, path) })
	}
}

// tinyValues are float32 values around the flush threshold and the
// subnormal range, of both signs, with zeros, ordinary values, NaN and
// infinities: what a decaying moment or a vanishing gradient passes
// through.
func tinyValues() []float32 {
	vs := []float32{0, float32(math.Copysign(0, -1)), 1e-45, 1e-40, 0x1p-127, 0x1p-126, 0x1.fffffep-126, 0x1p-125, 0x1.000002p-125, 1e-37, 1e-30, 1e-20, 1e-10, 1e-3, 0.5, 3}
	var out []float32
	for _, v := range vs {
		out = append(out, v, -v, math.Nextafter32(v, 1), math.Nextafter32(v, -1))
	}
	return append(out, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)))
}

// logUniform draws a value of random sign whose magnitude is spread evenly
// over the binades from 2^-150 (below the subnormals) to 2^10, with a
// tenth of zeros: over many draws every operation of an update meets
// operands and results at and around the flush threshold.
func logUniform(rng *rand.Rand) float32 {
	if rng.IntN(10) == 0 {
		return 0
	}
	x := float32(math.Ldexp(1+rng.Float64(), -150+rng.IntN(160)))
	if rng.IntN(2) == 0 {
		x = -x
	}
	return x
}

// flushCase builds n-element optimizer state: a quarter of the entries
// from tinyValues (zeros of both signs, NaN, infinities and the values
// around 2^-126 and 2^-125), the rest log-uniform.
func flushCase(rng *rand.Rand, n int) (p, g, m, v []float32) {
	tv := tinyValues()
	p, g, m, v = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	draw := func(finite bool) float32 {
		if rng.IntN(4) == 0 {
			k := len(tv)
			if finite {
				k -= 3 // no NaN or infinite weights or moments: they would spread
			}
			return tv[rng.IntN(k)]
		}
		return logUniform(rng)
	}
	for i := range p {
		p[i], m[i], g[i] = draw(true), draw(true), draw(false)
		v[i] = float32(math.Abs(float64(draw(true))))
	}
	return p, g, m, v
}

// nextStep draws the next step's gradients, half of them 0 (so that
// moments decay through the subnormal range), the rest as flushCase, and
// redraws a quarter of the state (bufs: weights, moments), which large
// steps would otherwise drive away from the threshold. The draws do not
// depend on the state, so every path sees the same ones.
func nextStep(rng *rand.Rand, g []float32, bufs ...[]float32) {
	tv := tinyValues()
	for i := range g {
		switch rng.IntN(4) {
		case 0:
			g[i] = tv[rng.IntN(len(tv)-3)]
		case 1:
			g[i] = logUniform(rng)
		default:
			g[i] = 0
		}
	}
	for k, b := range bufs {
		for i := range b {
			if rng.IntN(4) == 0 {
				b[i] = logUniform(rng)
				if k == len(bufs)-1 && len(bufs) == 3 { // Adam's v
					b[i] = float32(math.Abs(float64(b[i])))
				}
			}
		}
	}
}

func noSubnormals(t *testing.T, what string, bufs ...[]float32) {
	t.Helper()
	for i, b := range bufs {
		if n := CountSubnormals(b); n != 0 {
			t.Fatalf("%s: buffer %d holds %d subnormals", what, i, n)
		}
		for j, x := range b {
			if x != 0 && math.Abs(float64(x)) < FlushBelow {
				t.Fatalf("%s: buffer %d element %d is %g, below FlushBelow", what, i, j, x)
			}
		}
	}
}

// TestAdamFlush runs 300 Adam steps (β powers and all) on state that walks
// through the subnormal range, on every path: none of the state or weights
// may hold a value below FlushBelow (other than 0) after any step, and every
// path must give the portable loop's bits, on lengths that leave vector
// tails.
func TestAdamFlush(t *testing.T) {
	for _, n := range []int{1, 7, 8, 15, 16, 17, 40, 1000 + 3} {
		var results [][]float32
		withLoops(t, fmt.Sprintf("n=%d/", n), func(t *testing.T, path string) {
			rng := rand.New(rand.NewPCG(uint64(n), 1))
			p, g, m, v := flushCase(rng, n)
			for step := 1; step <= 300; step++ {
				lrT := float32(1e-3 * math.Sqrt(1-math.Pow(0.999, float64(step))) / (1 - math.Pow(0.9, float64(step))))
				if step%2 == 0 {
					AdamWUpdate(p, g, m, v, lrT, 0.9, 0.999, 1e-7, 1)
				} else {
					AdamWUpdate(p, g, m, v, lrT, 0.9, 0.999, 1e-7, 1-1e-3*0.004)
				}
				noSubnormals(t, fmt.Sprintf("%s n=%d step %d", path, n, step), p, m, v)
				nextStep(rng, g, p, m, v)
			}
			results = append(results, append(append(p, m...), v...))
		})
		for i := 1; i < len(results); i++ {
			same(t, fmt.Sprintf("Adam n=%d, path %d against the portable loop", n, i-1), results[i-1], results[len(results)-1])
		}
	}
}

// TestSGDFlush is TestAdamFlush for the three forms of SGD.
func TestSGDFlush(t *testing.T) {
	for _, mode := range []struct {
		momentum float32
		nesterov bool
	}{{0, false}, {0.9, false}, {0.9, true}} {
		for _, n := range []int{1, 9, 16, 33, 1000 + 5} {
			var results [][]float32
			withLoops(t, fmt.Sprintf("momentum=%v,nesterov=%v,n=%d/", mode.momentum, mode.nesterov, n), func(t *testing.T, path string) {
				rng := rand.New(rand.NewPCG(uint64(n), 2))
				p, g, vel, _ := flushCase(rng, n)
				if mode.momentum == 0 {
					vel = nil // unused, and left as it is
				}
				for step := 1; step <= 200; step++ {
					if step%2 == 0 {
						SGDWUpdate(p, g, vel, 1e-2, mode.momentum, mode.nesterov, 1)
					} else {
						SGDWUpdate(p, g, vel, 1e-2, mode.momentum, mode.nesterov, 1-1e-2*0.004)
					}
					noSubnormals(t, fmt.Sprintf("%s %+v n=%d step %d", path, mode, n, step), p, vel)
					nextStep(rng, g, p, vel)
				}
				results = append(results, append(p, vel...))
			})
			for i := 1; i < len(results); i++ {
				same(t, fmt.Sprintf("SGD %+v n=%d, path %d against the portable loop", mode, n, i-1), results[i-1], results[len(results)-1])
			}
		}
	}
}

// randConst draws a constant of either sign whose magnitude is spread
// over the binades [2^lo, 2^hi).
func randConst(rng *rand.Rand, lo, hi int) float32 {
	c := float32(math.Ldexp(1+rng.Float64(), lo+rng.IntN(hi-lo)))
	if rng.IntN(4) == 0 {
		c = -c
	}
	return c
}

// TestOptimizerPathsAgree runs single updates on fresh random state and
// constants (of any sign and size, as the kernels' contract allows; with
// them, every flush of the updates decides some results) and requires
// every vector path to give the portable loop's bits, NaNs aside.
func TestOptimizerPathsAgree(t *testing.T) {
	const n, trials = 4099, 60
	run := func(path string) [][]float32 {
		rng := rand.New(rand.NewPCG(11, 12))
		var out [][]float32
		for trial := range trials {
			p, g, m, v := flushCase(rng, n)
			AdamWUpdate(p, g, m, v, randConst(rng, -60, 60), randConst(rng, -30, 2), randConst(rng, -30, 2), randConst(rng, -140, 0), randConst(rng, -3, 3))
			out = append(out, p, m, v)
			p, g, vel, _ := flushCase(rng, n)
			mom := randConst(rng, -30, 4)
			if trial%3 == 0 {
				mom = 0
			}
			SGDWUpdate(p, g, vel, randConst(rng, -60, 60), mom, trial%2 == 0, randConst(rng, -3, 3))
			out = append(out, p, vel)
		}
		return out
	}
	var results [][][]float32
	withLoops(t, "", func(t *testing.T, path string) { results = append(results, run(path)) })
	want := results[len(results)-1]
	for i, got := range results[:len(results)-1] {
		for j := range got {
			same(t, fmt.Sprintf("path %d, trial %d, buffer %d", i, j/5, j%5), got[j], want[j])
		}
	}
}

// TestAdamStep checks one step against the formula in float64 on ordinary
// values, where flushing changes nothing, and that a moment that decays
// below FlushBelow becomes exactly +0.
func TestAdamStep(t *testing.T) {
	withLoops(t, "", func(t *testing.T, path string) {
		p := []float32{0.5, -1, 2, 0.25, 1e-38}
		g := []float32{0.1, -0.2, 0, 3, 0}
		m := []float32{0.01, 0.02, 1.5e-38, -0.5, 0}
		v := []float32{0.001, 0.002, 1e-4, 0.3, 1e-20}
		want := make([]float64, len(p))
		for i := range p {
			mi := 0.9*float64(m[i]) + 0.1*float64(g[i])
			vi := 0.999*float64(v[i]) + 0.001*float64(g[i])*float64(g[i])
			want[i] = float64(p[i]) - 0.01*mi/(math.Sqrt(vi)+1e-7)
		}
		AdamWUpdate(p, g, m, v, 0.01, 0.9, 0.999, 1e-7, 1)
		for i := range 4 {
			if d := math.Abs(float64(p[i]) - want[i]); d > 1e-6*math.Abs(want[i]) {
				t.Errorf("p[%d] = %v, want %v", i, p[i], want[i])
			}
		}
		// 0.9·1.5e-38 is below 2^-125: the moment is flushed, its bits +0;
		// the weight 1e-38 is below FlushBelow too.
		if math.Float32bits(m[2]) != 0 || math.Float32bits(p[4]) != 0 {
			t.Errorf("m[2] = %g, p[4] = %g, want +0 and +0", m[2], p[4])
		}
	})
}

// TestWeightDecayFused checks that AdamWUpdate and SGDWUpdate give the bits
// of Scale followed by the plain update, as they document.
func TestWeightDecayFused(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, decay = 1000, float32(1 - 1e-3*0.004)
	p, g, m, v := flushCase(rng, n)
	for i := range g {
		g[i] = rng.Float32() - 0.5
	}
	pa, ma, va := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
	AdamWUpdate(pa, g, ma, va, 1e-3, 0.9, 0.999, 1e-7, decay)
	Scale(p, decay)
	AdamWUpdate(p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, 1)
	same(t, "AdamWUpdate against Scale + AdamUpdate", append(pa, ma...), append(p, m...))

	p, g, vel, _ := flushCase(rng, n)
	pa, vela := append([]float32(nil), p...), append([]float32(nil), vel...)
	SGDWUpdate(pa, g, vela, 1e-2, 0.9, true, decay)
	Scale(p, decay)
	SGDWUpdate(p, g, vel, 1e-2, 0.9, true, 1)
	same(t, "SGDWUpdate against Scale + SGDUpdate", append(pa, vela...), append(p, vel...))
}

// TestFlushModeRestored checks that the vector loops leave the CPU's
// floating-point mode as they found it: Go code run after them still
// computes subnormal results.
func TestFlushModeRestored(t *testing.T) {
	withLoops(t, "", func(t *testing.T, path string) {
		p, g, m, v := make([]float32, 100), make([]float32, 100), make([]float32, 100), make([]float32, 100)
		AdamWUpdate(p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, 1)
		SGDWUpdate(p, g, v, 1e-3, 0.9, false, 1)
		tiny := p[0] + 0x1p-126 // not a constant: computed at run time
		if half := tiny * 0.5; half == 0 || CountSubnormals([]float32{half}) != 1 {
			t.Errorf("after the %s loops 2^-126·0.5 = %g: flush-to-zero left on", path, half)
		}
	})
}

func TestCountSubnormals(t *testing.T) {
	x := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, 0x1.fffffcp-127, 0x1p-126, -0x1p-126, 1, float32(math.NaN()), float32(math.Inf(-1))}
	if n := CountSubnormals(x); n != 3 {
		t.Errorf("CountSubnormals = %d, want 3", n)
	}
}

// TestFlushCorners checks, on every path, results that land below
// FlushBelow by cancellation — normal numbers that the hardware's
// flush-to-zero keeps and the rule flushes — and the flush of lrT·m before
// Adam's division: each must be exactly as documented.
func TestFlushCorners(t *testing.T) {
	const x = FlushBelow
	bits := func(t *testing.T, what string, got, want float32) {
		t.Helper()
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("%s = %g (%#08x), want %g", what, got, math.Float32bits(got), want)
		}
	}
	withLoops(t, "", func(t *testing.T, path string) {
		for _, n := range []int{1, 16, 17} { // the vector loops' bodies and tails
			fill := func(v float32) []float32 {
				s := make([]float32, n)
				for i := range s {
					s[i] = v
				}
				return s
			}
			// Adam, the weight: p − q = 2x − 1.25x = 0.75x; the moment
			// 1.25x stays.
			p, g, m, v := fill(2*x), fill(1.25*x), fill(0), fill(0)
			AdamWUpdate(p, g, m, v, 1, 0, 0.5, 1, 1)
			bits(t, "Adam p", p[n-1], 0)
			bits(t, "Adam m", m[n-1], 1.25*x)
			// Adam, the moment: β1·m + (1−β1)·g = 2x − 1.5x = 0.5x.
			p, g, m, v = fill(1), fill(-3*x), fill(4*x), fill(1)
			AdamWUpdate(p, g, m, v, 1, 0.5, 0.5, 1, 1)
			bits(t, "Adam m by cancellation", m[n-1], 0)
			// Adam, the second moment: 0.5·1.5x = 0.75x.
			p, g, m, v = fill(1), fill(0), fill(0), fill(1.5*x)
			AdamWUpdate(p, g, m, v, 1, 0.5, 0.5, 1, 1)
			bits(t, "Adam v", v[n-1], 0)
			// lrT·m = 1.5·2^-31·2^-95 = 1.5·2^-126 is flushed before the
			// division by ε = 2^-40 (which would make it 1.5·2^-86): the
			// weight 2^-80 stays.
			p, g, m, v = fill(0x1p-80), fill(0), fill(2*x), fill(0)
			AdamWUpdate(p, g, m, v, 0x1.8p-31, 0.5, 0.5, 0x1p-40, 1)
			bits(t, "Adam m kept", m[n-1], x)
			bits(t, "Adam p after a flushed step", p[n-1], 0x1p-80)
			// SGD: p − lr·g = 2x − 1.25x.
			p, g = fill(2*x), fill(1.25*x)
			SGDWUpdate(p, g, nil, 1, 0, false, 1)
			bits(t, "SGD p", p[n-1], 0)
			// Momentum: velocity = 0.5·0 − 1.25x, p + velocity = 0.75x.
			p, g, v = fill(2*x), fill(1.25*x), fill(0)
			SGDWUpdate(p, g, v, 1, 0.5, false, 1)
			bits(t, "momentum p", p[n-1], 0)
			bits(t, "momentum velocity", v[n-1], -1.25*x)
			// The velocity: 1·2x − 1.25x.
			p, g, v = fill(1), fill(1.25*x), fill(2*x)
			SGDWUpdate(p, g, v, 1, 1, false, 1)
			bits(t, "velocity", v[n-1], 0)
			// Nesterov: velocity = 0.5·3x − x = 0.5x, flushed; then the
			// step 0.5·0 − x = −x: p = 3x − x.
			p, g, v = fill(3*x), fill(x), fill(3*x)
			SGDWUpdate(p, g, v, 1, 0.5, true, 1)
			bits(t, "Nesterov velocity", v[n-1], 0)
			bits(t, "Nesterov p", p[n-1], 2*x)
			// Nesterov: velocity 1·x − 2x = −x; step 1·(−x) − 2x = −3x;
			// p = 3.5x − 3x = 0.5x, flushed.
			p, g, v = fill(3.5*x), fill(2*x), fill(x)
			SGDWUpdate(p, g, v, 1, 1, true, 1)
			bits(t, "Nesterov velocity kept", v[n-1], -x)
			bits(t, "Nesterov p flushed", p[n-1], 0)
		}
	})
}

// BenchmarkAdamSubnormalState times Adam steps over the MLP's weights when
// a tenth of the first moments are subnormal and their gradients zero, as
// after a few epochs of the tutorial MLP (the border pixels), against the
// same with ordinary moments: on CPUs that handle subnormals slowly the
// first is many times the second unless the update flushes them.
func BenchmarkAdamSubnormalState(b *testing.B) {
	const n = 101770
	for _, sub := range []bool{false, true} {
		p, g, m, v := benchRand(n), benchRand(n), benchRand(n), make([]float32, n)
		for i := range v {
			v[i] = 1e-6
			if i%10 == 0 {
				g[i] = 0
				if sub {
					m[i] = 1e-40
				}
			}
		}
		b.Run(fmt.Sprint("subnormal=", sub), func(b *testing.B) {
			m0 := append([]float32(nil), m...)
			cpuLoop(b, func() {
				copy(m, m0) // every step starts from the same state
				AdamWUpdate(p, g, m, v, 1e-3, 0.9, 0.999, 1e-7, 1)
			})
		})
	}
}

// TestMovingAverage checks MovingAverage on every path against its formula
// evaluated in Go, bit for bit, on values through the subnormal range and
// the flush threshold, and that no average it stores is below FlushBelow.
func TestMovingAverage(t *testing.T) {
	for _, momentum := range []float32{0, 0.9, 0.99, 0.999, 1} {
		for _, n := range []int{1, 9, 16, 33, 4099} {
			withLoops(t, fmt.Sprintf("momentum=%v,n=%d/", momentum, n), func(t *testing.T, path string) {
				rng := rand.New(rand.NewPCG(uint64(n), 3))
				avg, x, _, _ := flushCase(rng, n)
				want := make([]float32, n)
				for step := range 50 {
					for i := range want {
						want[i] = flushT(float32(momentum*daz(avg[i])) + float32((1-momentum)*daz(x[i])))
					}
					MovingAverage(avg, x, momentum)
					same(t, fmt.Sprintf("%s step %d", path, step), avg, want)
					noSubnormals(t, fmt.Sprintf("%s step %d", path, step), avg)
					nextStep(rng, x, avg)
				}
			})
		}
	}
	// With momentum 0 the average becomes x, which an update has flushed.
	x := []float32{1, -2.5, 0x1p-90, 0, 3e38}
	avg := []float32{7, 7, 7, 7, 7}
	MovingAverage(avg, x, 0)
	same(t, "momentum 0", avg, x)
}
