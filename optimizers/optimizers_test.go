package optimizers

import (
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tailor-ml/tailor/params"
)

// paramCount numbers the test weights, whose paths must differ.
var paramCount atomic.Int64

// param returns a trainable parameter with the given values.
func param(values ...float32) *params.Param {
	p := params.New(fmt.Sprintf("layer_%d/w", paramCount.Add(1)), true, len(values))
	copy(p.Value.Data, values)
	return p
}

// frozen returns a non-trainable parameter (Grad nil).
func frozen(values ...float32) *params.Param {
	p := params.New(fmt.Sprintf("layer_%d/moving_mean", paramCount.Add(1)), false, len(values))
	copy(p.Value.Data, values)
	return p
}

// pack lays parameters out in an arena, as a model does.
func pack(t *testing.T, ps ...*params.Param) *params.Arena {
	t.Helper()
	a, err := params.Pack(ps...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func near(got float32, want, tol float64) bool {
	return math.Abs(float64(got)-want) <= tol*math.Max(1, math.Abs(want))
}

// TestAdamFirstStep writes Keras's first Adam step out by hand for w = 1,
// g = 0.5 and the defaults (lr 0.001, β1 0.9, β2 0.999, ε 1e-7).
func TestAdamFirstStep(t *testing.T) {
	lrT := 0.001 * math.Sqrt(1-0.999) / (1 - 0.9) // 3.16227766e-4
	m := 0.05                                     // 0.1·0.5
	v := 0.00025                                  // 0.001·0.5²
	want := 1 - lrT*m/(math.Sqrt(v)+1e-7)         // 0.9990000063: one step moves by ≈ lr

	w := param(1)
	w.Grad.Data[0] = 0.5
	a := Adam()
	a.Apply(pack(t, w))
	if !near(w.Value.Data[0], want, 1e-7) {
		t.Errorf("w = %.9f, want %.9f", w.Value.Data[0], want)
	}
	if a.Iterations() != 1 {
		t.Errorf("Iterations() = %d, want 1", a.Iterations())
	}
}

// adamRef is Keras's Adam in float64.
func adamRef(w float64, grads []float64, lr, b1, b2, eps float64) []float64 {
	var m, v float64
	out := make([]float64, len(grads))
	for i, g := range grads {
		t := float64(i + 1)
		lrT := lr * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t))
		m = b1*m + (1-b1)*g
		v = b2*v + (1-b2)*g*g
		w -= lrT * m / (math.Sqrt(v) + eps)
		out[i] = w
	}
	return out
}

func TestAdamSteps(t *testing.T) {
	tests := []struct {
		name            string
		lr, b1, b2, eps float64
		w0              float64
		grads           []float64
	}{
		{"defaults constant grad", 0.001, 0.9, 0.999, 1e-7, 1, []float64{0.5, 0.5, 0.5}},
		{"defaults varying grad", 0.001, 0.9, 0.999, 1e-7, -0.3, []float64{0.5, -2, 0.1, 0}},
		{"custom", 0.01, 0.5, 0.9, 1e-3, 2, []float64{1, 1, -1, 0.25, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a *AdamOptimizer
			if tt.lr == 0.001 && tt.b1 == 0.9 && tt.b2 == 0.999 && tt.eps == 1e-7 {
				a = Adam()
			} else {
				var err error
				if a, err = AdamWith(tt.lr, tt.b1, tt.b2, tt.eps); err != nil {
					t.Fatal(err)
				}
			}
			want := adamRef(tt.w0, tt.grads, tt.lr, tt.b1, tt.b2, tt.eps)
			// The same parameter twice over, beside a frozen one that must
			// not move nor shift the others' state.
			w, still, w2 := param(float32(tt.w0)), frozen(7), param(float32(tt.w0))
			ps := pack(t, w, still, w2)
			for i, g := range tt.grads {
				w.Grad.Data[0], w2.Grad.Data[0] = float32(g), float32(g)
				a.Apply(ps)
				if !near(w.Value.Data[0], want[i], 1e-6) || w2.Value.Data[0] != w.Value.Data[0] {
					t.Errorf("step %d: w = %.8f and %.8f, want %.8f", i+1, w.Value.Data[0], w2.Value.Data[0], want[i])
				}
				if still.Value.Data[0] != 7 {
					t.Errorf("step %d: non-trainable parameter moved to %v", i+1, still.Value.Data[0])
				}
			}
			if a.Iterations() != int64(len(tt.grads)) {
				t.Errorf("Iterations() = %d, want %d", a.Iterations(), len(tt.grads))
			}
		})
	}
}

// sgdRef is Keras's SGD in float64.
func sgdRef(w float64, grads []float64, lr, mu float64, nesterov bool) []float64 {
	var v float64
	out := make([]float64, len(grads))
	for i, g := range grads {
		v = mu*v - lr*g
		if nesterov {
			w += mu*v - lr*g
		} else {
			w += v
		}
		out[i] = w
	}
	return out
}

func TestSGDSteps(t *testing.T) {
	grads := []float64{0.5, 0.5, -1, 0.25}
	tests := []struct {
		name     string
		opt      func() (*SGDOptimizer, error)
		lr, mu   float64
		nesterov bool
		// first3 are the first three values of w, worked out by hand
		// from w = 1.
		first3 [3]float64
	}{
		// w −= 0.01·g
		{"plain default", func() (*SGDOptimizer, error) { return SGD(), nil }, 0.01, 0, false, [3]float64{0.995, 0.99, 1}},
		{"plain", func() (*SGDOptimizer, error) { return SGDWith(0.1, 0, false) }, 0.1, 0, false, [3]float64{0.95, 0.9, 1}},
		// v = −0.05, −0.095, 0.0145; w = 0.95, 0.855, 0.8695
		{"momentum", func() (*SGDOptimizer, error) { return SGDWith(0.1, 0.9, false) }, 0.1, 0.9, false, [3]float64{0.95, 0.855, 0.8695}},
		// w += 0.9·v − 0.1·g: 1 − 0.045 − 0.05, then −0.0855 − 0.05,
		// then +0.01305 + 0.1
		{"nesterov", func() (*SGDOptimizer, error) { return SGDWith(0.1, 0.9, true) }, 0.1, 0.9, true, [3]float64{0.905, 0.7695, 0.88255}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.opt()
			if err != nil {
				t.Fatal(err)
			}
			want := sgdRef(1, grads, tt.lr, tt.mu, tt.nesterov)
			for i, w := range tt.first3 {
				if math.Abs(want[i]-w) > 1e-12 {
					t.Fatalf("reference step %d = %v, hand computation %v", i+1, want[i], w)
				}
			}
			w, still := param(1), frozen(3)
			ps := pack(t, still, w)
			for i, g := range grads {
				w.Grad.Data[0] = float32(g)
				s.Apply(ps)
				if !near(w.Value.Data[0], want[i], 1e-6) {
					t.Errorf("step %d: w = %.8f, want %.8f", i+1, w.Value.Data[0], want[i])
				}
				if still.Value.Data[0] != 3 {
					t.Errorf("step %d: non-trainable parameter moved to %v", i+1, still.Value.Data[0])
				}
			}
		})
	}
}

func TestSetLearningRate(t *testing.T) {
	for _, opt := range []Optimizer{Adam(), SGD()} {
		t.Run(opt.Name(), func(t *testing.T) {
			opt.SetLearningRate(0)
			if opt.LearningRate() != 0 {
				t.Fatalf("LearningRate() = %v after SetLearningRate(0)", opt.LearningRate())
			}
			w := param(1, -2)
			w.Grad.Data[0], w.Grad.Data[1] = 0.5, -0.5
			opt.Apply(pack(t, w))
			if w.Value.Data[0] != 1 || w.Value.Data[1] != -2 {
				t.Errorf("w = %v with learning rate 0, want [1 -2]", w.Value.Data)
			}
			opt.SetLearningRate(0.5)
			if opt.LearningRate() != 0.5 {
				t.Fatalf("LearningRate() = %v after SetLearningRate(0.5)", opt.LearningRate())
			}
			opt.Apply(pack(t, w))
			if !(w.Value.Data[0] < 1 && w.Value.Data[1] > -2) {
				t.Errorf("w = %v with learning rate 0.5, want it to descend from [1 -2]", w.Value.Data)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	nan := math.NaN()
	adam := []struct{ lr, b1, b2, eps float64 }{
		{0, 0.9, 0.999, 1e-7},
		{-0.1, 0.9, 0.999, 1e-7},
		{nan, 0.9, 0.999, 1e-7},
		{math.Inf(1), 0.9, 0.999, 1e-7},
		{0.001, 1, 0.999, 1e-7},
		{0.001, -0.1, 0.999, 1e-7},
		{0.001, 0.9, 1, 1e-7},
		{0.001, 0.9, nan, 1e-7},
		{0.001, 0.9, 0.999, 0},
		{0.001, 0.9, 0.999, -1e-7},
	}
	for _, c := range adam {
		if a, err := AdamWith(c.lr, c.b1, c.b2, c.eps); err == nil || a != nil {
			t.Errorf("AdamWith(%v, %v, %v, %v) = %v, %v; want an error", c.lr, c.b1, c.b2, c.eps, a, err)
		} else if !strings.HasPrefix(err.Error(), "adam: ") {
			t.Errorf("AdamWith error %q lacks the adam: prefix", err)
		}
	}
	if _, err := AdamWith(0.001, 0, 0, 1e-7); err != nil {
		t.Errorf("AdamWith with β = 0: %v", err)
	}
	sgd := []struct{ lr, mu float64 }{{0, 0}, {-1, 0}, {nan, 0}, {math.Inf(1), 0}, {0.1, 1}, {0.1, -0.1}, {0.1, nan}}
	for _, c := range sgd {
		if s, err := SGDWith(c.lr, c.mu, false); err == nil || s != nil {
			t.Errorf("SGDWith(%v, %v) = %v, %v; want an error", c.lr, c.mu, s, err)
		} else if !strings.HasPrefix(err.Error(), "sgd: ") {
			t.Errorf("SGDWith error %q lacks the sgd: prefix", err)
		}
	}
	for _, c := range []struct{ lr, wd float64 }{{math.Inf(1), 0.004}, {nan, 0.004}, {0.001, math.Inf(1)}, {0.001, nan}} {
		if _, err := AdamW(c.lr, c.wd); err == nil {
			t.Errorf("AdamW(%v, %v): no error", c.lr, c.wd)
		}
		if _, err := SGDW(c.lr, 0, false, c.wd); err == nil {
			t.Errorf("SGDW(%v, 0, false, %v): no error", c.lr, c.wd)
		}
	}
}

func TestConfig(t *testing.T) {
	a, _ := AdamWith(0.01, 0.8, 0.99, 1e-6)
	got := fmt.Sprint(a.Config())
	if want := "map[beta_1:0.8 beta_2:0.99 epsilon:1e-06 learning_rate:0.01 name:Adam]"; got != want {
		t.Errorf("Adam config %s, want %s", got, want)
	}
	s, _ := SGDWith(0.1, 0.9, true)
	got = fmt.Sprint(s.Config())
	if want := "map[learning_rate:0.1 momentum:0.9 name:SGD nesterov:true]"; got != want {
		t.Errorf("SGD config %s, want %s", got, want)
	}
	if SGD().LearningRate() != 0.01 || Adam().LearningRate() != 0.001 {
		t.Errorf("default learning rates %v and %v, want 0.01 and 0.001", SGD().LearningRate(), Adam().LearningRate())
	}
}

// TestBind: an optimizer serves the arena it is first bound to; binding
// another is an error, until SetState gives it another arena's state.
func TestBind(t *testing.T) {
	for _, opt := range []interface {
		Binder
		Stateful
	}{Adam(), SGD()} {
		a, b := pack(t, param(1, 2)), pack(t, param(3, 4))
		if err := opt.Bind(a); err != nil {
			t.Fatal(err)
		}
		if err := opt.Bind(a); err != nil {
			t.Errorf("%s: binding the same arena again: %v", opt.Name(), err)
		}
		if err := opt.Bind(b); err == nil || !strings.Contains(err.Error(), "another model's weights") {
			t.Errorf("%s: binding another arena: %v", opt.Name(), err)
		}
		if err := opt.SetState(opt.State(b), b); err != nil {
			t.Fatal(err)
		}
		if err := opt.Bind(b); err != nil {
			t.Errorf("%s: binding the arena whose state it was given: %v", opt.Name(), err)
		}
	}
}
