package tailor_test

import (
	"math"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/optimizers"
)

// TestCompileChecksOutputAndLoss compiles every pairing of a last layer's
// activation with a cross-entropy: those that cannot train — probabilities
// expected after a linear, relu or tanh output, logits expected after a
// softmax or sigmoid — are refused with an error naming the layer, its
// activation, the loss and the fix; the others compile.
func TestCompileChecksOutputAndLoss(t *testing.T) {
	dense := func(units int, a activations.Activation) []layers.Layer {
		return []layers.Layer{layers.Dense(8, activations.ReLU), layers.Dense(units, a)}
	}
	tests := []struct {
		name   string
		layers []layers.Layer
		loss   losses.Loss
		want   []string // substrings of the error; nil: compiles
	}{
		{"linear, sparse on probabilities", dense(3, activations.Linear), losses.SparseCategoricalCrossentropy(),
			[]string{"dense_1 (Dense)", "activation linear", "sparse_categorical_crossentropy", "give the last layer activation softmax", "FromLogits: true"}},
		{"no activation, categorical", dense(3, ""), losses.CategoricalCrossentropyLoss{},
			[]string{"dense_1 (Dense)", "activation linear", "categorical_crossentropy", "activation softmax"}},
		{"relu, sparse", dense(3, activations.ReLU), losses.SparseCategoricalCrossentropy(),
			[]string{"activation relu", "not probabilities"}},
		{"tanh, binary", dense(1, activations.Tanh), losses.BinaryCrossentropy(),
			[]string{"activation tanh", "binary_crossentropy", "give the last layer activation sigmoid"}},
		{"linear, binary by pointer", dense(1, activations.Linear), &losses.BinaryCrossentropyLoss{},
			[]string{"activation linear", "binary_crossentropy"}},
		{"softmax, sparse from logits", dense(3, activations.Softmax), losses.SparseCategoricalCrossentropyLoss{FromLogits: true},
			[]string{"dense_1 (Dense)", "activation softmax", "are probabilities", "FromLogits: true", "activation linear"}},
		{"sigmoid, binary from logits", dense(1, activations.Sigmoid), losses.BinaryCrossentropyLoss{FromLogits: true},
			[]string{"activation sigmoid", "binary_crossentropy"}},
		{"softmax, categorical from logits", dense(3, activations.Softmax), &losses.CategoricalCrossentropyLoss{FromLogits: true},
			[]string{"activation softmax", "categorical_crossentropy"}},
		{"Activation(relu) last", append(dense(3, activations.Linear), layers.Activation(activations.ReLU)), losses.SparseCategoricalCrossentropy(),
			[]string{"activation (Activation)", "activation relu"}},
		{"Conv2D linear last", []layers.Layer{layers.Conv2D(2, [2]int{3, 3}, layers.Conv2DOptions{InputShape: []int{5, 5, 1}})}, losses.CategoricalCrossentropy(),
			[]string{"conv2d (Conv2D)", "activation linear"}},

		{"softmax, sparse", dense(3, activations.Softmax), losses.SparseCategoricalCrossentropy(), nil},
		{"sigmoid, binary", dense(1, activations.Sigmoid), losses.BinaryCrossentropy(), nil},
		{"linear, sparse from logits", dense(3, activations.Linear), losses.SparseCategoricalCrossentropyLoss{FromLogits: true}, nil},
		{"linear, binary from logits", dense(1, ""), losses.BinaryCrossentropyLoss{FromLogits: true}, nil},
		{"sigmoid, categorical (multi-label)", dense(3, activations.Sigmoid), losses.CategoricalCrossentropy(), nil},
		{"Activation(softmax) after linear", append(dense(3, activations.Linear), layers.Activation(activations.Softmax)), losses.SparseCategoricalCrossentropy(), nil},
		{"a last layer that does not say", append(dense(3, activations.Linear), layers.Dropout(0.1)), losses.SparseCategoricalCrossentropy(), nil},
		{"linear, mean squared error", dense(1, activations.Linear), losses.MeanSquaredError(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tailor.Sequential(tc.layers...)
			err := m.Compile(optimizers.Adam(), tc.loss)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Compile: %v", err)
				}
				if m.Loss() == nil {
					t.Error("compiled without a loss")
				}
				return
			}
			if err == nil {
				t.Fatal("Compile accepted a loss that cannot train with this output")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if m.Loss() != nil || m.Optimizer() != nil {
				t.Error("a refused Compile left a loss or optimizer set")
			}
		})
	}
}

// TestCompileEmptyModel: a model without layers yet has no last layer to
// check, so Compile accepts any loss (layers may be added afterwards).
func TestCompileEmptyModel(t *testing.T) {
	if err := tailor.Sequential().Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy()); err != nil {
		t.Fatal(err)
	}
}

// TestCompileChecksLossOptions: a cross-entropy built as a struct literal
// with label smoothing outside [0, 1) is refused by Compile, naming the
// loss and the range, as its constructor and a config would refuse it;
// it trained against negative or NaN targets until Save refused it.
func TestCompileChecksLossOptions(t *testing.T) {
	for _, tc := range []struct {
		loss losses.Loss
		last activations.Activation
		want string
	}{
		{losses.SparseCategoricalCrossentropyLoss{LabelSmoothing: 1.5}, activations.Softmax, "sparse_categorical_crossentropy: label_smoothing is 1.5, want a value in [0, 1)"},
		{losses.CategoricalCrossentropyLoss{LabelSmoothing: -0.1, FromLogits: true}, activations.Linear, "categorical_crossentropy: label_smoothing is -0.1"},
		{losses.BinaryCrossentropyLoss{LabelSmoothing: math.NaN()}, activations.Sigmoid, "binary_crossentropy: label_smoothing is NaN"},
	} {
		m := tailor.Sequential(layers.Dense(3, tc.last))
		if err := m.Compile(optimizers.Adam(), tc.loss); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile with %+v: %v, want an error saying %q", tc.loss, err, tc.want)
		}
	}
	m := tailor.Sequential(layers.Dense(3, activations.Softmax))
	if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropyLoss{LabelSmoothing: 0.2}); err != nil {
		t.Errorf("Compile with label smoothing 0.2: %v", err)
	}
}
