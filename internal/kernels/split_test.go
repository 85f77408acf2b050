package kernels

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestSplitMatchesSerial runs every split kernel on work large enough to
// be divided among the workers and compares the result with the same call
// on one goroutine: chunks write disjoint outputs, so they must agree bit
// for bit.
func TestSplitMatchesSerial(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one CPU: nothing is split")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pg, _ := NewConvGeom(28, 28, 32, 2, 2, 2, 2, false)
	const n, m, w = 16, 3000, 64
	px := randSlice(rng, n*pg.InSize())
	mat, bias, dy, xhat := randSlice(rng, m*w), randSlice(rng, w), randSlice(rng, m*w), randSlice(rng, m*w)
	gamma, invStd := randSlice(rng, w), randSlice(rng, w)
	cases := map[string]func() []float32{
		"MaxPool2D and backward": func() []float32 {
			y := make([]float32, n*pg.Pixels()*pg.C)
			MaxPool2D(y, px, n, &pg)
			dx := make([]float32, len(px))
			MaxPool2DBackward(dx, y, px, y, n, &pg)
			return append(y, dx...)
		},
		"Relu": func() []float32 { y := append([]float32(nil), mat...); Relu(y); return y },
		"ReluBackward": func() []float32 {
			dx := make([]float32, len(mat))
			ReluBackward(dx, dy, mat)
			return dx
		},
		"AddBias":  func() []float32 { y := append([]float32(nil), mat...); AddBias(y, m, w, bias); return y },
		"BiasRelu": func() []float32 { y := append([]float32(nil), mat...); BiasRelu(y, m, w, bias); return y },
		"ScaleShiftColumns": func() []float32 {
			y := make([]float32, len(mat))
			ScaleShiftColumns(y, mat, m, w, gamma, bias)
			return y
		},
		"BatchNormBackward": func() []float32 {
			dx, dg, db := make([]float32, len(mat)), make([]float32, w), make([]float32, w)
			BatchNormBackward(dx, dy, xhat, m, w, bias, invStd, gamma, dg, db, make([]float64, 2*w))
			return append(append(dx, dg...), db...)
		},
		"ColumnMoments": func() []float32 {
			mean, variance := make([]float32, w), make([]float32, w)
			ColumnMoments(mean, variance, make([]float64, w), mat, m, w)
			return append(mean, variance...)
		},
		"AdamUpdate": func() []float32 {
			p, mm, v := append([]float32(nil), mat...), append([]float32(nil), dy...), make([]float32, len(mat))
			AdamUpdate(p, xhat, mm, v, 1e-3, 0.9, 0.999, 1e-7)
			return append(append(p, mm...), v...)
		},
	}
	for name, f := range cases {
		par := f()
		old := runtime.GOMAXPROCS(1)
		ser := f()
		runtime.GOMAXPROCS(old)
		same(t, name, par, ser)
	}
}

func TestSplitNoAllocs(t *testing.T) {
	x := make([]float32, 1<<17)
	Relu(x)
	if a := testing.AllocsPerRun(10, func() { Relu(x); ReluBackward(x, x, x) }); a != 0 {
		t.Errorf("%v allocations per split call", a)
	}
}
