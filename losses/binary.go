package losses

import (
	"fmt"
	"math"

	"github.com/tailor-ml/tailor/tensor"
)

// BinaryCrossentropyLoss is Keras's BinaryCrossentropy: the cross-entropy
// between a target t in [0, 1] (a class 0 or 1, or a probability) and the
// predicted probability p of class 1, element by element, averaged over
// each example's elements. A Dense(1, sigmoid) output is its usual input:
// predictions (B, 1) with targets (B,) or (B, 1).
type BinaryCrossentropyLoss struct {
	// FromLogits says the predictions are logits z, not probabilities:
	// the loss applies the sigmoid itself, stably.
	FromLogits bool
	// LabelSmoothing ε in [0, 1) replaces each target t by
	// t·(1−ε) + ε/2, as Keras does.
	LabelSmoothing float64
}

// BinaryCrossentropy returns the loss for a sigmoid output, on
// probabilities, without label smoothing: Keras's
// keras.losses.BinaryCrossentropy().
func BinaryCrossentropy() BinaryCrossentropyLoss { return BinaryCrossentropyLoss{} }

// Name returns "binary_crossentropy".
func (BinaryCrossentropyLoss) Name() string { return "binary_crossentropy" }

// CheckTargets requires one target per prediction, each in [0, 1].
func (l BinaryCrossentropyLoss) CheckTargets(y *tensor.Tensor, pred tensor.Shape) error {
	if err := checkElementwise(l.Name(), y, pred); err != nil {
		return err
	}
	for i, v := range y.Data {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("%s: target %d is %v, want a class 0 or 1 or a probability in [0, 1]", l.Name(), i, v)
		}
	}
	return nil
}

// Config returns {"from_logits": true} and {"label_smoothing": ε} for the
// options that are set (neither by default).
func (l BinaryCrossentropyLoss) Config() map[string]any {
	return crossentropyConfig(l.LabelSmoothing, l.FromLogits)
}

// smooth returns the smoothed target.
func (l BinaryCrossentropyLoss) smooth(t float32) float64 {
	return float64(t)*(1-l.LabelSmoothing) + l.LabelSmoothing/2
}

// Compute returns the sum over the batch of each example's mean, over its
// D elements, of
//
//	ℓ(p, t) = −t·log q − (1−t)·log(1−q),   q = clip(p, ε, 1−ε)
//	∂ℓ/∂p   = (q − t) / (q·(1−q)),  0 where p was clipped
//
// (Keras's clipping, ε = 1e-7), or with FromLogits
//
//	ℓ(z, t) = max(z, 0) − z·t + log(1 + exp(−|z|))
//	∂ℓ/∂z   = σ(z) − t
//
// which is finite and exact for any finite logit. The gradient written to
// grad is that of the batch's mean loss, ∂ℓ/∂p / (B·D).
func (l BinaryCrossentropyLoss) Compute(pred, target, grad *tensor.Tensor) float64 {
	b := pred.Len()
	d := len(pred.Data) / max(b, 1)
	scale := 1 / float64(b*d)
	var sum float64
	for i, v := range pred.Data {
		t := l.smooth(target.Data[i])
		var loss, g float64
		if l.FromLogits {
			loss, g = logitBCE(float64(v), t)
		} else {
			loss, g = probBCE(float64(v), t)
		}
		sum += loss
		if grad != nil {
			grad.Data[i] = float32(g * scale)
		}
	}
	return sum / float64(d)
}

// ComputeSigmoid is Compute for probabilities probs produced by a
// sigmoid, writing the gradient with respect to the sigmoid's input,
// (p − t)/(B·D): exact and stable where the product of ∂ℓ/∂p and
// σ'(z) = p(1−p) loses everything once p rounds to 0 or 1. With FromLogits
// the probabilities are taken for logits (Keras warns of that pairing) and
// the gradient goes through σ'.
func (l BinaryCrossentropyLoss) ComputeSigmoid(probs, target, dlogits *tensor.Tensor) float64 {
	if l.FromLogits {
		loss := l.Compute(probs, target, dlogits)
		for i, p := range probs.Data {
			dlogits.Data[i] *= p * (1 - p)
		}
		return loss
	}
	b := probs.Len()
	d := len(probs.Data) / max(b, 1)
	scale := 1 / float64(b*d)
	var sum float64
	for i, v := range probs.Data {
		t := l.smooth(target.Data[i])
		loss, _ := probBCE(float64(v), t)
		sum += loss
		dlogits.Data[i] = float32((float64(v) - t) * scale)
	}
	return sum / float64(d)
}

// probBCE returns ℓ(p, t) and ∂ℓ/∂p on a probability, clipped as Keras
// clips it.
func probBCE(p, t float64) (loss, grad float64) {
	q := min(max(p, epsilon), 1-epsilon)
	loss = -t*math.Log(q) - (1-t)*math.Log(1-q)
	if p < epsilon || p > 1-epsilon {
		return loss, 0
	}
	return loss, (q - t) / (q * (1 - q))
}

// logitBCE returns ℓ(z, t) and ∂ℓ/∂z on a logit.
func logitBCE(z, t float64) (loss, grad float64) {
	loss = max(z, 0) - z*t + math.Log1p(math.Exp(-math.Abs(z)))
	return loss, sigmoid(z) - t
}

// sigmoid returns 1/(1+exp(−z)) without overflow for either sign of z.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// checkElementwise requires targets with one value per prediction, shaped
// as the predictions up to trailing axes of length 1 — (B,) against
// (B, 1) — and finite.
func checkElementwise(name string, y *tensor.Tensor, pred tensor.Shape) error {
	if !squeeze(y.Shape).Equal(squeeze(pred)) {
		return fmt.Errorf("%s: targets of shape %v, want %v (one target per prediction)", name, y.Shape, pred)
	}
	for i, v := range y.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s: target %d is %v, want a finite number", name, i, v)
		}
	}
	return nil
}

// squeeze drops the trailing axes of length 1 after the batch axis.
func squeeze(s tensor.Shape) tensor.Shape {
	for len(s) > 1 && s[len(s)-1] == 1 {
		s = s[:len(s)-1]
	}
	return s
}
