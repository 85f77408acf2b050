package callbacks

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/optimizers"
)

// ReduceLROnPlateauCallback lowers the learning rate when a figure has
// stopped improving, as Keras's ReduceLROnPlateau does.
type ReduceLROnPlateauCallback struct {
	// Monitor is the figure watched, e.g. "val_loss".
	Monitor string
	// Factor multiplies the learning rate at each reduction; 0 < Factor
	// < 1.
	Factor float64
	// Patience is the number of epochs without improvement before a
	// reduction.
	Patience int
	// Mode is "min", "max" or "auto" (the default), as for EarlyStopping.
	Mode string
	// MinDelta is the smallest change that counts as an improvement
	// (default 1e-4).
	MinDelta float64
	// Cooldown is the number of epochs to wait after a reduction before
	// counting again (default 0).
	Cooldown int
	// MinLR is the floor of the learning rate (default 0).
	MinLR float64
	// Log, when not nil, receives a line at each reduction.
	Log io.Writer

	mon      monitor
	st       reduceLRState
	restored bool
}

type reduceLRState struct {
	Wait            int      `json:"wait"`
	Best            optFloat `json:"best"`
	CooldownCounter int      `json:"cooldown_counter"`
}

// ReduceLROnPlateau returns a callback that multiplies the learning rate
// by factor whenever monitor has not improved for patience epochs, with
// Keras's other defaults (min_delta 1e-4, no cooldown, no floor).
func ReduceLROnPlateau(monitor string, factor float64, patience int) *ReduceLROnPlateauCallback {
	return &ReduceLROnPlateauCallback{Monitor: monitor, Factor: factor, Patience: patience, MinDelta: 1e-4}
}

// OnTrainBegin checks the settings and starts afresh, unless SetState has
// just restored a state.
func (r *ReduceLROnPlateauCallback) OnTrainBegin(m *tailor.Model) error {
	var err error
	if r.mon, err = newMonitor(r.Monitor, r.Mode, r.MinDelta); err != nil {
		return fmt.Errorf("reduce lr on plateau: %w", err)
	}
	if !(r.Factor > 0 && r.Factor < 1) || r.Patience < 0 || r.Cooldown < 0 || r.MinLR < 0 {
		return fmt.Errorf("reduce lr on plateau: want 0 < factor < 1 and patience, cooldown, min_lr ≥ 0; got %v, %d, %d, %v", r.Factor, r.Patience, r.Cooldown, r.MinLR)
	}
	if m.Optimizer() == nil {
		return fmt.Errorf("reduce lr on plateau: the model has no optimizer")
	}
	if err := checkFixedRate("reduce lr on plateau", m.Optimizer()); err != nil {
		return err
	}
	if r.restored {
		r.restored = false
		r.st.Best = optFloat(r.st.Best.orWorst(r.mon))
		return nil
	}
	r.st = reduceLRState{Best: optFloat(r.mon.worst())}
	return nil
}

// OnEpochBegin does nothing.
func (r *ReduceLROnPlateauCallback) OnEpochBegin(*tailor.Model, int) error { return nil }

// OnBatchEnd does nothing.
func (r *ReduceLROnPlateauCallback) OnBatchEnd(*tailor.Model, int, int, float64) error { return nil }

// OnEpochEnd counts the epochs without improvement and reduces the rate
// after Patience of them, then waits Cooldown epochs.
func (r *ReduceLROnPlateauCallback) OnEpochEnd(m *tailor.Model, epoch int, logs tailor.Logs) error {
	current, err := r.mon.value("reduce lr on plateau", logs)
	if err != nil {
		return err
	}
	if r.st.CooldownCounter > 0 {
		r.st.CooldownCounter--
		r.st.Wait = 0
	}
	if r.mon.improves(current, float64(r.st.Best)) {
		r.st.Best, r.st.Wait = optFloat(current), 0
		return nil
	}
	if r.st.CooldownCounter > 0 { // still cooling down (Keras checks after the decrement)
		return nil
	}
	r.st.Wait++
	if r.st.Wait < r.Patience {
		return nil
	}
	opt := m.Optimizer()
	if old := opt.LearningRate(); old > r.MinLR {
		lr := max(old*r.Factor, r.MinLR)
		opt.SetLearningRate(lr)
		if r.Log != nil {
			fmt.Fprintf(r.Log, "Epoch %d: ReduceLROnPlateau reducing learning rate to %g.\n", epoch+1, lr)
		}
		r.st.CooldownCounter, r.st.Wait = r.Cooldown, 0
	}
	return nil
}

// OnTrainEnd does nothing.
func (r *ReduceLROnPlateauCallback) OnTrainEnd(*tailor.Model, tailor.Logs) error { return nil }

// State returns the counters and the best figure.
func (r *ReduceLROnPlateauCallback) State() (json.RawMessage, error) { return json.Marshal(r.st) }

// SetState restores a state State returned.
func (r *ReduceLROnPlateauCallback) SetState(b json.RawMessage) error {
	var st reduceLRState
	if err := decodeState("reduce lr on plateau", b, &st); err != nil {
		return err
	}
	r.st, r.restored = st, true
	return nil
}

// checkFixedRate refuses an optimizer whose rate follows a
// LearningRateSchedule: setting a rate would silently replace the
// schedule (Optimizer.SetLearningRate), where Keras refuses to set the
// rate of an optimizer built with one.
func checkFixedRate(who string, opt optimizers.Optimizer) error {
	s, ok := opt.(interface {
		Schedule() optimizers.LearningRateSchedule
	})
	if ok && s.Schedule() != nil {
		return fmt.Errorf("%s: the optimizer's learning rate follows a %s schedule, which setting a rate would replace: give the optimizer a fixed rate, or let the schedule alone set it", who, s.Schedule().Name())
	}
	return nil
}

// LearningRateSchedulerCallback sets the learning rate at the start of
// every epoch from a schedule, as Keras's LearningRateScheduler does.
type LearningRateSchedulerCallback struct {
	tailor.NopCallback
	// Schedule maps the epoch (from 0) and the current rate to the
	// epoch's rate.
	Schedule func(epoch int, lr float64) float64
	// Log, when not nil, receives the rate of every epoch.
	Log io.Writer
}

// LearningRateScheduler returns a callback that sets the learning rate to
// schedule(epoch, lr) as each epoch begins. An epoch resumed part-way
// through has begun already and keeps the rate it had.
func LearningRateScheduler(schedule func(epoch int, lr float64) float64) *LearningRateSchedulerCallback {
	return &LearningRateSchedulerCallback{Schedule: schedule}
}

// OnEpochBegin applies the schedule.
func (s *LearningRateSchedulerCallback) OnEpochBegin(m *tailor.Model, epoch int) error {
	opt := m.Optimizer()
	if opt == nil || s.Schedule == nil {
		return fmt.Errorf("learning rate scheduler: no optimizer or no schedule")
	}
	if err := checkFixedRate("learning rate scheduler", opt); err != nil {
		return err
	}
	lr := s.Schedule(epoch, opt.LearningRate())
	// 0 is a rate, as for SetLearningRate: a warm-up may start from it.
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("learning rate scheduler: the schedule gave %v for epoch %d, want a finite rate ≥ 0", lr, epoch+1)
	}
	opt.SetLearningRate(lr)
	if s.Log != nil {
		fmt.Fprintf(s.Log, "Epoch %d: LearningRateScheduler setting learning rate to %g.\n", epoch+1, lr)
	}
	return nil
}
