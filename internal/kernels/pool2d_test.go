package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPool2D checks max and average pooling against their definitions, and
// their backward passes through the adjoint identity ⟨f(x)·dy⟩ for the
// (piecewise) linear maps they are.
func TestPool2D(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range convGeoms {
		g, _ := NewConvGeom(tc.h, tc.w, tc.c, tc.kh, tc.kw, tc.sh, tc.sw, tc.same)
		const n = 2
		x := randSlice(rng, n*g.InSize())
		ymax := make([]float32, n*g.Pixels()*g.C)
		yavg := make([]float32, len(ymax))
		arg := make([]int32, len(ymax))
		MaxPool2D(ymax, arg, x, n, &g)
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
						if float64(ymax[o]) != mx || x[arg[o]] != ymax[o] {
							t.Fatalf("%+v: max %v (arg %d), want %v", tc, ymax[o], arg[o], mx)
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
		MaxPool2DBackward(dx, dy, arg, n, &g)
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
	arg := make([]int32, len(y))
	for b.Loop() {
		MaxPool2D(y, arg, x, n, &g)
	}
}
