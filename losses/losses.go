// Package losses holds the objectives a model minimises, under their Keras
// names: SparseCategoricalCrossentropy (integer labels) and
// CategoricalCrossentropy (one-hot labels), on probabilities as the
// tutorial uses them or on logits (FromLogits, Keras's from_logits=True),
// with optional label smoothing; BinaryCrossentropy for a sigmoid output
// (binary.go); MeanSquaredError and MeanAbsoluteError for regression
// (regression.go).
package losses

import (
	"fmt"
	"math"

	"github.com/tailor-ml/tailor/tensor"
)

// epsilon is Keras's backend.epsilon(): probabilities are clipped to
// [epsilon, 1−epsilon] before their logarithm is taken.
const epsilon = 1e-7

// Loss measures how far a batch of predictions is from its targets.
type Loss interface {
	// Name is the Keras name, e.g. "sparse_categorical_crossentropy".
	Name() string
	// Config returns the loss's options, which FromConfig reads back.
	Config() map[string]any
	// CheckTargets reports whether y can serve as targets for predictions
	// of shape pred (batch axis included), naming the first bad value.
	CheckTargets(y *tensor.Tensor, pred tensor.Shape) error
	// Compute returns the sum over the batch of the per-example losses of
	// pred (B, C) against target and, when grad is not nil, writes into it
	// the gradient of the batch's mean loss with respect to pred.
	Compute(pred, target, grad *tensor.Tensor) float64
}

// SoftmaxLoss is implemented by losses that can differentiate straight
// through a softmax: when the model's last layer ends in softmax, its
// gradient with respect to the logits, (p − onehot)/B, is exact and stable
// where the product of the two separate gradients is not.
type SoftmaxLoss interface {
	Loss
	// ComputeSoftmax is Compute for probabilities probs produced by a
	// softmax, writing the gradient with respect to the softmax's input.
	ComputeSoftmax(probs, target, dlogits *tensor.Tensor) float64
}

// SigmoidLoss is SoftmaxLoss's counterpart for a last layer that ends in
// a sigmoid (see layers.SigmoidOutput): BinaryCrossentropy.
type SigmoidLoss interface {
	Loss
	// ComputeSigmoid is Compute for probabilities probs produced by a
	// sigmoid, writing the gradient with respect to the sigmoid's input.
	ComputeSigmoid(probs, target, dlogits *tensor.Tensor) float64
}

// crossEntropy returns −log(q_y/Σq) for one row of probabilities p and its
// target distribution (or class), where q = clip(p, ε, 1−ε). This is what
// Keras computes for from_logits=False, and its gradient is
// ∂/∂p_k = [p_k not clipped]·(−t_k/q_k + Σt/Σq).
func crossEntropy(p []float32, t func(j int) float32, grad []float32, scale float32) float64 {
	var sumQ, sumT, loss float64
	for j, v := range p {
		q := min(max(float64(v), epsilon), 1-epsilon)
		sumQ += q
		if tj := t(j); tj != 0 {
			sumT += float64(tj)
			loss -= float64(tj) * math.Log(q)
		}
	}
	loss += sumT * math.Log(sumQ)
	if grad != nil {
		for j, v := range p {
			q := float64(v)
			if q < epsilon || q > 1-epsilon {
				grad[j] = 0
				continue
			}
			grad[j] = scale * float32(-float64(t(j))/q+sumT/sumQ)
		}
	}
	return loss
}

// crossEntropyRows is Compute for both categorical cross-entropies: it sums
// crossEntropy, or logitsCrossEntropy for logits, over the rows of pred,
// target(i, j) being example i's target distribution, and writes the
// gradient of the batch's mean into grad unless it is nil.
func crossEntropyRows(fromLogits bool, pred, grad *tensor.Tensor, target func(i, j int) float32) float64 {
	b, c := pred.Len(), pred.Shape[len(pred.Shape)-1]
	scale := 1 / float32(b)
	var sum float64
	for i := 0; i < b; i++ {
		var g []float32
		if grad != nil {
			g = grad.Data[i*c : i*c+c]
		}
		// Direct calls, not a func value, so that the row's closure stays on
		// the stack: a training step allocates nothing.
		t := func(j int) float32 { return target(i, j) }
		if fromLogits {
			sum += logitsCrossEntropy(pred.Data[i*c:i*c+c], t, g, scale)
		} else {
			sum += crossEntropy(pred.Data[i*c:i*c+c], t, g, scale)
		}
	}
	return sum
}

// SparseCategoricalCrossentropyLoss is cross-entropy against integer class
// labels (stored as float32 values 0, 1, ..., C−1).
type SparseCategoricalCrossentropyLoss struct {
	// LabelSmoothing ε in [0, 1) trains against the target distribution
	// (1−ε)·onehot(y) + ε/C instead of onehot(y), as Keras's
	// CategoricalCrossentropy(label_smoothing=ε) and PyTorch's
	// CrossEntropyLoss(label_smoothing=ε) do. Zero is the tutorial's loss.
	LabelSmoothing float64
	// FromLogits says the predictions are logits, not probabilities: the
	// loss applies the softmax itself, stably (logits.go).
	FromLogits bool
}

// SparseCategoricalCrossentropy returns the loss the tutorial compiles
// with: labels are class indices, predictions are probabilities.
func SparseCategoricalCrossentropy() SparseCategoricalCrossentropyLoss {
	return SparseCategoricalCrossentropyLoss{}
}

// SparseCategoricalCrossentropyWithSmoothing returns the loss with label
// smoothing ε; it is an error unless 0 ≤ ε < 1.
func SparseCategoricalCrossentropyWithSmoothing(epsilon float64) (SparseCategoricalCrossentropyLoss, error) {
	l := SparseCategoricalCrossentropyLoss{LabelSmoothing: epsilon}
	if err := checkSmoothing(l.Name(), epsilon); err != nil {
		return SparseCategoricalCrossentropyLoss{}, err
	}
	return l, nil
}

// Name returns "sparse_categorical_crossentropy".
func (SparseCategoricalCrossentropyLoss) Name() string { return "sparse_categorical_crossentropy" }

// checkRows requires predictions (batch, classes): the categorical
// cross-entropies score one row of classes per example.
func checkRows(name string, pred tensor.Shape) error {
	if len(pred) != 2 {
		return fmt.Errorf("%s: predictions of shape %v, want (batch, classes): the loss scores one row of classes per example: end the model with a Flatten (or GlobalAveragePooling2D) and a Dense of one unit per class", name, pred)
	}
	return nil
}

// CheckTargets requires predictions (B, C) and one integer label in
// [0, C) per example.
func (l SparseCategoricalCrossentropyLoss) CheckTargets(y *tensor.Tensor, pred tensor.Shape) error {
	if err := checkRows(l.Name(), pred); err != nil {
		return err
	}
	if y.Shape.Size() != y.Len() || y.Len() != pred[0] {
		return fmt.Errorf("sparse_categorical_crossentropy: targets of shape %v, want (%d,) class indices", y.Shape, pred[0])
	}
	classes := pred[len(pred)-1]
	for i, v := range y.Data {
		if v != float32(int(v)) || v < 0 || int(v) >= classes {
			return fmt.Errorf("sparse_categorical_crossentropy: target %d is %v, want an integer class in [0, %d)", i, v, classes)
		}
	}
	return nil
}

// target returns the (smoothed) target distribution's entry j for label y
// among c classes.
func (l SparseCategoricalCrossentropyLoss) target(j, y, c int) float32 {
	t := float32(l.LabelSmoothing) / float32(c)
	if j == y {
		t += 1 - float32(l.LabelSmoothing)
	}
	return t
}

// Compute returns Σ −Σ_j t_j·log(p_j/Σp) (with Keras's clipping) for the
// target distribution t of each label, and its gradient; with FromLogits,
// Σ −Σ_j t_j·log softmax(z)_j.
func (l SparseCategoricalCrossentropyLoss) Compute(pred, target, grad *tensor.Tensor) float64 {
	c := pred.Shape[len(pred.Shape)-1]
	return crossEntropyRows(l.FromLogits, pred, grad, func(i, j int) float32 { return l.target(j, int(target.Data[i]), c) })
}

// ComputeSoftmax returns the same loss with the gradient (p − t)/B with
// respect to the logits of the softmax that produced probs. With
// FromLogits the probabilities are taken for logits, as Keras does when
// from_logits=True follows a softmax, and the gradient goes through the
// softmax's Jacobian.
func (l SparseCategoricalCrossentropyLoss) ComputeSoftmax(probs, target, dlogits *tensor.Tensor) float64 {
	if l.FromLogits {
		loss := l.Compute(probs, target, dlogits)
		throughSoftmax(probs, dlogits)
		return loss
	}
	b, c := probs.Len(), probs.Shape[len(probs.Shape)-1]
	scale := 1 / float32(b)
	var sum float64
	for i := 0; i < b; i++ {
		y := int(target.Data[i])
		p, d := probs.Data[i*c:i*c+c], dlogits.Data[i*c:i*c+c]
		for j, v := range p {
			t := l.target(j, y, c)
			if t != 0 {
				sum -= float64(t) * math.Log(min(max(float64(v), epsilon), 1-epsilon))
			}
			d[j] = (v - t) * scale
		}
	}
	return sum
}

// CategoricalCrossentropyLoss is cross-entropy against one-hot (or soft)
// target distributions.
type CategoricalCrossentropyLoss struct {
	// LabelSmoothing ε in [0, 1) trains against t·(1−ε) + ε/C instead of
	// the targets t, as Keras's label_smoothing does. Zero by default.
	LabelSmoothing float64
	// FromLogits says the predictions are logits, not probabilities
	// (logits.go).
	FromLogits bool
}

// target returns the (smoothed) target j of a row t of c targets.
func (l CategoricalCrossentropyLoss) target(t []float32, j, c int) float32 {
	if l.LabelSmoothing == 0 {
		return t[j]
	}
	return t[j]*(1-float32(l.LabelSmoothing)) + float32(l.LabelSmoothing)/float32(c)
}

// CategoricalCrossentropy returns cross-entropy for one-hot targets of the
// predictions' shape.
func CategoricalCrossentropy() CategoricalCrossentropyLoss { return CategoricalCrossentropyLoss{} }

// Name returns "categorical_crossentropy".
func (CategoricalCrossentropyLoss) Name() string { return "categorical_crossentropy" }

// CheckTargets requires predictions (B, C) and targets of their shape
// with non-negative entries.
func (l CategoricalCrossentropyLoss) CheckTargets(y *tensor.Tensor, pred tensor.Shape) error {
	if err := checkRows(l.Name(), pred); err != nil {
		return err
	}
	if !y.Shape.Equal(pred) {
		return fmt.Errorf("categorical_crossentropy: targets of shape %v, want %v (one-hot)", y.Shape, pred)
	}
	for i, v := range y.Data {
		if !(v >= 0) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("categorical_crossentropy: target value %d is %v, want a finite probability", i, v)
		}
	}
	return nil
}

// Compute returns Σ −Σ_j t_j·log(p_j/Σp) (with Keras's clipping) and its
// gradient; with FromLogits, Σ −Σ_j t_j·log softmax(z)_j.
func (l CategoricalCrossentropyLoss) Compute(pred, target, grad *tensor.Tensor) float64 {
	c := pred.Shape[len(pred.Shape)-1]
	return crossEntropyRows(l.FromLogits, pred, grad, func(i, j int) float32 { return l.target(target.Data[i*c:i*c+c], j, c) })
}

// ComputeSoftmax returns the loss with its gradient with respect to the
// softmax's logits, (p·Σt − t)/B, which is (p − t)/B for one-hot targets.
// With FromLogits the probabilities are taken for logits, as for the
// sparse loss.
func (l CategoricalCrossentropyLoss) ComputeSoftmax(probs, target, dlogits *tensor.Tensor) float64 {
	if l.FromLogits {
		loss := l.Compute(probs, target, dlogits)
		throughSoftmax(probs, dlogits)
		return loss
	}
	b, c := probs.Len(), probs.Shape[len(probs.Shape)-1]
	scale := 1 / float32(b)
	var sum float64
	for i := 0; i < b; i++ {
		p, t, d := probs.Data[i*c:i*c+c], target.Data[i*c:i*c+c], dlogits.Data[i*c:i*c+c]
		var sumT float32
		for j, v := range p {
			tj := l.target(t, j, c)
			sumT += tj
			if tj != 0 {
				sum -= float64(tj) * math.Log(min(max(float64(v), epsilon), 1-epsilon))
			}
		}
		for j, v := range p {
			d[j] = (v*sumT - l.target(t, j, c)) * scale
		}
	}
	return sum
}
