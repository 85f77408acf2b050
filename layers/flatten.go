package layers

import (
	"fmt"
	"math/rand/v2"

	"github.com/tailor-ml/tailor/tensor"
)

// FlattenLayer reshapes each example to one axis: (B, d1, d2, ...) →
// (B, d1·d2·...). It copies nothing; its output shares the input's data.
type FlattenLayer struct {
	named
	inputShape tensor.Shape // declared by the user, or nil
	in         tensor.Shape // the shape Build was given
	size       int
	out, dx    tensor.Tensor
}

// Flatten returns a Flatten layer. Dimensions given, as in the tutorial's
// Flatten(input_shape=(28, 28)), declare the model's input shape.
func Flatten(inputShape ...int) *FlattenLayer {
	return &FlattenLayer{inputShape: append(tensor.Shape(nil), inputShape...)}
}

// Type returns "Flatten".
func (f *FlattenLayer) Type() string { return "Flatten" }

// InputShape returns the declared input shape, or nil.
func (f *FlattenLayer) InputShape() tensor.Shape { return f.inputShape }

// Build checks the input shape and returns (product,).
func (f *FlattenLayer) Build(in tensor.Shape, _ *rand.Rand) (tensor.Shape, error) {
	if len(in) == 0 || in.Size() <= 0 {
		return nil, fmt.Errorf("flatten %q: input shape %v has no elements", f.name, in)
	}
	f.in = append(tensor.Shape(nil), in...)
	f.size = in.Size()
	return tensor.Shape{f.size}, nil
}

// Forward views x (B, ...) as (B, size).
func (f *FlattenLayer) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	f.out.Shape = append(f.out.Shape[:0], x.Len(), f.size)
	f.out.Data = x.Data
	return &f.out
}

// Backward views dy (B, size) with the input's shape again.
func (f *FlattenLayer) Backward(dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	f.dx.Shape = append(append(f.dx.Shape[:0], dy.Len()), f.in...)
	f.dx.Data = dy.Data
	return &f.dx
}

// Params returns nil: Flatten has no weights.
func (f *FlattenLayer) Params() []*Param { return nil }

// Config returns the layer's name.
func (f *FlattenLayer) Config() map[string]any { return map[string]any{"name": f.name} }
