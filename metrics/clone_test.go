package metrics

import (
	"reflect"
	"testing"

	"github.com/tailor-ml/tailor/tensor"
)

// TestClone: a clone has the same name and configuration and nothing
// accumulated, and updating it leaves the original alone.
func TestClone(t *testing.T) {
	p, _ := PrecisionWithThreshold(0.3)
	k, _ := TopKCategoricalAccuracyWithK(2, true)
	pred := &tensor.Tensor{Shape: tensor.Shape{2, 3}, Data: []float32{0.7, 0.2, 0.1, 0.1, 0.3, 0.6}}
	sparse := &tensor.Tensor{Shape: tensor.Shape{2}, Data: []float32{0, 2}}
	binPred := &tensor.Tensor{Shape: tensor.Shape{2, 1}, Data: []float32{0.4, 0.8}}
	binY := &tensor.Tensor{Shape: tensor.Shape{2, 1}, Data: []float32{1, 1}}
	for _, tc := range []struct {
		m       Metric
		pred, y *tensor.Tensor
	}{
		{Accuracy(), pred, sparse},
		{k, pred, sparse},
		{BinaryAccuracy(), binPred, binY},
		{p, binPred, binY},
		{Recall(), binPred, binY},
	} {
		tc.m.Update(tc.pred, tc.y)
		before := tc.m.Result()
		c := tc.m.Clone()
		if c.Name() != tc.m.Name() || !reflect.DeepEqual(c.Config(), tc.m.Config()) {
			t.Errorf("%s: clone %s %v, want config %v", tc.m.Name(), c.Name(), c.Config(), tc.m.Config())
		}
		if c.Result() != 0 {
			t.Errorf("%s: a fresh clone reports %v", tc.m.Name(), c.Result())
		}
		c.Update(tc.pred, tc.y)
		c.Update(tc.pred, tc.y)
		if c.Result() != before || tc.m.Result() != before {
			t.Errorf("%s: clone %v, original %v after updating the clone, want both %v", tc.m.Name(), c.Result(), tc.m.Result(), before)
		}
	}
}
