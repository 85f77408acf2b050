package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestElementwiseSIMD compares the vector loops behind Relu, ReluBackward,
// AddBias, BiasRelu, SumRows, AdamWUpdate and col2im's additions with the
// portable ones, bit for bit, on lengths that leave tails.
func TestElementwiseSIMD(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 15, 16, 17, 63, 64, 65, 200} {
		x := randSlice(rng, n)
		x[0] = float32(math.NaN())
		a, b := append([]float32(nil), x...), append([]float32(nil), x...)
		Relu(a)
		portable(func() { Relu(b) })
		same(t, "Relu", a, b)

		dy, y := randSlice(rng, n), randSlice(rng, n)
		a, b = make([]float32, n), make([]float32, n)
		ReluBackward(a, dy, y)
		portable(func() { ReluBackward(b, dy, y) })
		same(t, "ReluBackward", a, b)
	}
	for _, n := range []int{1, 15, 16, 17, 40, 100} {
		dst, src := randSlice(rng, n), randSlice(rng, n)
		a, b := append([]float32(nil), dst...), append([]float32(nil), dst...)
		addTo(a, src)
		portable(func() { addTo(b, src) })
		same(t, "addTo", a, b)

		g, m, v := randSlice(rng, n), randSlice(rng, n), randSlice(rng, n)
		for i := range v {
			v[i] *= v[i]
		}
		p := randSlice(rng, n)
		pa, ma, va := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		pb, mb, vb := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		AdamWUpdate(pa, g, ma, va, 0.01, 0.9, 0.999, 1e-7, 1)
		portable(func() { AdamWUpdate(pb, g, mb, vb, 0.01, 0.9, 0.999, 1e-7, 1) })
		same(t, "AdamUpdate param", pa, pb)
		same(t, "AdamUpdate m", ma, mb)
		same(t, "AdamUpdate v", va, vb)
	}
	for _, n := range []int{16, 32, 48, 64, 80, 128, 144} {
		for _, m := range []int{1, 7} {
			x := randSlice(rng, m*n)
			a, b := make([]float32, n), make([]float32, n)
			SumRows(a, x, m, n, 0)
			portable(func() { SumRows(b, x, m, n, 0) })
			same(t, "SumRows", a, b)
		}
	}
	for _, n := range []int{16, 32, 64, 10} {
		const m = 5
		x, bias := randSlice(rng, m*n), randSlice(rng, n)
		a, b := append([]float32(nil), x...), append([]float32(nil), x...)
		AddBias(a, m, n, bias)
		portable(func() { AddBias(b, m, n, bias) })
		same(t, "AddBias", a, b)
		a, b = append([]float32(nil), x...), append([]float32(nil), x...)
		BiasRelu(a, m, n, bias)
		portable(func() { AddBias(b, m, n, bias); Relu(b) })
		same(t, "BiasRelu", a, b)
	}
}

// portable runs f with the AVX-512 loops switched off.
func portable(f func()) {
	defer func(v bool) { hasAVX512 = v }(hasAVX512)
	hasAVX512 = false
	f()
}

func same(t *testing.T, what string, a, b []float32) {
	t.Helper()
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(float64(a[i])) && math.IsNaN(float64(b[i]))) {
			t.Fatalf("%s (n=%d): element %d is %v, portably %v", what, len(a), i, a[i], b[i])
		}
	}
}

// TestNormSIMD compares the vector batch-normalisation loops with the
// portable ones, bit for bit, including column counts that are not
// multiples of 64 and more rows than one block.
func TestNormSIMD(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	both := func(f func()) { f(); portable(f) }
	for _, n := range []int{16, 32, 48, 64, 80, 144} {
		for _, m := range []int{1, 3, 300, 700} {
			x := randSlice(rng, m*n)
			for i := range x {
				x[i] += 3
			}
			var means, vars [2][]float32
			k := 0
			both(func() {
				means[k], vars[k] = make([]float32, n), make([]float32, n)
				ColumnMoments(means[k], vars[k], make([]float64, n), x, m, n)
				k++
			})
			same(t, "ColumnMoments mean", means[0], means[1])
			same(t, "ColumnMoments variance", vars[0], vars[1])

			scale, shift := randSlice(rng, n), randSlice(rng, n)
			var ys [2][]float32
			k = 0
			both(func() {
				ys[k] = make([]float32, m*n)
				ScaleShiftColumns(ys[k], x, m, n, scale, shift)
				k++
			})
			same(t, "ScaleShiftColumns", ys[0], ys[1])

			dy, gamma, invStd := randSlice(rng, m*n), randSlice(rng, n), randSlice(rng, n)
			var dxs, dgs, dbs [2][]float32
			k = 0
			both(func() {
				dxs[k], dgs[k], dbs[k] = make([]float32, m*n), make([]float32, n), make([]float32, n)
				BatchNormBackward(dxs[k], dy, x, m, n, means[0], invStd, gamma, dgs[k], dbs[k], make([]float64, 2*n), false)
				k++
			})
			same(t, "BatchNormBackward dx", dxs[0], dxs[1])
			same(t, "BatchNormBackward dgamma", dgs[0], dgs[1])
			same(t, "BatchNormBackward dbeta", dbs[0], dbs[1])
		}
	}
}
