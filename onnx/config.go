package onnx

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/tailor-ml/tailor/layers"
)

// config reads a layer's Config map (Keras's key names), whichever Go types
// its values have: ints or float64s, []int, []any or arrays. It keeps the
// first error, in err; a read that fails returns the zero value.
type config struct {
	m   map[string]any
	err error
}

// fail records err unless an error is already recorded.
func (c *config) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// str returns the string under key, or def when the key is absent.
func (c *config) str(key, def string) string {
	v, ok := c.m[key]
	if !ok || v == nil {
		return def
	}
	switch s := v.(type) {
	case string:
		return s
	case fmt.Stringer:
		return s.String()
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		return rv.String()
	}
	c.fail(fmt.Errorf("config %q is %T, want a string", key, v))
	return ""
}

// bool returns the boolean under key, or def when the key is absent.
func (c *config) bool(key string, def bool) bool {
	v, ok := c.m[key]
	if !ok || v == nil {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		c.fail(fmt.Errorf("config %q is %T, want a boolean", key, v))
	}
	return b
}

// float returns the number under key, or def when the key is absent.
func (c *config) float(key string, def float64) float64 {
	v, ok := c.m[key]
	if !ok || v == nil {
		return def
	}
	f, ok := number(v)
	if !ok {
		c.fail(fmt.Errorf("config %q is %T, want a number", key, v))
	}
	return f
}

// int returns the integer under key; a missing key is an error unless
// hasDef.
func (c *config) int(key string, def int, hasDef bool) int {
	v, ok := c.m[key]
	if !ok || v == nil {
		if !hasDef {
			c.fail(fmt.Errorf("config has no %q", key))
		}
		return def
	}
	n, ok := integer(v)
	if !ok {
		c.fail(fmt.Errorf("config %q is %v, want an integer", key, v))
	}
	return n
}

// ints returns the list of integers under key (a single integer is a list
// of one), or def when the key is absent; a missing key with a nil def is
// an error.
func (c *config) ints(key string, def []int) []int {
	v, ok := c.m[key]
	if !ok || v == nil {
		if def == nil {
			c.fail(fmt.Errorf("config has no %q", key))
		}
		return def
	}
	if n, ok := integer(v); ok {
		return []int{n}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		c.fail(fmt.Errorf("config %q is %T, want a list of integers", key, v))
		return nil
	}
	out := make([]int, rv.Len())
	for i := range out {
		n, ok := integer(rv.Index(i).Interface())
		if !ok {
			c.fail(fmt.Errorf("config %q is %v, want a list of integers", key, v))
			return nil
		}
		out[i] = n
	}
	return out
}

// pair returns a (rows, columns) size under key, def when absent.
func (c *config) pair(key string, def []int) [2]int {
	v := c.ints(key, def)
	if len(v) == 1 { // Keras accepts one integer for both axes
		v = []int{v[0], v[0]}
	}
	if len(v) != 2 || v[0] <= 0 || v[1] <= 0 {
		c.fail(fmt.Errorf("config %q is %v, want two positive integers", key, v))
		return [2]int{}
	}
	return [2]int{v[0], v[1]}
}

// channelsLast checks data_format, which Tailor's image layers always
// record as channels_last.
func (c *config) channelsLast() {
	if f := c.str("data_format", "channels_last"); f != "channels_last" {
		c.fail(fmt.Errorf("data_format %q, want channels_last", f))
	}
}

// number reads any Go number as a float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	}
	return 0, false
}

// integer reads a Go integer, or a float holding one, as an int.
func integer(v any) (int, bool) {
	f, ok := number(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
}

// weight returns the data of the layer's parameter name, checking that it
// has the given shape.
func weight(l layers.Layer, name string, shape ...int) ([]float32, error) {
	for _, p := range l.Params() {
		if p.Name != name {
			continue
		}
		if p.Value == nil {
			return nil, fmt.Errorf("weight %q has no value", name)
		}
		got := []int(p.Value.Shape)
		if !slices.Equal(got, shape) || len(p.Value.Data) != size(shape) {
			return nil, fmt.Errorf("weight %q has shape %v (%d values), want %v", name, got, len(p.Value.Data), shape)
		}
		return p.Value.Data, nil
	}
	return nil, fmt.Errorf("layer has no weight %q (is the model built?)", name)
}

// size is the product of the dimensions.
func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
