package optimizers

import (
	"math"
	"testing"
)

func TestSchedules(t *testing.T) {
	for _, tt := range []struct {
		name string
		s    LearningRateSchedule
		step int64
		want float64
	}{
		{"exponential start", ExponentialDecay(0.1, 10, 0.5, false), 0, 0.1},
		{"exponential half-way", ExponentialDecay(0.1, 10, 0.5, false), 5, 0.1 * math.Sqrt(0.5)},
		{"exponential one period", ExponentialDecay(0.1, 10, 0.5, false), 10, 0.05},
		{"staircase", ExponentialDecay(0.1, 10, 0.5, true), 15, 0.05},
		{"cosine start", CosineDecay(1e-3, 100), 0, 1e-3},
		{"cosine middle", CosineDecay(1e-3, 100), 50, 5e-4},
		{"cosine quarter", CosineDecay(1e-3, 100), 25, 1e-3 * (0.5 + 0.5*math.Sqrt(0.5))},
		{"cosine end", CosineDecay(1e-3, 100), 100, 0},
		{"cosine after the end", CosineDecay(1e-3, 100), 250, 0},
		{"cosine alpha", CosineDecay(1e-3, 100, CosineDecayOptions{Alpha: 0.1}), 100, 1e-4},
		{"warm-up start", CosineDecay(0, 100, CosineDecayOptions{WarmupTarget: 1e-3, WarmupSteps: 10}), 0, 0},
		{"warm-up middle", CosineDecay(0, 100, CosineDecayOptions{WarmupTarget: 1e-3, WarmupSteps: 10}), 5, 5e-4},
		{"warm-up done", CosineDecay(0, 100, CosineDecayOptions{WarmupTarget: 1e-3, WarmupSteps: 10}), 10, 1e-3},
		{"warm-up then cosine", CosineDecay(0, 100, CosineDecayOptions{WarmupTarget: 1e-3, WarmupSteps: 10}), 60, 5e-4},
		{"warm-up steps without target are ignored", CosineDecay(1e-3, 100, CosineDecayOptions{WarmupSteps: 10}), 50, 5e-4},
	} {
		if got := tt.s.Rate(tt.step); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: Rate(%d) = %v, want %v", tt.name, tt.step, got, tt.want)
		}
	}
}

func TestSchedulePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"exponential zero steps":         func() { ExponentialDecay(0.1, 0, 0.5, false) },
		"exponential zero rate":          func() { ExponentialDecay(0, 10, 0.5, false) },
		"cosine zero steps":              func() { CosineDecay(0.1, 0) },
		"cosine alpha above 1":           func() { CosineDecay(0.1, 10, CosineDecayOptions{Alpha: 2}) },
		"exponential infinite rate":      func() { ExponentialDecay(math.Inf(1), 10, 0.5, false) },
		"exponential infinite decay":     func() { ExponentialDecay(0.1, 10, math.Inf(1), false) },
		"cosine infinite rate":           func() { CosineDecay(math.Inf(1), 10) },
		"cosine infinite warm-up target": func() { CosineDecay(0.1, 10, CosineDecayOptions{WarmupTarget: math.Inf(1), WarmupSteps: 5}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestSGDSchedule checks that step i uses the schedule's rate for i: with
// plain SGD, w moves by exactly lr(i)·g.
func TestSGDSchedule(t *testing.T) {
	s := SGD()
	s.SetSchedule(ExponentialDecay(0.1, 1, 0.5, false))
	w := param(1)
	w.Grad.Data[0] = 1
	want := 1.0
	for i := 0; i < 4; i++ {
		if lr := s.LearningRate(); math.Abs(lr-0.1*math.Pow(0.5, float64(i))) > 1e-12 {
			t.Fatalf("step %d: LearningRate() = %v", i, lr)
		}
		s.Apply(pack(t, w))
		want -= 0.1 * math.Pow(0.5, float64(i))
		if !near(w.Value.Data[0], want, 1e-6) {
			t.Fatalf("after step %d: w = %v, want %v", i, w.Value.Data[0], want)
		}
	}
	if s.Iterations() != 4 {
		t.Errorf("Iterations() = %d, want 4", s.Iterations())
	}
	cfg := s.Config()["learning_rate"].(map[string]any)
	if cfg["class_name"] != "ExponentialDecay" || cfg["config"].(map[string]any)["decay_rate"] != 0.5 {
		t.Errorf("learning_rate config %v", cfg)
	}
	s.SetLearningRate(0.5)
	if s.Schedule() != nil || s.LearningRate() != 0.5 || s.Config()["learning_rate"] != 0.5 {
		t.Errorf("SetLearningRate kept the schedule")
	}
}

// TestAdamSchedule checks that Adam's step t uses lr(t−1): a schedule
// constant at lr gives the same weights as the fixed rate lr.
func TestAdamSchedule(t *testing.T) {
	fixed, _ := AdamWith(0.01, 0.9, 0.999, 1e-7)
	sched := Adam()
	sched.SetSchedule(ExponentialDecay(0.01, 1000, 1, false))
	a, b := param(1, -2), param(1, -2)
	for i := 0; i < 3; i++ {
		for j, g := range []float32{0.3, -0.1} {
			a.Grad.Data[j], b.Grad.Data[j] = g*float32(i+1), g*float32(i+1)
		}
		fixed.Apply(pack(t, a))
		sched.Apply(pack(t, b))
	}
	for j := range a.Value.Data {
		if a.Value.Data[j] != b.Value.Data[j] {
			t.Errorf("w[%d]: %v with the fixed rate, %v with a constant schedule", j, a.Value.Data[j], b.Value.Data[j])
		}
	}
	// A decaying schedule: the next step's rate.
	sched.SetSchedule(CosineDecay(0.01, 6))
	if lr := sched.LearningRate(); math.Abs(lr-0.005) > 1e-12 {
		t.Errorf("after 3 of 6 steps LearningRate() = %v, want 0.005", lr)
	}
}

// TestAdamW checks the decoupled decay: with a zero gradient Adam's step
// is zero, so each step only shrinks w by lr·wd.
func TestAdamW(t *testing.T) {
	opt, err := AdamW(0.1, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Name() != "AdamW" || opt.Config()["weight_decay"] != 0.5 {
		t.Errorf("name %s, config %v", opt.Name(), opt.Config())
	}
	w := param(2)
	f := frozen(3)
	for i := 0; i < 2; i++ {
		opt.Apply(pack(t, w, f))
	}
	if want := 2 * 0.95 * 0.95; !near(w.Value.Data[0], want, 1e-6) {
		t.Errorf("w = %v, want %v", w.Value.Data[0], want)
	}
	if f.Value.Data[0] != 3 {
		t.Errorf("the non-trainable weight decayed to %v", f.Value.Data[0])
	}
	if _, err := AdamW(0.1, -1); err == nil {
		t.Error("negative weight decay: no error")
	}
	if Adam().Name() != "Adam" {
		t.Error("Adam is not named Adam")
	}
}

// TestSGDW: decoupled weight decay shrinks w by lr·wd·w before the step
// and leaves non-trainable weights alone.
func TestSGDW(t *testing.T) {
	opt, err := SGDW(0.1, 0.5, false, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	w := param(2)
	w.Grad.Data[0] = 1
	f := frozen(3)
	for i := 0; i < 2; i++ {
		opt.Apply(pack(t, w, f))
	}
	// Step 1: w = 2·0.95 − 0.1 = 1.8, v = −0.1.
	// Step 2: w = 1.8·0.95 + (0.5·(−0.1) − 0.1) = 1.56.
	if want := 1.56; !near(w.Value.Data[0], want, 1e-6) {
		t.Errorf("w = %v, want %v", w.Value.Data[0], want)
	}
	if f.Value.Data[0] != 3 {
		t.Errorf("the non-trainable weight decayed to %v", f.Value.Data[0])
	}
	if _, err := SGDW(0.1, 0.9, true, -1); err == nil {
		t.Error("negative weight decay: no error")
	}
}
