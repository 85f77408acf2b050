package layers

import (
	"math"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// TestBuildRefusesImpossibleShapes: every layer's Build refuses an input
// shape no tensor can have — a negative dimension (two of them, whose
// product is positive), or more values than an int counts — and Conv2D
// and Dense refuse an output or kernel of more values than an int counts,
// with an error naming the layer. They were accepted, and gave output
// shapes (or weights) whose Size had wrapped around (negative, or small).
func TestBuildRefusesImpossibleShapes(t *testing.T) {
	big := math.MaxInt / 4
	negative := tensor.Shape{-2, -3, 4}
	wraps := tensor.Shape{big, big, 3}
	wraps2 := tensor.Shape{1 << 32, 1 << 32}
	for _, tc := range []struct {
		layer Layer
		in    tensor.Shape
	}{
		{Dense(1<<40, activations.ReLU), tensor.Shape{1 << 30}},
		{Activation(activations.ReLU), negative},
		{Activation(activations.ReLU), wraps},
		{Activation(activations.Softmax), tensor.Shape{2, -2}},
		{Dropout(0.5), negative},
		{Dropout(0.5), wraps2},
		{Dropout(0.5), tensor.Shape{-4}},
		{BatchNormalization(), negative},
		{BatchNormalization(), wraps},
		{Flatten(), negative},
		{Flatten(), wraps},
		{Reshape(-1), negative},
		{Reshape(-1), wraps},
		{GlobalAveragePooling2D(), negative},
		{GlobalAveragePooling2D(), wraps},
		{Conv2D(3, [2]int{3, 3}), wraps},
		{Conv2D(3, [2]int{3, 3}), wraps2},
		{Conv2D(3, [2]int{3, 3}), tensor.Shape{big, 8}},
		{Conv2D(big, [2]int{3, 3}), tensor.Shape{8, 8, 3}},
		{Conv2D(1<<40, [2]int{1, 1}, Conv2DOptions{Padding: Same}), tensor.Shape{1 << 12, 1 << 12, 1}},
		{MaxPooling2D([2]int{2, 2}), wraps},
		{AveragePooling2D([2]int{2, 2}), wraps2},
		{RandomFlip(Horizontal), wraps},
		{RandomTranslation(0.1, 0.1), wraps2},
		{RandomErasing(0.5), wraps},
	} {
		tc.layer.SetName("l")
		out, err := tc.layer.Build(tc.in, params.NewBuilder())
		if err == nil {
			t.Errorf("%s on %v: built, output shape %v (%d values)", tc.layer.Type(), tc.in, out, out.Size())
			continue
		}
		if !strings.Contains(err.Error(), `"l"`) {
			t.Errorf("%s on %v: error %q does not name the layer", tc.layer.Type(), tc.in, err)
		}
	}
}
