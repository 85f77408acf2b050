package losses

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tailor-ml/tailor/tensor"
)

// softmaxOf returns softmax(z) row by row, computed in float64.
func softmaxOf(z *tensor.Tensor) *tensor.Tensor {
	b, c := z.Len(), z.Shape[len(z.Shape)-1]
	p := tensor.New(z.Shape...)
	for i := 0; i < b; i++ {
		row := z.Data[i*c : i*c+c]
		m := math.Inf(-1)
		for _, v := range row {
			m = max(m, float64(v))
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v) - m)
		}
		for j, v := range row {
			p.Data[i*c+j] = float32(math.Exp(float64(v)-m) / s)
		}
	}
	return p
}

func randomLogits(rng *rand.Rand, scale float64, shape ...int) *tensor.Tensor {
	z := tensor.New(shape...)
	for i := range z.Data {
		z.Data[i] = float32(scale * (2*rng.Float64() - 1))
	}
	return z
}

// logitCases returns the from_logits losses with targets for b examples of
// c classes.
func logitCases(rng *rand.Rand, b, c int) []struct {
	name   string
	loss   SoftmaxLoss
	target *tensor.Tensor
} {
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
	return []struct {
		name   string
		loss   SoftmaxLoss
		target *tensor.Tensor
	}{
		{"sparse", SparseCategoricalCrossentropyLoss{FromLogits: true}, sparseY},
		{"sparse smoothed", SparseCategoricalCrossentropyLoss{FromLogits: true, LabelSmoothing: 0.2}, sparseY},
		{"categorical one-hot", CategoricalCrossentropyLoss{FromLogits: true}, oneHotY},
		{"categorical soft", CategoricalCrossentropyLoss{FromLogits: true}, softY},
		{"categorical smoothed", CategoricalCrossentropyLoss{FromLogits: true, LabelSmoothing: 0.1}, oneHotY},
	}
}

// TestFromLogitsIsSoftmaxThenLoss checks that the loss on logits z is the
// probability loss on softmax(z), for moderate logits where the latter is
// accurate (no probability near the clip bounds).
func TestFromLogitsIsSoftmaxThenLoss(t *testing.T) {
	const b, c = 6, 4
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tt := range logitCases(rng, b, c) {
		t.Run(tt.name, func(t *testing.T) {
			z := randomLogits(rng, 3, b, c)
			got := tt.loss.Compute(z, tt.target, nil)
			var probLoss Loss
			switch l := tt.loss.(type) {
			case SparseCategoricalCrossentropyLoss:
				l.FromLogits = false
				probLoss = l
			case CategoricalCrossentropyLoss:
				l.FromLogits = false
				probLoss = l
			}
			want := probLoss.Compute(softmaxOf(z), tt.target, nil)
			if math.Abs(got-want) > 1e-5*math.Abs(want) {
				t.Errorf("from logits %.9g, on softmax(z) %.9g", got, want)
			}
		})
	}
}

// TestFromLogitsGradient checks the gradient of the batch's mean loss with
// respect to the logits against finite differences.
func TestFromLogitsGradient(t *testing.T) {
	const b, c = 4, 5
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tt := range logitCases(rng, b, c) {
		t.Run(tt.name, func(t *testing.T) {
			z := randomLogits(rng, 4, b, c)
			grad := tensor.New(b, c)
			for i := range grad.Data {
				grad.Data[i] = float32(math.NaN())
			}
			loss := tt.loss.Compute(z, tt.target, grad)
			if other := tt.loss.Compute(z, tt.target, nil); other != loss {
				t.Errorf("Compute = %v with a gradient, %v without", loss, other)
			}
			want := numericGrad(z.Data, 1e-3, func() float64 { return tt.loss.Compute(z, tt.target, nil) / b })
			checkClose(t, "dlogits", grad.Data, want, 1e-5, 1e-3)
		})
	}
}

// TestFromLogitsExtreme feeds logits of ±1e4, where exp overflows float64
// and a softmax in float32 rounds to exact zeros and ones: the loss must
// stay finite and exact (lse(z) − z_y), and the gradient must be
// softmax(z) − onehot(y), here (1, −1, 0) or 0.
func TestFromLogitsExtreme(t *testing.T) {
	z := mustTensor(t, []float32{1e4, -1e4, 0, 1e4, -1e4, 0}, 2, 3)
	tests := []struct {
		name     string
		loss     Loss
		target   *tensor.Tensor
		want     float64
		wantGrad []float32
	}{
		// Example 0 is sure of class 0 and right; example 1 is sure of
		// class 0 but the label is 1: its loss is z_0 − z_1 = 2e4.
		{"sparse", SparseCategoricalCrossentropyLoss{FromLogits: true}, mustTensor(t, []float32{0, 1}, 2), 2e4, []float32{0, 0, 0, 0.5, -0.5, 0}},
		{"categorical", CategoricalCrossentropyLoss{FromLogits: true}, mustTensor(t, []float32{1, 0, 0, 0, 1, 0}, 2, 3), 2e4, []float32{0, 0, 0, 0.5, -0.5, 0}},
		// Label 2 has logit 0: its loss is 1e4.
		{"sparse middle", SparseCategoricalCrossentropyLoss{FromLogits: true}, mustTensor(t, []float32{2, 2}, 2), 2e4, []float32{0.5, 0, -0.5, 0.5, 0, -0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			grad := tensor.New(2, 3)
			got := tt.loss.Compute(z, tt.target, grad)
			if math.IsNaN(got) || math.IsInf(got, 0) || math.Abs(got-tt.want) > 1e-9*tt.want {
				t.Errorf("loss %v, want %v", got, tt.want)
			}
			for j, w := range tt.wantGrad {
				if grad.Data[j] != w {
					t.Errorf("grad = %v, want %v", grad.Data, tt.wantGrad)
					break
				}
			}
		})
	}
	// On probabilities, the same certainty is clipped to ε = 1e-7: the
	// from_logits loss is the one that tells 1e4 from 20.
	p := softmaxOf(z)
	if got := SparseCategoricalCrossentropy().Compute(p, mustTensor(t, []float32{0, 1}, 2), nil); math.Abs(got+math.Log(epsilon)) > 1e-6 {
		t.Errorf("probability loss of a certain mistake %v, want −log ε = %v", got, -math.Log(epsilon))
	}
}

// TestFromLogitsLargeBatch checks finiteness and the exact gradient
// softmax(z)·Σt − t over many rows of logits up to ±1e4.
func TestFromLogitsLargeBatch(t *testing.T) {
	const b, c = 64, 10
	rng := rand.New(rand.NewPCG(9, 10))
	for _, tt := range logitCases(rng, b, c) {
		t.Run(tt.name, func(t *testing.T) {
			z := randomLogits(rng, 1e4, b, c)
			grad := tensor.New(b, c)
			loss := tt.loss.Compute(z, tt.target, grad)
			if math.IsNaN(loss) || math.IsInf(loss, 0) || loss < 0 {
				t.Fatalf("loss %v", loss)
			}
			p := softmaxOf(z)
			for i := 0; i < b; i++ {
				var sumT float64
				targets := make([]float64, c)
				for j := range c {
					switch l := tt.loss.(type) {
					case SparseCategoricalCrossentropyLoss:
						targets[j] = float64(l.target(j, int(tt.target.Data[i]), c))
					case CategoricalCrossentropyLoss:
						targets[j] = float64(l.target(tt.target.Row(i), j, c))
					}
					sumT += targets[j]
				}
				for j := range c {
					want := (float64(p.Data[i*c+j])*sumT - targets[j]) / b
					if g := float64(grad.Data[i*c+j]); math.IsNaN(g) || math.Abs(g-want) > 1e-6 {
						t.Fatalf("grad[%d][%d] = %v, want %v", i, j, g, want)
					}
				}
			}
		})
	}
}

// TestFromLogitsAfterSoftmax: a from_logits loss compiled after a softmax
// takes the probabilities for logits; ComputeSoftmax's gradient is then
// that of Compute(softmax(z)) with respect to z.
func TestFromLogitsAfterSoftmax(t *testing.T) {
	const b, c = 3, 4
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tt := range logitCases(rng, b, c) {
		t.Run(tt.name, func(t *testing.T) {
			z := randomLogits(rng, 2, b, c)
			d := tensor.New(b, c)
			loss := tt.loss.ComputeSoftmax(softmaxOf(z), tt.target, d)
			if other := tt.loss.Compute(softmaxOf(z), tt.target, nil); math.Abs(loss-other) > 1e-9 {
				t.Errorf("ComputeSoftmax = %v, Compute = %v", loss, other)
			}
			want := numericGrad(z.Data, 1e-3, func() float64 { return tt.loss.Compute(softmaxOf(z), tt.target, nil) / b })
			checkClose(t, fmt.Sprintf("%s dlogits", tt.name), d.Data, want, 1e-5, 2e-3)
		})
	}
}
