package optimizers

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/params"
)

func TestFromConfigRoundTrip(t *testing.T) {
	sgd, _ := SGDWith(0.05, 0.9, true)
	adam, _ := AdamWith(0.002, 0.8, 0.99, 1e-6)
	sgdw, _ := SGDW(0.1, 0.9, true, 5e-3)
	for _, opt := range []Optimizer{Adam(), SGD(), sgd, adam, sgdw} {
		got, err := FromConfig(opt.Name(), opt.Config())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Config(), opt.Config()) {
			t.Errorf("%s: config %v, want %v", opt.Name(), got.Config(), opt.Config())
		}
	}
	for _, tc := range []struct {
		class string
		cfg   map[string]any
		want  string
	}{
		{"RMSprop", nil, `unknown optimizer "RMSprop"`},
		{"Adam", map[string]any{"learning_rate": -1.0}, "learning_rate > 0"},
		{"Adam", map[string]any{"learning_rate": "fast"}, "want a finite number"},
		{"SGD", map[string]any{"momentum": 0.5, "clipnorm": 1.0}, `unknown configuration keys ["clipnorm"]`},
		{"SGD", map[string]any{"nesterov": 1.0}, "want true or false"},
		{"SGD", map[string]any{"weight_decay": -1.0}, "weight_decay ≥ 0"},
	} {
		if _, err := FromConfig(tc.class, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: error %v, want one containing %q", tc.class, tc.cfg, err, tc.want)
		}
	}
}

// weights returns an arena of a 2×2 kernel with a gradient and a frozen
// weight of 2.
func weights(t *testing.T) *params.Arena {
	w := params.New("dense/kernel", true, 2, 2)
	copy(w.Grad.Data, []float32{0.1, -0.2, 0.3, -0.4})
	return pack(t, w, params.New("norm/moving_mean", false, 2))
}

// TestStateRoundTrip: an optimizer given another's state takes the same
// steps.
func TestStateRoundTrip(t *testing.T) {
	sgdA, _ := SGDWith(0.1, 0.9, false)
	sgdB, _ := SGDWith(0.1, 0.9, false)
	// Plain SGD keeps no velocities, but its schedule must resume where
	// it stood.
	plainA, plainB := SGD(), SGD()
	for _, o := range []scheduled{sgdA, sgdB, plainA, plainB} {
		o.SetSchedule(ExponentialDecay(0.1, 1, 0.5, false))
	}
	for _, pair := range [][2]Stateful{{Adam(), Adam()}, {sgdA, sgdB}, {plainA, plainB}} {
		a, b := pair[0], pair[1]
		pa, pb := weights(t), weights(t)
		a.Apply(pa)
		a.Apply(pa)
		copy(pb.Params()[0].Value.Data, pa.Params()[0].Value.Data)
		if err := b.SetState(a.State(pa), pb); err != nil {
			t.Fatal(err)
		}
		if a.State(pa).Iterations != 2 || b.State(pb).Iterations != 2 {
			t.Errorf("%s: %d iterations restored from %d", a.Name(), b.State(pb).Iterations, a.State(pa).Iterations)
		}
		a.Apply(pa)
		b.Apply(pb)
		if !reflect.DeepEqual(pa.Values(), pb.Values()) {
			t.Errorf("%s: %v after restoring, want %v", a.Name(), pb.Values(), pa.Values())
		}
		// State is a copy.
		st := a.State(pa)
		for _, bufs := range st.Slots {
			bufs["dense/kernel"][0] = 42
		}
		for _, bufs := range a.State(pa).Slots {
			if bufs["dense/kernel"][0] == 42 {
				t.Errorf("%s: State shares memory", a.Name())
			}
		}
	}
}

func TestSetStateChecks(t *testing.T) {
	p := weights(t)
	slot := func(kv ...any) map[string][]float32 {
		s := map[string][]float32{}
		for i := 0; i < len(kv); i += 2 {
			s[kv[i].(string)] = make([]float32, kv[i+1].(int))
		}
		return s
	}
	good := State{Iterations: 1, Slots: map[string]map[string][]float32{"m": slot("dense/kernel", 4), "v": slot("dense/kernel", 4)}}
	for _, tc := range []struct {
		name string
		edit func(*State)
		want string
	}{
		{"missing slot", func(s *State) { delete(s.Slots, "v") }, "state has slots [m], want [m v]"},
		{"renamed slot", func(s *State) { s.Slots["w"] = s.Slots["v"]; delete(s.Slots, "v") }, `no "v"`},
		{"extra slot", func(s *State) { s.Slots["w"] = s.Slots["m"] }, "want [m v]"},
		{"short buffer", func(s *State) { s.Slots["m"] = slot("dense/kernel", 3) }, "has 3 values, want 4"},
		{"buffer for frozen", func(s *State) { s.Slots["m"] = slot("dense/kernel", 4, "norm/moving_mean", 2) }, "non-trainable"},
		{"missing weight", func(s *State) { s.Slots["m"] = slot() }, "no buffer for weight dense/kernel"},
		{"unknown weight", func(s *State) { s.Slots["m"] = slot("dense/kernel", 4, "dense_9/bias", 3) }, "dense_9/bias, which the model has no weight for"},
		{"iterations", func(s *State) { s.Iterations = -1 }, "-1 iterations"},
		{"steps without moments", func(s *State) { s.Slots = nil; s.Iterations = 7 }, "7 steps but no moments"},
	} {
		s := State{Iterations: good.Iterations, Slots: map[string]map[string][]float32{"m": good.Slots["m"], "v": good.Slots["v"]}}
		tc.edit(&s)
		if err := Adam().SetState(s, p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if err := SGD().SetState(State{Slots: map[string]map[string][]float32{"velocity": slot("dense/kernel", 4)}}, p); err == nil || !strings.Contains(err.Error(), "momentum is 0") {
		t.Errorf("error %v", err)
	}
}

func TestFromConfigSchedulesAndAdamW(t *testing.T) {
	cosine := Adam()
	cosine.SetSchedule(CosineDecay(2e-3, 1000, CosineDecayOptions{Alpha: 0.1, WarmupTarget: 4e-3, WarmupSteps: 100}))
	expo, _ := SGDWith(0.05, 0.9, true)
	expo.SetSchedule(ExponentialDecay(0.05, 300, 0.5, true))
	adamw, _ := AdamW(1e-3, 0.01)
	adamw.SetSchedule(CosineDecay(1e-3, 500))
	for _, opt := range []interface {
		Optimizer
		Schedule() LearningRateSchedule
	}{cosine, expo, adamw} {
		// Round-trip through JSON, as a model file does.
		b, err := json.Marshal(opt.Config())
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var cfg map[string]any
		if err := dec.Decode(&cfg); err != nil {
			t.Fatal(err)
		}
		got, err := FromConfig(opt.Name(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(got.Config(), opt.Config()) {
			t.Errorf("round trip of %s gave %v", b, got.Config())
		}
		for _, step := range []int64{0, 50, 100, 299, 300, 999, 5000} {
			if a, b := got.(interface{ Schedule() LearningRateSchedule }).Schedule().Rate(step), opt.Schedule().Rate(step); a != b {
				t.Errorf("%s: rate at step %d is %g after the round trip, want %g", opt.Name(), step, a, b)
			}
		}
	}
	for _, bad := range []map[string]any{
		{"learning_rate": map[string]any{"class_name": "Nope", "config": map[string]any{}}},
		{"learning_rate": map[string]any{"class_name": "CosineDecay"}},
		{"learning_rate": map[string]any{"class_name": "CosineDecay", "config": map[string]any{"initial_learning_rate": 1e-3, "decay_steps": 0}}},
		{"learning_rate": map[string]any{"class_name": "CosineDecay", "config": map[string]any{"initial_learning_rate": 1e-3, "decay_steps": 10, "alpha": 2}}},
		{"learning_rate": map[string]any{"class_name": "ExponentialDecay", "config": map[string]any{"initial_learning_rate": -1, "decay_steps": 10, "decay_rate": 0.5}}},
		{"learning_rate": map[string]any{"class_name": "ExponentialDecay", "config": map[string]any{"initial_learning_rate": 1e-3, "decay_steps": 10, "decay_rate": 0.5, "bogus": 1}}},
	} {
		if _, err := FromConfig("Adam", bad); err == nil {
			t.Errorf("FromConfig(Adam, %v) succeeded, want an error", bad)
		}
	}
}

// TestSetStateErrorIsStable: a state with buffers for several weights the
// model lacks is refused naming the first of them by path, every time, not
// whichever Go's map order visits first.
func TestSetStateErrorIsStable(t *testing.T) {
	p := weights(t)
	m := map[string][]float32{"dense/kernel": make([]float32, 4)}
	for _, path := range []string{"zz/a", "dense_9/bias", "mm/b", "dense_2/kernel", "qq/c"} {
		m[path] = make([]float32, 3)
	}
	s := State{Iterations: 1, Slots: map[string]map[string][]float32{"m": m, "v": {"dense/kernel": make([]float32, 4)}}}
	for range 20 {
		if err, want := Adam().SetState(s, p), `adam: state "m" has a buffer for dense_2/kernel, which the model has no weight for`; err == nil || err.Error() != want {
			t.Fatalf("error %v, want %q", err, want)
		}
	}
}
