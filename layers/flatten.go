package layers

import (
	"fmt"

	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// FlattenLayer reshapes each example to one axis: (B, d1, d2, ...) →
// (B, d1·d2·...). It copies nothing; its output shares the input's data.
type FlattenLayer struct {
	named
	noParams
	inputShape tensor.Shape // declared by the user, or nil
	in         tensor.Shape // the shape Build was given
	size       int
}

// viewState is the output and input-gradient headers of a layer that
// only reshapes (Flatten, Reshape): views of the data it is given.
type viewState struct{ out, dx tensor.Tensor }

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
func (f *FlattenLayer) Build(in tensor.Shape, _ *params.Builder) (tensor.Shape, error) {
	if err := checkShape("flatten", f.name, "input", in); err != nil {
		return nil, err
	}
	if len(in) == 0 || in.Size() <= 0 {
		return nil, fmt.Errorf("flatten %q: input shape %v has no elements", f.name, in)
	}
	f.in = append(tensor.Shape(nil), in...)
	f.size = in.Size()
	return tensor.Shape{f.size}, nil
}

// NewState returns an empty state.
func (f *FlattenLayer) NewState() State { return &viewState{} }

// Forward views x (B, ...) as (B, size).
func (f *FlattenLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[viewState](s, "Flatten")
	st.out.Shape = append(st.out.Shape[:0], x.Len(), f.size)
	st.out.Data = x.Data
	return &st.out
}

// Backward views dy (B, size) with the input's shape again.
func (f *FlattenLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	st := stateOf[viewState](s, "Flatten")
	st.dx.Shape = append(append(st.dx.Shape[:0], dy.Len()), f.in...)
	st.dx.Data = dy.Data
	return &st.dx
}

// Config returns the layer's name (the model file records the input
// shape).
func (f *FlattenLayer) Config() map[string]any { return map[string]any{"name": f.name} }
