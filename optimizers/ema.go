package optimizers

import (
	"fmt"
	"math"

	"github.com/tailor-ml/tailor/config"
	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/params"
)

// ema is Keras's use_ema: an exponential moving average of the trainable
// weights, kept beside them and updated after every step,
//
//	average = w after the first step (the first with UseEMA)
//	average = μ·average + (1−μ)·w after each later one
//
// with μ the EMA momentum. Training moves the weights, not the average;
// FinalizeVariableValues copies the average into the weights, as Fit does
// when it ends, and every overwriteEvery steps the weights are replaced by
// the average during training too (Keras's ema_overwrite_frequency; 0:
// never).
type ema struct {
	on             bool
	momentum       float64
	overwriteEvery int64
	average        []float32 // one per trainable weight of the arena, from the first step
}

// DefaultEMAMomentum is Keras's ema_momentum.
const DefaultEMAMomentum = 0.99

// UseEMA makes the optimizer keep an exponential moving average of the
// trainable weights with the given momentum, in [0, 1) (Keras's default is
// DefaultEMAMomentum), which Fit copies into the weights when it ends
// (FinalizeVariableValues). With overwriteEvery > 0 the weights are also
// replaced by their average every overwriteEvery steps. Call it before
// training; once an average is kept it cannot be changed.
func (e *ema) UseEMA(momentum float64, overwriteEvery int64) error {
	if !(momentum >= 0 && momentum < 1) || overwriteEvery < 0 {
		return fmt.Errorf("ema_momentum %g must lie in [0, 1) and ema_overwrite_frequency %d must not be negative", momentum, overwriteEvery)
	}
	if e.average != nil {
		return fmt.Errorf("use_ema: the optimizer already keeps an average of the weights")
	}
	e.on, e.momentum, e.overwriteEvery = true, momentum, overwriteEvery
	return nil
}

// EMA reports whether the optimizer keeps a moving average of the weights,
// and its momentum and overwrite frequency.
func (e *ema) EMA() (on bool, momentum float64, overwriteEvery int64) {
	return e.on, e.momentum, e.overwriteEvery
}

// updateAverage folds the weights after step number iterations (counting
// from 1) into the average — the first it sees becomes the average — and
// overwrites the weights with it when the overwrite frequency says so.
func (e *ema) updateAverage(values []float32, iterations int64) {
	if !e.on {
		return
	}
	momentum := float32(e.momentum)
	if e.average == nil {
		e.average = kernels.NewStream(len(values), kernels.StreamAverage)
		momentum = 0 // as Keras: the first average is the weights
	}
	checkArena("ema", len(e.average), len(values))
	kernels.MovingAverage(e.average, values, momentum)
	if e.overwriteEvery > 0 && iterations%e.overwriteEvery == 0 {
		copy(values, e.average)
	}
}

// FinalizeVariableValues copies the moving average of the weights into the
// trainable weights of w, as Keras's finalize_variable_values does; Fit
// calls it when training ends. It does nothing without use_ema or before
// the first step.
func (e *ema) FinalizeVariableValues(w *params.Arena) {
	if e.average == nil {
		return
	}
	values, _ := w.Trainable()
	checkArena("ema", len(e.average), len(values))
	copy(values, e.average)
}

// config adds use_ema, ema_momentum and ema_overwrite_frequency (null for
// never) to an optimizer's configuration when the average is kept.
func (e *ema) config(cfg map[string]any) map[string]any {
	if !e.on {
		return cfg
	}
	cfg["use_ema"], cfg["ema_momentum"] = true, e.momentum
	cfg["ema_overwrite_frequency"] = nil
	if e.overwriteEvery > 0 {
		cfg["ema_overwrite_frequency"] = e.overwriteEvery
	}
	return cfg
}

// state adds the average, once there is one, to s as the slot "average".
func (e *ema) state(s State, w *params.Arena) {
	if e.average != nil {
		s.Slots["average"] = byPath(e.average, w)
	}
}

// slots returns an optimizer's slot names, given those of its update,
// with "average" when the average is kept.
func (e *ema) slots(names ...string) []string {
	if e.on {
		names = append(names, "average")
	}
	return names
}

// setState restores the average from a state that checkSlots accepted
// for e.slots.
func (e *ema) setState(s State, w *params.Arena) {
	e.average = nil
	if e.on {
		e.average = flatten(s.Slots["average"], w, kernels.StreamAverage)
	}
}

// emaUser is an optimizer that can keep a moving average of the weights.
type emaUser interface {
	UseEMA(momentum float64, overwriteEvery int64) error
}

// readEMA reads use_ema, ema_momentum and ema_overwrite_frequency, with
// Keras's defaults (false, 0.99, null), into o.
func readEMA(c *config.Reader, o emaUser) error {
	use := c.Bool("use_ema", false)
	momentum := c.Float("ema_momentum", DefaultEMAMomentum)
	every := 0
	if v, _ := c.Value("ema_overwrite_frequency"); v != nil { // null: never
		every = c.Int("ema_overwrite_frequency", 0, 1, math.MaxInt)
	}
	if !use {
		return nil
	}
	return o.UseEMA(momentum, int64(every))
}

// Finalizer is implemented by the optimizers that can keep a moving
// average of the weights (UseEMA): Fit calls FinalizeVariableValues when
// training ends, as Keras's fit does.
type Finalizer interface {
	FinalizeVariableValues(w *params.Arena)
}
