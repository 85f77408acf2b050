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

// shape is shape2 of x, which must have the scaler's number of features
// (when it has examples).
func (s *StandardScaler) shape(x *tensor.Tensor) (n, f int, err error) {
	n, f = shape2(x)
	if n > 0 && f != len(s.Mean) {
		return 0, 0, fmt.Errorf("standard scaler: examples of %d features, the scaler was fitted on %d", f, len(s.Mean))
	}
	return n, f, nil
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
	s.Mean, s.Scale = make([]float64, f), make([]float64, f)
	for j := range f {
		s.Mean[j], s.Scale[j] = meanScale(x.Data, n, f, j)
	}
	return nil
}

// meanScale returns the mean and scale of feature j of data, n rows of w
// values, by two passes in float64.
func meanScale(data []float32, n, w, j int) (mean, scale float64) {
	var sum float64
	for i := range n {
		sum += float64(data[i*w+j])
	}
	nf := float64(n)
	mean = sum / nf
	var ss float64
	for i := range n {
		d := float64(data[i*w+j]) - mean
		ss += d * d
	}
	variance := ss / nf
	const eps = 0x1p-52
	if bound := nf*eps*variance + (nf*mean*eps)*(nf*mean*eps); variance <= bound {
		return mean, 1
	}
	return mean, math.Sqrt(variance)
}

// Transform standardises x in place: x_ij ← (x_ij − Mean_j) / Scale_j. It
// is an error for x to have a different number of features than the
// scaler.
func (s *StandardScaler) Transform(x *tensor.Tensor) error {
	n, f, err := s.shape(x)
	if err != nil {
		return err
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
	n, f, err := s.shape(x)
	if err != nil {
		return err
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
// most 2²⁰ (maxOutputs), every mean finite and every scale finite and
// positive.
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
