package layers

import (
	"fmt"
	"math"

	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// BatchNormOptions are BatchNormalization's keyword arguments; the zero
// value is Keras's default.
type BatchNormOptions struct {
	// Momentum of the moving statistics, 0.99 when zero (a config read
	// by FromConfig may give 0 itself).
	Momentum float64
	// Epsilon added to the variance, 1e-3 when zero; Build refuses one
	// that is negative, NaN or infinite.
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

	c                                  int // channels
	gamma, beta, movingMean, movingVar *params.Param
	reluBefore                         bool // its input is a ReLU's output, whose derivative Backward applies (Fuse)
}

// batchNormState is one call's statistics and buffers.
type batchNormState struct {
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

// Build declares γ = 1, β = 0, moving_mean = 0 and moving_variance = 1,
// one per channel; the output shape is the input shape. It is an error for
// the momentum to lie outside [0, 1) or ε outside (0, ∞).
func (n *BatchNormalizationLayer) Build(in tensor.Shape, w *params.Builder) (tensor.Shape, error) {
	if err := checkShape("batch_normalization", n.name, "input", in); err != nil {
		return nil, err
	}
	if len(in) == 0 || in.Size() <= 0 {
		return nil, fmt.Errorf("batch_normalization %q: input shape %v has no channels", n.name, in)
	}
	if !(n.momentum >= 0 && n.momentum < 1) || !(n.epsilon > 0) || math.IsInf(n.epsilon, 1) {
		return nil, fmt.Errorf("batch_normalization %q: want 0 ≤ momentum < 1 and a finite epsilon > 0, got %v and %v", n.name, n.momentum, n.epsilon)
	}
	c := in[len(in)-1]
	n.c = c
	n.gamma = w.Add("gamma", params.Ones, true, c)
	n.beta = w.Add("beta", params.Zeros, true, c)
	n.movingMean = w.Add("moving_mean", params.Zeros, false, c)
	n.movingVar = w.Add("moving_variance", params.Ones, false, c)
	return append(tensor.Shape(nil), in...), nil
}

// NewState returns a state with one statistic per channel.
func (n *BatchNormalizationLayer) NewState() State {
	c := n.c
	return &batchNormState{
		mean: make([]float32, c), variance: make([]float32, c), invStd: make([]float32, c),
		scale: make([]float32, c), shift: make([]float32, c), acc: make([]float64, 2*c),
	}
}

// Forward normalises x with the batch's statistics in training, updating
// the moving ones, and with the moving statistics at inference. An empty
// batch has no statistics and leaves the moving ones as they were, as in
// PyTorch (their update would make them NaN).
func (n *BatchNormalizationLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[batchNormState](s, "BatchNormalization")
	c := n.c
	m := len(x.Data) / c
	training = training && m > 0
	st.training, st.x = training, x
	st.out.Resize(x.Shape...)
	mm, mv := n.movingMean.Value.Data, n.movingVar.Value.Data
	mean, variance := mm, mv
	if training {
		kernels.ColumnMoments(st.mean, st.variance, st.acc, x.Data, m, c)
		mean, variance = st.mean, st.variance
	}
	gamma, beta := n.gamma.Value.Data, n.beta.Value.Data
	for j := 0; j < c; j++ {
		// y = γ·(x − μ)·invStd + β = x·scale + shift in one pass.
		st.invStd[j] = float32(1 / math.Sqrt(float64(variance[j])+n.epsilon))
		st.scale[j] = gamma[j] * st.invStd[j]
		st.shift[j] = beta[j] - mean[j]*st.scale[j]
	}
	if training {
		mom := float32(n.momentum)
		for j := 0; j < c; j++ {
			mm[j] = mm[j]*mom + st.mean[j]*(1-mom)
			mv[j] = mv[j]*mom + st.variance[j]*(1-mom)
		}
	}
	kernels.ScaleShiftColumns(st.out.Data, x.Data, m, c, st.scale, st.shift)
	return &st.out
}

// Backward takes dy through the normalisation. After a training Forward
// the batch statistics depend on x too (see kernels.BatchNormBackward);
// after an inference Forward they are constants and dx = dy·γ/√(σ²+ε).
func (n *BatchNormalizationLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	st := stateOf[batchNormState](s, "BatchNormalization")
	c := n.c
	m := len(dy.Data) / c
	var dx []float32
	if needInputGrad {
		st.dx.Resize(dy.Shape...)
		dx = st.dx.Data
	}
	gamma, dgamma, dbeta := n.gamma.Value.Data, n.gamma.Grad.Data, n.beta.Grad.Data
	if st.training {
		kernels.BatchNormBackward(dx, dy.Data, st.x.Data, m, c, st.mean, st.invStd, gamma, dgamma, dbeta, st.acc, n.reluBefore)
	} else {
		// the same sums for dγ and dβ with x̂ = (x − moving_mean)·invStd,
		// and dx = dy·scale.
		kernels.BatchNormBackward(nil, dy.Data, st.x.Data, m, c, n.movingMean.Value.Data, st.invStd, gamma, dgamma, dbeta, st.acc, false)
		if dx != nil {
			clear(st.shift)
			kernels.ScaleShiftColumns(dx, dy.Data, m, c, st.scale, st.shift)
			if n.reluBefore {
				kernels.ReluBackward(dx, dx, st.x.Data)
			}
		}
	}
	if !needInputGrad {
		return nil
	}
	return &st.dx
}

// Params returns gamma, beta, moving_mean and moving_variance, in Keras's
// order; the last two are not trainable.
func (n *BatchNormalizationLayer) Params() []*params.Param {
	return []*params.Param{n.gamma, n.beta, n.movingMean, n.movingVar}
}

// Config returns axis (always −1), momentum, epsilon, center and scale
// (always true), and input_shape when one was declared.
func (n *BatchNormalizationLayer) Config() map[string]any {
	cfg := map[string]any{"name": n.name, "axis": -1, "momentum": n.momentum, "epsilon": n.epsilon, "center": true, "scale": true}
	addInputShape(cfg, n.inputShape)
	return cfg
}
