// Package config turns the Keras-style configurations saved in model files
// back into objects: Reader reads a configuration's typed values — a JSON
// object decoded into map[string]any — with the checks a hostile file
// needs (types, ranges, unknown keys), and Registry maps class names to
// the functions that rebuild layers, optimizers, losses, metrics and
// schedules from them, as Keras's register_keras_serializable does.
package config

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
)

// Reader reads values from a configuration, remembering the first error
// and which keys were read.
type Reader struct {
	cfg  map[string]any
	used map[string]bool
	err  error
}

// New returns a Reader over cfg. The keys in ignore count as read.
func New(cfg map[string]any, ignore ...string) *Reader {
	r := &Reader{cfg: cfg, used: map[string]bool{}}
	for _, k := range ignore {
		r.used[k] = true
	}
	return r
}

// Value returns the raw value under key (as decoded from JSON: float64 or
// json.Number, string, bool, []any, map[string]any, or nil) and whether it
// is present, counting the key as read.
func (r *Reader) Value(key string) (any, bool) {
	r.used[key] = true
	v, ok := r.cfg[key]
	return v, ok
}

// Has reports whether key is present.
func (r *Reader) Has(key string) bool {
	_, ok := r.cfg[key]
	return ok
}

// Float returns the number under key, or def when it is absent.
func (r *Reader) Float(key string, def float64) float64 {
	r.used[key] = true
	v, ok := r.cfg[key]
	if !ok {
		return def
	}
	f, ok := number(v)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		r.Fail(fmt.Errorf("%s is %v, want a finite number", key, v))
	}
	return f
}

// Int returns the integer under key, or def when it is absent. It must lie
// in [lo, hi].
func (r *Reader) Int(key string, def, lo, hi int) int {
	r.used[key] = true
	v, ok := r.cfg[key]
	if !ok {
		return def
	}
	return r.toInt(key, v, lo, hi)
}

// maxInts bounds the lists Ints reads.
const maxInts = 16

// Ints returns the list of integers under key, each in [lo, hi], or def
// when it is absent. With n > 0 the list must have n entries; a single
// integer stands for n copies of itself, as Keras reads kernel_size=3.
// Otherwise it may have up to 16.
func (r *Reader) Ints(key string, def []int, n, lo, hi int) []int {
	r.used[key] = true
	v, ok := r.cfg[key]
	if !ok || v == nil {
		return def
	}
	if _, isNum := number(v); isNum && n > 0 {
		x := r.toInt(key, v, lo, hi)
		out := make([]int, n)
		for i := range out {
			out[i] = x
		}
		return out
	}
	list, ok := asList(v)
	if !ok {
		r.Fail(fmt.Errorf("%s is %v, want a list of integers", key, v))
		return def
	}
	if n > 0 && len(list) != n {
		r.Fail(fmt.Errorf("%s has %d entries, want %d", key, len(list), n))
		return def
	}
	if len(list) > maxInts {
		r.Fail(fmt.Errorf("%s has %d entries, want at most %d", key, len(list), maxInts))
		return def
	}
	out := make([]int, len(list))
	for i, x := range list {
		out[i] = r.toInt(key, x, lo, hi)
	}
	return out
}

// Pair returns the two finite numbers listed under key, or def when it is
// absent.
func (r *Reader) Pair(key string, def [2]float64) [2]float64 {
	r.used[key] = true
	v, ok := r.cfg[key]
	if !ok || v == nil {
		return def
	}
	list, _ := asList(v)
	if len(list) != 2 {
		r.Fail(fmt.Errorf("%s is %v, want a list of two numbers", key, v))
		return def
	}
	var out [2]float64
	for i, x := range list {
		f, ok := number(x)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			r.Fail(fmt.Errorf("%s is %v, want a list of two finite numbers", key, v))
			return def
		}
		out[i] = f
	}
	return out
}

// asList returns v as a list: decoded JSON's []any, or the []int or
// []float64 a Config method returns before any encoding.
func asList(v any) ([]any, bool) {
	var list []any
	switch l := v.(type) {
	case []any:
		return l, true
	case []int:
		for _, x := range l {
			list = append(list, x)
		}
	case []float64:
		for _, x := range l {
			list = append(list, x)
		}
	default:
		return nil, false
	}
	return list, true
}

// Bool returns the boolean under key, or def when it is absent.
func (r *Reader) Bool(key string, def bool) bool {
	r.used[key] = true
	v, ok := r.cfg[key]
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		r.Fail(fmt.Errorf("%s is %v, want true or false", key, v))
	}
	return b
}

// String returns the string under key, or def when it is absent or null.
func (r *Reader) String(key, def string) string {
	r.used[key] = true
	v, ok := r.cfg[key]
	if !ok || v == nil {
		return def
	}
	s, ok := v.(string)
	if !ok {
		r.Fail(fmt.Errorf("%s is %v, want a string", key, v))
	}
	return s
}

// Fail records err unless an error is already recorded.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Err returns the first error, or one naming the keys never read.
func (r *Reader) Err() error {
	if r.err != nil {
		return r.err
	}
	var extra []string
	for k := range r.cfg {
		if !r.used[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("unknown configuration keys %q", extra)
	}
	return nil
}

func (r *Reader) toInt(key string, v any, lo, hi int) int {
	f, ok := number(v)
	// float64(math.MaxInt) rounds up to 2⁶³, which int(f) does not hold:
	// the bounds are checked on the int64, once f is known to fit one.
	if !ok || f != math.Trunc(f) || f < -0x1p63 || f >= 0x1p63 || int64(f) < int64(lo) || int64(f) > int64(hi) {
		r.Fail(fmt.Errorf("%s is %v, want an integer in [%d, %d]", key, v, lo, hi))
		return lo
	}
	return int(f)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}
