package losses

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/tensor"
)

func TestBinaryCrossentropyValues(t *testing.T) {
	ln := math.Log
	sig := func(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
	tests := []struct {
		name   string
		loss   BinaryCrossentropyLoss
		pred   []float32
		pshape []int
		target []float32
		tshape []int
		want   float64
	}{
		{"positive", BinaryCrossentropy(), []float32{0.8}, []int{1, 1}, []float32{1}, []int{1}, -ln(0.8)},
		{"negative", BinaryCrossentropy(), []float32{0.8}, []int{1, 1}, []float32{0}, []int{1}, -ln(0.2)},
		{"batch sums", BinaryCrossentropy(), []float32{0.8, 0.3, 0.6}, []int{3, 1}, []float32{1, 0, 0}, []int{3, 1}, -ln(0.8) - ln(0.7) - ln(0.4)},
		{"flat predictions", BinaryCrossentropy(), []float32{0.8, 0.3}, []int{2}, []float32{1, 1}, []int{2}, -ln(0.8) - ln(0.3)},
		// Two outputs per example: each example's loss is their mean.
		{"mean over outputs", BinaryCrossentropy(), []float32{0.8, 0.3, 0.5, 0.9}, []int{2, 2}, []float32{1, 0, 1, 1}, []int{2, 2}, (-ln(0.8)-ln(0.7))/2 + (-ln(0.5)-ln(0.9))/2},
		{"probability target", BinaryCrossentropy(), []float32{0.8}, []int{1, 1}, []float32{0.25}, []int{1}, -0.25*ln(0.8) - 0.75*ln(0.2)},
		// ε = 0.2: the target 1 becomes 0.9.
		{"smoothed", BinaryCrossentropyLoss{LabelSmoothing: 0.2}, []float32{0.8}, []int{1, 1}, []float32{1}, []int{1}, -0.9*ln(0.8) - 0.1*ln(0.2)},
		{"clipped 0", BinaryCrossentropy(), []float32{0}, []int{1, 1}, []float32{1}, []int{1}, -ln(1e-7)},
		{"clipped 1", BinaryCrossentropy(), []float32{1}, []int{1, 1}, []float32{0}, []int{1}, -ln(1e-7)},
		{"logits", BinaryCrossentropyLoss{FromLogits: true}, []float32{2, -1}, []int{2, 1}, []float32{1, 1}, []int{2}, -ln(sig(2)) - ln(sig(-1))},
		{"logits negative class", BinaryCrossentropyLoss{FromLogits: true}, []float32{2}, []int{1, 1}, []float32{0}, []int{1}, -ln(1 - sig(2))},
		{"logits smoothed", BinaryCrossentropyLoss{FromLogits: true, LabelSmoothing: 0.2}, []float32{2}, []int{1, 1}, []float32{0}, []int{1}, -0.1*ln(sig(2)) - 0.9*ln(1-sig(2))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pred := mustTensor(t, tt.pred, tt.pshape...)
			target := mustTensor(t, tt.target, tt.tshape...)
			if err := tt.loss.CheckTargets(target, pred.Shape); err != nil {
				t.Fatalf("CheckTargets: %v", err)
			}
			if got := tt.loss.Compute(pred, target, nil); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("Compute = %.9g, want %.9g", got, tt.want)
			}
			d := tensor.New(tt.pshape...)
			if got := tt.loss.ComputeSigmoid(pred, target, d); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("ComputeSigmoid = %.9g, want %.9g", got, tt.want)
			}
		})
	}
}

// TestBinaryCrossentropyClippedGradient: a probability clipped to ε gets
// no gradient (Keras's clip), while ComputeSigmoid's p − t needs no clip.
func TestBinaryCrossentropyClippedGradient(t *testing.T) {
	pred := mustTensor(t, []float32{0, 1}, 2, 1)
	target := mustTensor(t, []float32{1, 0}, 2)
	grad := tensor.New(2, 1)
	BinaryCrossentropy().Compute(pred, target, grad)
	if grad.Data[0] != 0 || grad.Data[1] != 0 {
		t.Errorf("grad %v, want [0 0]", grad.Data)
	}
	BinaryCrossentropy().ComputeSigmoid(pred, target, grad)
	if grad.Data[0] != -0.5 || grad.Data[1] != 0.5 {
		t.Errorf("dlogits %v, want [-0.5 0.5]", grad.Data)
	}
}

func binaryTargets(rng *rand.Rand, n int, soft bool) []float32 {
	y := make([]float32, n)
	for i := range y {
		if soft {
			y[i] = float32(rng.Float64())
		} else {
			y[i] = float32(rng.IntN(2))
		}
	}
	return y
}

// TestBinaryCrossentropyGradient checks Compute's gradient against finite
// differences, on probabilities and on logits, one and three outputs per
// example.
func TestBinaryCrossentropyGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, loss := range []BinaryCrossentropyLoss{
		BinaryCrossentropy(),
		{LabelSmoothing: 0.1},
		{FromLogits: true},
		{FromLogits: true, LabelSmoothing: 0.3},
	} {
		for _, d := range []int{1, 3} {
			for _, soft := range []bool{false, true} {
				const b = 5
				pred := tensor.New(b, d)
				for i := range pred.Data {
					if loss.FromLogits {
						pred.Data[i] = float32(8*rng.Float64() - 4)
					} else {
						pred.Data[i] = float32(0.05 + 0.9*rng.Float64())
					}
				}
				target := mustTensor(t, binaryTargets(rng, b*d, soft), b, d)
				grad := tensor.New(b, d)
				loss.Compute(pred, target, grad)
				want := numericGrad(pred.Data, 1e-4, func() float64 { return loss.Compute(pred, target, nil) / b })
				checkClose(t, "grad", grad.Data, want, 1e-5, 1e-3)
			}
		}
	}
}

// TestBinaryCrossentropySigmoidGradient checks that ComputeSigmoid's
// dlogits is the gradient of the mean loss of σ(z) with respect to z.
func TestBinaryCrossentropySigmoidGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const b, d = 4, 2
	z := tensor.New(b, d)
	for i := range z.Data {
		z.Data[i] = float32(6*rng.Float64() - 3)
	}
	probs := func() *tensor.Tensor {
		p := tensor.New(b, d)
		for i, v := range z.Data {
			p.Data[i] = float32(sigmoid(float64(v)))
		}
		return p
	}
	target := mustTensor(t, binaryTargets(rng, b*d, true), b, d)
	for _, loss := range []BinaryCrossentropyLoss{BinaryCrossentropy(), {LabelSmoothing: 0.2}, {FromLogits: true}} {
		dz := tensor.New(b, d)
		loss.ComputeSigmoid(probs(), target, dz)
		want := numericGrad(z.Data, 1e-3, func() float64 { return loss.Compute(probs(), target, nil) / b })
		checkClose(t, "dlogits", dz.Data, want, 1e-5, 2e-3)
	}
}

// TestBinaryCrossentropyExtremeLogits: logits of ±1e4 give exact losses
// (0 or 1e4 per example) and gradients σ(z) − t of exactly 0 or ±1/B.
func TestBinaryCrossentropyExtremeLogits(t *testing.T) {
	z := mustTensor(t, []float32{1e4, -1e4, 1e4, -1e4}, 4, 1)
	target := mustTensor(t, []float32{1, 0, 0, 1}, 4)
	grad := tensor.New(4, 1)
	loss := BinaryCrossentropyLoss{FromLogits: true}
	got := loss.Compute(z, target, grad)
	if got != 2e4 {
		t.Errorf("loss %v, want 2e4 (two certain mistakes of 1e4 each)", got)
	}
	for i, w := range []float32{0, 0, 0.25, -0.25} {
		if grad.Data[i] != w {
			t.Errorf("grad %v, want [0 0 0.25 -0.25]", grad.Data)
			break
		}
	}
}

func TestBinaryCrossentropyCheckTargets(t *testing.T) {
	loss := BinaryCrossentropy()
	pred := tensor.Shape{3, 1}
	tests := []struct {
		name string
		y    *tensor.Tensor
		want string
	}{
		{"flat", mustTensor(t, []float32{0, 1, 0}, 3), ""},
		{"column", mustTensor(t, []float32{0, 1, 1}, 3, 1), ""},
		{"probabilities", mustTensor(t, []float32{0.5, 0.25, 1}, 3), ""},
		{"class 2", mustTensor(t, []float32{0, 2, 1}, 3), "target 1 is 2, want a class 0 or 1 or a probability in [0, 1]"},
		{"negative", mustTensor(t, []float32{0, 1, -0.5}, 3), "target 2 is -0.5"},
		{"NaN", mustTensor(t, []float32{float32(math.NaN()), 1, 0}, 3), "target 0 is NaN"},
		{"one-hot", tensor.New(3, 2), "targets of shape (3, 2), want (3, 1)"},
		{"short", tensor.New(2), "targets of shape (2,)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loss.CheckTargets(tt.y, pred)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
