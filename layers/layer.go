// Package layers holds Tailor's layers, under their Keras names and with
// Keras's defaults.
//
// Every layer follows one lifecycle, as in Keras: the constructor records
// the configuration; Build checks the input shape and declares the
// layer's weights (Keras's add_weight) with the model's params.Builder;
// Forward maps a batch to its output; Backward maps the gradient of the
// loss with respect to the output to the gradient with respect to the
// input, and fills the parameters' gradients.
//
// A layer holds only its configuration and its weights. What one call
// needs — the buffers of its output and gradients, what Backward reads of
// Forward's inputs, random streams — lives in a State the layer makes with
// NewState and the caller owns: the model keeps one set of states for
// training and one per concurrent inference call, so a built model can
// predict from any number of goroutines at once while sharing one copy of
// the weights. A state's buffers grow on the first batch and are reused,
// so a training step allocates nothing once the first batch has run.
package layers

import (
	"fmt"

	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// Layer is one stage of a model. Shapes exclude the batch axis.
type Layer interface {
	// Type is the Keras class name, e.g. "Dense".
	Type() string
	// Name is the instance name, e.g. "dense_1"; the model assigns one
	// when it is empty.
	Name() string
	// SetName renames the layer.
	SetName(name string)
	// Build checks the input shape in, declares the layer's weights with
	// w.Add and returns the output shape. The weights have their values
	// once the model has bound them, before any Forward.
	Build(in tensor.Shape, w *params.Builder) (out tensor.Shape, err error)
	// NewState returns the layer's per-call state, empty: its buffers grow
	// on first use. Forward and Backward are given it back.
	NewState() State
	// Forward computes the output for the batch x, keeping in s what
	// Backward needs. The result belongs to s and is valid until the next
	// Forward with s.
	Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor
	// Backward takes dy, the gradient of the loss with respect to the
	// output of the last Forward with s, overwrites the parameters'
	// gradients with the batch's and, when needInputGrad is true, returns
	// the gradient with respect to the input (otherwise nil).
	Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor
	// Params lists the layer's weights, trainable or not, in a fixed order.
	Params() []*params.Param
	// Config is the layer's configuration with Keras's key names: what
	// the function registered for Type (see Register) reads back.
	Config() map[string]any
}

// State is a layer's per-call state: its output and gradient buffers and
// what Backward needs from Forward. Each layer defines its own type and
// recognises only values its NewState returned; a State must not be used
// by two calls at once.
type State any

// InputShaper is implemented by layers that may declare the model's input
// shape, as Keras's input_shape argument does.
type InputShaper interface {
	InputShape() tensor.Shape
}

// Stochastic is implemented by layers that draw random numbers in training
// (Dropout, augmentation). Before every training step the model calls
// SeedStep with the layer's state, the Fit seed and the global step
// number; the layer reseeds the state's generator from them (and its
// name), so a run is reproducible and can resume at any step without
// saving generator state.
type Stochastic interface {
	SeedStep(s State, seed, step uint64)
}

// SoftmaxOutput is the contract that lets a loss differentiate straight
// through a final softmax. It is implemented by layers whose output can be
// softmax(z) of a pre-activation z they compute: Dense and Activation.
// When EndsInSoftmax is true and the compiled loss is a
// losses.SoftmaxLoss, the model computes the loss with ComputeSoftmax,
// which writes the gradient with respect to z — (p − t)/B for
// cross-entropy, exact and stable where the product of the two separate
// gradients is not — and passes it to BackwardLogits instead of Backward.
type SoftmaxOutput interface {
	Layer
	// EndsInSoftmax reports whether the layer's output is a softmax along
	// its last axis.
	EndsInSoftmax() bool
	LogitsBackward
}

// LogitsBackward is implemented by the layers that end in an activation
// a loss can differentiate straight through (see SoftmaxOutput and
// SigmoidOutput).
type LogitsBackward interface {
	// BackwardLogits is Backward for dz, the gradient with respect to the
	// pre-activation z rather than the output.
	BackwardLogits(s State, dz *tensor.Tensor, needInputGrad bool) *tensor.Tensor
}

// SigmoidOutput is SoftmaxOutput's counterpart for a final sigmoid,
// implemented by the same layers: when EndsInSigmoid is true and the
// compiled loss is a losses.SigmoidLoss, the model computes the loss with
// ComputeSigmoid, which writes the gradient with respect to z — (p − t)/
// (B·D) for binary cross-entropy, where the product of the two separate
// gradients is 0 once p is clipped (a confident mistake would never be
// corrected) — and passes it to BackwardLogits. Keras does the same: its
// binary cross-entropy of a sigmoid's output is computed from the logits.
type SigmoidOutput interface {
	Layer
	// EndsInSigmoid reports whether the layer's output is a sigmoid.
	EndsInSigmoid() bool
	LogitsBackward
}

// named holds a layer's instance name; layers embed it.
type named struct{ name string }

// Name returns the instance name.
func (n *named) Name() string { return n.name }

// SetName renames the layer.
func (n *named) SetName(name string) { n.name = name }

// noParams is embedded by layers without weights.
type noParams struct{}

// Params returns nil: the layer has no weights.
func (noParams) Params() []*params.Param { return nil }

// checkShape returns an error naming the layer (kind and name) when s, an
// input or output shape of its Build, is no shape a tensor can have: a
// negative dimension, or more values than an int counts, whose Size would
// wrap around (tensor.Shape.Validate).
func checkShape(kind, name, what string, s tensor.Shape) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("%s %q: %s shape: %w", kind, name, what, err)
	}
	return nil
}

// stateOf returns s as the layer's own state type, panicking with a clear
// message when it was made by another layer (a programming error).
func stateOf[T any](s State, layer string) *T {
	st, ok := s.(*T)
	if !ok {
		panic("layers: " + layer + " was given a state made by another layer")
	}
	return st
}
