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
	maxUnits  = 1 << 20 // units, filters
	maxDim    = 1 << 20 // one axis of a declared input or target shape
	maxWindow = 1 << 12 // one axis of a kernel, pool or stride
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
		if !c.Has("units") {
			c.Fail(fmt.Errorf("units is missing"))
		}
		d := Dense(c.Int("units", 1, 1, maxUnits), activation(c))
		d.useBias = c.Bool("use_bias", true)
		l = d
	case "Activation":
		if !c.Has("activation") {
			c.Fail(fmt.Errorf("activation is missing"))
		}
		l = Activation(activation(c))
	case "Flatten":
		l = Flatten(c.Ints("input_shape", nil, 0, 1, maxDim)...)
	case "Conv2D":
		if !c.Has("filters") || !c.Has("kernel_size") {
			c.Fail(fmt.Errorf("filters and kernel_size are required"))
		}
		channelsLast(c)
		l = Conv2D(c.Int("filters", 1, 1, maxUnits), pair(c, "kernel_size", [2]int{1, 1}), Conv2DOptions{
			Strides:    pair(c, "strides", [2]int{1, 1}),
			Padding:    padding(c),
			Activation: activation(c),
			NoBias:     !c.Bool("use_bias", true),
			InputShape: c.Ints("input_shape", nil, 0, 1, maxDim),
			DType:      dtype(c),
		})
	case "MaxPooling2D", "AveragePooling2D":
		channelsLast(c)
		size := pair(c, "pool_size", [2]int{2, 2})
		o := PoolOptions{Strides: pair(c, "strides", size), Padding: padding(c)}
		if typ == "MaxPooling2D" {
			l = MaxPooling2D(size, o)
		} else {
			l = AveragePooling2D(size, o)
		}
	case "GlobalAveragePooling2D":
		channelsLast(c)
		if c.Bool("keepdims", false) {
			c.Fail(fmt.Errorf("keepdims=true is not supported"))
		}
		l = GlobalAveragePooling2D()
	case "Dropout":
		rate := c.Float("rate", 0)
		if !(rate >= 0 && rate < 1) {
			c.Fail(fmt.Errorf("rate %v, want 0 ≤ rate < 1", rate))
		}
		l = Dropout(rate)
	case "BatchNormalization":
		if axis := c.Ints("axis", []int{-1}, 1, -1, -1); len(axis) != 1 {
			c.Fail(fmt.Errorf("only axis -1 is supported"))
		}
		if !c.Bool("center", true) || !c.Bool("scale", true) {
			c.Fail(fmt.Errorf("center and scale must be true"))
		}
		l = BatchNormalization(BatchNormOptions{
			Momentum:   c.Float("momentum", 0.99),
			Epsilon:    c.Float("epsilon", 1e-3),
			InputShape: c.Ints("input_shape", nil, 0, 1, maxDim),
		})
	case "Reshape":
		target := c.Ints("target_shape", nil, 0, -1, maxDim)
		for _, d := range target {
			if d == 0 {
				c.Fail(fmt.Errorf("target_shape %v has a zero", target))
			}
		}
		if len(target) == 0 {
			c.Fail(fmt.Errorf("target_shape is missing"))
		}
		l = Reshape(target...)
	case "RandomFlip":
		l = RandomFlip(c.String("mode", HorizontalAndVertical), c.Ints("input_shape", nil, 0, 1, maxDim)...)
	case "RandomTranslation":
		if interp := c.String("interpolation", "nearest"); interp != "nearest" {
			c.Fail(fmt.Errorf("interpolation %q, only nearest is supported", interp))
		}
		l = RandomTranslation(c.Float("height_factor", 0), c.Float("width_factor", 0), TranslationOptions{
			FillMode:   c.String("fill_mode", FillReflect),
			FillValue:  c.Float("fill_value", 0),
			InputShape: c.Ints("input_shape", nil, 0, 1, maxDim),
		})
	case "RandomErasing":
		l = RandomErasing(c.Float("factor", 0), ErasingOptions{
			Scale:      c.Pair("scale", [2]float64{}),
			Ratio:      c.Pair("ratio", [2]float64{}),
			FillValue:  c.Float("fill_value", 0),
			InputShape: c.Ints("input_shape", nil, 0, 1, maxDim),
		})
	default:
		return nil, fmt.Errorf("unknown layer type %q", typ)
	}
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("%s %q: %w", typ, name, err)
	}
	l.SetName(name)
	return l, nil
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
