package losses

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/tensor"
)

func mustTensor(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromSlice(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestLossValues(t *testing.T) {
	ln := math.Log
	tests := []struct {
		name   string
		loss   Loss
		pred   []float32
		target []float32
		shape  []int // of pred
		want   float64
	}{
		{"sparse", SparseCategoricalCrossentropy(), []float32{0.7, 0.2, 0.1}, []float32{0}, []int{1, 3}, -ln(0.7)},
		{"sparse second class", SparseCategoricalCrossentropy(), []float32{0.7, 0.2, 0.1}, []float32{1}, []int{1, 3}, -ln(0.2)},
		{"sparse batch sums", SparseCategoricalCrossentropy(), []float32{0.7, 0.2, 0.1, 0.25, 0.25, 0.5}, []float32{0, 2}, []int{2, 3}, -ln(0.7) - ln(0.5)},
		// Keras divides by the row sum: 0.2/0.8 = 1/4.
		{"sparse unnormalised", SparseCategoricalCrossentropy(), []float32{0.4, 0.2, 0.2}, []float32{1}, []int{1, 3}, ln(4)},
		{"categorical one-hot", CategoricalCrossentropy(), []float32{0.7, 0.2, 0.1}, []float32{1, 0, 0}, []int{1, 3}, -ln(0.7)},
		// ε = 0.3 over 3 classes: targets (0.8, 0.1, 0.1).
		{"sparse smoothed", SparseCategoricalCrossentropyLoss{LabelSmoothing: 0.3}, []float32{0.7, 0.2, 0.1}, []float32{0}, []int{1, 3}, -0.8*ln(0.7) - 0.1*ln(0.2) - 0.1*ln(0.1)},
		{"categorical as smoothed", CategoricalCrossentropy(), []float32{0.7, 0.2, 0.1}, []float32{0.8, 0.1, 0.1}, []int{1, 3}, -0.8*ln(0.7) - 0.1*ln(0.2) - 0.1*ln(0.1)},
		{"categorical soft", CategoricalCrossentropy(), []float32{0.7, 0.2, 0.1}, []float32{0.5, 0.5, 0}, []int{1, 3}, -0.5*ln(0.7) - 0.5*ln(0.2)},
		{"categorical unnormalised", CategoricalCrossentropy(), []float32{0.4, 0.2, 0.2}, []float32{0, 0, 1}, []int{1, 3}, ln(4)},
		{"categorical batch sums", CategoricalCrossentropy(), []float32{0.7, 0.2, 0.1, 0.25, 0.25, 0.5}, []float32{1, 0, 0, 0, 1, 0}, []int{2, 3}, -ln(0.7) - ln(0.25)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pred := mustTensor(t, tt.pred, tt.shape...)
			tshape := []int{tt.shape[0]}
			if len(tt.target) == len(tt.pred) {
				tshape = tt.shape
			}
			target := mustTensor(t, tt.target, tshape...)
			if err := tt.loss.CheckTargets(target, pred.Shape); err != nil {
				t.Fatalf("CheckTargets: %v", err)
			}
			if got := tt.loss.Compute(pred, target, nil); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("Compute = %.9g, want %.9g", got, tt.want)
			}
			if sl, ok := tt.loss.(SoftmaxLoss); ok && !strings.Contains(tt.name, "unnormalised") {
				d := tensor.New(tt.shape...)
				if got := sl.ComputeSoftmax(pred, target, d); math.Abs(got-tt.want) > 1e-6 {
					t.Errorf("ComputeSoftmax = %.9g, want %.9g", got, tt.want)
				}
			}
		})
	}
}

// TestLossClipping checks a probability of exactly 0 for the true class:
// it is clipped to ε = 1e-7, so the loss is finite, −log(1e-7) ≈ 16.118
// (plus log Σq ≈ 1e-7), and the clipped entries get no gradient.
func TestLossClipping(t *testing.T) {
	want := -math.Log(1e-7) // 16.11809565095832
	pred := mustTensor(t, []float32{0, 1, 0}, 1, 3)
	for _, tt := range []struct {
		loss   SoftmaxLoss
		target *tensor.Tensor
	}{
		{SparseCategoricalCrossentropy(), mustTensor(t, []float32{0}, 1)},
		{CategoricalCrossentropy(), mustTensor(t, []float32{1, 0, 0}, 1, 3)},
	} {
		t.Run(tt.loss.Name(), func(t *testing.T) {
			grad := tensor.New(1, 3)
			got := tt.loss.Compute(pred, tt.target, grad)
			if math.Abs(got-want) > 1e-6 {
				t.Errorf("Compute = %.9g, want %.9g", got, want)
			}
			for j, g := range grad.Data {
				if g != 0 {
					t.Errorf("grad[%d] = %v, want 0 (clipped)", j, g)
				}
			}
			d := tensor.New(1, 3)
			got = tt.loss.ComputeSoftmax(pred, tt.target, d)
			if math.Abs(got-want) > 1e-6 {
				t.Errorf("ComputeSoftmax = %.9g, want %.9g", got, want)
			}
			// The softmax gradient needs no clipping: p − onehot.
			for j, w := range []float32{-1, 1, 0} {
				if d.Data[j] != w {
					t.Errorf("dlogits = %v, want [-1 1 0]", d.Data)
					break
				}
			}
		})
	}
}

// randomProbs returns b rows of c values in [0.05, 0.9], away from the clip
// bounds, normalised to sum to 1 when normalise is set. The loss divides
// by the row sum, so its gradient must hold off the simplex too.
func randomProbs(rng *rand.Rand, b, c int, normalise bool) *tensor.Tensor {
	p := tensor.New(b, c)
	for i := 0; i < b; i++ {
		row := p.Row(i)
		var s float32
		for j := range row {
			row[j] = float32(0.05 + 0.85*rng.Float64())
			s += row[j]
		}
		if normalise {
			for j := range row {
				row[j] /= s
			}
		}
	}
	return p
}

// numericGrad returns the central-difference gradient of f with respect
// to x, dividing by the float32 steps actually taken.
func numericGrad(x []float32, h float64, f func() float64) []float64 {
	g := make([]float64, len(x))
	for i, orig := range x {
		plus, minus := float32(float64(orig)+h), float32(float64(orig)-h)
		x[i] = plus
		fp := f()
		x[i] = minus
		fm := f()
		x[i] = orig
		g[i] = (fp - fm) / (float64(plus) - float64(minus))
	}
	return g
}

func checkClose(t *testing.T, what string, got []float32, want []float64, atol, rtol float64) {
	t.Helper()
	bad := 0
	for i, w := range want {
		if math.Abs(float64(got[i])-w) > atol+rtol*math.Abs(w) {
			if bad++; bad <= 5 {
				t.Errorf("%s[%d] = %.7g, want %.7g", what, i, got[i], w)
			}
		}
	}
}

// TestComputeGradient checks Compute's gradient, that of the batch's mean
// loss, against finite differences of the summed loss it returns.
func TestComputeGradient(t *testing.T) {
	const b, c = 4, 5
	rng := rand.New(rand.NewPCG(1, 2))
	sparseY := tensor.New(b)
	oneHotY, softY := tensor.New(b, c), tensor.New(b, c)
	for i := 0; i < b; i++ {
		k := rng.IntN(c)
		sparseY.Data[i] = float32(k)
		oneHotY.Row(i)[k] = 1
		for j := range c {
			softY.Row(i)[j] = float32(rng.Float64())
		}
	}
	tests := []struct {
		loss   Loss
		target *tensor.Tensor
	}{
		{SparseCategoricalCrossentropy(), sparseY},
		{SparseCategoricalCrossentropyLoss{LabelSmoothing: 0.1}, sparseY},
		{CategoricalCrossentropy(), oneHotY},
		{CategoricalCrossentropy(), softY},
	}
	for i, tt := range tests {
		for _, normalise := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/%d/normalised=%v", tt.loss.Name(), i, normalise), func(t *testing.T) {
				pred := randomProbs(rng, b, c, normalise)
				grad := tensor.New(b, c)
				// Garbage in grad must be overwritten.
				for j := range grad.Data {
					grad.Data[j] = float32(math.NaN())
				}
				loss := tt.loss.Compute(pred, tt.target, grad)
				if noGrad := tt.loss.Compute(pred, tt.target, nil); noGrad != loss {
					t.Errorf("Compute = %v with a gradient, %v without", loss, noGrad)
				}
				// Probabilities go down to 0.01, where the curvature of −log q
				// makes a step of 1e-3 too coarse; the loss is exact in
				// float64, so a small step costs nothing.
				want := numericGrad(pred.Data, 1e-4, func() float64 { return tt.loss.Compute(pred, tt.target, nil) / b })
				checkClose(t, "grad", grad.Data, want, 1e-5, 1e-4)
			})
		}
	}
}

// TestComputeSoftmaxGradient checks that ComputeSoftmax's dlogits is the
// gradient of the mean loss of softmax(z) with respect to z, by finite
// differences of z, and that its loss agrees with Compute's.
func TestComputeSoftmaxGradient(t *testing.T) {
	const b, c = 3, 4
	rng := rand.New(rand.NewPCG(3, 4))
	z := make([]float32, b*c)
	for i := range z {
		z[i] = float32(4*rng.Float64() - 2)
	}
	softmax := func() *tensor.Tensor {
		p := tensor.New(b, c)
		for i := 0; i < b; i++ {
			var s float64
			for j := 0; j < c; j++ {
				s += math.Exp(float64(z[i*c+j]))
			}
			for j := 0; j < c; j++ {
				p.Data[i*c+j] = float32(math.Exp(float64(z[i*c+j])) / s)
			}
		}
		return p
	}
	sparseY := mustTensor(t, []float32{2, 0, 3}, b)
	oneHotY := mustTensor(t, []float32{0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1}, b, c)
	softY := mustTensor(t, []float32{0.1, 0.2, 0.3, 0.4, 0.5, 0, 0, 0.5, 0.25, 0.25, 0.25, 0.25}, b, c)
	tests := []struct {
		name   string
		loss   SoftmaxLoss
		target *tensor.Tensor
	}{
		{"sparse", SparseCategoricalCrossentropy(), sparseY},
		{"sparse smoothed", SparseCategoricalCrossentropyLoss{LabelSmoothing: 0.2}, sparseY},
		{"one-hot", CategoricalCrossentropy(), oneHotY},
		{"soft", CategoricalCrossentropy(), softY},
		// Targets that do not sum to 1: the gradient is (p·Σt − t)/B.
		{"unnormalised", CategoricalCrossentropy(), mustTensor(t, []float32{0, 2, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0.5}, b, c)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := softmax()
			d := tensor.New(b, c)
			loss := tt.loss.ComputeSoftmax(probs, tt.target, d)
			if other := tt.loss.Compute(probs, tt.target, nil); math.Abs(loss-other) > 1e-5 {
				t.Errorf("ComputeSoftmax = %v, Compute = %v", loss, other)
			}
			want := numericGrad(z, 1e-3, func() float64 { return tt.loss.ComputeSoftmax(softmax(), tt.target, tensor.New(b, c)) / b })
			checkClose(t, "dlogits", d.Data, want, 1e-4, 1e-3)
		})
	}
}

func TestCheckTargets(t *testing.T) {
	pred := tensor.Shape{3, 4}
	tests := []struct {
		name string
		loss Loss
		y    *tensor.Tensor
		want string // "" for no error
	}{
		{"sparse ok", SparseCategoricalCrossentropy(), mustTensor(t, []float32{0, 3, 1}, 3), ""},
		{"sparse column ok", SparseCategoricalCrossentropy(), mustTensor(t, []float32{0, 3, 1}, 3, 1), ""},
		{"sparse non-integer", SparseCategoricalCrossentropy(), mustTensor(t, []float32{0, 1.5, 1}, 3), "target 1 is 1.5"},
		{"sparse negative", SparseCategoricalCrossentropy(), mustTensor(t, []float32{0, 1, -1}, 3), "target 2 is -1"},
		{"sparse too large", SparseCategoricalCrossentropy(), mustTensor(t, []float32{4, 1, 1}, 3), "target 0 is 4"},
		{"sparse NaN", SparseCategoricalCrossentropy(), mustTensor(t, []float32{0, float32(math.NaN()), 1}, 3), "target 1 is NaN"},
		{"sparse Inf", SparseCategoricalCrossentropy(), mustTensor(t, []float32{0, float32(math.Inf(1)), 1}, 3), "target 1 is +Inf"},
		{"sparse one-hot shape", SparseCategoricalCrossentropy(), tensor.New(3, 4), "targets of shape (3, 4)"},
		{"sparse wrong length", SparseCategoricalCrossentropy(), tensor.New(2), "targets of shape (2,)"},
		{"categorical ok", CategoricalCrossentropy(), tensor.New(3, 4), ""},
		{"categorical sparse shape", CategoricalCrossentropy(), mustTensor(t, []float32{0, 3, 1}, 3), "targets of shape (3,)"},
		{"categorical wrong classes", CategoricalCrossentropy(), tensor.New(3, 5), "targets of shape (3, 5)"},
		{"categorical negative", CategoricalCrossentropy(), mustTensor(t, []float32{0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0}, 3, 4), "target value 5 is -1"},
		{"categorical NaN", CategoricalCrossentropy(), mustTensor(t, []float32{0, 0, float32(math.NaN()), 0, 0, 0, 0, 0, 0, 0, 0, 0}, 3, 4), "target value 2 is NaN"},
		{"categorical Inf", CategoricalCrossentropy(), mustTensor(t, []float32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, float32(math.Inf(1))}, 3, 4), "target value 11 is +Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.loss.CheckTargets(tt.y, pred)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && err == nil:
				t.Errorf("no error, want one containing %q", tt.want)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	if got := SparseCategoricalCrossentropy().Name(); got != "sparse_categorical_crossentropy" {
		t.Errorf("sparse name %q", got)
	}
	if got := CategoricalCrossentropy().Name(); got != "categorical_crossentropy" {
		t.Errorf("categorical name %q", got)
	}
}

func TestLabelSmoothingConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     map[string]any
		want    Loss
		wantErr string
	}{
		{"sparse_categorical_crossentropy", nil, SparseCategoricalCrossentropy(), ""},
		{"sparse_categorical_crossentropy", map[string]any{"label_smoothing": 0.1}, SparseCategoricalCrossentropyLoss{LabelSmoothing: 0.1}, ""},
		{"sparse_categorical_crossentropy", map[string]any{"label_smoothing": 1.0}, nil, "label_smoothing is 1, want a value in [0, 1)"},
		{"sparse_categorical_crossentropy", map[string]any{"label_smoothing": -0.1}, nil, "label_smoothing is -0.1"},
		{"sparse_categorical_crossentropy", map[string]any{"label_smoothing": "0.1"}, nil, "want a finite number"},
		{"sparse_categorical_crossentropy", map[string]any{"smoothing": 0.1}, nil, `unknown configuration keys ["smoothing"]`},
		{"categorical_crossentropy", map[string]any{}, CategoricalCrossentropy(), ""},
		{"categorical_crossentropy", map[string]any{"label_smoothing": 0.1}, CategoricalCrossentropyLoss{LabelSmoothing: 0.1}, ""},
		{"categorical_crossentropy", map[string]any{"smoothing": 0.1}, nil, "unknown configuration keys"},
		{"hinge", nil, nil, `unknown loss "hinge"`},
	}
	for _, tt := range tests {
		got, err := FromConfig(tt.name, tt.cfg)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("FromConfig(%s, %v) error %v, want %q", tt.name, tt.cfg, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("FromConfig(%s, %v) = %v, %v; want %v", tt.name, tt.cfg, got, err, tt.want)
			continue
		}
		back, err := FromConfig(got.Name(), got.Config())
		if err != nil || back != got {
			t.Errorf("round trip of %v: %v, %v", got, back, err)
		}
	}
}

// TestCrossEntropyNeedsBatchByClasses: the categorical cross-entropies
// read predictions as (batch, classes) rows. Predictions with more axes —
// a (B, 4, 3) softmax over the last axis — would have had only their first
// B rows scored and differentiated, whatever the targets; CheckTargets
// refuses them, naming the shape and what to do.
func TestCrossEntropyNeedsBatchByClasses(t *testing.T) {
	pred := tensor.Shape{2, 4, 3}
	for _, tc := range []struct {
		name string
		loss Loss
		y    *tensor.Tensor
	}{
		{"sparse, a label per example", SparseCategoricalCrossentropy(), mustTensor(t, []float32{0, 2}, 2)},
		{"sparse, a label per position", SparseCategoricalCrossentropy(), tensor.New(2, 4)},
		{"sparse from logits", SparseCategoricalCrossentropyLoss{FromLogits: true}, mustTensor(t, []float32{0, 2}, 2)},
		{"categorical", CategoricalCrossentropy(), tensor.New(2, 4, 3)},
		{"categorical from logits", CategoricalCrossentropyLoss{FromLogits: true}, tensor.New(2, 4, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.loss.CheckTargets(tc.y, pred)
			if err == nil {
				t.Fatal("predictions (2, 4, 3) accepted")
			}
			for _, want := range []string{tc.loss.Name(), "(2, 4, 3)", "(batch, classes)", "Flatten"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
}
