package losses

import (
	"fmt"

	"github.com/tailor-ml/tailor/internal/config"
)

// Config returns the loss's configuration as Keras's get_config would
// describe it: {"label_smoothing": ε} when it smooths labels and
// {"from_logits": true} on logits, else empty.
func (l SparseCategoricalCrossentropyLoss) Config() map[string]any {
	cfg := map[string]any{}
	if l.LabelSmoothing != 0 {
		cfg["label_smoothing"] = l.LabelSmoothing
	}
	if l.FromLogits {
		cfg["from_logits"] = true
	}
	return cfg
}

// FromConfig returns the loss of the given Keras name
// ("sparse_categorical_crossentropy", "categorical_crossentropy",
// "binary_crossentropy", "mean_squared_error", "mean_absolute_error") with
// the configuration its Config method describes, or Keras's get_config
// (keras_config.go reads the keys Keras adds). Missing keys take their
// defaults; unknown keys and out-of-range values are errors.
func FromConfig(name string, cfg map[string]any) (Loss, error) {
	c := config.New(cfg, "name")
	var (
		l   Loss
		err error
	)
	switch name {
	case "sparse_categorical_crossentropy":
		l, err = sparseFromConfig(c)
	case "categorical_crossentropy":
		l, err = categoricalFromConfig(c)
	case "binary_crossentropy":
		l, err = binaryFromConfig(c)
	case "mean_squared_error":
		l = MeanSquaredError()
	case "mean_absolute_error":
		l = MeanAbsoluteError()
	default:
		return nil, fmt.Errorf("unknown loss %q (want sparse_categorical_crossentropy, categorical_crossentropy, binary_crossentropy, mean_squared_error or mean_absolute_error)", name)
	}
	readKerasKeys(c, cfg)
	if cerr := c.Err(); cerr != nil {
		return nil, fmt.Errorf("%s: %w", name, cerr)
	}
	return l, err
}
