package layers

import (
	"fmt"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// ActivationLayer applies an activation function on its own, as Keras's
// Activation layer does: Conv2D(…, use_bias=False) → BatchNormalization →
// Activation("relu") puts the nonlinearity after the normalisation.
// Softmax works along the last axis.
type ActivationLayer struct {
	named
	noParams
	activation activations.Activation
}

// outState is the output and input-gradient buffers of a layer that keeps
// nothing else for its backward pass.
type outState struct{ out, dx tensor.Tensor }

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
func (a *ActivationLayer) Build(in tensor.Shape, _ *params.Builder) (tensor.Shape, error) {
	if err := a.activation.Validate(); err != nil {
		return nil, fmt.Errorf("activation %q: %w", a.name, err)
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("activation %q: input shape is empty, want at least one axis", a.name)
	}
	if err := checkShape("activation", a.name, "input", in); err != nil {
		return nil, err
	}
	return append(tensor.Shape(nil), in...), nil
}

// rows returns the batch's shape as a matrix whose rows are the last axis,
// the axis softmax normalises.
func rows(x *tensor.Tensor) (m, n int) {
	n = x.Shape[len(x.Shape)-1]
	return len(x.Data) / n, n
}

// NewState returns an empty state.
func (a *ActivationLayer) NewState() State { return &outState{} }

// Forward returns y = f(x).
func (a *ActivationLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[outState](s, "Activation")
	st.out.Resize(x.Shape...)
	copy(st.out.Data, x.Data)
	m, n := rows(x)
	a.activation.Forward(st.out.Data, m, n)
	return &st.out
}

// Backward returns dx = f'(x) ⊙ dy, written in terms of the output y
// (activations.Activation.Backward).
func (a *ActivationLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	st := stateOf[outState](s, "Activation")
	st.dx.Resize(dy.Shape...)
	m, n := rows(dy)
	a.activation.Backward(st.dx.Data, dy.Data, st.out.Data, m, n)
	return &st.dx
}

// EndsInSoftmax reports whether the activation is softmax (see
// SoftmaxOutput).
func (a *ActivationLayer) EndsInSoftmax() bool { return a.activation == activations.Softmax }

// EndsInSigmoid reports whether the activation is sigmoid (see
// SigmoidOutput).
func (a *ActivationLayer) EndsInSigmoid() bool { return a.activation == activations.Sigmoid }

// BackwardLogits returns dz itself: the layer's input is the softmax's or
// sigmoid's pre-activation (see SoftmaxOutput).
func (a *ActivationLayer) BackwardLogits(_ State, dz *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	return dz
}

// Config returns the name and the activation's Keras name.
func (a *ActivationLayer) Config() map[string]any {
	return map[string]any{"name": a.name, "activation": a.activation.Name()}
}
