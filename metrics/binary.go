package metrics

import (
	"fmt"
	"math"

	"github.com/tailor-ml/tailor/tensor"
)

// The binary metrics read predictions of the probability of class 1 — a
// Dense(1, sigmoid) output of shape (B, 1), or (B, D) for D independent
// binary outputs — against targets of the same size, (B,) or (B, 1) for a
// single output. A prediction above the threshold (0.5 by default) means
// class 1, as in Keras.

// DefaultThreshold is Keras's decision threshold for the binary metrics.
const DefaultThreshold = 0.5

// checkThreshold returns an error unless t is in [0, 1].
func checkThreshold(name string, t float64) error {
	if !(t >= 0 && t <= 1) {
		return fmt.Errorf("%s: threshold is %v, want a value in [0, 1]", name, t)
	}
	return nil
}

// checkSameSize returns an error unless the targets hold one value per
// prediction.
func checkSameSize(name string, y *tensor.Tensor, pred tensor.Shape) error {
	if y.Shape.Size() != pred.Size() || y.Len() != pred[0] {
		return fmt.Errorf("%s: targets of shape %v for predictions of shape %v, want one target per prediction", name, y.Shape, pred)
	}
	return nil
}

// mustSameSize panics, naming the metric, when Update receives tensors
// that CheckTargets would have refused.
func mustSameSize(name string, pred, target *tensor.Tensor) {
	if len(pred.Data) != len(target.Data) {
		panic(fmt.Sprintf("metrics: %s: %d predictions but %d targets (check them with CheckTargets first)", name, len(pred.Data), len(target.Data)))
	}
}

// BinaryAccuracyMetric is Keras's BinaryAccuracy: the fraction of outputs
// whose thresholded prediction, 1 if p > threshold else 0, equals the
// target.
type BinaryAccuracyMetric struct {
	threshold float64
	tally
}

// BinaryAccuracy returns the metric with Keras's threshold, 0.5.
func BinaryAccuracy() *BinaryAccuracyMetric {
	return &BinaryAccuracyMetric{threshold: DefaultThreshold}
}

// BinaryAccuracyWithThreshold returns the metric with the given
// threshold; it is an error unless 0 ≤ threshold ≤ 1.
func BinaryAccuracyWithThreshold(threshold float64) (*BinaryAccuracyMetric, error) {
	if err := checkThreshold("binary_accuracy", threshold); err != nil {
		return nil, err
	}
	return &BinaryAccuracyMetric{threshold: threshold}, nil
}

// Name returns "binary_accuracy".
func (a *BinaryAccuracyMetric) Name() string { return "binary_accuracy" }

// Threshold returns the decision threshold.
func (a *BinaryAccuracyMetric) Threshold() float64 { return a.threshold }

// Config returns {"threshold": t}, Keras's key.
func (a *BinaryAccuracyMetric) Config() map[string]any {
	return map[string]any{"threshold": a.threshold}
}

// CheckTargets requires one target per prediction.
func (a *BinaryAccuracyMetric) CheckTargets(y *tensor.Tensor, pred tensor.Shape) error {
	return checkSameSize(a.Name(), y, pred)
}

// Clone returns a new metric with the same threshold.
func (a *BinaryAccuracyMetric) Clone() Metric { return &BinaryAccuracyMetric{threshold: a.threshold} }

// Update counts the outputs where [p > threshold] = y. It panics if pred
// and target differ in size (see CheckTargets).
func (a *BinaryAccuracyMetric) Update(pred, target *tensor.Tensor) {
	mustSameSize(a.Name(), pred, target)
	a.addThresholded(pred, target, a.threshold)
}

// SetState restores the counts State returned.
func (a *BinaryAccuracyMetric) SetState(s []float64) error { return a.setState(a.Name(), s) }

// confusion counts the true positives, false positives and false
// negatives of thresholded predictions: the part of the confusion matrix
// that precision and recall read. A target counts as positive when it is
// not 0, as Keras casts it to bool.
type confusion struct {
	threshold  float64
	tp, fp, fn int
}

// Threshold returns the decision threshold.
func (c *confusion) Threshold() float64 { return c.threshold }

// Config returns {"thresholds": t}, Keras's key.
func (c *confusion) Config() map[string]any { return map[string]any{"thresholds": c.threshold} }

// Reset clears the counts.
func (c *confusion) Reset() { c.tp, c.fp, c.fn = 0, 0, 0 }

func (c *confusion) update(name string, pred, target *tensor.Tensor) {
	mustSameSize(name, pred, target)
	for i, p := range pred.Data {
		predicted, actual := float64(p) > c.threshold, target.Data[i] != 0
		switch {
		case predicted && actual:
			c.tp++
		case predicted:
			c.fp++
		case actual:
			c.fn++
		}
	}
}

// PrecisionMetric is Keras's Precision: of the outputs predicted positive
// (p > threshold), the fraction that are: TP / (TP + FP), 0 when nothing
// was predicted positive.
type PrecisionMetric struct{ confusion }

// Precision returns the metric with Keras's threshold, 0.5.
func Precision() *PrecisionMetric { return &PrecisionMetric{confusion{threshold: DefaultThreshold}} }

// PrecisionWithThreshold returns the metric with the given threshold; it
// is an error unless 0 ≤ threshold ≤ 1.
func PrecisionWithThreshold(threshold float64) (*PrecisionMetric, error) {
	if err := checkThreshold("precision", threshold); err != nil {
		return nil, err
	}
	return &PrecisionMetric{confusion{threshold: threshold}}, nil
}

// Name returns "precision".
func (m *PrecisionMetric) Name() string { return "precision" }

// CheckTargets requires one target per prediction.
func (m *PrecisionMetric) CheckTargets(y *tensor.Tensor, pred tensor.Shape) error {
	return checkSameSize(m.Name(), y, pred)
}

// Clone returns a new metric with the same threshold.
func (m *PrecisionMetric) Clone() Metric {
	return &PrecisionMetric{confusion{threshold: m.threshold}}
}

// Update adds the batch's true and false positives. It panics if pred and
// target differ in size (see CheckTargets).
func (m *PrecisionMetric) Update(pred, target *tensor.Tensor) { m.update(m.Name(), pred, target) }

// Result returns TP / (TP + FP), 0 without predicted positives.
func (m *PrecisionMetric) Result() float64 { return ratio(m.tp, m.tp+m.fp) }

// State returns the true and false positives.
func (m *PrecisionMetric) State() []float64 { return []float64{float64(m.tp), float64(m.fp)} }

// SetState restores the counts State returned.
func (m *PrecisionMetric) SetState(s []float64) error {
	c, err := counts(m.Name(), "[true positives, false positives]", s, 2)
	if err != nil {
		return err
	}
	m.tp, m.fp, m.fn = c[0], c[1], 0
	return nil
}

// RecallMetric is Keras's Recall: of the outputs whose target is positive,
// the fraction predicted so (p > threshold): TP / (TP + FN), 0 without
// positive targets.
type RecallMetric struct{ confusion }

// Recall returns the metric with Keras's threshold, 0.5.
func Recall() *RecallMetric { return &RecallMetric{confusion{threshold: DefaultThreshold}} }

// RecallWithThreshold returns the metric with the given threshold; it is
// an error unless 0 ≤ threshold ≤ 1.
func RecallWithThreshold(threshold float64) (*RecallMetric, error) {
	if err := checkThreshold("recall", threshold); err != nil {
		return nil, err
	}
	return &RecallMetric{confusion{threshold: threshold}}, nil
}

// Name returns "recall".
func (m *RecallMetric) Name() string { return "recall" }

// CheckTargets requires one target per prediction.
func (m *RecallMetric) CheckTargets(y *tensor.Tensor, pred tensor.Shape) error {
	return checkSameSize(m.Name(), y, pred)
}

// Clone returns a new metric with the same threshold.
func (m *RecallMetric) Clone() Metric { return &RecallMetric{confusion{threshold: m.threshold}} }

// Update adds the batch's true positives and false negatives. It panics if
// pred and target differ in size (see CheckTargets).
func (m *RecallMetric) Update(pred, target *tensor.Tensor) { m.update(m.Name(), pred, target) }

// Result returns TP / (TP + FN), 0 without positive targets.
func (m *RecallMetric) Result() float64 { return ratio(m.tp, m.tp+m.fn) }

// State returns the true positives and false negatives.
func (m *RecallMetric) State() []float64 { return []float64{float64(m.tp), float64(m.fn)} }

// SetState restores the counts State returned.
func (m *RecallMetric) SetState(s []float64) error {
	c, err := counts(m.Name(), "[true positives, false negatives]", s, 2)
	if err != nil {
		return err
	}
	m.tp, m.fp, m.fn = c[0], 0, c[1]
	return nil
}

// ratio returns a/b, 0 when b is 0 (Keras's divide_no_nan).
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// maxCount bounds restored counts so that they are exact in float64.
const maxCount = 1 << 53

// counts checks a restored state of n counts: each a whole number in
// [0, 2⁵³].
func counts(name, what string, s []float64, n int) ([]int, error) {
	if len(s) != n {
		return nil, fmt.Errorf("%s: state %v, want %s counts", name, s, what)
	}
	out := make([]int, n)
	for i, v := range s {
		if !(v >= 0 && v <= maxCount) || v != math.Trunc(v) {
			return nil, fmt.Errorf("%s: state %v, want %s counts (whole numbers from 0 to 2⁵³)", name, s, what)
		}
		out[i] = int(v)
	}
	return out, nil
}
