package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestElementwiseSIMD compares the vector loops behind Relu, ReluBackward,
// AddBias and BiasRelu with the portable ones, on lengths that leave tails.
func TestElementwiseSIMD(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	portable := func(f func()) {
		defer func(v bool) { hasAVX512 = v }(hasAVX512)
		hasAVX512 = false
		f()
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

func same(t *testing.T, what string, a, b []float32) {
	t.Helper()
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(float64(a[i])) && math.IsNaN(float64(b[i]))) {
			t.Fatalf("%s (n=%d): element %d is %v, portably %v", what, len(a), i, a[i], b[i])
		}
	}
}
