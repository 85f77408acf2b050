package optimizers

import (
	"fmt"
	"math"
)

// LearningRateSchedule gives the learning rate of every step, as Keras's
// keras.optimizers.schedules do. An optimizer given one through SetSchedule
// asks it for the rate of each step, counting from 0, instead of using a
// fixed rate:
//
//	steps := int64(epochs * stepsPerEpoch)
//	opt := optimizers.Adam()
//	opt.SetSchedule(optimizers.CosineDecay(1e-3, steps))
type LearningRateSchedule interface {
	// Rate is the learning rate of step (0 for the first).
	Rate(step int64) float64
	// Name is the Keras class name, e.g. "CosineDecay".
	Name() string
	// Config is the schedule's configuration with Keras's key names.
	Config() map[string]any
}

// ExponentialDecaySchedule decays the rate by decayRate every decaySteps
// steps: lr(step) = initial · decayRate^(step/decaySteps), with the
// exponent rounded down when staircase is set.
type ExponentialDecaySchedule struct {
	initial    float64
	decaySteps int64
	decayRate  float64
	staircase  bool
}

// ExponentialDecay returns Keras's ExponentialDecay schedule. It panics if
// initial or decayRate is not finite and positive, or decaySteps ≤ 0: those
// are programming errors, not data.
func ExponentialDecay(initial float64, decaySteps int64, decayRate float64, staircase bool) *ExponentialDecaySchedule {
	if !finitePositive(initial) || decaySteps <= 0 || !finitePositive(decayRate) {
		panic(fmt.Sprintf("optimizers: ExponentialDecay(%g, %d, %g): want a positive rate, steps and decay rate", initial, decaySteps, decayRate))
	}
	return &ExponentialDecaySchedule{initial: initial, decaySteps: decaySteps, decayRate: decayRate, staircase: staircase}
}

// Rate returns initial · decayRate^(step/decaySteps).
func (s *ExponentialDecaySchedule) Rate(step int64) float64 {
	p := float64(step) / float64(s.decaySteps)
	if s.staircase {
		p = math.Floor(p)
	}
	return s.initial * math.Pow(s.decayRate, p)
}

// Name returns "ExponentialDecay".
func (s *ExponentialDecaySchedule) Name() string { return "ExponentialDecay" }

// Config returns initial_learning_rate, decay_steps, decay_rate and
// staircase.
func (s *ExponentialDecaySchedule) Config() map[string]any {
	return map[string]any{"initial_learning_rate": s.initial, "decay_steps": s.decaySteps, "decay_rate": s.decayRate, "staircase": s.staircase}
}

// CosineDecayOptions are CosineDecay's keyword arguments; the zero value is
// Keras's default.
type CosineDecayOptions struct {
	// Alpha is the floor of the decay, as a fraction of the rate it
	// starts from (default 0).
	Alpha float64
	// WarmupTarget, when positive, is the rate reached at the end of a
	// linear warm-up from the initial rate; the cosine then starts from it.
	WarmupTarget float64
	// WarmupSteps is the length of the warm-up (default 0: none).
	WarmupSteps int64
}

// CosineDecaySchedule follows half a cosine from its starting rate down to
// alpha times it over decaySteps steps, after an optional linear warm-up,
// as Keras's CosineDecay does:
//
//	step < w:  lr = initial + (target − initial)·step/w
//	else:      f = min(step − w, decaySteps)/decaySteps
//	           lr = start·((1−alpha)·½(1 + cos πf) + alpha)
//
// where w is WarmupSteps and start is the warm-up target, or the initial
// rate without warm-up. After decaySteps it stays at alpha·start.
type CosineDecaySchedule struct {
	initial    float64
	decaySteps int64
	opts       CosineDecayOptions
}

// CosineDecay returns Keras's CosineDecay schedule. It panics if initial
// is negative or not finite, decaySteps ≤ 0, or the options are out of
// range (alpha outside [0, 1], a negative warm-up, an infinite or NaN
// warm-up target).
func CosineDecay(initial float64, decaySteps int64, opts ...CosineDecayOptions) *CosineDecaySchedule {
	var o CosineDecayOptions
	if len(opts) > 0 {
		o = opts[len(opts)-1]
	}
	if !finiteNonNegative(initial) || decaySteps <= 0 || !(o.Alpha >= 0 && o.Alpha <= 1) || o.WarmupSteps < 0 || !finiteNonNegative(o.WarmupTarget) {
		panic(fmt.Sprintf("optimizers: CosineDecay(%g, %d, %+v): out of range", initial, decaySteps, o))
	}
	return &CosineDecaySchedule{initial: initial, decaySteps: decaySteps, opts: o}
}

// Rate returns the warmed-up, cosine-decayed rate of step.
func (s *CosineDecaySchedule) Rate(step int64) float64 {
	start, w := s.initial, s.opts.WarmupSteps
	if s.opts.WarmupTarget > 0 {
		start = s.opts.WarmupTarget
		if step < w {
			return s.initial + (start-s.initial)*float64(step)/float64(w)
		}
	} else {
		w = 0
	}
	f := float64(min(step-w, s.decaySteps)) / float64(s.decaySteps)
	return start * ((1-s.opts.Alpha)*0.5*(1+math.Cos(math.Pi*f)) + s.opts.Alpha)
}

// Name returns "CosineDecay".
func (s *CosineDecaySchedule) Name() string { return "CosineDecay" }

// Config returns initial_learning_rate, decay_steps, alpha, warmup_target
// (nil without warm-up) and warmup_steps.
func (s *CosineDecaySchedule) Config() map[string]any {
	var target any
	if s.opts.WarmupTarget > 0 {
		target = s.opts.WarmupTarget
	}
	return map[string]any{"initial_learning_rate": s.initial, "decay_steps": s.decaySteps, "alpha": s.opts.Alpha,
		"warmup_target": target, "warmup_steps": s.opts.WarmupSteps}
}

// scheduleConfig is how an optimizer's Config records a schedule in place
// of a fixed learning_rate, as Keras serialises one.
func scheduleConfig(s LearningRateSchedule) map[string]any {
	return map[string]any{"class_name": s.Name(), "config": s.Config()}
}
