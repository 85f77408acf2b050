package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// This file holds the finite-difference gradient check that every layer's
// tests share. For a built layer f and a random r of its output's shape it
// takes the scalar objective
//
//	L(x, θ) = Σ r ⊙ f(x; θ)
//
// so that the gradient of L with respect to the output is r itself, and
// compares what Backward(r) returns (and leaves in each trainable Param's
// Grad) with central differences of L computed in float64.
//
// The layers compute in float32, so each difference is divided by the step
// actually taken, float64(float32(v+h)) − float64(float32(v−h)), not by 2h,
// and L is accumulated in float64: what remains is the float32 rounding of
// the outputs, far below the tolerance.
//
// Coordinates where L is not differentiable (a ReLU or a max-pool whose
// winner changes within the step) cannot be checked by differences. When
// the analytic and numeric values disagree, the check retries with steps
// h/4 and h/16, and passes if either estimate agrees. Otherwise, if the two
// estimates disagree among themselves the point straddles a kink and is
// skipped; if they agree, the analytic gradient is wrong and the test
// fails. More than a tenth of the
// coordinates skipped fails the test too: the inputs are then a bad choice.

// gradCheckOptions tunes checkGradients; the zero value is the default.
type gradCheckOptions struct {
	// step is the finite-difference step h (default 1e-2).
	step float64
	// atol and rtol bound |analytic − numeric| ≤ atol + rtol·|numeric|
	// (defaults 5e-4 and 5e-3).
	atol, rtol float64
	// maxSkipped is the number of coordinates that may be skipped as
	// non-differentiable; negative means none, 0 the default tenth.
	maxSkipped int
}

func (o gradCheckOptions) withDefaults() gradCheckOptions {
	if o.step == 0 {
		o.step = 1e-2
	}
	if o.atol == 0 {
		o.atol = 5e-4
	}
	if o.rtol == 0 {
		o.rtol = 5e-3
	}
	return o
}

// checkLayerGradients builds layer for inputs of shape inShape (batch axis
// excluded), runs it on a random batch of batch examples drawn from
// U(−1, 1) and checks by finite differences the gradient that Backward
// returns for the input and the gradient it leaves in every trainable Param.
// training is passed to Forward. Stochastic layers are reseeded with the
// same seed and step before every Forward, so that each evaluation of the
// objective sees the same random draws.
func checkLayerGradients(t *testing.T, layer Layer, inShape tensor.Shape, batch int, training bool) {
	t.Helper()
	buildForTest(t, layer, inShape)
	x := randomTensor(rand.New(rand.NewPCG(11, 12)), append(tensor.Shape{batch}, inShape...)...)
	checkGradients(t, layer, x, training, gradCheckOptions{})
}

// buildForTest builds layer, binds its weights to an arena of their own
// initialised from a fixed generator, and gives it a fresh test state (see
// st). It fails the test on an error and returns the output shape.
func buildForTest(t *testing.T, layer Layer, inShape tensor.Shape) tensor.Shape {
	t.Helper()
	wb := params.NewBuilder()
	wb.SetLayer(layer.Name())
	out, err := layer.Build(inShape, wb)
	if err != nil {
		t.Fatalf("Build(%v): %v", inShape, err)
	}
	wb.Bind(rand.New(rand.NewPCG(1, 2)))
	testStates.Store(layer, layer.NewState())
	return out
}

// testStates holds the one state each layer under test runs with, as a
// model would keep one per layer for training.
var testStates sync.Map // Layer → State

// st returns layer's test state, making it on first use.
func st(layer Layer) State {
	if s, ok := testStates.Load(layer); ok {
		return s
	}
	s, _ := testStates.LoadOrStore(layer, layer.NewState())
	return s
}

// randomTensor returns a tensor of the given shape with entries in U(−1, 1).
func randomTensor(rng *rand.Rand, shape ...int) *tensor.Tensor {
	x := tensor.New(shape...)
	for i := range x.Data {
		x.Data[i] = float32(2*rng.Float64() - 1)
	}
	return x
}

// checkGradients is checkLayerGradients for a layer that is already built
// and a chosen input x, which it leaves as it found it.
func checkGradients(t *testing.T, layer Layer, x *tensor.Tensor, training bool, opts gradCheckOptions) {
	t.Helper()
	opts = opts.withDefaults()
	rng := rand.New(rand.NewPCG(21, 22))

	forward := func() *tensor.Tensor {
		if s, ok := layer.(Stochastic); ok {
			s.SeedStep(st(layer), 5, 0)
		}
		return layer.Forward(st(layer), x, training)
	}

	out := forward()
	if out.Len() != x.Len() {
		t.Fatalf("Forward of a batch of %d returned shape %v", x.Len(), out.Shape)
	}
	r := randomTensor(rng, out.Shape...)
	objective := func() float64 {
		o := forward()
		if !o.Shape.Equal(r.Shape) {
			t.Fatalf("Forward returned shape %v, then %v", r.Shape, o.Shape)
		}
		var s float64
		for i, v := range o.Data {
			s += float64(r.Data[i]) * float64(v)
		}
		return s
	}

	// Backward without the input gradient must return nil and leave the
	// same parameter gradients as with it.
	var trainable []*params.Param
	for _, p := range layer.Params() {
		if p.Trainable() {
			if !p.Grad.Shape.Equal(p.Value.Shape) {
				t.Fatalf("param %s: grad shape %v, value shape %v", p.Name, p.Grad.Shape, p.Value.Shape)
			}
			trainable = append(trainable, p)
		}
	}
	if dx := layer.Backward(st(layer), r.Clone(), false); dx != nil {
		t.Errorf("Backward(dy, false) returned a gradient of shape %v, want nil", dx.Shape)
	}
	noDx := make([][]float32, len(trainable))
	for i, p := range trainable {
		noDx[i] = append([]float32(nil), p.Grad.Data...)
	}

	forward()
	dxT := layer.Backward(st(layer), r.Clone(), true)
	if dxT == nil {
		t.Fatal("Backward(dy, true) returned nil")
	}
	if !dxT.Shape.Equal(x.Shape) {
		t.Fatalf("input gradient of shape %v for input %v", dxT.Shape, x.Shape)
	}
	dx := append([]float32(nil), dxT.Data...)
	grads := make([][]float32, len(trainable))
	for i, p := range trainable {
		grads[i] = append([]float32(nil), p.Grad.Data...)
		for j := range grads[i] {
			if grads[i][j] != noDx[i][j] {
				t.Errorf("param %s[%d]: gradient %v with the input gradient, %v without", p.Name, j, grads[i][j], noDx[i][j])
				break
			}
		}
	}

	check := func(what string, v []float32, analytic []float32) {
		t.Helper()
		skipped, failed := 0, 0
		for i := range v {
			a := float64(analytic[i])
			n := numericDerivative(&v[i], opts.step, objective)
			if agree(a, n, opts) {
				continue
			}
			// Retry closer in: a kink more than h/4 or h/16 away no
			// longer matters there.
			n2 := numericDerivative(&v[i], opts.step/4, objective)
			if agree(a, n2, opts) {
				continue
			}
			n3 := numericDerivative(&v[i], opts.step/16, objective)
			if agree(a, n3, opts) {
				continue
			}
			if !agree(n2, n3, opts) {
				skipped++ // a kink lies within h/16
				continue
			}
			if failed++; failed <= 5 {
				t.Errorf("%s[%d]: analytic gradient %.6g, numeric %.6g (%.6g and %.6g with steps h/4 and h/16)", what, i, a, n, n2, n3)
			}
		}
		limit := opts.maxSkipped
		if limit == 0 {
			limit = len(v) / 10
		}
		if skipped > max(limit, 0) {
			t.Errorf("%s: %d of %d coordinates straddle a kink; choose other inputs", what, skipped, len(v))
		}
		if failed > 5 {
			t.Errorf("%s: %d coordinates wrong in all", what, failed)
		}
	}
	check("input", x.Data, dx)
	for i, p := range trainable {
		check(fmt.Sprintf("param %s", p.Name), p.Value.Data, grads[i])
	}
}

// agree reports whether a is within tolerance of b.
func agree(a, b float64, o gradCheckOptions) bool {
	return math.Abs(a-b) <= o.atol+o.rtol*math.Abs(b)
}

// numericDerivative returns the central difference of f with respect to
// *v, dividing by the float32 step actually taken, and restores *v.
func numericDerivative(v *float32, h float64, f func() float64) float64 {
	orig := *v
	plus, minus := float32(float64(orig)+h), float32(float64(orig)-h)
	*v = plus
	fp := f()
	*v = minus
	fm := f()
	*v = orig
	return (fp - fm) / (float64(plus) - float64(minus))
}
