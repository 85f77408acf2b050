package optimizers

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// emaAdam returns Adam keeping a moving average with the given momentum
// and overwrite frequency.
func emaAdam(t *testing.T, momentum float64, every int64) *AdamOptimizer {
	t.Helper()
	a := Adam()
	if err := a.UseEMA(momentum, every); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestEMAFollowsTheWeights trains one weight with Adam and with Adam
// keeping a moving average: the weights move identically, and the
// average is the first step's weights, then μ·average + (1−μ)·w after
// every later step, in float32; FinalizeVariableValues hands it over.
func TestEMAFollowsTheWeights(t *testing.T) {
	const momentum = 0.9
	plain, avg := Adam(), emaAdam(t, momentum, 0)
	pw, aw := weights(t), weights(t)
	var want []float32
	for step := 1; step <= 20; step++ {
		plain.Apply(pw)
		avg.Apply(aw)
		values, _ := pw.Trainable()
		if step == 1 {
			want = slices.Clone(values)
		} else {
			for i, v := range values {
				want[i] = float32(momentum*want[i]) + float32((1-float32(momentum))*v)
			}
		}
		if !reflect.DeepEqual(pw.Values(), aw.Values()) {
			t.Fatalf("step %d: the average moved the weights: %v, want %v", step, aw.Values(), pw.Values())
		}
		if got := avg.State(aw).Slots["average"]["dense/kernel"]; !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d: average %v, want %v", step, got, want)
		}
	}
	if on, m, every := avg.EMA(); !on || m != momentum || every != 0 {
		t.Errorf("EMA() = %v, %v, %v", on, m, every)
	}
	values, _ := aw.Trainable()
	if slices.Equal(values, want) {
		t.Fatal("the test is vacuous: the weights equal their average before finalizing")
	}
	avg.FinalizeVariableValues(aw)
	if values, _ := aw.Trainable(); !slices.Equal(values, want) {
		t.Errorf("finalized weights %v, want the average %v", values, want)
	}
	if frozen := aw.Params()[1].Value.Data; frozen[0] != 0 || frozen[1] != 0 {
		t.Errorf("finalizing changed a non-trainable weight: %v", frozen)
	}
	// Without use_ema, finalizing leaves the weights alone.
	before := slices.Clone(pw.Values())
	plain.FinalizeVariableValues(pw)
	if !slices.Equal(pw.Values(), before) {
		t.Error("finalizing without use_ema changed the weights")
	}
}

// TestEMAOverwriteFrequency: every third step the weights become the
// average (SGD here, whose steps are easy to follow), and the average
// keeps averaging.
func TestEMAOverwriteFrequency(t *testing.T) {
	s := SGD()
	if err := s.UseEMA(0.5, 3); err != nil {
		t.Fatal(err)
	}
	w := weights(t)
	for step := 1; step <= 6; step++ {
		s.Apply(w)
		values, _ := w.Trainable()
		average := s.State(w).Slots["average"]["dense/kernel"]
		if overwritten := slices.Equal(values, average); overwritten != (step%3 == 0) && step > 1 {
			t.Errorf("step %d: weights %v, average %v", step, values, average)
		}
	}
}

// TestEMAConfig round-trips use_ema through Config and FromConfig, and
// refuses bad values with errors naming them.
func TestEMAConfig(t *testing.T) {
	sgd, _ := SGDWith(0.1, 0.9, true)
	if err := sgd.UseEMA(0.999, 100); err != nil {
		t.Fatal(err)
	}
	adamw, _ := AdamW(0.001, 0.004)
	if err := adamw.UseEMA(0.99, 0); err != nil {
		t.Fatal(err)
	}
	for _, opt := range []Optimizer{emaAdam(t, 0.95, 0), sgd, adamw} {
		cfg := opt.Config()
		if cfg["use_ema"] != true {
			t.Errorf("%s: config %v has no use_ema", opt.Name(), cfg)
		}
		got, err := FromConfig(opt.Name(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Config(), cfg) {
			t.Errorf("%s: config %v, want %v", opt.Name(), got.Config(), cfg)
		}
	}
	if cfg := sgd.Config(); cfg["ema_overwrite_frequency"] != int64(100) {
		t.Errorf("ema_overwrite_frequency %v", cfg["ema_overwrite_frequency"])
	}
	if _, ok := Adam().Config()["use_ema"]; ok {
		t.Error("Adam without use_ema writes its keys")
	}
	// Keras's form, with a null overwrite frequency and use_ema false.
	o, err := FromConfig("Adam", map[string]any{"use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": nil})
	if err != nil {
		t.Fatal(err)
	}
	if on, _, _ := o.(*AdamOptimizer).EMA(); on {
		t.Error("use_ema false turned the average on")
	}
	for _, tc := range []struct {
		cfg  map[string]any
		want string
	}{
		{map[string]any{"use_ema": "yes"}, "use_ema is yes, want true or false"},
		{map[string]any{"use_ema": true, "ema_momentum": 1.0}, "ema_momentum 1 must lie in [0, 1)"},
		{map[string]any{"use_ema": true, "ema_momentum": "slow"}, "ema_momentum is slow"},
		{map[string]any{"use_ema": true, "ema_overwrite_frequency": 0.0}, "ema_overwrite_frequency"},
		{map[string]any{"use_ema": true, "ema_overwrite_frequency": 2.5}, "ema_overwrite_frequency"},
	} {
		if _, err := FromConfig("SGD", tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.cfg, err, tc.want)
		}
	}
	if err := Adam().UseEMA(-0.1, 0); err == nil {
		t.Error("UseEMA(-0.1) accepted")
	}
	a := Adam()
	a.Apply(weights(t))
	if err := a.UseEMA(0.99, 0); err != nil {
		t.Fatalf("UseEMA after a step without an average: %v", err)
	}
	a.Apply(weights(t))
	if err := a.UseEMA(0.9, 0); err == nil || !strings.Contains(err.Error(), "already keeps an average") {
		t.Errorf("UseEMA once an average is kept: error %v", err)
	}
}

// TestEMAState: the average is saved with the state and restored, so
// that a resumed optimizer averages on as the one it continues; a state
// without it, or an average for an optimizer keeping none, is an error.
func TestEMAState(t *testing.T) {
	for _, mk := range []func() Stateful{
		func() Stateful { return emaAdam(t, 0.9, 0) },
		func() Stateful { s := SGD(); _ = s.UseEMA(0.8, 2); return s },
		func() Stateful { s, _ := SGDWith(0.1, 0.9, false); _ = s.UseEMA(0.8, 0); return s },
	} {
		a, b := mk(), mk()
		pa, pb := weights(t), weights(t)
		a.Apply(pa)
		a.Apply(pa)
		a.Apply(pa)
		copy(pb.Params()[0].Value.Data, pa.Params()[0].Value.Data)
		if err := b.SetState(a.State(pa), pb); err != nil {
			t.Fatal(err)
		}
		a.Apply(pa)
		b.Apply(pb)
		if !reflect.DeepEqual(pa.Values(), pb.Values()) || !reflect.DeepEqual(a.State(pa), b.State(pb)) {
			t.Errorf("%s: state %v after restoring, want %v", a.Name(), b.State(pb), a.State(pa))
		}
		st := a.State(pa)
		delete(st.Slots, "average")
		if err := mk().SetState(st, pb); err == nil || !strings.Contains(err.Error(), "average") {
			t.Errorf("%s: state without the average: error %v", a.Name(), err)
		}
	}
	a := emaAdam(t, 0.9, 0)
	p := weights(t)
	a.Apply(p)
	if err := Adam().SetState(a.State(p), p); err == nil || !strings.Contains(err.Error(), "want [m v]") {
		t.Errorf("an average for Adam without use_ema: error %v", err)
	}
}
