package metrics

import "fmt"

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

// State returns the counts of correct and of all predictions.
func (a *AccuracyMetric) State() []float64 { return []float64{float64(a.correct), float64(a.total)} }

// SetState restores the counts.
func (a *AccuracyMetric) SetState(s []float64) error {
	if len(s) != 2 || s[0] < 0 || s[1] < s[0] || s[0] != float64(int(s[0])) || s[1] != float64(int(s[1])) {
		return fmt.Errorf("accuracy: state %v, want [correct, total] counts", s)
	}
	a.correct, a.total = int(s[0]), int(s[1])
	return nil
}
