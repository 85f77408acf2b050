// Package activations holds the element-wise nonlinearities that layers
// apply to their outputs, under their Keras names.
//
// An Activation is a string, so both layers.Dense(128, activations.ReLU) and
// layers.Dense(128, "relu") read naturally. Every backward pass is written in
// terms of the activation's output y, so a layer caches only its output.
package activations

import (
	"fmt"

	"github.com/tailor-ml/tailor/internal/kernels"
)

// Activation names an element-wise function, as Keras spells it.
type Activation string

// The activations Tailor knows.
const (
	Linear  Activation = "linear"
	ReLU    Activation = "relu"
	Sigmoid Activation = "sigmoid"
	Tanh    Activation = "tanh"
	Softmax Activation = "softmax"
)

// Validate returns an error for a name Tailor does not know. The empty
// name means Linear, as activation=None does in Keras.
func (a Activation) Validate() error {
	switch a {
	case "", Linear, ReLU, Sigmoid, Tanh, Softmax:
		return nil
	}
	return fmt.Errorf("unknown activation %q (want linear, relu, sigmoid, tanh or softmax)", string(a))
}

// Name is the activation's Keras name ("linear" for the empty value).
func (a Activation) Name() string {
	if a == "" {
		return string(Linear)
	}
	return string(a)
}

// IsLinear reports whether a is the identity (Linear or empty): Forward
// leaves x as it is and Backward copies dy.
func (a Activation) IsLinear() bool { return a == "" || a == Linear }

// Forward applies the activation in place to x, an m×n matrix (softmax
// works along rows of length n).
func (a Activation) Forward(x []float32, m, n int) {
	switch a {
	case ReLU:
		kernels.Relu(x)
	case Sigmoid:
		kernels.Sigmoid(x)
	case Tanh:
		kernels.Tanh(x)
	case Softmax:
		kernels.Softmax(x, m, n)
	}
}

// Backward turns dy, the gradient with respect to the activation's output
// y, into dx, the gradient with respect to its input. dx may alias dy.
//
// In the forward pass this was y = f(x), so dx = f'(x)·dy, with f' written
// in terms of y: relu 1[y>0], sigmoid y(1−y), tanh 1−y², and for softmax the
// Jacobian-vector product y ⊙ (dy − ⟨dy, y⟩).
func (a Activation) Backward(dx, dy, y []float32, m, n int) {
	switch a {
	case ReLU:
		kernels.ReluBackward(dx, dy, y)
	case Sigmoid:
		kernels.SigmoidBackward(dx, dy, y)
	case Tanh:
		kernels.TanhBackward(dx, dy, y)
	case Softmax:
		kernels.SoftmaxBackward(dx, dy, y, m, n)
	default:
		copy(dx, dy)
	}
}
