package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/tensor"
)

// ActivationLayer applies an activation function on its own, as Keras's
// Activation layer does: Conv2D(…, use_bias=False) → BatchNormalization →
// Activation("relu") puts the nonlinearity after the normalisation.
// Softmax works along the last axis.
type ActivationLayer struct {
	named
	activation activations.Activation
	in         tensor.Shape
	out, dx    tensor.Tensor
}

// Activation returns a layer that applies a, element-wise (softmax: along
// the last axis).
func Activation(a activations.Activation) *ActivationLayer {
	return &ActivationLayer{activation: a}
}

// Type returns "Activation".
func (a *ActivationLayer) Type() string { return "Activation" }

// Activation returns the function the layer applies.
func (a *ActivationLayer) Activation() activations.Activation { return a.activation }

// Build checks the activation; the output shape is the input shape.
func (a *ActivationLayer) Build(in tensor.Shape, _ *rand.Rand) (tensor.Shape, error) {
	if err := a.activation.Validate(); err != nil {
		return nil, fmt.Errorf("activation %q: %w", a.name, err)
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("activation %q: input shape is empty, want at least one axis", a.name)
	}
	a.in = append(a.in[:0], in...)
	return append(tensor.Shape(nil), in...), nil
}

// rows returns the batch's shape as a matrix whose rows are the last axis,
// the axis softmax normalises.
func (a *ActivationLayer) rows(x *tensor.Tensor) (m, n int) {
	n = a.in[len(a.in)-1]
	return len(x.Data) / n, n
}

// Forward returns y = f(x).
func (a *ActivationLayer) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	a.out.Resize(x.Shape...)
	copy(a.out.Data, x.Data)
	m, n := a.rows(x)
	a.activation.Forward(a.out.Data, m, n)
	return &a.out
}

// Backward returns dx = f'(x) ⊙ dy, written in terms of the output y
// (activations.Activation.Backward).
func (a *ActivationLayer) Backward(dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	a.dx.Resize(dy.Shape...)
	m, n := a.rows(dy)
	a.activation.Backward(a.dx.Data, dy.Data, a.out.Data, m, n)
	return &a.dx
}

// Params returns nil: an activation has no weights.
func (a *ActivationLayer) Params() []*Param { return nil }

// Config returns the name and the activation's Keras name.
func (a *ActivationLayer) Config() map[string]any {
	return map[string]any{"name": a.name, "activation": a.activation.Name()}
}
