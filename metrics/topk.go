package metrics

import (
	"fmt"

	"github.com/tailor-ml/tailor/tensor"
)

// DefaultK is Keras's k for the top-k accuracies.
const DefaultK = 5

// TopKMetric counts the examples whose target class is among the k
// classes with the highest predictions: Keras's TopKCategoricalAccuracy
// (one-hot targets (B, C)) and SparseTopKCategoricalAccuracy (class
// indices (B,)). As TensorFlow's in_top_k, classes tied with the k-th
// prediction all count as in the top k: the target is in when fewer than k
// classes score strictly higher; a NaN prediction for it never is.
type TopKMetric struct {
	k      int
	sparse bool
	tally
}

// TopKCategoricalAccuracy returns the top-5 accuracy for one-hot targets.
func TopKCategoricalAccuracy() *TopKMetric { return &TopKMetric{k: DefaultK} }

// SparseTopKCategoricalAccuracy returns the top-5 accuracy for class
// indices.
func SparseTopKCategoricalAccuracy() *TopKMetric { return &TopKMetric{k: DefaultK, sparse: true} }

// TopKCategoricalAccuracyWithK returns the top-k accuracy for one-hot
// targets, or for class indices when sparse is set; it is an error unless
// k ≥ 1.
func TopKCategoricalAccuracyWithK(k int, sparse bool) (*TopKMetric, error) {
	m := &TopKMetric{k: k, sparse: sparse}
	if k < 1 {
		return nil, fmt.Errorf("%s: k is %d, want at least 1", m.Name(), k)
	}
	return m, nil
}

// Name returns "top_k_categorical_accuracy", or
// "sparse_top_k_categorical_accuracy" for class indices.
func (m *TopKMetric) Name() string {
	if m.sparse {
		return "sparse_top_k_categorical_accuracy"
	}
	return "top_k_categorical_accuracy"
}

// K returns k.
func (m *TopKMetric) K() int { return m.k }

// Config returns {"k": k}, Keras's key.
func (m *TopKMetric) Config() map[string]any { return map[string]any{"k": m.k} }

// CheckTargets requires class indices in [0, C) (B,) or (B, 1) for the
// sparse form, one-hot rows of the predictions' shape (B, C) otherwise.
func (m *TopKMetric) CheckTargets(y *tensor.Tensor, pred tensor.Shape) error {
	classes := pred[len(pred)-1]
	if !m.sparse {
		if !y.Shape.Equal(pred) {
			return fmt.Errorf("%s: targets of shape %v, want %v (one-hot)", m.Name(), y.Shape, pred)
		}
		return nil
	}
	if y.Shape.Size() != y.Len() || y.Len() != pred[0] {
		return fmt.Errorf("%s: targets of shape %v, want (%d,) class indices", m.Name(), y.Shape, pred[0])
	}
	for i, v := range y.Data {
		if v != float32(int(v)) || v < 0 || int(v) >= classes {
			return fmt.Errorf("%s: target %d is %v, want an integer class in [0, %d)", m.Name(), i, v, classes)
		}
	}
	return nil
}

// Clone returns a new metric with the same k.
func (m *TopKMetric) Clone() Metric { return &TopKMetric{k: m.k, sparse: m.sparse} }

// Update counts the batch's examples whose class is in the top k. It
// panics on targets CheckTargets would refuse.
func (m *TopKMetric) Update(pred, target *tensor.Tensor) {
	b := pred.Len()
	c := pred.Shape[len(pred.Shape)-1]
	for i := 0; i < b; i++ {
		row := pred.Data[i*c : i*c+c]
		var y int
		if m.sparse {
			y = int(target.Data[i])
		} else {
			y = tensor.Argmax(target.Data[i*c : i*c+c])
		}
		if y < 0 || y >= c {
			panic(fmt.Sprintf("metrics: %s: target %d is class %d of %d (check the targets with CheckTargets first)", m.Name(), i, y, c))
		}
		py := row[y]
		if py != py { // NaN
			continue
		}
		higher := 0
		for _, p := range row {
			if p > py {
				higher++
			}
		}
		if higher < m.k {
			m.correct++
		}
	}
	m.total += b
}

// SetState restores the counts State returned.
func (m *TopKMetric) SetState(s []float64) error { return m.setState(m.Name(), s) }
