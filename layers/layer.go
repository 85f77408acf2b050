// Package layers holds Tailor's layers, under their Keras names and with
// Keras's defaults.
//
// Every layer follows one lifecycle, as in Keras: the constructor records
// the configuration; Build creates the weights for a given input shape;
// Forward maps a batch to its output and caches what Backward needs;
// Backward maps the gradient of the loss with respect to the output to the
// gradient with respect to the input, and fills the parameters' gradients.
// Buffers are owned by the layer and reused from batch to batch, so a
// training step allocates nothing once the first batch has run.
package layers

import (
	"math/rand/v2"

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
	// Build creates the layer's weights for inputs of shape in, drawing
	// initial values from rng, and returns the output shape.
	Build(in tensor.Shape, rng *rand.Rand) (out tensor.Shape, err error)
	// Forward computes the output for the batch x. The result is owned by
	// the layer and valid until the next call to Forward.
	Forward(x *tensor.Tensor, training bool) *tensor.Tensor
	// Backward takes dy, the gradient of the loss with respect to the last
	// Forward's output, sets the parameters' gradients and, when
	// needInputGrad is true, returns the gradient with respect to the
	// input (otherwise nil).
	Backward(dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor
	// Params lists the layer's weights, trainable or not, in a fixed order.
	Params() []*Param
	// Config is the layer's configuration with Keras's key names.
	Config() map[string]any
}

// InputShaper is implemented by layers that may declare the model's input
// shape, as Keras's input_shape argument does.
type InputShaper interface {
	InputShape() tensor.Shape
}

// Stochastic is implemented by layers that draw random numbers in training
// (Dropout, augmentation). Before every training step the model calls
// SeedStep with the Fit seed and the global step number; the layer reseeds
// its generator from them (and its name), so a run is reproducible and can
// resume at any step without saving generator state.
type Stochastic interface {
	SeedStep(seed, step uint64)
}

// Param is one weight tensor of a layer and its gradient.
type Param struct {
	// Name is the weight's name within its layer: "kernel", "bias", ...
	Name string
	// Value holds the weights.
	Value *tensor.Tensor
	// Grad has Value's shape and holds the gradient after Backward; it is
	// nil for non-trainable weights.
	Grad *tensor.Tensor
}

// Trainable reports whether the optimizer updates the parameter.
func (p *Param) Trainable() bool { return p.Grad != nil }

func newParam(name string, shape ...int) *Param {
	return &Param{Name: name, Value: tensor.New(shape...), Grad: tensor.New(shape...)}
}

// named holds a layer's instance name; layers embed it.
type named struct{ name string }

// Name returns the instance name.
func (n *named) Name() string { return n.name }

// SetName renames the layer.
func (n *named) SetName(name string) { n.name = name }

// glorotUniform fills w with draws from U(−l, l), l = √(6/(fanIn+fanOut)),
// Keras's default kernel initializer.
func glorotUniform(w []float32, fanIn, fanOut int, rng *rand.Rand) {
	limit := sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * limit)
	}
}
