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

// byName maps each --model name to its constructor.
var byName = map[string]func() *tailor.Model{
	"mlp": MLP,
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
