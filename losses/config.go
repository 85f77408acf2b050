package losses

import (
	"fmt"

	"github.com/tailor-ml/tailor/internal/config"
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

// FromConfig returns the loss of the given Keras name
// ("sparse_categorical_crossentropy", "categorical_crossentropy") with the
// configuration its Config method describes. Missing keys take their
// defaults; unknown keys and out-of-range values are errors.
func FromConfig(name string, cfg map[string]any) (Loss, error) {
	c := config.New(cfg, "name")
	var (
		l   Loss
		err error
	)
	switch name {
	case "sparse_categorical_crossentropy":
		l, err = SparseCategoricalCrossentropyWithSmoothing(c.Float("label_smoothing", 0))
	case "categorical_crossentropy":
		l = CategoricalCrossentropy()
	default:
		return nil, fmt.Errorf("unknown loss %q (want sparse_categorical_crossentropy or categorical_crossentropy)", name)
	}
	if cerr := c.Err(); cerr != nil {
		return nil, fmt.Errorf("%s: %w", name, cerr)
	}
	return l, err
}
