package metrics

import (
	"fmt"
	"strings"

	"github.com/tailor-ml/tailor/config"
)

// registry holds every metric a model file may name.
var registry = config.NewRegistry[Metric]("metric")

// Register makes model files able to name the metric name (what its Name
// method returns): fromConfig builds the metric from the configuration its
// Config method returned. It panics if name is already registered; call it
// from an init function. The built-in metrics register themselves the same
// way.
func Register(name string, fromConfig config.FromConfig[Metric]) { registry.Register(name, fromConfig) }

// FromConfig returns a new metric of the given Keras name ("accuracy",
// "binary_accuracy", "precision", "recall", "top_k_categorical_accuracy",
// "sparse_top_k_categorical_accuracy", or one registered) with the options
// its Config method describes, or Keras's get_config: threshold for
// binary_accuracy, thresholds (a number, a list of one, or null for 0.5)
// for precision and recall, k for the top-k accuracies. Keras's name and
// dtype keys are ignored; top_k and class_id must be null. Missing keys
// take their defaults; unknown metrics, unknown keys and out-of-range
// values are errors.
func FromConfig(name string, cfg map[string]any) (Metric, error) {
	if !registry.Has(name) {
		return nil, fmt.Errorf("unknown metric %q (registered: %s)", name, strings.Join(registry.Names(), ", "))
	}
	m, err := registry.New(name, unwrapThresholds(cfg), "name", "dtype")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

func init() {
	Register("accuracy", func(*config.Reader) (Metric, error) { return Accuracy(), nil })
}
