package layers

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/params"

	"github.com/tailor-ml/tailor/tensor"
)

// TestBatchNormTrainingVersusInference shows the two modes: training
// normalises with the batch's own statistics and moves the moving ones;
// inference uses the moving statistics and changes nothing.
func TestBatchNormTrainingVersusInference(t *testing.T) {
	const c = 3
	bn := BatchNormalization()
	buildForTest(t, bn, tensor.Shape{4, 4, c})
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(8, 4, 4, c)
	for i := range x.Data {
		ch := i % c
		x.Data[i] = float32(5*float64(ch) + float64(ch+1)*rng.NormFloat64()) // mean 5c, std c+1
	}
	m := len(x.Data) / c
	mean, variance := make([]float64, c), make([]float64, c)
	for i, v := range x.Data {
		mean[i%c] += float64(v) / float64(m)
	}
	for i, v := range x.Data {
		d := float64(v) - mean[i%c]
		variance[i%c] += d * d / float64(m)
	}

	// Inference before any training: moving mean 0, variance 1, so
	// y = x/√(1+ε), whatever the batch.
	y := bn.Forward(st(bn), x, false)
	for i, v := range y.Data {
		if want := float64(x.Data[i]) / math.Sqrt(1+1e-3); math.Abs(float64(v)-want) > 1e-4*(1+math.Abs(want)) {
			t.Fatalf("inference y[%d] = %v, want %v", i, v, want)
		}
	}
	if mm := bn.movingMean.Value.Data; mm[0] != 0 || mm[2] != 0 {
		t.Fatalf("inference moved the moving mean to %v", mm)
	}

	// Training: each channel of y has mean 0 and variance σ²/(σ²+ε).
	y = bn.Forward(st(bn), x, true)
	for ch := 0; ch < c; ch++ {
		var s, ss float64
		for i := ch; i < len(y.Data); i += c {
			s += float64(y.Data[i])
		}
		for i := ch; i < len(y.Data); i += c {
			ss += float64(y.Data[i]) * float64(y.Data[i])
		}
		if mu := s / float64(m); math.Abs(mu) > 1e-4 {
			t.Errorf("channel %d: training mean %v, want 0", ch, mu)
		}
		if v, want := ss/float64(m), variance[ch]/(variance[ch]+1e-3); math.Abs(v-want) > 1e-3 {
			t.Errorf("channel %d: training variance %v, want %v", ch, v, want)
		}
		// moving = 0.99·initial + 0.01·batch.
		if got, want := float64(bn.movingMean.Value.Data[ch]), 0.01*mean[ch]; math.Abs(got-want) > 1e-5 {
			t.Errorf("channel %d: moving mean %v, want %v", ch, got, want)
		}
		if got, want := float64(bn.movingVar.Value.Data[ch]), 0.99+0.01*variance[ch]; math.Abs(got-want) > 1e-4 {
			t.Errorf("channel %d: moving variance %v, want %v", ch, got, want)
		}
	}

	// Many training steps on the same batch pull the moving statistics to
	// the batch's; inference then matches training closely.
	for i := 0; i < 2000; i++ {
		bn.Forward(st(bn), x, true)
	}
	yTrain := append([]float32(nil), bn.Forward(st(bn), x, true).Data...)
	yInfer := bn.Forward(st(bn), x, false)
	for i := range yTrain {
		if math.Abs(float64(yTrain[i]-yInfer.Data[i])) > 1e-2 {
			t.Fatalf("after convergence y[%d]: training %v, inference %v", i, yTrain[i], yInfer.Data[i])
		}
	}
}

func TestBatchNormGradients(t *testing.T) {
	for _, training := range []bool{true, false} {
		bn := BatchNormalization(BatchNormOptions{Momentum: 0.9})
		buildForTest(t, bn, tensor.Shape{3, 4})
		// Move γ, β and the moving statistics off their initial values so
		// that every term of the gradient matters.
		rng := rand.New(rand.NewPCG(5, 6))
		for _, p := range bn.Params() {
			for i := range p.Value.Data {
				p.Value.Data[i] += float32(rng.Float64() - 0.3)
			}
		}
		x := randomTensor(rng, 5, 3, 4)
		checkGradients(t, bn, x, training, gradCheckOptions{})
	}
	// On a Dense-style input (B, units).
	checkLayerGradients(t, BatchNormalization(), tensor.Shape{6}, 8, true)
}

func TestBatchNormParams(t *testing.T) {
	bn := BatchNormalization()
	buildForTest(t, bn, tensor.Shape{5, 5, 16})
	want := []struct {
		name      string
		trainable bool
		init      float32
	}{{"gamma", true, 1}, {"beta", true, 0}, {"moving_mean", false, 0}, {"moving_variance", false, 1}}
	ps := bn.Params()
	if len(ps) != len(want) {
		t.Fatalf("%d params, want 4", len(ps))
	}
	for i, w := range want {
		p := ps[i]
		if p.Name != w.name || p.Trainable() != w.trainable || len(p.Value.Data) != 16 || p.Value.Data[3] != w.init {
			t.Errorf("param %d: %s trainable=%v size %d value %v, want %s %v 16 %v", i, p.Name, p.Trainable(), len(p.Value.Data), p.Value.Data[3], w.name, w.trainable, w.init)
		}
	}
	bn.SetName("bn")
	checkConfig(t, bn.Config(), map[string]any{"name": "bn", "axis": -1, "momentum": 0.99, "epsilon": 1e-3, "center": true, "scale": true})
	for _, bad := range []*BatchNormalizationLayer{
		BatchNormalization(BatchNormOptions{Momentum: 1}),
		BatchNormalization(BatchNormOptions{Momentum: math.NaN()}),
		BatchNormalization(BatchNormOptions{Epsilon: -1}),
		BatchNormalization(BatchNormOptions{Epsilon: math.NaN()}),
		BatchNormalization(BatchNormOptions{Epsilon: math.Inf(1)}),
	} {
		if _, err := bad.Build(tensor.Shape{4}, params.NewBuilder()); err == nil {
			t.Errorf("%v: no error", bad.Config())
		}
	}
}

func TestBatchNormNoAllocs(t *testing.T) {
	checkNoAllocs(t, BatchNormalization(), tensor.Shape{6, 6, 8}, 4, true)
	checkNoAllocs(t, BatchNormalization(), tensor.Shape{6, 6, 8}, 4, false)
}

// TestBatchNormAfterReluFused checks the input gradient of a batch
// normalisation that Fuse has follow a Conv2D(relu), after a training and
// after an inference Forward: the plain gradient with ReLU's derivative
// applied, bit for bit, and the same dγ and dβ.
func TestBatchNormAfterReluFused(t *testing.T) {
	const c = 16
	plain, fused := BatchNormalization(), BatchNormalization()
	buildForTest(t, plain, tensor.Shape{5, 5, c})
	buildForTest(t, fused, tensor.Shape{5, 5, c})
	Fuse([]Layer{Conv2D(c, [2]int{3, 3}, Conv2DOptions{Activation: activations.ReLU}), fused})
	if !fused.reluBefore || plain.reluBefore {
		t.Fatal("Fuse did not mark (only) the batch normalisation after the Conv2D(relu)")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x, dy := randomTensor(rng, 4, 5, 5, c), randomTensor(rng, 4, 5, 5, c)
	for i := range x.Data {
		x.Data[i] = max(x.Data[i], 0) // a ReLU's output
	}
	for _, training := range []bool{true, false} {
		plain.Forward(st(plain), x, training)
		fused.Forward(st(fused), x, training)
		want := plain.Backward(st(plain), dy, true).Clone()
		for i, v := range x.Data {
			if !(v > 0) {
				want.Data[i] = 0
			}
		}
		got := fused.Backward(st(fused), dy, true)
		for i := range got.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
				t.Fatalf("training %v: dx[%d] = %v, want %v", training, i, got.Data[i], want.Data[i])
			}
		}
		for _, p := range [][2]*params.Param{{plain.gamma, fused.gamma}, {plain.beta, fused.beta}} {
			for i := range p[0].Grad.Data {
				if p[0].Grad.Data[i] != p[1].Grad.Data[i] {
					t.Fatalf("training %v: %s gradient %d differs", training, p[0].Name, i)
				}
			}
		}
	}
}

// TestBatchNormConfigMomentumZero: a Keras config with momentum 0 — the
// moving statistics become the last training batch's — loads as momentum
// 0 (BatchNormOptions' zero means 0.99), writes 0 back, and one training
// step sets the moving mean to the batch's mean; a config's epsilon 0 is
// refused by Build rather than turned into 1e-3.
func TestBatchNormConfigMomentumZero(t *testing.T) {
	l, err := FromConfig("BatchNormalization", map[string]any{"name": "bn", "momentum": 0.0, "epsilon": 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	bn := l.(*BatchNormalizationLayer)
	checkConfig(t, bn.Config(), map[string]any{"name": "bn", "axis": -1, "momentum": 0.0, "epsilon": 1e-3, "center": true, "scale": true})
	buildForTest(t, bn, tensor.Shape{2})
	x := &tensor.Tensor{Shape: tensor.Shape{4, 2}, Data: []float32{1, 10, 2, 20, 3, 30, 6, 40}}
	bn.Forward(st(bn), x, true)
	if mm := bn.movingMean.Value.Data; mm[0] != 3 || mm[1] != 25 {
		t.Errorf("moving mean after one step with momentum 0: %v, want the batch's [3 25]", mm)
	}
	l, err = FromConfig("BatchNormalization", map[string]any{"name": "bn", "epsilon": 0.0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Build(tensor.Shape{2}, params.NewBuilder()); err == nil || !strings.Contains(err.Error(), "finite epsilon > 0") {
		t.Errorf("epsilon 0 from a config: %v, want Build to refuse it", err)
	}
}

// TestBatchNormEmptyBatch: training on an empty batch gives an empty
// output and gradient and leaves the moving statistics and the gradients
// finite (as PyTorch does, the statistics untouched); it panicked in the
// kernels, and then made them NaN, the mean of no rows.
func TestBatchNormEmptyBatch(t *testing.T) {
	for _, in := range []tensor.Shape{{5}, {3, 3, 16}} {
		bn := BatchNormalization()
		buildForTest(t, bn, in)
		x := randomTensor(rand.New(rand.NewPCG(1, 2)), append(tensor.Shape{6}, in...)...)
		bn.Forward(st(bn), x, true) // moving statistics away from 0 and 1
		mm := append([]float32(nil), bn.movingMean.Value.Data...)
		mv := append([]float32(nil), bn.movingVar.Value.Data...)
		empty := tensor.New(append(tensor.Shape{0}, in...)...)
		y := bn.Forward(st(bn), empty, true)
		if !y.Shape.Equal(empty.Shape) {
			t.Fatalf("%v: output shape %v, want %v", in, y.Shape, empty.Shape)
		}
		for j := range mm {
			if bn.movingMean.Value.Data[j] != mm[j] || bn.movingVar.Value.Data[j] != mv[j] {
				t.Fatalf("%v: moving statistics (%v, %v) became (%v, %v)", in, mm[j], mv[j], bn.movingMean.Value.Data[j], bn.movingVar.Value.Data[j])
			}
		}
		dx := bn.Backward(st(bn), tensor.New(empty.Shape...), true)
		if !dx.Shape.Equal(empty.Shape) {
			t.Fatalf("%v: input gradient shape %v, want %v", in, dx.Shape, empty.Shape)
		}
		for j := range mm {
			if g, b := bn.gamma.Grad.Data[j], bn.beta.Grad.Data[j]; g != 0 || b != 0 {
				t.Fatalf("%v: dγ %v, dβ %v of no rows, want 0", in, g, b)
			}
		}
	}
}
