package preprocessing

import (
	"fmt"
	"math"

	"github.com/tailor-ml/tailor/tensor"
)

// StandardScaler is scikit-learn's StandardScaler: fitted on training
// examples, it maps each feature j to (x_j − Mean_j) / Scale_j, so that the
// training data has mean 0 and variance 1 in every feature.
//
//	Mean_j  = (1/N) Σ_i x_ij
//	Var_j   = (1/N) Σ_i (x_ij − Mean_j)²    (biased, as sklearn's var_)
//	Scale_j = √Var_j, or 1 when feature j is constant
//
// A feature counts as constant, and is left unscaled (only centred), when
// Var_j ≤ N·ε·Var_j + (N·Mean_j·ε)² with ε the float64 machine epsilon:
// sklearn's test for a variance indistinguishable from rounding error.
// Sums are taken in float64. The fields are exported, with JSON tags, so
// that a fitted scaler can be stored and read back (Validate checks one).
type StandardScaler struct {
	// Mean and Scale hold one entry per feature.
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
}

// shape2 returns the number of examples and features of x, each example's
// axes flattened.
func shape2(x *tensor.Tensor) (n, f int) {
	n = x.Len()
	if n == 0 {
		return 0, 0
	}
	return n, len(x.Data) / n
}

// Fit computes the scaler from x, N examples of F features: (N, F), or
// (N, ...) with each example's axes flattened. It is an error for x to be
// empty or hold a NaN or an infinity.
func (s *StandardScaler) Fit(x *tensor.Tensor) error {
	n, f := shape2(x)
	if n == 0 || f == 0 {
		return fmt.Errorf("standard scaler: no examples to fit")
	}
	if err := checkFinite(x.Data, f); err != nil {
		return fmt.Errorf("standard scaler: %w", err)
	}
	cols := make([][]float64, f)
	for j := range cols {
		cols[j] = make([]float64, n)
		for i := 0; i < n; i++ {
			cols[j][i] = float64(x.Data[i*f+j])
		}
	}
	s.fitColumns(cols)
	return nil
}

// fitColumns fits one feature per slice of values.
func (s *StandardScaler) fitColumns(cols [][]float64) {
	s.Mean, s.Scale = make([]float64, len(cols)), make([]float64, len(cols))
	for j, col := range cols {
		s.Mean[j], s.Scale[j] = meanScale(col)
	}
}

// meanScale returns a feature's mean and scale, by two passes.
func meanScale(col []float64) (mean, scale float64) {
	n := float64(len(col))
	var sum float64
	for _, v := range col {
		sum += v
	}
	mean = sum / n
	var ss float64
	for _, v := range col {
		d := v - mean
		ss += d * d
	}
	variance := ss / n
	const eps = 0x1p-52
	if bound := n*eps*variance + (n*mean*eps)*(n*mean*eps); variance <= bound {
		return mean, 1
	}
	return mean, math.Sqrt(variance)
}

// Transform standardises x in place: x_ij ← (x_ij − Mean_j) / Scale_j. It
// is an error for x to have a different number of features than the
// scaler.
func (s *StandardScaler) Transform(x *tensor.Tensor) error {
	n, f := shape2(x)
	if n > 0 && f != len(s.Mean) {
		return fmt.Errorf("standard scaler: examples of %d features, the scaler was fitted on %d", f, len(s.Mean))
	}
	for i := 0; i < n; i++ {
		row := x.Data[i*f : i*f+f]
		for j, v := range row {
			row[j] = float32((float64(v) - s.Mean[j]) / s.Scale[j])
		}
	}
	return nil
}

// FitTransform fits the scaler on x and standardises x in place.
func (s *StandardScaler) FitTransform(x *tensor.Tensor) error {
	if err := s.Fit(x); err != nil {
		return err
	}
	return s.Transform(x)
}

// InverseTransform undoes Transform in place: x_ij ← x_ij·Scale_j + Mean_j.
func (s *StandardScaler) InverseTransform(x *tensor.Tensor) error {
	n, f := shape2(x)
	if n > 0 && f != len(s.Mean) {
		return fmt.Errorf("standard scaler: examples of %d features, the scaler was fitted on %d", f, len(s.Mean))
	}
	for i := 0; i < n; i++ {
		row := x.Data[i*f : i*f+f]
		for j, v := range row {
			row[j] = float32(float64(v)*s.Scale[j] + s.Mean[j])
		}
	}
	return nil
}

// Validate checks a scaler read from a file: as many means as scales, at
// most maxFeatures, every mean finite and every scale finite and positive.
func (s *StandardScaler) Validate() error {
	if len(s.Mean) != len(s.Scale) {
		return fmt.Errorf("standard scaler: %d means but %d scales", len(s.Mean), len(s.Scale))
	}
	if len(s.Mean) > maxOutputs {
		return fmt.Errorf("standard scaler: %d features, want at most %d", len(s.Mean), maxOutputs)
	}
	for j, m := range s.Mean {
		if math.IsNaN(m) || math.IsInf(m, 0) {
			return fmt.Errorf("standard scaler: mean %d is %v, want a finite number", j, m)
		}
		if sc := s.Scale[j]; !(sc > 0) || math.IsInf(sc, 0) {
			return fmt.Errorf("standard scaler: scale %d is %v, want a finite positive number", j, sc)
		}
	}
	return nil
}

// checkFinite returns an error naming the first NaN or infinity in x,
// rows of f values.
func checkFinite(x []float32, f int) error {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("example %d, feature %d is %v, want a finite number", i/f, i%f, v)
		}
	}
	return nil
}
