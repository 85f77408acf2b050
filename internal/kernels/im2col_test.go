package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// convGeoms covers valid and same padding, odd and even kernels, strides
// and sizes that leave a remainder.
var convGeoms = []struct {
	h, w, c, kh, kw, sh, sw int
	same                    bool
}{
	{5, 5, 1, 3, 3, 1, 1, false},
	{5, 5, 1, 3, 3, 1, 1, true},
	{6, 7, 3, 3, 3, 1, 1, true},
	{6, 7, 2, 2, 2, 2, 2, false},
	{7, 6, 2, 2, 3, 2, 2, true},
	{8, 8, 4, 5, 5, 2, 3, true},
	{4, 9, 2, 1, 4, 3, 2, false},
	{3, 3, 2, 4, 4, 1, 1, true},
	{3, 2, 1, 3, 3, 1, 2, true}, // one channel, three wide, no column inside
	{7, 9, 1, 3, 3, 2, 2, true},
	{6, 8, 1, 2, 3, 3, 1, false},
	{6, 6, 16, 2, 2, 2, 2, false}, // the AVX-512 max-pool loops
	{5, 7, 32, 2, 2, 2, 2, false},
	{5, 7, 16, 2, 2, 2, 2, true}, // padded below and to the right: not the AVX-512 max-pool loops
	{1, 1, 16, 2, 2, 2, 2, true},
}

func TestNewConvGeomKeras(t *testing.T) {
	for _, tc := range []struct {
		h, k, s  int
		same     bool
		out, pad int
	}{
		{28, 3, 1, true, 28, 1},
		{28, 3, 1, false, 26, 0},
		{28, 2, 2, false, 14, 0},
		{7, 2, 2, true, 4, 0}, // total padding 1 goes to the bottom
		{8, 5, 2, true, 4, 1}, // total 3: 1 above, 2 below
		{5, 2, 2, false, 2, 0},
	} {
		g, err := NewConvGeom(tc.h, tc.h, 1, tc.k, tc.k, tc.s, tc.s, tc.same)
		if err != nil {
			t.Fatal(err)
		}
		if g.OH != tc.out || g.PadTop != tc.pad || g.OW != tc.out || g.PadLeft != tc.pad {
			t.Errorf("h=%d k=%d s=%d same=%v: out %d pad %d, want %d %d", tc.h, tc.k, tc.s, tc.same, g.OH, g.PadTop, tc.out, tc.pad)
		}
	}
	if _, err := NewConvGeom(2, 2, 1, 3, 3, 1, 1, false); err == nil {
		t.Error("a 3×3 valid window over 2×2 images: no error")
	}
	if _, err := NewConvGeom(2, 2, 1, 3, 3, 0, 1, true); err == nil {
		t.Error("stride 0: no error")
	}
}

// TestIm2colConv checks im2col followed by a product against a direct
// convolution written from the definition.
func TestIm2colConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range convGeoms {
		g, err := NewConvGeom(tc.h, tc.w, tc.c, tc.kh, tc.kw, tc.sh, tc.sw, tc.same)
		if err != nil {
			t.Fatal(err)
		}
		const n, f = 3, 4
		x := randSlice(rng, n*g.InSize())
		w := randSlice(rng, g.PatchSize()*f)
		cols := randSlice(rng, n*g.Pixels()*g.PatchSize()) // garbage must be overwritten
		im2col(cols, x, n, &g)
		y := make([]float32, n*g.Pixels()*f)
		Sgemm(false, false, n*g.Pixels(), f, g.PatchSize(), 1, cols, g.PatchSize(), w, f, 0, y, f)
		for b := 0; b < n; b++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					for o := 0; o < f; o++ {
						var s float64
						for ki := 0; ki < g.KH; ki++ {
							for kj := 0; kj < g.KW; kj++ {
								iy, ix := oy*g.SH-g.PadTop+ki, ox*g.SW-g.PadLeft+kj
								if iy < 0 || iy >= g.H || ix < 0 || ix >= g.W {
									continue
								}
								for c := 0; c < g.C; c++ {
									s += float64(x[((b*g.H+iy)*g.W+ix)*g.C+c]) * float64(w[((ki*g.KW+kj)*g.C+c)*f+o])
								}
							}
						}
						got := y[((b*g.OH+oy)*g.OW+ox)*f+o]
						if math.Abs(float64(got)-s) > 1e-4*(1+math.Abs(s)) {
							t.Fatalf("%+v: y[%d,%d,%d,%d] = %v, want %v", tc, b, oy, ox, o, got, s)
						}
					}
				}
			}
		}
	}
}

// TestCol2imAdjoint checks ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩, which is what
// makes col2im the gradient of im2col.
func TestCol2imAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range convGeoms {
		g, _ := NewConvGeom(tc.h, tc.w, tc.c, tc.kh, tc.kw, tc.sh, tc.sw, tc.same)
		const n = 2
		x := randSlice(rng, n*g.InSize())
		c := randSlice(rng, n*g.Pixels()*g.PatchSize())
		cols := make([]float32, len(c))
		im2col(cols, x, n, &g)
		dx := randSlice(rng, len(x))
		col2im(dx, c, n, &g)
		var lhs, rhs float64
		for i := range c {
			lhs += float64(cols[i]) * float64(c[i])
		}
		for i := range x {
			rhs += float64(x[i]) * float64(dx[i])
		}
		if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Errorf("%+v: ⟨im2col x, c⟩ = %v, ⟨x, col2im c⟩ = %v", tc, lhs, rhs)
		}
	}
}

func TestIm2colAllocs(t *testing.T) {
	g, _ := NewConvGeom(14, 14, 32, 3, 3, 1, 1, true)
	x := make([]float32, 2*g.InSize())
	cols := make([]float32, 2*g.Pixels()*g.PatchSize())
	if a := testing.AllocsPerRun(5, func() { im2col(cols, x, 2, &g); col2im(x, cols, 2, &g) }); a != 0 {
		t.Errorf("%v allocations per run", a)
	}
}

func BenchmarkIm2col(b *testing.B) {
	for _, bc := range []struct {
		name    string
		h, w, c int
	}{{"28x28x1", 28, 28, 1}, {"14x14x32", 14, 14, 32}} {
		g, _ := NewConvGeom(bc.h, bc.w, bc.c, 3, 3, 1, 1, true)
		const n = 32
		x := make([]float32, n*g.InSize())
		cols := make([]float32, n*g.Pixels()*g.PatchSize())
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(cols)))
			for b.Loop() {
				im2col(cols, x, n, &g)
			}
		})
		b.Run(bc.name+"/col2im", func(b *testing.B) {
			b.SetBytes(int64(4 * len(cols)))
			for b.Loop() {
				col2im(x, cols, n, &g)
			}
		})
	}
}

// TestIm2colSIMD compares the vector im2col with the portable one, value
// for value, over geometries with padding on every side, strides, valid
// windows and images narrower than the window.
func TestIm2colSIMD(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		h, w, c, kh, kw, sh, sw int
		same                    bool
	}{
		{14, 14, 32, 3, 3, 1, 1, true}, {14, 14, 64, 3, 3, 2, 2, true}, {7, 7, 16, 3, 3, 1, 1, false},
		{9, 6, 16, 5, 4, 1, 2, true}, {3, 2, 16, 5, 5, 1, 1, true}, {2, 9, 32, 1, 3, 1, 1, true}, {8, 8, 48, 2, 2, 2, 2, false},
	} {
		g, err := NewConvGeom(tc.h, tc.w, tc.c, tc.kh, tc.kw, tc.sh, tc.sw, tc.same)
		if err != nil {
			t.Fatal(err)
		}
		const n = 3
		x := randSlice(rng, n*g.InSize())
		a, b := randSlice(rng, n*g.Pixels()*g.PatchSize()), randSlice(rng, n*g.Pixels()*g.PatchSize())
		im2col(a, x, n, &g)
		portable(func() { im2col(b, x, n, &g) })
		same(t, fmt.Sprintf("im2col %+v", tc), a, b)
	}
}
