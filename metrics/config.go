package metrics

import (
	"fmt"

	"github.com/tailor-ml/tailor/config"
)

func init() {
	Register("binary_accuracy", func(c *config.Reader) (Metric, error) {
		return BinaryAccuracyWithThreshold(c.Float("threshold", DefaultThreshold))
	})
	Register("precision", func(c *config.Reader) (Metric, error) { return PrecisionWithThreshold(thresholds(c)) })
	Register("recall", func(c *config.Reader) (Metric, error) { return RecallWithThreshold(thresholds(c)) })
	Register("top_k_categorical_accuracy", func(c *config.Reader) (Metric, error) {
		return TopKCategoricalAccuracyWithK(c.Int("k", DefaultK, 1, 1<<20), false)
	})
	Register("sparse_top_k_categorical_accuracy", func(c *config.Reader) (Metric, error) {
		return TopKCategoricalAccuracyWithK(c.Int("k", DefaultK, 1, 1<<20), true)
	})
}

// thresholds reads Keras's thresholds key for precision and recall, which
// Tailor computes at a single threshold, and requires top_k and class_id
// to be null.
func thresholds(c *config.Reader) float64 {
	for _, k := range []string{"top_k", "class_id"} {
		if v, _ := c.Value(k); v != nil {
			c.Fail(fmt.Errorf("%s is %v, want null: Tailor's precision and recall are binary", k, v))
		}
	}
	if v, _ := c.Value("thresholds"); v == nil {
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
