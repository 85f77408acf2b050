package kernels

import (
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
	g, _ := NewConvGeom(14, 14, 32, 3, 3, 1, 1, true)
	c := NewConv(g, 64)
	const n = 8
	x, w, dz := make([]float32, n*g.InSize()), make([]float32, g.PatchSize()*64), make([]float32, n*g.Pixels()*64)
	y, dw, dx := make([]float32, len(dz)), make([]float32, len(w)), make([]float32, len(x))
	step := func() {
		c.Forward(y, x, w, nil, n, false)
		c.KernelGrad(dw, x, dz, n)
		c.InputGrad(dx, dz, w, n)
	}
	step()
	if a := testing.AllocsPerRun(5, step); a != 0 {
		t.Errorf("%v allocations per step", a)
	}
}
