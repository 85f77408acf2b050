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

// FromConfig returns a new metric of the given name configured as its
// Config method describes it. Unknown metrics, unknown keys and
// out-of-range values are errors.
func FromConfig(name string, cfg map[string]any) (Metric, error) {
	if !registry.Has(name) {
		return nil, fmt.Errorf("unknown metric %q (registered: %s)", name, strings.Join(registry.Names(), ", "))
	}
	m, err := registry.New(name, cfg, "name")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

func init() {
	Register("accuracy", func(*config.Reader) (Metric, error) { return Accuracy(), nil })
}
