package layers

import (
	"fmt"

	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// ReshapeLayer gives each example a new shape with the same number of
// values: Reshape(28, 28, 1) turns (B, 28, 28) images into (B, 28, 28, 1).
// One dimension may be −1, to be inferred. It copies nothing; its output
// shares the input's data.
type ReshapeLayer struct {
	named
	noParams
	target  tensor.Shape // as given, possibly with a −1
	in, out tensor.Shape
}

// Reshape returns a layer that reshapes each example to targetShape (batch
// axis excluded).
func Reshape(targetShape ...int) *ReshapeLayer {
	return &ReshapeLayer{target: append(tensor.Shape(nil), targetShape...)}
}

// Type returns "Reshape".
func (r *ReshapeLayer) Type() string { return "Reshape" }

// Build resolves a −1 in the target shape and checks that the sizes agree.
func (r *ReshapeLayer) Build(in tensor.Shape, _ *params.Builder) (tensor.Shape, error) {
	if err := checkShape("reshape", r.name, "input", in); err != nil {
		return nil, err
	}
	size := in.Size()
	if len(in) == 0 || size <= 0 {
		return nil, fmt.Errorf("reshape %q: input shape %v has no elements", r.name, in)
	}
	out := append(tensor.Shape(nil), r.target...)
	unknown, known := -1, 1
	for i, d := range out {
		switch {
		case d == -1 && unknown < 0:
			unknown = i
		case d <= 0:
			return nil, fmt.Errorf("reshape %q: target shape %v: dimensions must be positive, with at most one −1", r.name, r.target)
		case known > size/d:
			// more values than the input has (and, unchecked, the
			// product could wrap around, to 0)
			return nil, fmt.Errorf("reshape %q: cannot reshape %v (%d values) to %v", r.name, in, size, r.target)
		default:
			known *= d
		}
	}
	if unknown >= 0 {
		if size%known != 0 {
			return nil, fmt.Errorf("reshape %q: cannot reshape %v (%d values) to %v", r.name, in, size, r.target)
		}
		out[unknown] = size / known
	}
	if out.Size() != size {
		return nil, fmt.Errorf("reshape %q: cannot reshape %v (%d values) to %v (%d values)", r.name, in, size, out, out.Size())
	}
	r.in, r.out = append(tensor.Shape(nil), in...), out
	return append(tensor.Shape(nil), out...), nil
}

// NewState returns an empty state.
func (r *ReshapeLayer) NewState() State { return &viewState{} }

// Forward views x (B, in...) as (B, target...).
func (r *ReshapeLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[viewState](s, "Reshape")
	st.out.Shape = append(append(st.out.Shape[:0], x.Len()), r.out...)
	st.out.Data = x.Data
	return &st.out
}

// Backward views dy with the input's shape again.
func (r *ReshapeLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	st := stateOf[viewState](s, "Reshape")
	st.dx.Shape = append(append(st.dx.Shape[:0], dy.Len()), r.in...)
	st.dx.Data = dy.Data
	return &st.dx
}

// Config returns target_shape, as given (with its −1, if any).
func (r *ReshapeLayer) Config() map[string]any {
	return map[string]any{"name": r.name, "target_shape": []int(append(tensor.Shape(nil), r.target...))}
}
