package callbacks

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/tailor-ml/tailor"
)

// EarlyStoppingCallback stops training when a figure has stopped
// improving, as Keras's EarlyStopping does.
type EarlyStoppingCallback struct {
	// Monitor is the figure watched, e.g. "val_loss" or "val_accuracy".
	Monitor string
	// MinDelta is the smallest change that counts as an improvement
	// (default 0).
	MinDelta float64
	// Patience is the number of epochs without improvement after which
	// training stops.
	Patience int
	// Mode is "min", "max", or "auto" (the default): losses are
	// minimised and accuracies, precision and recall maximised, as in
	// Keras 3; any other figure needs "min" or "max".
	Mode string
	// RestoreBestWeights puts back the weights of the best epoch when
	// training ends (OnTrainEnd), whether this callback stopped it or it
	// ran all its epochs, as Keras 3 does (tf.keras 2 restored them only
	// when it stopped training).
	RestoreBestWeights bool
	// Log, when not nil, receives a line when training stops.
	Log io.Writer

	mon      monitor
	st       earlyStoppingState
	restored bool
}

type earlyStoppingState struct {
	Wait         int      `json:"wait"`
	Best         optFloat `json:"best"`
	BestEpoch    int      `json:"best_epoch"`
	StoppedEpoch int      `json:"stopped_epoch"`
	BestWeights  []floats `json:"best_weights,omitempty"`
}

// EarlyStopping returns a callback that stops training once the figure
// monitor has not improved for patience epochs.
func EarlyStopping(monitor string, patience int) *EarlyStoppingCallback {
	return &EarlyStoppingCallback{Monitor: monitor, Patience: patience}
}

// StoppedEpoch is the epoch (from 0) at which training was stopped, or 0
// when it was not.
func (e *EarlyStoppingCallback) StoppedEpoch() int { return e.st.StoppedEpoch }

// BestEpoch is the epoch (from 0) of the best figure so far.
func (e *EarlyStoppingCallback) BestEpoch() int { return e.st.BestEpoch }

// OnTrainBegin checks the settings and starts afresh, unless SetState has
// just restored a state.
func (e *EarlyStoppingCallback) OnTrainBegin(*tailor.Model) error {
	var err error
	if e.mon, err = newMonitor(e.Monitor, e.Mode, e.MinDelta); err != nil {
		return fmt.Errorf("early stopping: %w", err)
	}
	if e.Patience < 0 {
		return fmt.Errorf("early stopping: patience %d", e.Patience)
	}
	if e.restored {
		e.restored = false
		if e.st.Best != e.st.Best { // null: none yet
			e.st.Best = optFloat(e.mon.worst())
		}
		return nil
	}
	e.st = earlyStoppingState{Best: optFloat(e.mon.worst())}
	return nil
}

// OnEpochBegin does nothing.
func (e *EarlyStoppingCallback) OnEpochBegin(*tailor.Model, int) error { return nil }

// OnBatchEnd does nothing.
func (e *EarlyStoppingCallback) OnBatchEnd(*tailor.Model, int, int, float64) error { return nil }

// OnEpochEnd counts the epochs without improvement and stops training
// when there have been Patience of them.
func (e *EarlyStoppingCallback) OnEpochEnd(m *tailor.Model, epoch int, logs tailor.Logs) error {
	current, err := e.mon.value("early stopping", logs)
	if err != nil {
		return err
	}
	if e.RestoreBestWeights && e.st.BestWeights == nil {
		e.st.BestWeights, e.st.BestEpoch = weightsOf(m), epoch
	}
	e.st.Wait++
	if e.mon.improves(current, float64(e.st.Best)) {
		e.st.Best, e.st.BestEpoch, e.st.Wait = optFloat(current), epoch, 0
		if e.RestoreBestWeights {
			e.st.BestWeights = weightsOf(m)
		}
		return nil
	}
	if e.st.Wait >= e.Patience && epoch > 0 {
		e.st.StoppedEpoch = epoch
		m.StopTraining()
		if e.Log != nil {
			fmt.Fprintf(e.Log, "Epoch %d: early stopping\n", epoch+1)
		}
	}
	return nil
}

// OnTrainEnd puts back the best epoch's weights when RestoreBestWeights
// is set, whether training was stopped early or not. It runs, as Keras 3's on_train_end does,
// after Fit has handed over an optimizer's moving average of the weights
// (UseEMA), which would otherwise replace the weights restored.
func (e *EarlyStoppingCallback) OnTrainEnd(m *tailor.Model, _ tailor.Logs) error {
	if !e.RestoreBestWeights || e.st.BestWeights == nil {
		return nil
	}
	if e.Log != nil {
		fmt.Fprintf(e.Log, "Restoring model weights from the end of the best epoch: %d.\n", e.st.BestEpoch+1)
	}
	if err := setWeights(m, e.st.BestWeights); err != nil {
		return fmt.Errorf("early stopping: restoring the best weights: %w", err)
	}
	return nil
}

// State returns the counters, the best figure and, with
// RestoreBestWeights, the best weights.
func (e *EarlyStoppingCallback) State() (json.RawMessage, error) {
	return json.Marshal(e.st)
}

// SetState restores a state State returned.
func (e *EarlyStoppingCallback) SetState(b json.RawMessage) error {
	var st earlyStoppingState
	if err := decodeState("early stopping", b, &st); err != nil {
		return err
	}
	e.st, e.restored = st, true
	return nil
}

// weightsOf copies every weight of the model.
func weightsOf(m *tailor.Model) []floats {
	ws := m.GetWeights()
	out := make([]floats, len(ws))
	for i, w := range ws {
		out[i] = w
	}
	return out
}

// setWeights copies ws back into the model's weights, if they fit,
// through SetWeights, so that inference calls on other goroutines see the
// weights before or after, never part-way.
func setWeights(m *tailor.Model, ws []floats) error {
	vs := make([][]float32, len(ws))
	for i, w := range ws {
		vs[i] = w
	}
	return m.SetWeights(vs)
}
