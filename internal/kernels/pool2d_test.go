package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPool2D checks max and average pooling against their definitions, and
// their backward passes through the adjoint identity ⟨f(x)·dy⟩ for the
// (piecewise) linear maps they are.
func TestPool2D(t *testing.T) {
	forEachPath(t, testPool2D)
}

// forEachPath runs test with the AVX-512 loops, when the CPU has them, and
// with the portable ones.
func forEachPath(t *testing.T, test func(t *testing.T)) {
	if hasAVX512 {
		t.Run("avx512", test)
	}
	portable(func() { t.Run("portable", test) })
}

func testPool2D(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range convGeoms {
		g, _ := NewConvGeom(tc.h, tc.w, tc.c, tc.kh, tc.kw, tc.sh, tc.sw, tc.same)
		const n = 2
		x := randSlice(rng, n*g.InSize())
		ymax := make([]float32, n*g.Pixels()*g.C)
		yavg := make([]float32, len(ymax))
		MaxPool2D(ymax, x, n, &g)
		AvgPool2D(yavg, x, n, &g)
		for b := 0; b < n; b++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					for c := 0; c < g.C; c++ {
						mx, sum, cnt := math.Inf(-1), 0.0, 0
						for ki := 0; ki < g.KH; ki++ {
							for kj := 0; kj < g.KW; kj++ {
								iy, ix := oy*g.SH-g.PadTop+ki, ox*g.SW-g.PadLeft+kj
								if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
									continue
								}
								v := float64(x[((b*g.H+iy)*g.W+ix)*g.C+c])
								mx = math.Max(mx, v)
								sum += v
								cnt++
							}
						}
						o := ((b*g.OH+oy)*g.OW+ox)*g.C + c
						if float64(ymax[o]) != mx {
							t.Fatalf("%+v: max %v, want %v", tc, ymax[o], mx)
						}
						if math.Abs(float64(yavg[o])-sum/float64(cnt)) > 1e-5 {
							t.Fatalf("%+v: avg %v, want %v", tc, yavg[o], sum/float64(cnt))
						}
					}
				}
			}
		}
		// Backward: for fixed argmax, max pooling is linear in x, and
		// average pooling is linear; check ⟨P x, dy⟩ = ⟨x, Pᵀ dy⟩.
		dy := randSlice(rng, len(ymax))
		dx := randSlice(rng, len(x))
		MaxPool2DBackward(dx, dy, x, ymax, n, &g)
		if lhs, rhs := dot(ymax, dy), dot(x, dx); math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Errorf("%+v: max pool backward: %v != %v", tc, lhs, rhs)
		}
		AvgPool2DBackward(dx, dy, n, &g)
		if lhs, rhs := dot(yavg, dy), dot(x, dx); math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Errorf("%+v: average pool backward: %v != %v", tc, lhs, rhs)
		}
	}
}

func TestGlobalAvgPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n, p, c = 3, 5, 4
	x := randSlice(rng, n*p*c)
	y := make([]float32, n*c)
	GlobalAvgPool(y, x, n, p, c)
	for b := 0; b < n; b++ {
		for j := 0; j < c; j++ {
			var s float64
			for i := 0; i < p; i++ {
				s += float64(x[(b*p+i)*c+j])
			}
			if math.Abs(float64(y[b*c+j])-s/p) > 1e-6 {
				t.Fatalf("y[%d,%d] = %v, want %v", b, j, y[b*c+j], s/p)
			}
		}
	}
	dy := randSlice(rng, n*c)
	dx := make([]float32, len(x))
	GlobalAvgPoolBackward(dx, dy, n, p, c)
	if lhs, rhs := dot(y, dy), dot(x, dx); math.Abs(lhs-rhs) > 1e-5*(1+math.Abs(lhs)) {
		t.Errorf("backward: %v != %v", lhs, rhs)
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func BenchmarkMaxPool2D(b *testing.B) {
	g, _ := NewConvGeom(28, 28, 32, 2, 2, 2, 2, false)
	const n = 32
	x := make([]float32, n*g.InSize())
	y := make([]float32, n*g.Pixels()*g.C)
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			MaxPool2D(y, x, n, &g)
		}
	})
	dx := make([]float32, len(x))
	b.Run("backward", func(b *testing.B) {
		for b.Loop() {
			MaxPool2DBackward(dx, y, x, y, n, &g)
		}
	})
}

// TestMaxPoolTies checks that on ties the gradient goes to the first
// maximal element of the window, in row-major order, and only to it.
func TestMaxPoolTies(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		g, _ := NewConvGeom(3, 5, 16, 2, 2, 2, 2, false) // odd sizes: a row and a column in no window
		x := make([]float32, g.InSize())
		// window (0, 0) all zeros; window (0, 1): top-right and bottom-left 2.
		for c := 0; c < 16; c++ {
			x[(0*5+3)*16+c] = 2
			x[(1*5+2)*16+c] = 2
			x[(2*5+4)*16+c] = 7 // outside every window
		}
		y := make([]float32, g.Pixels()*16)
		MaxPool2D(y, x, 1, &g)
		dy := make([]float32, len(y))
		for i := range dy {
			dy[i] = 1
		}
		dx := randSlice(rand.New(rand.NewPCG(1, 1)), len(x))
		MaxPool2DBackward(dx, dy, x, y, 1, &g)
		for i, v := range dx {
			pix := i / 16
			want := float32(0)
			if pix == 0 || pix == 3 { // (0,0) first of the zeros; (0,3) first of the 2s
				want = 1
			}
			if v != want {
				t.Fatalf("dx at pixel (%d, %d) = %v, want %v", pix/5, pix%5, v, want)
			}
		}
	})
}

// TestMaxPoolReluBackward: the fused gradient through a ReLU and a max
// pooling gives the bits of MaxPool2DBackward followed by ReluBackward, on
// every path and geometry (the 2×2 vector loop among them), on inputs that
// are a ReLU's output — many zeros, whole windows of them included — and
// on enough images to split across the pool.
func TestMaxPoolReluBackward(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, tc := range convGeoms {
			g, _ := NewConvGeom(tc.h, tc.w, tc.c, tc.kh, tc.kw, tc.sh, tc.sw, tc.same)
			for _, n := range []int{1, 40} {
				x := randSlice(rng, n*g.InSize())
				for i := range x {
					if x[i] < 0.3 || (i/g.C)%5 == 0 {
						x[i] = 0 // ReLU's zeros, and windows of nothing else
					}
				}
				y := make([]float32, n*g.Pixels()*g.C)
				MaxPool2D(y, x, n, &g)
				dy := randSlice(rng, len(y))
				want, got := randSlice(rng, len(x)), randSlice(rng, len(x))
				MaxPool2DBackward(want, dy, x, y, n, &g)
				ReluBackward(want, want, x)
				MaxPool2DReluBackward(got, dy, x, y, n, &g)
				same(t, "fused ReLU and max-pool gradient", got, want)
				zeros := 0
				for i := range want {
					if x[i] == 0 && want[i] == 0 {
						zeros++
					}
				}
				if zeros == 0 {
					t.Fatal("no input of the ReLU was zero: the test is vacuous")
				}
			}
		}
	})
}

// TestMaxPoolNaNAndSignedZero: a window holding a NaN pools to NaN (its
// first NaN, in row-major order), as PyTorch's max_pool2d and numpy's max
// give, and of equal maxima (+0 and −0) the first is kept, bit for bit on
// every path: the 2×2 vector loop once returned the other operand of
// VMAXPS, dropping a NaN in a window's first position, keeping one in its
// last and losing the maximum of the rest, and −0 for a window of +0, −0.
func TestMaxPoolNaNAndSignedZero(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	nanA := math.Float32frombits(0x7fc00001) // two NaNs told apart by their bits
	nanB := math.Float32frombits(0xffc00002)
	forEachWindow(t, [][]float32{
		{nanA, 5, 1, 2},
		{5, nanA, 1, 2},
		{5, 1, nanA, 2},
		{5, 1, 2, nanA},
		{1, nanA, 9, nanB},
		{1, nanB, nanA, 9},
		{0, negZero, -1, -2},
		{negZero, 0, -1, -2},
		{-3, negZero, -1, 0},
	}, func(t *testing.T, g *ConvGeom, x, vals []float32, at func(p, ch int) int) {
		want := vals[0]
		for _, v := range vals[1:] {
			if v > want || v != v && want == want {
				want = v
			}
		}
		y := make([]float32, g.Pixels()*g.C)
		MaxPool2D(y, x, 1, g)
		for ch := 0; ch < g.C; ch++ {
			if got := y[ch]; math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("channel %d pools to %v (%#x), want %v (%#x)", ch, got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
	})
}

// forEachWindow runs check on every kernel path for each of a few pooling
// geometries (the 2×2 vector loop's and the general loop's) and each
// window of vals: x is one image of −7 but for output (0, 0)'s window,
// whose row-major position p holds vals[p] in every channel (vals is cut
// to the window's size) and at(p, ch) is the index in x of position p,
// channel ch.
func forEachWindow(t *testing.T, windows [][]float32, check func(t *testing.T, g *ConvGeom, x, vals []float32, at func(p, ch int) int)) {
	forEachPath(t, func(t *testing.T) {
		for _, tc := range []struct{ h, w, c, k, s int }{
			{2, 2, 16, 2, 2}, // the 2×2 vector loop
			{4, 6, 32, 2, 2},
			{3, 5, 32, 2, 2},
			{3, 3, 3, 3, 1}, // the general loop
			{2, 2, 5, 2, 2},
		} {
			g, err := NewConvGeom(tc.h, tc.w, tc.c, tc.k, tc.k, tc.s, tc.s, false)
			if err != nil {
				t.Fatal(err)
			}
			at := func(p, ch int) int { return ((p/tc.k)*g.W+p%tc.k)*g.C + ch }
			for _, vals := range windows {
				vals = vals[:min(tc.k*tc.k, len(vals))]
				x := make([]float32, g.InSize())
				for i := range x {
					x[i] = -7
				}
				for p, v := range vals {
					for ch := 0; ch < g.C; ch++ {
						x[at(p, ch)] = v
					}
				}
				t.Run(fmt.Sprintf("%+v/%v", tc, vals), func(t *testing.T) { check(t, &g, x, vals, at) })
			}
		}
	})
}

// TestPoolEmptyBatch: every pooling pass of an empty batch does nothing,
// as MaxPool2D always did; AvgPool2D indexed y[-1].
func TestPoolEmptyBatch(t *testing.T) {
	g, _ := NewConvGeom(4, 4, 3, 2, 2, 2, 2, false)
	MaxPool2D(nil, nil, 0, &g)
	AvgPool2D(nil, nil, 0, &g)
	MaxPool2DBackward(nil, nil, nil, nil, 0, &g)
	MaxPool2DReluBackward(nil, nil, nil, nil, 0, &g)
	AvgPool2DBackward(nil, nil, 0, &g)
	GlobalAvgPool(nil, nil, 0, 16, 3)
	GlobalAvgPoolBackward(nil, nil, 0, 16, 3)
}

// TestMaxPoolNaNGradient: the gradient of a window that pools to NaN goes
// to that NaN (the first of the window's NaNs, in row-major order, whose
// value the pooling returned), as PyTorch's max_pool2d routes it to the
// NaN it returned, on every path; it once went nowhere, since no input
// equals a NaN maximum. Through a ReLU (MaxPool2DReluBackward) it stays
// ReluBackward's 0, which a NaN input also gets.
func TestMaxPoolNaNGradient(t *testing.T) {
	nan := float32(math.NaN())
	forEachWindow(t, [][]float32{
		{nan, 5, 1, 2},
		{5, nan, 1, 2},
		{5, 1, nan, 2},
		{5, 1, 2, nan},
		{1, nan, 9, nan},
		{9, 1, nan, nan},
	}, func(t *testing.T, g *ConvGeom, x, vals []float32, at func(p, ch int) int) {
		first := slices.IndexFunc(vals, func(v float32) bool { return v != v }) // the position that gets the gradient
		if first < 0 {
			return // the NaN lies outside this geometry's window
		}
		y := make([]float32, g.Pixels()*g.C)
		MaxPool2D(y, x, 1, g)
		dy := make([]float32, len(y))
		for i := range dy {
			dy[i] = float32(i%7) + 1
		}
		dx := randSlice(rand.New(rand.NewPCG(3, 4)), len(x))
		MaxPool2DBackward(dx, dy, x, y, 1, g)
		for ch := 0; ch < g.C; ch++ {
			for p := range vals {
				want := float32(0)
				if p == first {
					want = dy[ch]
				}
				if got := dx[at(p, ch)]; got != want {
					t.Fatalf("dx at window position %d, channel %d = %v, want %v", p, ch, got, want)
				}
			}
		}
		MaxPool2DReluBackward(dx, dy, x, y, 1, g)
		for ch := 0; ch < g.C; ch++ {
			for p := range vals {
				if got := dx[at(p, ch)]; got != 0 {
					t.Fatalf("through a ReLU: dx at window position %d, channel %d = %v, want 0", p, ch, got)
				}
			}
		}
	})
}
