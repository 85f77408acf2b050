package metrics

import (
	"testing"

	"github.com/tailor-ml/tailor/tensor"
)

func TestAccuracyState(t *testing.T) {
	a := Accuracy()
	pred, _ := tensor.FromSlice([]float32{0.9, 0.1, 0.2, 0.8, 0.6, 0.4}, 3, 2)
	y, _ := tensor.FromSlice([]float32{0, 0, 0}, 3)
	a.Update(pred, y)
	b := Accuracy()
	if err := b.SetState(a.State()); err != nil {
		t.Fatal(err)
	}
	a.Update(pred, y)
	b.Update(pred, y)
	if a.Result() != b.Result() || b.Result() != 4.0/6 {
		t.Errorf("restored accuracy %v, want %v", b.Result(), a.Result())
	}
	for _, bad := range [][]float64{{1}, {3, 2}, {-1, 2}, {0.5, 2}, {1, 1e300}} {
		if err := Accuracy().SetState(bad); err == nil {
			t.Errorf("state %v accepted", bad)
		}
	}
}
