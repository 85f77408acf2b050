package losses

import (
	"fmt"
	"strings"

	"github.com/tailor-ml/tailor/config"
)

// Config returns the loss's configuration as Keras's get_config would
// describe it: {"label_smoothing": ε} when it smooths labels, else empty.
func (l SparseCategoricalCrossentropyLoss) Config() map[string]any {
	if l.LabelSmoothing == 0 {
		return map[string]any{}
	}
	return map[string]any{"label_smoothing": l.LabelSmoothing}
}

// Config returns an empty configuration: the loss has no options.
func (CategoricalCrossentropyLoss) Config() map[string]any { return map[string]any{} }

// registry holds every loss a model file may name.
var registry = config.NewRegistry[Loss]("loss")

// Register makes model files able to name the loss name (what its Name
// method returns): fromConfig builds the loss from the configuration its
// Config method returned. It panics if name is already registered; call it
// from an init function. The built-in losses register themselves the same
// way.
func Register(name string, fromConfig config.FromConfig[Loss]) { registry.Register(name, fromConfig) }

// FromConfig returns the loss of the given Keras name
// ("sparse_categorical_crossentropy", "categorical_crossentropy", ...)
// with the configuration its Config method describes. Missing keys take
// their defaults; unknown losses, unknown keys and out-of-range values are
// errors.
func FromConfig(name string, cfg map[string]any) (Loss, error) {
	if !registry.Has(name) {
		return nil, fmt.Errorf("unknown loss %q (registered: %s)", name, strings.Join(registry.Names(), ", "))
	}
	l, err := registry.New(name, cfg, "name")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return l, nil
}

func init() {
	Register("sparse_categorical_crossentropy", func(c *config.Reader) (Loss, error) {
		return SparseCategoricalCrossentropyWithSmoothing(c.Float("label_smoothing", 0))
	})
	Register("categorical_crossentropy", func(c *config.Reader) (Loss, error) {
		return CategoricalCrossentropy(), nil
	})
}
