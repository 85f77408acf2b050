package losses

import (
	"math"

	"github.com/tailor-ml/tailor/tensor"
)

// MeanSquaredErrorLoss is Keras's MeanSquaredError: the mean over each
// example's D outputs of (p − y)².
type MeanSquaredErrorLoss struct{}

// MeanSquaredError returns the squared-error loss for regression.
func MeanSquaredError() MeanSquaredErrorLoss { return MeanSquaredErrorLoss{} }

// Name returns "mean_squared_error".
func (MeanSquaredErrorLoss) Name() string { return "mean_squared_error" }

// Config returns an empty configuration: the loss has no options.
func (MeanSquaredErrorLoss) Config() map[string]any { return map[string]any{} }

// CheckTargets requires one finite target per prediction.
func (l MeanSquaredErrorLoss) CheckTargets(y *tensor.Tensor, pred tensor.Shape) error {
	return checkElementwise(l.Name(), y, pred)
}

// Compute returns Σ_examples (1/D)·Σ_j (p_j − y_j)² and the gradient of
// the batch's mean loss, 2·(p − y)/(B·D).
func (MeanSquaredErrorLoss) Compute(pred, target, grad *tensor.Tensor) float64 {
	b := pred.Len()
	d := len(pred.Data) / max(b, 1)
	scale := 2 / float64(b*d)
	var sum float64
	for i, v := range pred.Data {
		e := float64(v) - float64(target.Data[i])
		sum += e * e
		if grad != nil {
			grad.Data[i] = float32(e * scale)
		}
	}
	return sum / float64(d)
}

// MeanAbsoluteErrorLoss is Keras's MeanAbsoluteError: the mean over each
// example's D outputs of |p − y|.
type MeanAbsoluteErrorLoss struct{}

// MeanAbsoluteError returns the absolute-error loss for regression.
func MeanAbsoluteError() MeanAbsoluteErrorLoss { return MeanAbsoluteErrorLoss{} }

// Name returns "mean_absolute_error".
func (MeanAbsoluteErrorLoss) Name() string { return "mean_absolute_error" }

// Config returns an empty configuration: the loss has no options.
func (MeanAbsoluteErrorLoss) Config() map[string]any { return map[string]any{} }

// CheckTargets requires one finite target per prediction.
func (l MeanAbsoluteErrorLoss) CheckTargets(y *tensor.Tensor, pred tensor.Shape) error {
	return checkElementwise(l.Name(), y, pred)
}

// Compute returns Σ_examples (1/D)·Σ_j |p_j − y_j| and the gradient of the
// batch's mean loss, sign(p − y)/(B·D), 0 where p = y (the subgradient
// TensorFlow's sign gives).
func (MeanAbsoluteErrorLoss) Compute(pred, target, grad *tensor.Tensor) float64 {
	b := pred.Len()
	d := len(pred.Data) / max(b, 1)
	scale := 1 / float64(b*d)
	var sum float64
	for i, v := range pred.Data {
		e := float64(v) - float64(target.Data[i])
		sum += math.Abs(e)
		if grad != nil {
			var s float64
			switch {
			case e > 0:
				s = scale
			case e < 0:
				s = -scale
			}
			grad.Data[i] = float32(s)
		}
	}
	return sum / float64(d)
}
