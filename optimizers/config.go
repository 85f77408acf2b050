package optimizers

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"

	"github.com/tailor-ml/tailor/internal/config"
	"github.com/tailor-ml/tailor/layers"
)

// FromConfig returns the optimizer of the given Keras class name ("Adam",
// "SGD") configured as its Config method describes it, as Keras's
// optimizers.deserialize does. Missing keys take Keras's defaults; unknown
// keys and out-of-range values are errors.
func FromConfig(className string, cfg map[string]any) (Optimizer, error) {
	// A schedule stands where learning_rate would, as Keras serialises it.
	var sched LearningRateSchedule
	if raw, ok := cfg["learning_rate"].(map[string]any); ok {
		var err error
		if sched, err = scheduleFromConfig(raw); err != nil {
			return nil, fmt.Errorf("%s: learning_rate: %w", className, err)
		}
		cfg = maps.Clone(cfg)
		delete(cfg, "learning_rate")
	}
	c := config.New(cfg, "name")
	var (
		opt scheduled
		err error
	)
	switch className {
	case "Adam":
		opt, err = AdamWith(c.Float("learning_rate", 0.001), c.Float("beta_1", 0.9), c.Float("beta_2", 0.999), c.Float("epsilon", 1e-7))
	case "AdamW":
		var a *AdamOptimizer
		if a, err = AdamW(c.Float("learning_rate", 0.001), c.Float("weight_decay", 0.004)); err == nil {
			a.beta1, a.beta2, a.epsilon = c.Float("beta_1", 0.9), c.Float("beta_2", 0.999), c.Float("epsilon", 1e-7)
			if !(a.beta1 >= 0 && a.beta1 < 1) || !(a.beta2 >= 0 && a.beta2 < 1) || !(a.epsilon > 0) {
				err = fmt.Errorf("adamw: want 0 ≤ beta_1, beta_2 < 1 and epsilon > 0; got %g, %g, %g", a.beta1, a.beta2, a.epsilon)
			}
		}
		opt = a
	case "SGD":
		opt, err = SGDW(c.Float("learning_rate", 0.01), c.Float("momentum", 0), c.Bool("nesterov", false), c.Float("weight_decay", 0))
	default:
		return nil, fmt.Errorf("unknown optimizer %q (want Adam, AdamW or SGD)", className)
	}
	if cerr := c.Err(); cerr != nil {
		return nil, fmt.Errorf("%s: %w", className, cerr)
	}
	if err != nil {
		return nil, err
	}
	if sched != nil {
		opt.SetSchedule(sched)
	}
	return opt, nil
}

// scheduled is an optimizer that takes a learning-rate schedule.
type scheduled interface {
	Optimizer
	SetSchedule(LearningRateSchedule)
}

// scheduleFromConfig rebuilds a schedule from its {"class_name",
// "config"} form, checking every value before the constructors see it.
func scheduleFromConfig(raw map[string]any) (LearningRateSchedule, error) {
	name, _ := raw["class_name"].(string)
	cfg, ok := raw["config"].(map[string]any)
	if !ok || len(raw) != 2 {
		return nil, fmt.Errorf("want {\"class_name\", \"config\"}, got %v", raw)
	}
	c := config.New(cfg, "warmup_target")
	var s LearningRateSchedule
	switch name {
	case "ExponentialDecay":
		if _, ok := cfg["warmup_target"]; ok {
			return nil, fmt.Errorf("ExponentialDecay: unknown key warmup_target")
		}
		initial, steps, rate := c.Float("initial_learning_rate", 0), c.Int("decay_steps", 0, 1, math.MaxInt), c.Float("decay_rate", 0)
		staircase := c.Bool("staircase", false)
		if c.Err() == nil && (!(initial > 0) || !(rate > 0)) {
			return nil, fmt.Errorf("ExponentialDecay: initial_learning_rate %g and decay_rate %g must be positive", initial, rate)
		}
		if c.Err() == nil {
			s = ExponentialDecay(initial, int64(steps), rate, staircase)
		}
	case "CosineDecay":
		initial, steps := c.Float("initial_learning_rate", 0), c.Int("decay_steps", 0, 1, math.MaxInt)
		var o CosineDecayOptions
		o.Alpha = c.Float("alpha", 0)
		if v := cfg["warmup_target"]; v != nil { // null: no warm-up
			o.WarmupTarget = config.New(map[string]any{"warmup_target": v}).Float("warmup_target", 0)
		}
		o.WarmupSteps = int64(c.Int("warmup_steps", 0, 0, math.MaxInt))
		if c.Err() == nil && (!(initial >= 0) || !(o.Alpha >= 0 && o.Alpha <= 1) || !(o.WarmupTarget >= 0)) {
			return nil, fmt.Errorf("CosineDecay: initial_learning_rate %g, alpha %g or warmup_target %g out of range", initial, o.Alpha, o.WarmupTarget)
		}
		if c.Err() == nil {
			s = CosineDecay(initial, int64(steps), o)
		}
	default:
		return nil, fmt.Errorf("unknown schedule %q (want ExponentialDecay or CosineDecay)", name)
	}
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// State is what an optimizer remembers between steps: what a checkpoint
// keeps so that training resumes exactly where it stopped.
type State struct {
	// Iterations is the number of steps taken: Adam's t, and where a
	// learning-rate schedule stands.
	Iterations int64
	// Slots maps the name of each per-weight buffer — "m" and "v" for
	// Adam, "velocity" for SGD with momentum — to one buffer per parameter
	// in the order Apply is given them, nil for a non-trainable one. It is
	// empty before the first step.
	Slots map[string][][]float32
}

// Stateful is implemented by the optimizers whose state can be saved and
// restored: Adam and SGD.
type Stateful interface {
	Optimizer
	// State returns a copy of the state.
	State() State
	// SetState replaces the state with a copy of s, checking its buffers
	// against the parameters Apply will be given.
	SetState(s State, params []*layers.Param) error
}

// State returns a copy of Adam's step count and moments.
func (a *AdamOptimizer) State() State {
	s := State{Iterations: a.iterations, Slots: map[string][][]float32{}}
	if a.m != nil {
		s.Slots["m"], s.Slots["v"] = copySlots(a.m), copySlots(a.v)
	}
	return s
}

// SetState restores Adam's step count and moments.
func (a *AdamOptimizer) SetState(s State, params []*layers.Param) error {
	if s.Iterations < 0 {
		return fmt.Errorf("adam: %d iterations", s.Iterations)
	}
	if len(s.Slots) == 0 {
		a.iterations, a.m, a.v = s.Iterations, nil, nil
		return nil
	}
	m, err := checkSlot("adam", s, "m", params)
	if err != nil {
		return err
	}
	v, err := checkSlot("adam", s, "v", params)
	if err != nil {
		return err
	}
	if len(s.Slots) != 2 {
		return fmt.Errorf("adam: state has slots %v, want m and v", slotNames(s))
	}
	a.iterations, a.m, a.v = s.Iterations, copySlots(m), copySlots(v)
	return nil
}

// State returns a copy of SGD's step count and velocities (none without
// momentum).
func (s *SGDOptimizer) State() State {
	st := State{Iterations: s.iterations, Slots: map[string][][]float32{}}
	if s.velocity != nil {
		st.Slots["velocity"] = copySlots(s.velocity)
	}
	return st
}

// SetState restores SGD's step count and velocities.
func (s *SGDOptimizer) SetState(st State, params []*layers.Param) error {
	if st.Iterations < 0 {
		return fmt.Errorf("sgd: %d iterations", st.Iterations)
	}
	if len(st.Slots) == 0 {
		s.iterations, s.velocity = st.Iterations, nil
		return nil
	}
	v, err := checkSlot("sgd", st, "velocity", params)
	if err != nil {
		return err
	}
	if len(st.Slots) != 1 {
		return fmt.Errorf("sgd: state has slots %v, want velocity", slotNames(st))
	}
	if s.momentum == 0 {
		return fmt.Errorf("sgd: state has velocities but the momentum is 0")
	}
	s.iterations, s.velocity = st.Iterations, copySlots(v)
	return nil
}

// checkSlot returns the named slot after checking it has one buffer per
// parameter, of the parameter's size, nil exactly for non-trainable ones.
func checkSlot(opt string, s State, name string, params []*layers.Param) ([][]float32, error) {
	bufs, ok := s.Slots[name]
	if !ok {
		return nil, fmt.Errorf("%s: state has slots %v, no %q", opt, slotNames(s), name)
	}
	if len(bufs) != len(params) {
		return nil, fmt.Errorf("%s: state %q has %d buffers for %d parameters", opt, name, len(bufs), len(params))
	}
	for i, p := range params {
		switch {
		case !p.Trainable() && bufs[i] != nil:
			return nil, fmt.Errorf("%s: state %q has a buffer for non-trainable parameter %d (%s)", opt, name, i, p.Name)
		case p.Trainable() && len(bufs[i]) != len(p.Value.Data):
			return nil, fmt.Errorf("%s: state %q for parameter %d (%s) has %d values, want %d", opt, name, i, p.Name, len(bufs[i]), len(p.Value.Data))
		}
	}
	return bufs, nil
}

func copySlots(bufs [][]float32) [][]float32 {
	out := make([][]float32, len(bufs))
	for i, b := range bufs {
		if b != nil {
			out[i] = slices.Clone(b)
		}
	}
	return out
}

func slotNames(s State) []string {
	var names []string
	for k := range s.Slots {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
