package losses

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/tensor"
)

func TestRegressionValues(t *testing.T) {
	tests := []struct {
		name   string
		loss   Loss
		pred   []float32
		shape  []int
		target []float32
		want   float64
	}{
		{"mse", MeanSquaredError(), []float32{1, 2, 4}, []int{3, 1}, []float32{0, 2, 1}, 1 + 0 + 9},
		// Two outputs per example: the mean over them, summed over the batch.
		{"mse mean over outputs", MeanSquaredError(), []float32{1, 2, 4, 0}, []int{2, 2}, []float32{0, 0, 1, 1}, (1+4)/2.0 + (9+1)/2.0},
		{"mae", MeanAbsoluteError(), []float32{1, 2, 4}, []int{3, 1}, []float32{0, 2.5, 1}, 1 + 0.5 + 3},
		{"mae mean over outputs", MeanAbsoluteError(), []float32{1, 2, 4, 0}, []int{2, 2}, []float32{0, 0, 1, 1}, (1+2)/2.0 + (3+1)/2.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pred := mustTensor(t, tt.pred, tt.shape...)
			target := mustTensor(t, tt.target, tt.shape[0], len(tt.target)/tt.shape[0])
			if err := tt.loss.CheckTargets(target, pred.Shape); err != nil {
				t.Fatal(err)
			}
			if got := tt.loss.Compute(pred, target, nil); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Compute = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRegressionGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const b, d = 4, 3
	for _, loss := range []Loss{MeanSquaredError(), MeanAbsoluteError()} {
		pred, target := tensor.New(b, d), tensor.New(b, d)
		for i := range pred.Data {
			pred.Data[i] = float32(4*rng.Float64() - 2)
			target.Data[i] = float32(4*rng.Float64() - 2)
		}
		grad := tensor.New(b, d)
		loss.Compute(pred, target, grad)
		want := numericGrad(pred.Data, 1e-3, func() float64 { return loss.Compute(pred, target, nil) / b })
		checkClose(t, loss.Name(), grad.Data, want, 1e-5, 1e-3)
	}
	// At p = y the absolute error's subgradient is 0.
	grad := tensor.New(1, 1)
	one := mustTensor(t, []float32{1}, 1, 1)
	MeanAbsoluteError().Compute(one, one, grad)
	if grad.Data[0] != 0 {
		t.Errorf("MAE gradient at p = y is %v, want 0", grad.Data[0])
	}
}

func TestRegressionCheckTargets(t *testing.T) {
	for _, loss := range []Loss{MeanSquaredError(), MeanAbsoluteError()} {
		if err := loss.CheckTargets(mustTensor(t, []float32{1, -2}, 2), tensor.Shape{2, 1}); err != nil {
			t.Errorf("%s: flat targets for (2, 1): %v", loss.Name(), err)
		}
		if err := loss.CheckTargets(tensor.New(2, 3), tensor.Shape{2, 3}); err != nil {
			t.Errorf("%s: (2, 3) targets: %v", loss.Name(), err)
		}
		for _, bad := range []struct {
			y    *tensor.Tensor
			want string
		}{
			{tensor.New(2, 2), "targets of shape (2, 2), want (2, 3)"},
			{mustTensor(t, []float32{0, 0, 0, float32(math.Inf(-1)), 0, 0}, 2, 3), "target 3 is -Inf, want a finite number"},
		} {
			err := loss.CheckTargets(bad.y, tensor.Shape{2, 3})
			if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.HasPrefix(err.Error(), loss.Name()) {
				t.Errorf("%s: error %v, want one containing %q", loss.Name(), err, bad.want)
			}
		}
	}
}
