package layers

import (
	"fmt"
	"strings"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/config"
)

// Bounds on the sizes a configuration may ask for. They are far above any
// model Tailor trains and keep a damaged or hostile model file from asking
// for absurd amounts of memory.
const (
	maxUnits  = 1 << 20 // units, filters
	maxDim    = 1 << 20 // one axis of a declared input or target shape
	maxWindow = 1 << 12 // one axis of a kernel, pool or stride
)

// registry holds every layer class a model file may name.
var registry = config.NewRegistry[Layer]("layer")

// Register makes model files able to name the layer class typ (what its
// Type method returns): fromConfig builds an unbuilt layer from the
// configuration its Config method returned, reading each value with the
// Reader's checked getters. It is Keras's register_keras_serializable.
// Register panics if typ is already registered; call it from an init
// function. The built-in layers register themselves the same way.
func Register(typ string, fromConfig config.FromConfig[Layer]) { registry.Register(typ, fromConfig) }

// Registered returns the registered layer classes, sorted.
func Registered() []string { return registry.Names() }

// FromConfig returns a new, unbuilt layer of the given class name
// configured as its Config method describes it — the inverse of Config, as
// Keras's layers.deserialize is of get_config — named cfg["name"]. Missing
// keys take Keras's defaults; unregistered types, unknown keys and
// out-of-range values are errors.
func FromConfig(typ string, cfg map[string]any) (Layer, error) {
	name, _ := cfg["name"].(string)
	if v, ok := cfg["name"]; ok && v != nil {
		if _, isString := v.(string); !isString {
			return nil, fmt.Errorf("%s: name is %v, want a string", typ, v)
		}
	}
	if !registry.Has(typ) {
		return nil, fmt.Errorf("unknown layer type %q (registered: %s)", typ, strings.Join(registry.Names(), ", "))
	}
	l, err := registry.New(typ, cfg, "name")
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", typ, name, err)
	}
	l.SetName(name)
	return l, nil
}

func init() {
	Register("Dense", func(c *config.Reader) (Layer, error) {
		if !c.Has("units") {
			return nil, fmt.Errorf("units is missing")
		}
		d := Dense(c.Int("units", 1, 1, maxUnits), activation(c))
		d.useBias = c.Bool("use_bias", true)
		return d, nil
	})
	Register("Activation", func(c *config.Reader) (Layer, error) {
		if !c.Has("activation") {
			return nil, fmt.Errorf("activation is missing")
		}
		return Activation(activation(c)), nil
	})
	Register("Flatten", func(c *config.Reader) (Layer, error) {
		return Flatten(inputShape(c)...), nil
	})
	Register("Conv2D", func(c *config.Reader) (Layer, error) {
		if !c.Has("filters") || !c.Has("kernel_size") {
			return nil, fmt.Errorf("filters and kernel_size are required")
		}
		channelsLast(c)
		return Conv2D(c.Int("filters", 1, 1, maxUnits), pair(c, "kernel_size", [2]int{1, 1}), Conv2DOptions{
			Strides:    pair(c, "strides", [2]int{1, 1}),
			Padding:    padding(c),
			Activation: activation(c),
			NoBias:     !c.Bool("use_bias", true),
			InputShape: inputShape(c),
			DType:      dtype(c),
		}), nil
	})
	for _, typ := range []string{"MaxPooling2D", "AveragePooling2D"} {
		Register(typ, func(c *config.Reader) (Layer, error) {
			channelsLast(c)
			size := pair(c, "pool_size", [2]int{2, 2})
			o := PoolOptions{Strides: pair(c, "strides", size), Padding: padding(c)}
			if typ == "MaxPooling2D" {
				return MaxPooling2D(size, o), nil
			}
			return AveragePooling2D(size, o), nil
		})
	}
	Register("GlobalAveragePooling2D", func(c *config.Reader) (Layer, error) {
		channelsLast(c)
		if c.Bool("keepdims", false) {
			return nil, fmt.Errorf("keepdims=true is not supported")
		}
		return GlobalAveragePooling2D(), nil
	})
	Register("Dropout", func(c *config.Reader) (Layer, error) {
		rate := c.Float("rate", 0)
		if !(rate >= 0 && rate < 1) {
			return nil, fmt.Errorf("rate %v, want 0 ≤ rate < 1", rate)
		}
		return Dropout(rate), nil
	})
	Register("BatchNormalization", func(c *config.Reader) (Layer, error) {
		if axis := c.Ints("axis", []int{-1}, 1, -1, -1); len(axis) != 1 {
			return nil, fmt.Errorf("only axis -1 is supported")
		}
		if !c.Bool("center", true) || !c.Bool("scale", true) {
			return nil, fmt.Errorf("center and scale must be true")
		}
		// set apart from BatchNormOptions, whose zeros mean the defaults:
		// a config's momentum 0 (the moving statistics are the last
		// batch's) is kept, its epsilon 0 refused by Build.
		l := BatchNormalization(BatchNormOptions{InputShape: inputShape(c)})
		l.momentum, l.epsilon = c.Float("momentum", 0.99), c.Float("epsilon", 1e-3)
		return l, nil
	})
	Register("Reshape", func(c *config.Reader) (Layer, error) {
		target := c.Ints("target_shape", nil, 0, -1, maxDim)
		for _, d := range target {
			if d == 0 {
				return nil, fmt.Errorf("target_shape %v has a zero", target)
			}
		}
		if len(target) == 0 {
			return nil, fmt.Errorf("target_shape is missing")
		}
		return Reshape(target...), nil
	})
	Register("RandomFlip", func(c *config.Reader) (Layer, error) {
		return RandomFlip(c.String("mode", HorizontalAndVertical), inputShape(c)...), nil
	})
	Register("RandomTranslation", func(c *config.Reader) (Layer, error) {
		if interp := c.String("interpolation", "nearest"); interp != "nearest" {
			return nil, fmt.Errorf("interpolation %q, only nearest is supported", interp)
		}
		return RandomTranslation(c.Float("height_factor", 0), c.Float("width_factor", 0), TranslationOptions{
			FillMode:   c.String("fill_mode", FillReflect),
			FillValue:  c.Float("fill_value", 0),
			InputShape: inputShape(c),
		}), nil
	})
	Register("RandomErasing", func(c *config.Reader) (Layer, error) {
		return RandomErasing(c.Float("factor", 0), ErasingOptions{
			Scale:      c.Pair("scale", [2]float64{}),
			Ratio:      c.Pair("ratio", [2]float64{}),
			FillValue:  c.Float("fill_value", 0),
			InputShape: inputShape(c),
		}), nil
	})
}

// activation reads and checks "activation".
func activation(c *config.Reader) activations.Activation {
	act := activations.Activation(c.String("activation", ""))
	if err := act.Validate(); err != nil {
		c.Fail(err)
	}
	return act
}

// padding reads and checks "padding".
func padding(c *config.Reader) Padding {
	p := Padding(c.String("padding", string(Valid)))
	if err := p.validate(); err != nil {
		c.Fail(err)
	}
	return p
}

// dtype reads a layer's "dtype" policy, float32 when absent.
func dtype(c *config.Reader) DType {
	d := DType(c.String("dtype", string(Float32)))
	if err := d.validate(); err != nil {
		c.Fail(err)
	}
	return d
}

// inputShape reads a declared "input_shape", nil when absent.
func inputShape(c *config.Reader) []int { return c.Ints("input_shape", nil, 0, 1, maxDim) }

// pair reads a (rows, columns) window size or stride.
func pair(c *config.Reader, key string, def [2]int) [2]int {
	v := c.Ints(key, def[:], 2, 1, maxWindow)
	return [2]int{v[0], v[1]}
}

// channelsLast checks "data_format", the only one Tailor has.
func channelsLast(c *config.Reader) {
	if f := c.String("data_format", "channels_last"); f != "channels_last" {
		c.Fail(fmt.Errorf("data_format %q, only channels_last is supported", f))
	}
}
