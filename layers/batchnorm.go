package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/tensor"
)

// BatchNormOptions are BatchNormalization's keyword arguments; the zero
// value is Keras's default.
type BatchNormOptions struct {
	// Momentum of the moving statistics, 0.99 when zero.
	Momentum float64
	// Epsilon added to the variance, 1e-3 when zero.
	Epsilon float64
	// InputShape declares the model's input shape.
	InputShape []int
}

// BatchNormalizationLayer normalises each channel (the last axis) and then
// scales and shifts it:
//
//	y = γ · (x − μ) / √(σ² + ε) + β
//
// In training μ and σ² are the mean and (biased) variance of the batch over
// every axis but the last, and the moving statistics are updated as
// moving = momentum·moving + (1−momentum)·batch. At inference μ and σ² are
// the moving statistics. γ ("gamma") and β ("beta") are trainable;
// moving_mean and moving_variance are weights too, saved with the model,
// but not trainable.
type BatchNormalizationLayer struct {
	named
	momentum, epsilon float64
	inputShape        tensor.Shape

	c                                    int // channels
	gamma, beta, movingMean, movingVar   *Param
	mean, variance, invStd, scale, shift []float32
	acc                                  []float64
	training                             bool           // the mode of the last Forward
	x                                    *tensor.Tensor // the last input: Backward recomputes x̂ from it
	out, dx                              tensor.Tensor
}

// BatchNormalization returns a batch-normalisation layer over the last axis
// with Keras's defaults (momentum 0.99, ε 1e-3) unless opts says otherwise.
func BatchNormalization(opts ...BatchNormOptions) *BatchNormalizationLayer {
	var o BatchNormOptions
	if len(opts) > 0 {
		o = opts[len(opts)-1]
	}
	if o.Momentum == 0 {
		o.Momentum = 0.99
	}
	if o.Epsilon == 0 {
		o.Epsilon = 1e-3
	}
	return &BatchNormalizationLayer{momentum: o.Momentum, epsilon: o.Epsilon, inputShape: append(tensor.Shape(nil), o.InputShape...)}
}

// Type returns "BatchNormalization".
func (n *BatchNormalizationLayer) Type() string { return "BatchNormalization" }

// InputShape returns the declared input shape, or nil.
func (n *BatchNormalizationLayer) InputShape() tensor.Shape { return n.inputShape }

// Build creates γ = 1, β = 0, moving_mean = 0 and moving_variance = 1, one
// per channel; the output shape is the input shape.
func (n *BatchNormalizationLayer) Build(in tensor.Shape, _ *rand.Rand) (tensor.Shape, error) {
	if len(in) == 0 || in.Size() <= 0 {
		return nil, fmt.Errorf("batch_normalization %q: input shape %v has no channels", n.name, in)
	}
	if !(n.momentum >= 0 && n.momentum < 1) || !(n.epsilon > 0) {
		return nil, fmt.Errorf("batch_normalization %q: want 0 ≤ momentum < 1 and epsilon > 0, got %v and %v", n.name, n.momentum, n.epsilon)
	}
	c := in[len(in)-1]
	n.c = c
	n.gamma, n.beta = newParam("gamma", c), newParam("beta", c)
	n.movingMean = &Param{Name: "moving_mean", Value: tensor.New(c)}
	n.movingVar = &Param{Name: "moving_variance", Value: tensor.New(c)}
	for i := 0; i < c; i++ {
		n.gamma.Value.Data[i], n.movingVar.Value.Data[i] = 1, 1
	}
	n.mean, n.variance, n.invStd = make([]float32, c), make([]float32, c), make([]float32, c)
	n.scale, n.shift = make([]float32, c), make([]float32, c)
	n.acc = make([]float64, 2*c)
	return append(tensor.Shape(nil), in...), nil
}

// Forward normalises x with the batch's statistics in training, updating
// the moving ones, and with the moving statistics at inference.
func (n *BatchNormalizationLayer) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	c := n.c
	m := len(x.Data) / c
	n.training, n.x = training, x
	n.out.Resize(x.Shape...)
	gamma, beta := n.gamma.Value.Data, n.beta.Value.Data
	if !training {
		// y = x·scale + shift with scale = γ/√(σ²+ε), shift = β − μ·scale.
		mm, mv := n.movingMean.Value.Data, n.movingVar.Value.Data
		for j := 0; j < c; j++ {
			n.invStd[j] = float32(1 / math.Sqrt(float64(mv[j])+n.epsilon))
			n.scale[j] = gamma[j] * n.invStd[j]
			n.shift[j] = beta[j] - mm[j]*n.scale[j]
		}
		kernels.ScaleShiftColumns(n.out.Data, x.Data, m, c, n.scale, n.shift)
		return &n.out
	}
	kernels.ColumnMoments(n.mean, n.variance, n.acc, x.Data, m, c)
	mom := float32(n.momentum)
	mm, mv := n.movingMean.Value.Data, n.movingVar.Value.Data
	for j := 0; j < c; j++ {
		// y = γ·(x − μ)·invStd + β = x·scale + shift in one pass.
		n.invStd[j] = float32(1 / math.Sqrt(float64(n.variance[j])+n.epsilon))
		n.scale[j] = gamma[j] * n.invStd[j]
		n.shift[j] = beta[j] - n.mean[j]*n.scale[j]
		mm[j] = mm[j]*mom + n.mean[j]*(1-mom)
		mv[j] = mv[j]*mom + n.variance[j]*(1-mom)
	}
	kernels.ScaleShiftColumns(n.out.Data, x.Data, m, c, n.scale, n.shift)
	return &n.out
}

// Backward takes dy through the normalisation. After a training Forward
// the batch statistics depend on x too (see kernels.BatchNormBackward);
// after an inference Forward they are constants and dx = dy·γ/√(σ²+ε).
func (n *BatchNormalizationLayer) Backward(dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	c := n.c
	m := len(dy.Data) / c
	var dx []float32
	if needInputGrad {
		n.dx.Resize(dy.Shape...)
		dx = n.dx.Data
	}
	gamma, dgamma, dbeta := n.gamma.Value.Data, n.gamma.Grad.Data, n.beta.Grad.Data
	if n.training {
		kernels.BatchNormBackward(dx, dy.Data, n.x.Data, m, c, n.mean, n.invStd, gamma, dgamma, dbeta, n.acc)
	} else {
		// the same sums for dγ and dβ with x̂ = (x − moving_mean)·invStd,
		// and dx = dy·scale.
		kernels.BatchNormBackward(nil, dy.Data, n.x.Data, m, c, n.movingMean.Value.Data, n.invStd, gamma, dgamma, dbeta, n.acc)
		if dx != nil {
			clear(n.shift)
			kernels.ScaleShiftColumns(dx, dy.Data, m, c, n.scale, n.shift)
		}
	}
	if !needInputGrad {
		return nil
	}
	return &n.dx
}

// Params returns gamma, beta, moving_mean and moving_variance, in Keras's
// order; the last two are not trainable.
func (n *BatchNormalizationLayer) Params() []*Param {
	return []*Param{n.gamma, n.beta, n.movingMean, n.movingVar}
}

// Config returns axis (always −1), momentum, epsilon, center and scale
// (always true), and input_shape when one was declared.
func (n *BatchNormalizationLayer) Config() map[string]any {
	cfg := map[string]any{"name": n.name, "axis": -1, "momentum": n.momentum, "epsilon": n.epsilon, "center": true, "scale": true}
	addInputShape(cfg, n.inputShape)
	return cfg
}
