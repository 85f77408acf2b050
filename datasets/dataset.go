// Package datasets is how examples reach a model: the Features and Dataset
// interfaces that Predict, Fit and Evaluate read batch by batch, and the
// in-memory datasets that are the simple case. Loaders live in its
// subpackages (fashionmnist, and those that follow it) and return values
// that satisfy these interfaces.
//
// A model reads a dataset by index: it asks for the examples idx (a batch,
// in the order the epoch visits them) and the dataset copies them into
// tensors the model owns and reuses from batch to batch. Random access by
// index is what makes shuffling reproducible and resuming exact: an epoch's
// order depends only on the seed and the epoch, so a resumed run asks for
// the same examples in the same order. A dataset may read from memory, from
// files or compute its examples; it must return the same values for the
// same index every time.
package datasets

import (
	"fmt"

	"github.com/tailor-ml/tailor/tensor"
)

// Features is a source of examples without targets: what Predict reads.
// *tensor.Tensor implements it, one example per row of its first axis.
type Features interface {
	// Len is the number of examples.
	Len() int
	// ExampleShape is the shape of one example (the batch axis excluded),
	// e.g. (28, 28) for a Fashion-MNIST image.
	ExampleShape() tensor.Shape
	// Gather resizes dst to (len(idx), ExampleShape()...) with
	// tensor.Resize, reusing its storage, and copies example idx[i] into
	// row i. Every index is in [0, Len()).
	Gather(dst *tensor.Tensor, idx []int) error
}

// Dataset is examples with targets: what Fit and Evaluate read.
type Dataset interface {
	Features
	// TargetShape is the shape of one example's target: () for a class
	// label or a single value, (C,) for a one-hot row.
	TargetShape() tensor.Shape
	// GatherTargets resizes dst to (len(idx), TargetShape()...) and copies
	// the targets of examples idx into it, as Gather does for features.
	// Class labels are written as their integer values (0, 1, ...).
	GatherTargets(dst *tensor.Tensor, idx []int) error
}

// Label is the integer types class labels may have.
type Label interface {
	~uint8 | ~uint16 | ~uint32 | ~int | ~int8 | ~int16 | ~int32 | ~int64
}

// maxLabel bounds labels so that they are exact in float32.
const maxLabel = 1 << 24

// Labeled is features with one integer class label each.
type Labeled struct {
	x      Features
	labels []int32
}

// WithLabels pairs the examples of x with their class labels, as
// model.fit(x, y) does with an integer y: WithLabels(trainImages,
// train.Labels). The labels are copied. It is an error for their number to
// differ from x.Len(), for a label to be negative or above 2²⁴ (labels
// travel to the loss as float32, exact only up to there), or for x to be a
// tensor that fails tensor.Validate.
func WithLabels[L Label](x Features, labels []L) (*Labeled, error) {
	if x == nil {
		return nil, fmt.Errorf("datasets: WithLabels: no features")
	}
	if err := validate("features", x); err != nil {
		return nil, err
	}
	if len(labels) != x.Len() {
		return nil, fmt.Errorf("datasets: %d examples but %d labels", x.Len(), len(labels))
	}
	ls := make([]int32, len(labels))
	for i, l := range labels {
		if int64(l) < 0 || int64(l) > maxLabel {
			return nil, fmt.Errorf("datasets: label %d is %d, want a class index in [0, 2²⁴]", i, int64(l))
		}
		ls[i] = int32(l)
	}
	return &Labeled{x: x, labels: ls}, nil
}

// validate refuses features that are a tensor whose Data does not match its
// shape, naming what they are (features or targets).
func validate(what string, x Features) error {
	if t, ok := x.(*tensor.Tensor); ok {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("datasets: %s: %w", what, err)
		}
	}
	return nil
}

// Len is the number of examples.
func (d *Labeled) Len() int { return len(d.labels) }

// ExampleShape is the shape of one example's features.
func (d *Labeled) ExampleShape() tensor.Shape { return d.x.ExampleShape() }

// TargetShape is (): one label per example.
func (d *Labeled) TargetShape() tensor.Shape { return tensor.Shape{} }

// Gather copies the features of examples idx into dst.
func (d *Labeled) Gather(dst *tensor.Tensor, idx []int) error { return d.x.Gather(dst, idx) }

// GatherTargets writes the labels of examples idx into dst, shaped
// (len(idx),).
func (d *Labeled) GatherTargets(dst *tensor.Tensor, idx []int) error {
	dst.Resize(len(idx))
	for i, j := range idx {
		if j < 0 || j >= len(d.labels) {
			return fmt.Errorf("datasets: index %d out of range [0, %d)", j, len(d.labels))
		}
		dst.Data[i] = float32(d.labels[j])
	}
	return nil
}

// Labels returns the labels (not a copy: do not modify it).
func (d *Labeled) Labels() []int32 { return d.labels }

// Targeted is features with a tensor of targets, one row each.
type Targeted struct {
	x Features
	y *tensor.Tensor
}

// WithTargets pairs the examples of x with the rows of y (not copied):
// float targets for regression, one-hot rows, or class labels as float32
// values. It is an error for y to have a different number of rows, or for
// x or y to be a tensor that fails tensor.Validate.
func WithTargets(x Features, y *tensor.Tensor) (*Targeted, error) {
	if x == nil || y == nil {
		return nil, fmt.Errorf("datasets: WithTargets needs features and targets")
	}
	if err := validate("features", x); err != nil {
		return nil, err
	}
	if err := validate("targets", y); err != nil {
		return nil, err
	}
	if len(y.Shape) == 0 || y.Len() != x.Len() {
		return nil, fmt.Errorf("datasets: %d examples but targets of shape %v", x.Len(), y.Shape)
	}
	return &Targeted{x: x, y: y}, nil
}

// FromTensors is WithTargets for in-memory features: Keras's
// model.fit(x, y) with two arrays.
func FromTensors(x, y *tensor.Tensor) (*Targeted, error) {
	if x == nil || len(x.Shape) == 0 {
		return nil, fmt.Errorf("datasets: FromTensors needs features with a batch axis")
	}
	return WithTargets(x, y)
}

// Len is the number of examples.
func (d *Targeted) Len() int { return d.x.Len() }

// ExampleShape is the shape of one example's features.
func (d *Targeted) ExampleShape() tensor.Shape { return d.x.ExampleShape() }

// TargetShape is the shape of one row of the targets.
func (d *Targeted) TargetShape() tensor.Shape { return d.y.ExampleShape() }

// Gather copies the features of examples idx into dst.
func (d *Targeted) Gather(dst *tensor.Tensor, idx []int) error { return d.x.Gather(dst, idx) }

// GatherTargets copies the target rows of examples idx into dst.
func (d *Targeted) GatherTargets(dst *tensor.Tensor, idx []int) error { return d.y.Gather(dst, idx) }

// Targets returns the target tensor (not a copy).
func (d *Targeted) Targets() *tensor.Tensor { return d.y }
