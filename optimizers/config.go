package optimizers

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/tailor-ml/tailor/config"
	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/params"
)

// registry and schedules hold the classes a model file may name.
var (
	registry  = config.NewRegistry[Optimizer]("optimizer")
	schedules = config.NewRegistry[LearningRateSchedule]("learning-rate schedule")
)

// Register makes model files able to name the optimizer class className
// (what its Name method returns): fromConfig builds the optimizer from the
// configuration its Config method returned, learning_rate excepted when it
// is a schedule (FromConfig reads schedules itself and gives them to the
// optimizer through SetSchedule). It panics if className is already
// registered; call it from an init function. The built-in optimizers
// register themselves the same way.
func Register(className string, fromConfig config.FromConfig[Optimizer]) {
	registry.Register(className, fromConfig)
}

// RegisterSchedule makes model files able to name the learning-rate
// schedule class className, as Register does for optimizers.
func RegisterSchedule(className string, fromConfig config.FromConfig[LearningRateSchedule]) {
	schedules.Register(className, fromConfig)
}

// FromConfig returns the optimizer of the given Keras class name ("Adam",
// "SGD", ...) configured as its Config method describes it, as Keras's
// optimizers.deserialize does. Missing keys take Keras's defaults; unknown
// classes, unknown keys and out-of-range values are errors.
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
	if !registry.Has(className) {
		return nil, fmt.Errorf("unknown optimizer %q (registered: %s)", className, strings.Join(registry.Names(), ", "))
	}
	opt, err := registry.New(className, cfg, "name")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", className, err)
	}
	if sched != nil {
		s, ok := opt.(scheduled)
		if !ok {
			return nil, fmt.Errorf("%s: learning_rate is a schedule, but the optimizer takes none", className)
		}
		s.SetSchedule(sched)
	}
	return opt, nil
}

func init() {
	Register("Adam", func(c *config.Reader) (Optimizer, error) {
		a, err := AdamWith(c.Float("learning_rate", 0.001), c.Float("beta_1", 0.9), c.Float("beta_2", 0.999), c.Float("epsilon", 1e-7))
		if err != nil {
			return nil, err
		}
		return a, readEMA(c, a)
	})
	Register("AdamW", func(c *config.Reader) (Optimizer, error) {
		a, err := AdamW(c.Float("learning_rate", 0.001), c.Float("weight_decay", 0.004))
		if err != nil {
			return nil, err
		}
		a.beta1, a.beta2, a.epsilon = c.Float("beta_1", 0.9), c.Float("beta_2", 0.999), c.Float("epsilon", 1e-7)
		if !(a.beta1 >= 0 && a.beta1 < 1) || !(a.beta2 >= 0 && a.beta2 < 1) || !(a.epsilon > 0) {
			return nil, fmt.Errorf("adamw: want 0 ≤ beta_1, beta_2 < 1 and epsilon > 0; got %g, %g, %g", a.beta1, a.beta2, a.epsilon)
		}
		return a, readEMA(c, a)
	})
	Register("SGD", func(c *config.Reader) (Optimizer, error) {
		s, err := SGDW(c.Float("learning_rate", 0.01), c.Float("momentum", 0), c.Bool("nesterov", false), c.Float("weight_decay", 0))
		if err != nil {
			return nil, err
		}
		return s, readEMA(c, s)
	})
	RegisterSchedule("ExponentialDecay", func(c *config.Reader) (LearningRateSchedule, error) {
		initial, steps, rate := c.Float("initial_learning_rate", 0), c.Int("decay_steps", 0, 1, math.MaxInt), c.Float("decay_rate", 0)
		staircase := c.Bool("staircase", false)
		if !finitePositive(initial) || !finitePositive(rate) {
			return nil, fmt.Errorf("initial_learning_rate %g and decay_rate %g must be finite and positive", initial, rate)
		}
		return ExponentialDecay(initial, int64(steps), rate, staircase), nil
	})
	RegisterSchedule("CosineDecay", func(c *config.Reader) (LearningRateSchedule, error) {
		initial, steps := c.Float("initial_learning_rate", 0), c.Int("decay_steps", 0, 1, math.MaxInt)
		var o CosineDecayOptions
		o.Alpha = c.Float("alpha", 0)
		if v, _ := c.Value("warmup_target"); v != nil { // null: no warm-up
			o.WarmupTarget = c.Float("warmup_target", 0)
		}
		o.WarmupSteps = int64(c.Int("warmup_steps", 0, 0, math.MaxInt))
		if !finiteNonNegative(initial) || !(o.Alpha >= 0 && o.Alpha <= 1) || !finiteNonNegative(o.WarmupTarget) {
			return nil, fmt.Errorf("initial_learning_rate %g, alpha %g or warmup_target %g out of range", initial, o.Alpha, o.WarmupTarget)
		}
		return CosineDecay(initial, int64(steps), o), nil
	})
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
	if !schedules.Has(name) {
		return nil, fmt.Errorf("unknown schedule %q (registered: %s)", name, strings.Join(schedules.Names(), ", "))
	}
	s, err := schedules.New(name, cfg)
	if err != nil {
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
	// Adam, "velocity" for SGD with momentum, and "average" for the
	// moving average of the weights with UseEMA — to that buffer's values
	// for every trainable weight, keyed by the weight's path
	// ("dense/kernel"). It is empty before the first step.
	Slots map[string]map[string][]float32
}

// Stateful is implemented by the optimizers whose state can be saved and
// restored: Adam and SGD.
type Stateful interface {
	Optimizer
	// State returns a copy of the state, the weights of w naming its
	// buffers.
	State(w *params.Arena) State
	// SetState replaces the state with a copy of s, checking that it holds
	// exactly one buffer of the right size per trainable weight of w.
	SetState(s State, w *params.Arena) error
}

// State returns a copy of Adam's step count, moments and moving average.
func (a *AdamOptimizer) State(w *params.Arena) State {
	s := State{Iterations: a.iterations, Slots: map[string]map[string][]float32{}}
	if a.m != nil {
		s.Slots["m"], s.Slots["v"] = byPath(a.m, w), byPath(a.v, w)
	}
	a.ema.state(s, w)
	return s
}

// SetState restores Adam's step count, moments and moving average.
func (a *AdamOptimizer) SetState(s State, w *params.Arena) error {
	if s.Iterations < 0 {
		return fmt.Errorf("adam: %d iterations", s.Iterations)
	}
	if len(s.Slots) == 0 {
		if s.Iterations > 0 {
			// the moments would start again from 0 under a bias correction
			// for step t: steps far larger than the learning rate
			return fmt.Errorf("adam: state of %d steps but no moments (m, v): want both, or 0 steps", s.Iterations)
		}
		a.iterations, a.m, a.v, a.average, a.arena = 0, nil, nil, nil, w
		return nil
	}
	if err := checkSlots("adam", s, w, a.ema.slots("m", "v")...); err != nil {
		return err
	}
	a.iterations, a.m, a.v = s.Iterations, flatten(s.Slots["m"], w, kernels.StreamMoment1), flatten(s.Slots["v"], w, kernels.StreamMoment2)
	a.ema.setState(s, w)
	a.arena = w // the state restored is w's
	return nil
}

// State returns a copy of SGD's step count, velocities (none without
// momentum) and moving average.
func (s *SGDOptimizer) State(w *params.Arena) State {
	st := State{Iterations: s.iterations, Slots: map[string]map[string][]float32{}}
	if s.velocity != nil {
		st.Slots["velocity"] = byPath(s.velocity, w)
	}
	s.ema.state(st, w)
	return st
}

// SetState restores SGD's step count, velocities and moving average.
func (s *SGDOptimizer) SetState(st State, w *params.Arena) error {
	if st.Iterations < 0 {
		return fmt.Errorf("sgd: %d iterations", st.Iterations)
	}
	if _, ok := st.Slots["velocity"]; ok && s.momentum == 0 {
		return fmt.Errorf("sgd: state has velocities but the momentum is 0")
	}
	names := s.ema.slots()
	if s.momentum != 0 {
		names = s.ema.slots("velocity")
	}
	// Before the first step there are no buffers; plain SGD keeps none.
	if len(st.Slots) == 0 && (st.Iterations == 0 || len(names) == 0) {
		s.iterations, s.velocity, s.average, s.arena = st.Iterations, nil, nil, w
		return nil
	}
	if err := checkSlots("sgd", st, w, names...); err != nil {
		return err
	}
	s.iterations, s.velocity = st.Iterations, nil
	if s.momentum != 0 {
		s.velocity = flatten(st.Slots["velocity"], w, kernels.StreamMoment1)
	}
	s.ema.setState(st, w)
	s.arena = w // the state restored is w's
	return nil
}

// byPath copies a buffer laid out like the arena's trainable weights into
// one slice per weight, keyed by path.
func byPath(buf []float32, w *params.Arena) map[string][]float32 {
	out := map[string][]float32{}
	for _, p := range w.Params() {
		if !p.Trainable() {
			continue
		}
		_, off := w.Lookup(p.Path())
		out[p.Path()] = slices.Clone(buf[off : off+len(p.Value.Data)])
	}
	return out
}

// flatten is byPath's inverse, for slots checkSlots accepted, into a new
// buffer allocated as the given kernels stream.
func flatten(slot map[string][]float32, w *params.Arena, stream int) []float32 {
	values, _ := w.Trainable()
	buf := kernels.NewStream(len(values), stream)
	for path, vs := range slot {
		_, off := w.Lookup(path)
		copy(buf[off:], vs)
	}
	return buf
}

// checkSlots requires exactly the named slots, each holding one buffer of
// the weight's size for every trainable weight of w and nothing else.
func checkSlots(opt string, s State, w *params.Arena, names ...string) error {
	if len(s.Slots) != len(names) {
		return fmt.Errorf("%s: state has slots %v, want %v", opt, slices.Sorted(maps.Keys(s.Slots)), names)
	}
	for _, name := range names {
		slot, ok := s.Slots[name]
		if !ok {
			return fmt.Errorf("%s: state has slots %v, no %q", opt, slices.Sorted(maps.Keys(s.Slots)), name)
		}
		n := 0
		for _, p := range w.Params() {
			if !p.Trainable() {
				if _, ok := slot[p.Path()]; ok {
					return fmt.Errorf("%s: state %q has a buffer for non-trainable weight %s", opt, name, p.Path())
				}
				continue
			}
			vs, ok := slot[p.Path()]
			switch {
			case !ok:
				return fmt.Errorf("%s: state %q has no buffer for weight %s", opt, name, p.Path())
			case len(vs) != len(p.Value.Data):
				return fmt.Errorf("%s: state %q for weight %s has %d values, want %d", opt, name, p.Path(), len(vs), len(p.Value.Data))
			}
			n++
		}
		if len(slot) != n {
			for _, path := range slices.Sorted(maps.Keys(slot)) { // the same error every run
				if p, _ := w.Lookup(path); p == nil {
					return fmt.Errorf("%s: state %q has a buffer for %s, which the model has no weight for", opt, name, path)
				}
			}
		}
	}
	return nil
}
