package metrics

import (
	"fmt"

	"github.com/tailor-ml/tailor/internal/config"
)

// FromConfig returns the metric of the given Keras name ("accuracy",
// "binary_accuracy", "precision", "recall", "top_k_categorical_accuracy",
// "sparse_top_k_categorical_accuracy") with the options its Config method
// describes, or Keras's get_config: threshold for binary_accuracy,
// thresholds (a number, a list of one, or null for 0.5) for precision and
// recall, k for the top-k accuracies. Keras's name and dtype keys are
// ignored; top_k and class_id must be null. Missing keys take their
// defaults; unknown keys and out-of-range values are errors.
func FromConfig(name string, cfg map[string]any) (Metric, error) {
	cfg = unwrapThresholds(cfg)
	c := config.New(cfg, "name", "dtype")
	var (
		m   Metric
		err error
	)
	switch name {
	case "accuracy":
		m = Accuracy()
	case "binary_accuracy":
		m, err = BinaryAccuracyWithThreshold(c.Float("threshold", DefaultThreshold))
	case "precision":
		m, err = PrecisionWithThreshold(thresholds(c, cfg))
	case "recall":
		m, err = RecallWithThreshold(thresholds(c, cfg))
	case "top_k_categorical_accuracy":
		m, err = TopKCategoricalAccuracyWithK(c.Int("k", DefaultK, 1, 1<<20), false)
	case "sparse_top_k_categorical_accuracy":
		m, err = TopKCategoricalAccuracyWithK(c.Int("k", DefaultK, 1, 1<<20), true)
	default:
		return nil, fmt.Errorf("unknown metric %q (want accuracy, binary_accuracy, precision, recall, top_k_categorical_accuracy or sparse_top_k_categorical_accuracy)", name)
	}
	if cerr := c.Err(); cerr != nil {
		return nil, fmt.Errorf("%s: %w", name, cerr)
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// thresholds reads Keras's thresholds key for precision and recall, which
// Tailor computes at a single threshold, and requires top_k and class_id
// to be null.
func thresholds(c *config.Reader, cfg map[string]any) float64 {
	for _, k := range []string{"top_k", "class_id"} {
		if v, ok := cfg[k]; ok && v != nil {
			c.Fail(fmt.Errorf("%s is %v, want null: Tailor's precision and recall are binary", k, v))
		}
		c.String(k, "")
	}
	v, ok := cfg["thresholds"]
	if !ok || v == nil {
		c.String("thresholds", "")
		return DefaultThreshold
	}
	return c.Float("thresholds", DefaultThreshold)
}

// unwrapThresholds returns cfg with a list of one threshold replaced by
// the threshold, as Keras writes [0.5] for thresholds=0.5.
func unwrapThresholds(cfg map[string]any) map[string]any {
	list, ok := cfg["thresholds"].([]any)
	if !ok || len(list) != 1 {
		return cfg
	}
	out := make(map[string]any, len(cfg))
	for k, v := range cfg {
		out[k] = v
	}
	out["thresholds"] = list[0]
	return out
}
