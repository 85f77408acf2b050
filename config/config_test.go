package config_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/config"
)

// An integer bounded only by math.MaxInt (decay_steps, warmup_steps) must
// still refuse 2⁶³ and beyond: float64(math.MaxInt) rounds up to 2⁶³, so
// 9223372036854775808 passed the range check and converted to a negative
// int.
func TestIntRefusesValuesPastMaxInt(t *testing.T) {
	for _, v := range []any{9223372036854775808.0, 1e19, json.Number("9223372036854775808")} {
		r := config.New(map[string]any{"decay_steps": v})
		got := r.Int("decay_steps", 5, 1, math.MaxInt)
		if err := r.Err(); err == nil || !strings.Contains(err.Error(), "decay_steps is") {
			t.Errorf("decay_steps %v read as %d, %v; want an error", v, got, err)
		}
		r = config.New(map[string]any{"k": v})
		if got := r.Ints("k", nil, 2, math.MinInt, math.MaxInt); r.Err() == nil {
			t.Errorf("k %v read as %v; want an error", v, got)
		}
	}
	half := math.MaxInt/2 + 1 // 2⁶² with 64-bit ints
	r := config.New(map[string]any{"decay_steps": float64(half)})
	if got := r.Int("decay_steps", 5, 1, math.MaxInt); r.Err() != nil || got != half {
		t.Errorf("decay_steps %d read as %d, %v", half, got, r.Err())
	}
}

// A list of any length (n = 0) holds at most 16 integers; one longer was
// refused with "want 0", which no list of shape or target_shape wants.
func TestIntsTooLongSaysTheLimit(t *testing.T) {
	long := make([]any, 17)
	for i := range long {
		long[i] = 1.0
	}
	r := config.New(map[string]any{"target_shape": long})
	r.Ints("target_shape", nil, 0, 1, 100)
	if err := r.Err(); err == nil || err.Error() != "target_shape has 17 entries, want at most 16" {
		t.Errorf("error %v, want \"target_shape has 17 entries, want at most 16\"", err)
	}
	r = config.New(map[string]any{"kernel_size": []any{1.0, 2.0, 3.0}})
	r.Ints("kernel_size", nil, 2, 1, 100)
	if err := r.Err(); err == nil || err.Error() != "kernel_size has 3 entries, want 2" {
		t.Errorf("error %v, want \"kernel_size has 3 entries, want 2\"", err)
	}
}
