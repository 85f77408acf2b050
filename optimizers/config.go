package optimizers

import (
	"fmt"
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
	c := config.New(cfg, "name")
	var (
		opt Optimizer
		err error
	)
	switch className {
	case "Adam":
		opt, err = AdamWith(c.Float("learning_rate", 0.001), c.Float("beta_1", 0.9), c.Float("beta_2", 0.999), c.Float("epsilon", 1e-7))
	case "SGD":
		opt, err = SGDWith(c.Float("learning_rate", 0.01), c.Float("momentum", 0), c.Bool("nesterov", false))
	default:
		return nil, fmt.Errorf("unknown optimizer %q (want Adam or SGD)", className)
	}
	if cerr := c.Err(); cerr != nil {
		return nil, fmt.Errorf("%s: %w", className, cerr)
	}
	if err != nil {
		return nil, err
	}
	return opt, nil
}

// State is what an optimizer remembers between steps: what a checkpoint
// keeps so that training resumes exactly where it stopped.
type State struct {
	// Iterations is the number of steps taken (Adam's t; 0 for SGD).
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

// State returns a copy of SGD's velocities (none without momentum).
func (s *SGDOptimizer) State() State {
	st := State{Slots: map[string][][]float32{}}
	if s.velocity != nil {
		st.Slots["velocity"] = copySlots(s.velocity)
	}
	return st
}

// SetState restores SGD's velocities.
func (s *SGDOptimizer) SetState(st State, params []*layers.Param) error {
	if len(st.Slots) == 0 {
		s.velocity = nil
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
	s.velocity = copySlots(v)
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
