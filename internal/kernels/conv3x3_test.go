package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestConv3x3Direct holds the 3×3 one-channel loops to the general path
// (im2col and SGEMM) bit for bit: the forward pass with and without bias
// and ReLU, and the kernel gradient, for batches that leave partial blocks
// and k blocks, 32 and 64 filters, same and valid padding, on one thread
// and on all.
func TestConv3x3Direct(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512: only the general path runs")
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for _, tc := range []struct {
		h, w, f int
		same    bool
	}{{28, 28, 32, true}, {28, 28, 64, true}, {28, 28, 32, false}, {9, 6, 32, true}} {
		g, err := NewConvGeom(tc.h, tc.w, 1, 3, 3, 1, 1, tc.same)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 3, 5, 11, 32} {
			f, p := tc.f, g.Pixels()
			x, w, bias, dz := randSlice(rng, n*g.InSize()), randSlice(rng, 9*f), randSlice(rng, f), randSlice(rng, n*p*f)
			x[0], x[1], bias[0] = 0, float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))
			for i := range x {
				if rng.IntN(5) == 0 {
					x[i] = 0 // the zero pixels of Fashion-MNIST
				}
			}
			run := func(direct bool) [][]float32 {
				c := NewConv(g, f)
				c.noDirect = !direct
				var out [][]float32
				for _, mode := range []struct {
					bias []float32
					relu bool
				}{{bias, true}, {bias, false}, {nil, false}} {
					y := make([]float32, n*p*f)
					c.Forward(y, x, w, mode.bias, n, mode.relu)
					out = append(out, y)
				}
				dw := make([]float32, 9*f)
				c.KernelGrad(dw, x, dz, n)
				return append(out, dw)
			}
			for _, threads := range []int{1, 2} {
				withProcs(threads, func() {
					got, want := run(true), run(false)
					for i := range got {
						same(t, fmt.Sprintf("%+v n=%d threads %d pass %d", tc, n, threads, i), got[i], want[i])
					}
				})
			}
		}
	}
}

// TestConvDirect holds the in-place float32 passes (convdirect.go) to the
// unfolded ones bit for bit: forward with and without bias and ReLU, and
// the stride-1 input gradient, whose k blocks end inside kernel rows, for
// several geometries, batch sizes and thread counts.
func TestConvDirect(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512: only the unfolded path runs")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for _, tc := range []struct {
		h, w, c, kh, kw, sh, sw int
		same                    bool
		f                       int
	}{
		{14, 14, 32, 3, 3, 1, 1, true, 64}, {14, 14, 32, 3, 3, 1, 1, true, 32}, {7, 7, 64, 3, 3, 1, 1, true, 128},
		{14, 14, 64, 3, 3, 2, 2, true, 128}, {12, 12, 4, 3, 3, 2, 2, true, 6}, {30, 30, 2, 5, 5, 1, 1, true, 16},
		{9, 11, 16, 3, 3, 1, 1, false, 40},
	} {
		g, err := NewConvGeom(tc.h, tc.w, tc.c, tc.kh, tc.kw, tc.sh, tc.sw, tc.same)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 3, 8} {
			f, p, k := tc.f, g.Pixels(), g.PatchSize()
			x, w, bias, dz := randSlice(rng, n*g.InSize()), randSlice(rng, k*f), randSlice(rng, f), randSlice(rng, n*p*f)
			run := func(direct bool) [][]float32 {
				c := NewConv(g, f)
				c.noDirect = !direct
				var out [][]float32
				for _, mode := range []struct {
					bias []float32
					relu bool
				}{{bias, true}, {nil, false}} {
					y := make([]float32, n*p*f)
					c.Forward(y, x, w, mode.bias, n, mode.relu)
					out = append(out, y)
				}
				dx := make([]float32, len(x))
				c.InputGrad(dx, dz, w, n)
				return append(out, dx)
			}
			for _, threads := range []int{1, 2} {
				withProcs(threads, func() {
					got, want := run(true), run(false)
					for i := range got {
						same(t, fmt.Sprintf("%+v n=%d threads %d pass %d", tc, n, threads, i), got[i], want[i])
					}
				})
			}
		}
	}
}
