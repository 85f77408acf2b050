package tailor_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/tensor"
)

// TestNoSubnormalState trains through the range where Adam's moments
// become subnormal and requires that the optimizer state and the weights
// never hold one (the kernels flush them to zero, as TensorFlow does on
// CPU, so that no CPU takes its slow path on them). After a first phase
// in which every input feature is active, half of them are zero for good:
// the gradients of their kernel rows are exactly zero, so their first
// moments shrink by β1 = 0.9 a step, from about 1e-3 towards 2⁻¹²⁶
// (about 760 steps later), and are flushed to zero on the way. Make test runs this test on every
// kernel path: AVX-512, TAILOR_KERNELS=avx2 and generic, and -tags purego.
func TestNoSubnormalState(t *testing.T) {
	const features, batch = 8, 16
	m := tailor.Sequential(layers.Dense(6, activations.Tanh), layers.Dense(3, activations.Softmax))
	opt, err := optimizers.AdamWith(0.01, 0.9, 0.999, 1e-7)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(opt, losses.SparseCategoricalCrossentropy()); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	batchOf := func(active int) (x, y *tensor.Tensor) {
		x, y = tensor.New(batch, features), tensor.New(batch)
		for i := range batch {
			k := rng.IntN(3)
			y.Data[i] = float32(k)
			for j := range active {
				x.Row(i)[j] = float32(rng.NormFloat64())
			}
			x.Row(i)[k%active] += 2
		}
		return x, y
	}
	smallest := math.Inf(1) // the smallest non-zero moment of the silenced rows seen
	for step := range 1200 {
		active := features
		if step >= 20 {
			active = features / 2
		}
		x, y := batchOf(active)
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
		st := opt.State(m.Weights())
		for slot, bufs := range st.Slots {
			for path, vs := range bufs {
				if i := subnormal(vs); i >= 0 {
					t.Fatalf("step %d: %s of %s holds the subnormal %g at %d", step, slot, path, vs[i], i)
				}
			}
		}
		if i := subnormal(m.Weights().Values()); i >= 0 {
			t.Fatalf("step %d: weight %d is the subnormal %g", step, i, m.Weights().Values()[i])
		}
		// dense/kernel is (8, 6): rows 4 to 7 are the silenced features'.
		for _, v := range st.Slots["m"]["dense/kernel"][4*6:] {
			if a := math.Abs(float64(v)); a != 0 {
				smallest = min(smallest, a)
			}
		}
	}
	// The moments shrank to the kernels' flush threshold (2⁻⁹⁵, well above
	// the subnormal range so that no path's rounding can reach it; see
	// kernels.FlushBelow) — within one step of it — and then were zero,
	// where they would otherwise have gone on through the subnormals.
	if smallest >= kernels.FlushBelow/0.9 {
		t.Errorf("the silenced rows' smallest moment was %g: the test did not reach the flush threshold %g", smallest, kernels.FlushBelow)
	}
	for _, v := range opt.State(m.Weights()).Slots["m"]["dense/kernel"][4*6:] {
		if v != 0 {
			t.Errorf("a silenced row's first moment is %g after 1,180 steps of zero gradient, want 0", v)
		}
	}
}

// subnormal returns the index of the first subnormal in xs, or -1.
func subnormal(xs []float32) int {
	for i, v := range xs {
		if b := math.Float32bits(v) & 0x7fffffff; b != 0 && b < 0x00800000 {
			return i
		}
	}
	return -1
}
