// Package models holds the predefined architectures that the tailor command
// names with --model: the tutorial's MLP and, beside it, the convolutional
// networks that improve on it.
package models

import (
	"fmt"
	"sort"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/layers"
)

// MLP is the tutorial's model: Flatten(28, 28) → Dense(128, relu) →
// Dense(10, softmax), 101,770 parameters.
func MLP() *tailor.Model {
	return tailor.Sequential(
		layers.Flatten(28, 28),
		layers.Dense(128, activations.ReLU),
		layers.Dense(10, activations.Softmax),
	)
}

// RefCNN is the reference convolutional network that Tailor's speed is
// measured on, the classic Keras example:
//
//	Conv2D(32, 3×3, same, relu) → MaxPooling2D(2×2) →
//	Conv2D(64, 3×3, same, relu) → MaxPooling2D(2×2) →
//	Flatten → Dense(128, relu) → Dropout(0.3) → Dense(10, softmax)
//
// 421,642 parameters, for (28, 28) images. It is trained like the MLP: Adam
// with its defaults, batch size 32.
func RefCNN() *tailor.Model {
	return tailor.Sequential(
		layers.Conv2D(32, [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same, Activation: activations.ReLU, InputShape: []int{28, 28}}),
		layers.MaxPooling2D([2]int{2, 2}),
		layers.Conv2D(64, [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same, Activation: activations.ReLU}),
		layers.MaxPooling2D([2]int{2, 2}),
		layers.Flatten(),
		layers.Dense(128, activations.ReLU),
		layers.Dropout(0.3),
		layers.Dense(10, activations.Softmax),
	)
}

// byName maps each --model name to its constructor.
var byName = map[string]func() *tailor.Model{
	"mlp":     MLP,
	"ref-cnn": RefCNN,
}

// New returns a fresh, unbuilt model by its --model name.
func New(name string) (*tailor.Model, error) {
	f, ok := byName[name]
	if !ok {
		return nil, fmt.Errorf("unknown model %q (want one of %v)", name, Names())
	}
	return f(), nil
}

// Names lists the known model names in order.
func Names() []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
