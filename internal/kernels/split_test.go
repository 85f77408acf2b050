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
			BatchNormBackward(dx, dy, xhat, m, w, bias, invStd, gamma, dg, db, make([]float64, 2*w), false)
			return append(append(dx, dg...), db...)
		},
		"ColumnMoments": func() []float32 {
			mean, variance := make([]float32, w), make([]float32, w)
			ColumnMoments(mean, variance, make([]float64, w), mat, m, w)
			return append(mean, variance...)
		},
		"AdamUpdate": func() []float32 {
			p, mm, v := append([]float32(nil), mat...), append([]float32(nil), dy...), make([]float32, len(mat))
			AdamWUpdate(p, xhat, mm, v, 1e-3, 0.9, 0.999, 1e-7, 1)
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

// TestSplitNoAllocs holds every split kernel to zero allocations per call
// once warm, on work large enough to be shared with the workers.
func TestSplitNoAllocs(t *testing.T) {
	const m, n = 2048, 64
	x, y, z, w := make([]float32, m*n), make([]float32, m*n), make([]float32, m*n), make([]float32, m*n)
	col, col2, col3, col4, col5 := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	acc := make([]float64, 2*n)
	pg, _ := NewConvGeom(32, 32, 32, 2, 2, 2, 2, false)
	img, pooled := make([]float32, 4*pg.InSize()), make([]float32, 4*pg.Pixels()*pg.C)
	dimg := make([]float32, len(img))
	calls := map[string]func(){
		"Relu":              func() { Relu(x) },
		"ReluBackward":      func() { ReluBackward(x, y, z) },
		"AddBias":           func() { AddBias(x, m, n, col) },
		"BiasRelu":          func() { BiasRelu(x, m, n, col) },
		"Mul":               func() { Mul(x, y, z) },
		"AdamUpdate":        func() { AdamWUpdate(x, y, z, w, 1e-3, 0.9, 0.999, 1e-7, 1) },
		"ScaleShiftColumns": func() { ScaleShiftColumns(x, y, m, n, col, col2) },
		"ColumnMoments":     func() { ColumnMoments(col, col2, acc, x, m, n) },
		"BatchNormBackward": func() { BatchNormBackward(x, y, z, m, n, col, col2, col3, col4, col5, acc, true) },
		"Dropout":           func() { Dropout(x, y, z, 1, 2, 0x4000, 2) },
		"MaxPool2D":         func() { MaxPool2D(pooled, img, 4, &pg) },
		"MaxPool2DBackward": func() { MaxPool2DBackward(dimg, pooled, img, pooled, 4, &pg) },
	}
	for name, f := range calls {
		f()
		if a := testing.AllocsPerRun(10, f); a != 0 {
			t.Errorf("%s: %v allocations per call", name, a)
		}
	}
}
