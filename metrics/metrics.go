// Package metrics holds what a model reports besides its loss: Accuracy,
// accumulated over batches during Fit and Evaluate, and AccuracyScore, the
// one-shot comparison of two label slices that scikit-learn's
// accuracy_score performs. For a sigmoid output, BinaryAccuracy,
// Precision and Recall (binary.go); TopKCategoricalAccuracy and
// SparseTopKCategoricalAccuracy (topk.go); FromConfig reads them back by
// their Keras names (config.go).
package metrics

import (
	"fmt"

	"github.com/tailor-ml/tailor/tensor"
)

// Metric accumulates a figure over the batches of an epoch.
type Metric interface {
	// Name is the key under which Fit reports the metric, e.g. "accuracy".
	Name() string
	// Reset clears the accumulated state.
	Reset()
	// Update adds a batch of predictions (B, C) and their targets.
	Update(pred, target *tensor.Tensor)
	// Result is the figure over everything since Reset.
	Result() float64
	// Clone returns a new metric of the same kind and configuration, with
	// nothing accumulated: Evaluate gives each call its own, so that
	// concurrent calls never share state.
	Clone() Metric
	// Config is the metric's configuration with Keras's key names, which
	// the function registered for Name reads back (see Register).
	Config() map[string]any
}

// AccuracyMetric counts predictions whose most probable class is the
// target's. Targets are class indices (B,) as with sparse cross-entropy, or
// one-hot rows (B, C). A single output — predictions (B, 1), a
// Dense(1, sigmoid)'s probability of class 1 — is scored as BinaryAccuracy
// scores it, 1 if p > 0.5 else 0 against the target. That is the
// resolution Keras applies to "accuracy": binary when the prediction's
// last axis is 1, else sparse or categorical by the targets' shape.
type AccuracyMetric struct{ tally }

// Accuracy returns a new accuracy metric.
func Accuracy() *AccuracyMetric { return &AccuracyMetric{} }

// Name returns "accuracy".
func (a *AccuracyMetric) Name() string { return "accuracy" }

// Clone returns a new accuracy metric.
func (a *AccuracyMetric) Clone() Metric { return Accuracy() }

// Config returns an empty configuration: accuracy has no options.
func (a *AccuracyMetric) Config() map[string]any { return map[string]any{} }

// Update counts the batch's correct predictions. With a single output it
// panics if pred and target differ in size, as BinaryAccuracy does.
func (a *AccuracyMetric) Update(pred, target *tensor.Tensor) {
	b := pred.Len()
	c := pred.Shape[len(pred.Shape)-1]
	if c == 1 {
		mustSameSize(a.Name(), pred, target)
		a.addThresholded(pred, target, DefaultThreshold)
		return
	}
	sparse := target.Shape.Size() == target.Len()
	for i := 0; i < b; i++ {
		p := tensor.Argmax(pred.Data[i*c : i*c+c])
		var y int
		if sparse {
			y = int(target.Data[i])
		} else {
			y = tensor.Argmax(target.Data[i*c : i*c+c])
		}
		if p == y {
			a.correct++
		}
	}
	a.total += b
}

// Label is the integer types AccuracyScore compares.
type Label interface {
	~uint8 | ~int | ~int32 | ~int64
}

// AccuracyScore returns the fraction of positions where yTrue and yPred
// agree, like sklearn.metrics.accuracy_score. It is an error for the two
// to differ in length or be empty.
func AccuracyScore[T, U Label](yTrue []T, yPred []U) (float64, error) {
	if len(yTrue) != len(yPred) {
		return 0, fmt.Errorf("accuracy score: %d true labels but %d predictions", len(yTrue), len(yPred))
	}
	if len(yTrue) == 0 {
		return 0, fmt.Errorf("accuracy score: no labels")
	}
	n := 0
	for i := range yTrue {
		if int64(yTrue[i]) == int64(yPred[i]) {
			n++
		}
	}
	return float64(n) / float64(len(yTrue)), nil
}
