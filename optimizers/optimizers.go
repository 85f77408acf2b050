// Package optimizers holds the update rules that turn gradients into new
// weights, under their Keras names and with Keras's defaults: Adam, AdamW,
// SGD and SGDW, and the learning-rate schedules they can follow.
//
// An optimizer updates a model's whole params.Arena in one pass per step:
// its trainable weights and their gradients are two contiguous buffers,
// and the optimizer's per-weight state (moments, velocities) is allocated
// on the first step as buffers of the same length, reused after. That
// state is saved and restored by weight path ("dense/kernel"; see State),
// never by position.
package optimizers

import (
	"errors"
	"fmt"
	"math"

	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/params"
)

// Optimizer updates trainable parameters from their gradients.
type Optimizer interface {
	// Name is the Keras class name, e.g. "Adam".
	Name() string
	// Apply performs one update step on every trainable weight of w. An
	// optimizer serves one model: every call is given the same arena.
	Apply(w *params.Arena)
	// LearningRate is the rate the next step will use.
	LearningRate() float64
	// SetLearningRate changes the rate, as callbacks such as
	// ReduceLROnPlateau do. 0 is a rate (the weights stay put); Fit
	// refuses to start with a rate that is NaN, infinite or negative.
	SetLearningRate(lr float64)
	// Config is the optimizer's configuration with Keras's key names.
	Config() map[string]any
}

// rate is an optimizer's learning rate — fixed, or a schedule's for each
// step — and the number of steps it has taken.
type rate struct {
	lr         float64
	schedule   LearningRateSchedule
	iterations int64
}

// LearningRate returns the rate the next step will use: the schedule's for
// that step when one is set, else the fixed rate.
func (r *rate) LearningRate() float64 {
	if r.schedule != nil {
		return r.schedule.Rate(r.iterations)
	}
	return r.lr
}

// SetLearningRate sets a fixed learning rate, replacing any schedule.
func (r *rate) SetLearningRate(lr float64) { r.lr, r.schedule = lr, nil }

// SetSchedule makes every step take its learning rate from s, counting
// steps from the optimizer's iterations; nil returns to the fixed rate.
func (r *rate) SetSchedule(s LearningRateSchedule) { r.schedule = s }

// Schedule returns the learning-rate schedule, or nil.
func (r *rate) Schedule() LearningRateSchedule { return r.schedule }

// Iterations is the number of steps taken so far.
func (r *rate) Iterations() int64 { return r.iterations }

// rateConfig is learning_rate's configuration: the fixed rate, or the
// schedule's {"class_name", "config"}, as Keras serialises it.
func (r *rate) rateConfig() any {
	if r.schedule != nil {
		return scheduleConfig(r.schedule)
	}
	return r.lr
}

// Binder is implemented by the optimizers that keep state for each weight
// (Adam, SGD): Bind ties the optimizer to the arena of the model it
// updates, and is an error once it is tied to another, since an optimizer
// serves one model — as in Keras, where an optimizer refuses variables it
// was not built for. Fit and TrainOnBatch call it before training.
type Binder interface {
	Bind(w *params.Arena) error
}

// binding is the arena an optimizer updates, nil until it is bound.
type binding struct{ arena *params.Arena }

// Bind ties the optimizer to w, or returns an error when it updates
// another model's weights already.
func (b *binding) Bind(w *params.Arena) error {
	if b.arena != nil && b.arena != w {
		return errors.New("the optimizer updates another model's weights already: give each model an optimizer of its own")
	}
	b.arena = w
	return nil
}

// AdamOptimizer implements Adam (Kingma & Ba) as Keras does, with ε added
// to √v outside the bias correction.
type AdamOptimizer struct {
	rate
	ema
	binding
	beta1, beta2, epsilon float64
	weightDecay           float64   // AdamW's decoupled weight decay; 0 for Adam
	m, v                  []float32 // one moment per trainable weight of the arena
}

// finitePositive reports whether x is a real number above 0: what the
// constructors ask of a learning rate.
func finitePositive(x float64) bool { return x > 0 && !math.IsInf(x, 1) }

// finiteNonNegative reports whether x is a real number ≥ 0: what they ask
// of a weight decay.
func finiteNonNegative(x float64) bool { return x >= 0 && !math.IsInf(x, 1) }

// Adam returns Adam with Keras's defaults: learning rate 0.001, β1 0.9,
// β2 0.999, ε 1e-7.
func Adam() *AdamOptimizer {
	return &AdamOptimizer{rate: rate{lr: 0.001}, beta1: 0.9, beta2: 0.999, epsilon: 1e-7}
}

// AdamWith returns Adam with the given hyperparameters. It is an error for
// them to lie outside 0 < lr < ∞, 0 ≤ β < 1, ε > 0.
func AdamWith(lr, beta1, beta2, epsilon float64) (*AdamOptimizer, error) {
	if !finitePositive(lr) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0) {
		return nil, fmt.Errorf("adam: want a finite learning_rate > 0, 0 ≤ beta_1, beta_2 < 1 and epsilon > 0; got %g, %g, %g, %g", lr, beta1, beta2, epsilon)
	}
	return &AdamOptimizer{rate: rate{lr: lr}, beta1: beta1, beta2: beta2, epsilon: epsilon}, nil
}

// AdamW returns Adam with decoupled weight decay (Loshchilov & Hutter), as
// Keras's AdamW: before each Adam step every trainable weight is shrunk,
// w = w − lr·weightDecay·w. Keras's defaults are lr 0.001 and weight decay
// 0.004; β1, β2 and ε are Adam's. It is an error for lr or the weight
// decay to be NaN or infinite, for lr ≤ 0 or a negative weight decay.
func AdamW(lr, weightDecay float64) (*AdamOptimizer, error) {
	if !finitePositive(lr) || !finiteNonNegative(weightDecay) {
		return nil, fmt.Errorf("adamw: want a finite learning_rate > 0 and a finite weight_decay ≥ 0; got %g, %g", lr, weightDecay)
	}
	return &AdamOptimizer{rate: rate{lr: lr}, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: weightDecay}, nil
}

// Name returns "Adam", or "AdamW" with weight decay.
func (a *AdamOptimizer) Name() string {
	if a.weightDecay != 0 {
		return "AdamW"
	}
	return "Adam"
}

// Apply performs one Adam step:
//
//	t = t + 1;  lr_t = lr·√(1−β2ᵗ)/(1−β1ᵗ)
//	m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  w = w − lr_t·m/(√v + ε)
//
// over every trainable weight w of the arena, in one pass.
func (a *AdamOptimizer) Apply(w *params.Arena) {
	values, grads := w.Trainable()
	if a.m == nil {
		a.m, a.v = kernels.NewStream(len(values), kernels.StreamMoment1), kernels.NewStream(len(values), kernels.StreamMoment2)
	}
	checkArena("adam", len(a.m), len(values))
	lr := a.LearningRate()
	a.iterations++
	t := float64(a.iterations)
	lrT := lr * math.Sqrt(1-math.Pow(a.beta2, t)) / (1 - math.Pow(a.beta1, t))
	// AdamW's decay is fused into the same pass (1 for plain Adam).
	decay := float32(1 - lr*a.weightDecay)
	kernels.AdamWUpdate(values, grads, a.m, a.v, float32(lrT), float32(a.beta1), float32(a.beta2), float32(a.epsilon), decay)
	a.updateAverage(values, a.iterations)
}

// checkArena panics when an optimizer's state does not fit the arena it is
// given: an optimizer was shared between models, a programming error.
func checkArena(opt string, state, weights int) {
	if state != weights {
		panic(fmt.Sprintf("optimizers: %s holds state for %d weights but was given %d: an optimizer serves one model", opt, state, weights))
	}
}

// Config returns learning_rate, beta_1, beta_2 and epsilon, for AdamW
// weight_decay, and with UseEMA use_ema, ema_momentum and
// ema_overwrite_frequency. With a schedule, learning_rate is the
// schedule's {"class_name", "config"}, as Keras serialises it.
func (a *AdamOptimizer) Config() map[string]any {
	cfg := map[string]any{"name": a.Name(), "learning_rate": a.rateConfig(), "beta_1": a.beta1, "beta_2": a.beta2, "epsilon": a.epsilon}
	if a.weightDecay != 0 {
		cfg["weight_decay"] = a.weightDecay
	}
	return a.ema.config(cfg)
}

// SGDOptimizer is stochastic gradient descent with optional (Nesterov)
// momentum and decoupled weight decay.
type SGDOptimizer struct {
	rate
	ema
	binding
	momentum, weightDecay float64
	nesterov              bool
	velocity              []float32 // one per trainable weight, with momentum only
}

// SGD returns plain gradient descent with Keras's default learning rate
// 0.01. Use SGDWith for momentum.
func SGD() *SGDOptimizer { return &SGDOptimizer{rate: rate{lr: 0.01}} }

// SGDWith returns SGD with the given learning rate and momentum, Nesterov's
// variant when nesterov is true. It is an error for lr to be NaN, infinite
// or ≤ 0, or momentum outside [0, 1).
func SGDWith(lr, momentum float64, nesterov bool) (*SGDOptimizer, error) {
	if !finitePositive(lr) || !(momentum >= 0 && momentum < 1) {
		return nil, fmt.Errorf("sgd: want a finite learning_rate > 0 and 0 ≤ momentum < 1; got %g, %g", lr, momentum)
	}
	return &SGDOptimizer{rate: rate{lr: lr}, momentum: momentum, nesterov: nesterov}, nil
}

// SGDW returns SGDWith's optimizer with decoupled weight decay (Loshchilov
// & Hutter's SGDW), as Keras's SGD(weight_decay=…): before each step every
// trainable weight is shrunk, w = w − lr·weightDecay·w. It is an error for
// the weight decay to be negative, NaN or infinite.
func SGDW(lr, momentum float64, nesterov bool, weightDecay float64) (*SGDOptimizer, error) {
	s, err := SGDWith(lr, momentum, nesterov)
	if err != nil {
		return nil, err
	}
	if !finiteNonNegative(weightDecay) {
		return nil, fmt.Errorf("sgd: want a finite weight_decay ≥ 0; got %g", weightDecay)
	}
	s.weightDecay = weightDecay
	return s, nil
}

// Name returns "SGD".
func (s *SGDOptimizer) Name() string { return "SGD" }

// Apply performs one step: v = μ·v − lr·g, then w = w + v, or with
// Nesterov w = w + μ·v − lr·g; with weight decay w is first shrunk by
// lr·weightDecay·w.
func (s *SGDOptimizer) Apply(w *params.Arena) {
	values, grads := w.Trainable()
	if s.velocity == nil && s.momentum != 0 {
		s.velocity = kernels.NewStream(len(values), kernels.StreamMoment1)
	}
	if s.velocity != nil {
		checkArena("sgd", len(s.velocity), len(values))
	}
	lr := float32(s.LearningRate())
	s.iterations++
	kernels.SGDWUpdate(values, grads, s.velocity, lr, float32(s.momentum), s.nesterov, 1-lr*float32(s.weightDecay))
	s.updateAverage(values, s.iterations)
}

// Config returns learning_rate, momentum and nesterov, weight_decay when
// it is set, and the moving average's keys with UseEMA.
func (s *SGDOptimizer) Config() map[string]any {
	cfg := map[string]any{"name": "SGD", "learning_rate": s.rateConfig(), "momentum": s.momentum, "nesterov": s.nesterov}
	if s.weightDecay != 0 {
		cfg["weight_decay"] = s.weightDecay
	}
	return s.ema.config(cfg)
}
