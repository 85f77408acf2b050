package preprocessing

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/tensor"
)

func mustT(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromSlice(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestStandardScaler(t *testing.T) {
	x := mustT(t, []float32{
		1, 10, 5,
		2, 20, 5,
		3, 60, 5,
	}, 3, 3)
	var s StandardScaler
	if err := s.Fit(x); err != nil {
		t.Fatal(err)
	}
	// Biased variances: 2/3, (20² + 10² + 30²)/3 = 1400/3, and 0 for the
	// constant column, which keeps scale 1.
	want := StandardScaler{Mean: []float64{2, 30, 5}, Scale: []float64{math.Sqrt(2.0 / 3), math.Sqrt(1400.0 / 3), 1}}
	for j := range want.Mean {
		if math.Abs(s.Mean[j]-want.Mean[j]) > 1e-12 || math.Abs(s.Scale[j]-want.Scale[j]) > 1e-12 {
			t.Errorf("feature %d: mean %v scale %v, want %v %v", j, s.Mean[j], s.Scale[j], want.Mean[j], want.Scale[j])
		}
	}
	y := x.Clone()
	if err := s.Transform(y); err != nil {
		t.Fatal(err)
	}
	r := float32(math.Sqrt(1.5)) // (1 − 2)/√(2/3)
	for j, w := range []float32{-r, 0, r} {
		if got := y.Data[3*j]; math.Abs(float64(got-w)) > 1e-6 {
			t.Errorf("row %d feature 0 → %v, want %v", j, got, w)
		}
		if got := y.Data[3*j+2]; got != 0 {
			t.Errorf("constant feature row %d → %v, want 0 (centred, unscaled)", j, got)
		}
	}
	if err := s.InverseTransform(y); err != nil {
		t.Fatal(err)
	}
	for i, v := range y.Data {
		if math.Abs(float64(v-x.Data[i])) > 1e-5 {
			t.Fatalf("inverse transform: %v, want %v", y.Data, x.Data)
		}
	}
	if err := s.Transform(tensor.New(2, 4)); err == nil || !strings.Contains(err.Error(), "examples of 4 features, the scaler was fitted on 3") {
		t.Errorf("width mismatch: %v", err)
	}
	// JSON round trip.
	b, _ := json.Marshal(&s)
	var back StandardScaler
	if err := json.Unmarshal(b, &back); err != nil || back.Validate() != nil || back.Scale[1] != s.Scale[1] {
		t.Errorf("round trip %s: %+v, %v", b, back, err)
	}
}

// TestStandardScalerNearConstant: a feature that varies only by rounding
// error counts as constant, by sklearn's bound N·ε·Var + (N·Mean·ε)².
func TestStandardScalerNearConstant(t *testing.T) {
	v := float32(1e8)
	x := mustT(t, []float32{v, 1, v, 2, v, 3, v, 4}, 4, 2)
	var s StandardScaler
	if err := s.FitTransform(x); err != nil {
		t.Fatal(err)
	}
	if s.Scale[0] != 1 || s.Scale[1] != math.Sqrt(1.25) {
		t.Errorf("scales %v, want [1 √1.25]", s.Scale)
	}
}

func TestStandardScalerErrors(t *testing.T) {
	var s StandardScaler
	if err := s.Fit(tensor.New(0, 3)); err == nil || !strings.Contains(err.Error(), "no examples") {
		t.Errorf("empty: %v", err)
	}
	if err := s.Fit(mustT(t, []float32{1, 2, float32(math.NaN()), 4}, 2, 2)); err == nil || !strings.Contains(err.Error(), "example 1, feature 0 is NaN") {
		t.Errorf("NaN: %v", err)
	}
	for _, bad := range []StandardScaler{
		{Mean: []float64{0}, Scale: []float64{1, 1}},
		{Mean: []float64{math.Inf(1)}, Scale: []float64{1}},
		{Mean: []float64{0}, Scale: []float64{0}},
		{Mean: []float64{0}, Scale: []float64{-2}},
		{Mean: []float64{0}, Scale: []float64{math.NaN()}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
