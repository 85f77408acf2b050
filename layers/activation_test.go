package layers

import (
	"math"
	"testing"

	"github.com/tailor-ml/tailor/params"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/tensor"
)

func TestActivationForward(t *testing.T) {
	x, err := tensor.FromSlice([]float32{-1, 0, 2, 1, 1, 1}, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		a    activations.Activation
		want []float32
	}{
		{activations.ReLU, []float32{0, 0, 2, 1, 1, 1}},
		{activations.Linear, []float32{-1, 0, 2, 1, 1, 1}},
		{activations.Tanh, []float32{float32(math.Tanh(-1)), 0, float32(math.Tanh(2)), float32(math.Tanh(1)), float32(math.Tanh(1)), float32(math.Tanh(1))}},
		// softmax normalises each row of the last axis
		{activations.Softmax, []float32{
			float32(math.Exp(-1) / (math.Exp(-1) + 1 + math.Exp(2))), float32(1 / (math.Exp(-1) + 1 + math.Exp(2))), float32(math.Exp(2) / (math.Exp(-1) + 1 + math.Exp(2))),
			1.0 / 3, 1.0 / 3, 1.0 / 3}},
	} {
		l := Activation(tt.a)
		buildForTest(t, l, tensor.Shape{3})
		y := l.Forward(st(l), x, false)
		for i, w := range tt.want {
			if math.Abs(float64(y.Data[i]-w)) > 1e-6 {
				t.Errorf("%s: y = %v, want %v", tt.a, y.Data, tt.want)
				break
			}
		}
		if x.Data[0] != -1 {
			t.Fatalf("%s: Forward changed its input", tt.a)
		}
	}
}

func TestActivationGradients(t *testing.T) {
	for _, a := range []activations.Activation{activations.ReLU, activations.Sigmoid, activations.Tanh, activations.Softmax, activations.Linear} {
		t.Run(a.Name(), func(t *testing.T) {
			checkLayerGradients(t, Activation(a), tensor.Shape{3, 4}, 2, true)
		})
	}
}

func TestActivationBuildErrors(t *testing.T) {
	if _, err := Activation("swish").Build(tensor.Shape{4}, params.NewBuilder()); err == nil {
		t.Error("unknown activation built")
	}
	if _, err := Activation(activations.ReLU).Build(tensor.Shape{}, params.NewBuilder()); err == nil {
		t.Error("empty input shape built")
	}
}
