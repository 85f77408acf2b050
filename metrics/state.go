package metrics

import (
	"fmt"

	"github.com/tailor-ml/tailor/tensor"
)

// Stateful is implemented by metrics whose running state can be saved and
// restored, so that an epoch interrupted by a checkpoint reports, once
// resumed, the figure an uninterrupted epoch would have.
type Stateful interface {
	Metric
	// State returns the running state.
	State() []float64
	// SetState restores a state State returned.
	SetState(s []float64) error
}

// tally counts the correct predictions among all: the state of Accuracy,
// BinaryAccuracy and the top-k accuracies.
type tally struct{ correct, total int }

// Reset clears the counts.
func (t *tally) Reset() { t.correct, t.total = 0, 0 }

// Result returns the fraction correct, 0 before any update.
func (t *tally) Result() float64 { return ratio(t.correct, t.total) }

// addThresholded counts the outputs where [p > threshold] = y, the
// predictions and targets being the same size: binary accuracy.
func (t *tally) addThresholded(pred, target *tensor.Tensor, threshold float64) {
	for i, p := range pred.Data {
		var c float32
		if float64(p) > threshold {
			c = 1
		}
		if c == target.Data[i] {
			t.correct++
		}
	}
	t.total += len(pred.Data)
}

// State returns the counts of correct and of all predictions.
func (t *tally) State() []float64 { return []float64{float64(t.correct), float64(t.total)} }

// setState restores the counts State returned, naming the metric in its
// errors.
func (t *tally) setState(name string, s []float64) error {
	c, err := counts(name, "[correct, total]", s, 2)
	if err != nil {
		return err
	}
	if c[0] > c[1] {
		return fmt.Errorf("%s: state %v has more correct than total", name, s)
	}
	t.correct, t.total = c[0], c[1]
	return nil
}

// SetState restores the counts State returned.
func (a *AccuracyMetric) SetState(s []float64) error { return a.setState(a.Name(), s) }
