package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestConvDriver checks Conv's three passes against the plain products
// they stand for — Sgemm on the whole batch's unfolded windows, and col2im —
// on batches of several blocks, and checks that one thread gives the same
// bits as several.
func TestConvDriver(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, tc := range []struct {
		h, w, c, kh, kw, sh, sw int
		same                    bool
		f, n                    int
	}{
		{28, 28, 1, 3, 3, 1, 1, true, 32, 11}, // short windows, 4 images a block
		{14, 14, 32, 3, 3, 1, 1, true, 64, 5}, // one image a block
		{9, 7, 3, 3, 2, 1, 1, false, 8, 3},    // valid
		{12, 12, 4, 3, 3, 2, 2, true, 6, 4},   // strided: col2im
		{30, 30, 2, 5, 5, 1, 1, true, 16, 3},  // odd padding
	} {
		g, err := NewConvGeom(tc.h, tc.w, tc.c, tc.kh, tc.kw, tc.sh, tc.sw, tc.same)
		if err != nil {
			t.Fatal(err)
		}
		n, f, p, k := tc.n, tc.f, g.Pixels(), g.PatchSize()
		x, w, bias := randSlice(rng, n*g.InSize()), randSlice(rng, k*f), randSlice(rng, f)
		dz := randSlice(rng, n*p*f)
		cols := make([]float32, n*p*k)
		im2col(cols, x, n, &g)

		wantY := make([]float32, n*p*f)
		sgemmRef(false, false, n*p, f, k, 1, cols, k, w, f, 0, wantY, f)
		addBias(wantY, n*p, f, bias)
		relu(wantY)
		wantDW := make([]float32, k*f)
		sgemmRef(true, false, k, f, n*p, 1, cols, k, dz, f, 0, wantDW, f)
		dcols := make([]float32, n*p*k)
		sgemmRef(false, true, n*p, k, f, 1, dz, f, w, f, 0, dcols, k)
		wantDX := make([]float32, len(x))
		col2im(wantDX, dcols, n, &g)

		run := func() (y, dw, dx []float32) {
			c := NewConv(g, f)
			y, dw, dx = make([]float32, n*p*f), make([]float32, k*f), make([]float32, len(x))
			c.Forward(y, x, w, bias, n, true)
			c.KernelGrad(dw, x, dz, n)
			c.InputGrad(dx, dz, w, n)
			return y, dw, dx
		}
		y, dw, dx := run()
		for name, pair := range map[string][2][]float32{"forward": {y, wantY}, "kernel gradient": {dw, wantDW}, "input gradient": {dx, wantDX}} {
			for i, v := range pair[0] {
				if want := pair[1][i]; math.Abs(float64(v-want)) > 1e-3*(1+math.Abs(float64(want))) {
					t.Fatalf("%+v: %s[%d] = %v, want %v", tc, name, i, v, want)
				}
			}
		}
		old := runtime.GOMAXPROCS(1)
		y1, dw1, dx1 := run()
		runtime.GOMAXPROCS(old)
		same(t, "forward on one thread", y, y1)
		same(t, "kernel gradient on one thread", dw, dw1)
		same(t, "input gradient on one thread", dx, dx1)
	}
}

func TestConvDriverNoAllocs(t *testing.T) {
	for _, bf := range []bool{false, true} {
		g, _ := NewConvGeom(14, 14, 32, 3, 3, 1, 1, true)
		c := NewConv(g, 64)
		c.BF16 = bf
		n := 8
		if SIMD() == "generic" {
			n = 2 // the portable products are slow; allocations show as well
		}
		x, w, dz := make([]float32, n*g.InSize()), make([]float32, g.PatchSize()*64), make([]float32, n*g.Pixels()*64)
		y, dw, dx := make([]float32, len(dz)), make([]float32, len(w)), make([]float32, len(x))
		step := func() {
			c.Forward(y, x, w, nil, n, false)
			c.KernelGrad(dw, x, dz, n)
			c.InputGrad(dx, dz, w, n)
		}
		step()
		if a := testing.AllocsPerRun(5, step); a != 0 {
			t.Errorf("BF16 %v: %v allocations per step", bf, a)
		}
	}
}

// TestConvDriverBF16 checks the mixed-precision passes: on operands that
// are already bfloat16 values they agree with float32, and on any operands
// they give exactly what the rounded operands give — so they do round, and
// round only the operands.
func TestConvDriverBF16(t *testing.T) {
	if !hasBF16 {
		t.Skip("this CPU lacks AVX512_BF16: Conv.BF16 computes in float32")
	}
	rng := rand.New(rand.NewPCG(10, 11))
	rounded := func(s []float32) []float32 {
		r := make([]float32, len(s))
		for i, v := range s {
			r[i] = bf16Float(roundBF16(v))
		}
		return r
	}
	for _, tc := range []struct {
		h, w, c, kh, kw, sh, sw int
		same                    bool
		f, n                    int
	}{
		{14, 14, 32, 3, 3, 1, 1, true, 64, 5},
		{9, 7, 3, 3, 2, 1, 1, false, 8, 3},
		{7, 7, 64, 3, 3, 1, 1, true, 128, 9},
		{12, 12, 4, 3, 3, 2, 2, true, 6, 4}, // strided: the input gradient stays float32
		{5, 5, 2, 3, 3, 1, 1, true, 5, 3},   // odd rows, 5 filters: the input gradient stays float32
		{10, 9, 2, 2, 2, 1, 1, true, 8, 3},  // even window: padding only below and right
		{9, 8, 4, 3, 2, 1, 2, false, 6, 2},  // valid, strided across: the padded image is cropped
		{10, 10, 2, 2, 2, 1, 1, true, 8, 3}, // even window, even rows: paired with padding right
	} {
		g, err := NewConvGeom(tc.h, tc.w, tc.c, tc.kh, tc.kw, tc.sh, tc.sw, tc.same)
		if err != nil {
			t.Fatal(err)
		}
		n, f, p, k := tc.n, tc.f, g.Pixels(), g.PatchSize()
		x, w, bias, dz := randSlice(rng, n*g.InSize()), randSlice(rng, k*f), randSlice(rng, f), randSlice(rng, n*p*f)
		run := func(bf bool, x, w, dz []float32) (y, dw, dx []float32) {
			c := NewConv(g, f)
			c.BF16 = bf
			y, dw, dx = make([]float32, n*p*f), make([]float32, k*f), make([]float32, len(x))
			c.Forward(y, x, w, bias, n, true)
			c.KernelGrad(dw, x, dz, n)
			c.InputGrad(dx, dz, w, n)
			return y, dw, dx
		}
		xr, wr, dzr := rounded(x), rounded(w), rounded(dz)
		y32, dw32, dx32 := run(false, xr, wr, dzr)
		y, dw, dx := run(true, xr, wr, dzr)
		for name, pair := range map[string][2][]float32{"forward": {y, y32}, "kernel gradient": {dw, dw32}, "input gradient": {dx, dx32}} {
			for i, v := range pair[0] {
				if want := pair[1][i]; math.Abs(float64(v-want)) > 1e-4*(1+math.Abs(float64(want))) {
					t.Fatalf("%+v: %s[%d] = %v, float32 gives %v", tc, name, i, v, want)
				}
			}
		}
		yu, dwu, dxu := run(true, x, w, dz)
		same(t, "forward of unrounded operands", yu, y)
		if k%2 == 0 {
			// reading windows from the padded image sums exactly as
			// multiplying the unfolded windows does
			cols, wd := make([]float32, n*p*k), pairWords()
			im2col(cols, xr, n, &g)
			wp := make([]uint32, k/2*f)
			packPairs(wp, make([]uint16, k*f), w, k, f)
			yUnfolded := make([]float32, n*p*f)
			bgemm(n*p, f, k/2, roundA(make([]uint32, len(cols)), cols), k/2*wd, wd, wp, 0, yUnfolded, f, make([]uint32, bgemmPad(k/2)))
			biasRelu(yUnfolded, n*p, f, bias)
			same(t, "forward from the padded image", yu, yUnfolded)
		}
		same(t, "kernel gradient of unrounded operands", dwu, dw)
		if g.OW%2 == 0 {
			// pairing the padded images sums exactly as pairing the
			// unfolded rows does
			c := NewConv(g, f)
			c.BF16, c.noPaired = true, true
			dwRows := make([]float32, k*f)
			c.KernelGrad(dwRows, x, dz, n)
			same(t, "kernel gradient from paired images", dwu, dwRows)
		}
		if tc.sh == 1 && tc.sw == 1 && tc.kh*tc.kw*f%2 == 0 {
			same(t, "input gradient of unrounded operands", dxu, dx)
		}
	}
}

// BenchmarkConvKernelGradBF16 times the kernel gradient of best's 3×3
// convolutions at batch 64 in bfloat16, with the rows paired from the
// padded images (paired) and from the unfolded rows (rows).
func BenchmarkConvKernelGradBF16(b *testing.B) {
	if !hasBF16 {
		b.Skip("this CPU lacks AVX512_BF16")
	}
	for _, s := range []struct{ hw, c, f int }{{28, 32, 32}, {14, 32, 64}, {14, 64, 64}} {
		g, err := NewConvGeom(s.hw, s.hw, s.c, 3, 3, 1, 1, true)
		if err != nil {
			b.Fatal(err)
		}
		const n = 64
		x, dz, dw := benchRand(n*g.InSize()), benchRand(n*g.Pixels()*s.f), make([]float32, g.PatchSize()*s.f)
		for _, rows := range []bool{false, true} {
			c := NewConv(g, s.f)
			c.BF16, c.noPaired = true, rows
			name := map[bool]string{false: "paired", true: "rows"}[rows]
			b.Run(fmt.Sprintf("%dx%dx%dx%d/%s", s.hw, s.hw, s.c, s.f, name), func(b *testing.B) {
				cpuLoop(b, func() { c.KernelGrad(dw, x, dz, n) })
			})
		}
	}
}

// TestConvEmptyBatch: every pass over no images does what Sgemm and the
// pools do with an empty batch (nothing, and a zero kernel gradient, the
// sum over no images) instead of indexing out[-1].
func TestConvEmptyBatch(t *testing.T) {
	for _, tc := range []struct {
		h, w, c, k, s int
		f             int
	}{
		{28, 28, 1, 3, 1, 32}, // the first layer's in-place loop
		{14, 14, 32, 3, 1, 64},
		{12, 12, 4, 3, 2, 6}, // strided: col2im
	} {
		g, err := NewConvGeom(tc.h, tc.w, tc.c, tc.k, tc.k, tc.s, tc.s, true)
		if err != nil {
			t.Fatal(err)
		}
		cv := NewConv(g, tc.f)
		w := make([]float32, g.PatchSize()*tc.f)
		cv.Forward(nil, nil, w, nil, 0, true)
		cv.InputGrad(nil, nil, w, 0)
		dw := make([]float32, len(w))
		for i := range dw {
			dw[i] = 3
		}
		cv.KernelGrad(dw, nil, nil, 0)
		for i, v := range dw {
			if v != 0 {
				t.Fatalf("%+v: kernel gradient over no images has %v at %d, want 0", tc, v, i)
			}
		}
	}
}
