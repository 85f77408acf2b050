package losses

import (
	"math"

	"github.com/tailor-ml/tailor/tensor"
)

// This file holds the from_logits forms of the categorical cross-entropies:
// the model's last layer is linear and the loss applies the softmax itself,
// through the log-sum-exp, so that no probability is ever rounded to 0 or 1
// before its logarithm is taken.

// logitsCrossEntropy returns −Σ_j t_j·log softmax(z)_j for one row of
// logits z and its target distribution (or class) t:
//
//	lse(z) = m + log Σ_k exp(z_k − m),   m = max_k z_k
//	loss   = Σ_j t_j·(lse(z) − z_j)
//	∂loss/∂z_k = softmax(z)_k·Σt − t_k
//
// Every exp takes an argument ≤ 0 and every lse(z) − z_j is ≥ 0, so logits
// of ±1e4 give finite losses and exact gradients. The gradient, times
// scale, goes to grad unless it is nil.
func logitsCrossEntropy(z []float32, t func(j int) float32, grad []float32, scale float32) float64 {
	m := math.Inf(-1)
	for _, v := range z {
		m = max(m, float64(v))
	}
	var s float64
	for _, v := range z {
		s += math.Exp(float64(v) - m)
	}
	lse := m + math.Log(s)
	var loss, sumT float64
	for j, v := range z {
		if tj := t(j); tj != 0 {
			sumT += float64(tj)
			loss += float64(tj) * (lse - float64(v))
		}
	}
	if grad != nil {
		for j, v := range z {
			p := math.Exp(float64(v) - lse)
			grad[j] = scale * float32(p*sumT-float64(t(j)))
		}
	}
	return loss
}

// throughSoftmax turns, row by row, the gradient g with respect to a
// softmax's output p into the gradient with respect to its input:
//
//	∂L/∂z_k = p_k·(g_k − Σ_j p_j·g_j)
//
// It serves a from_logits loss compiled after a softmax layer, which Keras
// allows (with a warning): the probabilities are then taken for logits.
func throughSoftmax(p, g *tensor.Tensor) {
	c := p.Shape[len(p.Shape)-1]
	for i := 0; i < p.Len(); i++ {
		pr, gr := p.Data[i*c:i*c+c], g.Data[i*c:i*c+c]
		var dot float64
		for j, v := range pr {
			dot += float64(v) * float64(gr[j])
		}
		for j, v := range pr {
			gr[j] = float32(float64(v) * (float64(gr[j]) - dot))
		}
	}
}
