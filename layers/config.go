package layers

import (
	"fmt"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/internal/config"
)

// Bounds on the sizes a configuration may ask for. They are far above any
// model Tailor trains and keep a damaged or hostile model file from asking
// for absurd amounts of memory.
const (
	maxUnits = 1 << 20 // units, filters
	maxDim   = 1 << 20 // one axis of a declared input or target shape
)

// FromConfig returns a new, unbuilt layer of the given Keras class name
// configured as its Config method describes it — the inverse of Config, as
// Keras's layers.deserialize is of get_config. Missing keys take Keras's
// defaults; unknown types, unknown keys and out-of-range values are errors.
func FromConfig(typ string, cfg map[string]any) (Layer, error) {
	c := config.New(cfg)
	name := c.String("name", "")
	var l Layer
	switch typ {
	case "Dense":
		act := activations.Activation(c.String("activation", ""))
		if err := act.Validate(); err != nil {
			c.Fail(err)
		}
		if !c.Has("units") {
			c.Fail(fmt.Errorf("units is missing"))
		}
		d := Dense(c.Int("units", 1, 1, maxUnits), act)
		d.useBias = c.Bool("use_bias", true)
		l = d
	case "Flatten":
		l = Flatten(c.Ints("input_shape", nil, 0, 1, maxDim)...)
	default:
		return nil, fmt.Errorf("unknown layer type %q", typ)
	}
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("%s %q: %w", typ, name, err)
	}
	l.SetName(name)
	return l, nil
}
