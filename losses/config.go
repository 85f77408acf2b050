package losses

import (
	"fmt"
	"strings"

	"github.com/tailor-ml/tailor/config"
)

// Config returns the loss's configuration as Keras's get_config would
// describe it: {"label_smoothing": ε} when it smooths labels and
// {"from_logits": true} on logits, else empty.
func (l SparseCategoricalCrossentropyLoss) Config() map[string]any {
	return crossentropyConfig(l.LabelSmoothing, l.FromLogits)
}

// crossentropyConfig is the configuration of a cross-entropy with the
// options that are set.
func crossentropyConfig(labelSmoothing float64, fromLogits bool) map[string]any {
	cfg := map[string]any{}
	if labelSmoothing != 0 {
		cfg["label_smoothing"] = labelSmoothing
	}
	if fromLogits {
		cfg["from_logits"] = true
	}
	return cfg
}

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
	for name, fromConfig := range map[string]config.FromConfig[Loss]{
		"sparse_categorical_crossentropy": sparseFromConfig,
		"categorical_crossentropy":        categoricalFromConfig,
		"binary_crossentropy":             binaryFromConfig,
		"mean_squared_error":              func(*config.Reader) (Loss, error) { return MeanSquaredError(), nil },
		"mean_absolute_error":             func(*config.Reader) (Loss, error) { return MeanAbsoluteError(), nil },
	} {
		Register(name, func(c *config.Reader) (Loss, error) {
			l, err := fromConfig(c)
			readKerasKeys(c)
			return l, err
		})
	}
}
