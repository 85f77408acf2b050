package layers

import (
	"math"
	"testing"

	"github.com/tailor-ml/tailor/params"

	"github.com/tailor-ml/tailor/tensor"
)

func TestDropoutTrainingAndInference(t *testing.T) {
	const rate = 0.3
	d := Dropout(rate)
	d.SetName("dropout")
	buildForTest(t, d, tensor.Shape{100, 100})
	x := tensor.New(1, 100, 100)
	for i := range x.Data {
		x.Data[i] = 2
	}
	// Inference: the input, untouched.
	y := d.Forward(st(d), x, false)
	for i, v := range y.Data {
		if v != 2 {
			t.Fatalf("inference y[%d] = %v, want the input 2", i, v)
		}
	}
	if dx := d.Backward(st(d), y, true); dx.Data[0] != 2 {
		t.Errorf("inference backward changed the gradient")
	}
	// Training: about rate of them zero, the rest 2/(1−rate), mean kept.
	d.SeedStep(st(d), 1, 0)
	y = d.Forward(st(d), x, true)
	zeros, sum := 0, 0.0
	for _, v := range y.Data {
		switch {
		case v == 0:
			zeros++
		case math.Abs(float64(v)-2/(1-rate)) > 1e-6:
			t.Fatalf("training output %v, want 0 or %v", v, 2/(1-rate))
		}
		sum += float64(v)
	}
	n := float64(len(y.Data))
	if frac := float64(zeros) / n; math.Abs(frac-rate) > 0.02 {
		t.Errorf("dropped %.3f of the inputs, want %.1f", frac, rate)
	}
	if mean := sum / n; math.Abs(mean-2) > 0.06 {
		t.Errorf("training mean %v, want about 2", mean)
	}
	// The gradient is masked the same way.
	dy := tensor.New(y.Shape...)
	for i := range dy.Data {
		dy.Data[i] = 1
	}
	dx := d.Backward(st(d), dy, true)
	for i := range dx.Data {
		if (dx.Data[i] == 0) != (y.Data[i] == 0) {
			t.Fatalf("gradient mask differs from the forward mask at %d", i)
		}
	}
}

func TestDropoutSeeding(t *testing.T) {
	mask := func(name string, seed, step uint64) []float32 {
		d := Dropout(0.5)
		d.SetName(name)
		buildForTest(t, d, tensor.Shape{64})
		d.SeedStep(st(d), seed, step)
		x := tensor.New(2, 64)
		for i := range x.Data {
			x.Data[i] = 1
		}
		return append([]float32(nil), d.Forward(st(d), x, true).Data...)
	}
	same := func(a, b []float32) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	a := mask("dropout", 7, 3)
	if !same(a, mask("dropout", 7, 3)) {
		t.Error("same seed, step and name: different masks")
	}
	if same(a, mask("dropout", 7, 4)) {
		t.Error("another step: the same mask")
	}
	if same(a, mask("dropout", 8, 3)) {
		t.Error("another seed: the same mask")
	}
	if same(a, mask("dropout_1", 7, 3)) {
		t.Error("another layer: the same mask")
	}
}

func TestDropoutGradients(t *testing.T) {
	checkLayerGradients(t, Dropout(0.4), tensor.Shape{3, 5}, 3, true)
	checkLayerGradients(t, Dropout(0.4), tensor.Shape{7}, 3, false)
	checkLayerGradients(t, Dropout(0), tensor.Shape{7}, 3, true)
}

func TestDropoutConfig(t *testing.T) {
	d := Dropout(0.3)
	d.SetName("d")
	checkConfig(t, d.Config(), map[string]any{"name": "d", "rate": 0.3})
	for _, r := range []float64{-0.1, 1, math.NaN()} {
		if _, err := Dropout(r).Build(tensor.Shape{3}, params.NewBuilder()); err == nil {
			t.Errorf("rate %v: no error", r)
		}
	}
}

func TestDropoutNoAllocs(t *testing.T) {
	checkNoAllocs(t, Dropout(0.3), tensor.Shape{128}, 32, true)
}
