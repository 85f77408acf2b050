package metrics

import (
	"math"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/tensor"
)

func TestTopKCategoricalAccuracy(t *testing.T) {
	nan := float32(math.NaN())
	// Class 2 is second (in the top 2); class 3 is last; a four-way tie
	// puts class 1 in every top k, as in_top_k does; class 0 is first; a
	// tie for second place keeps class 2 in the top 2; a NaN is never in.
	pred := tensorOf(t, []float32{
		0.1, 0.5, 0.3, 0.1,
		0.4, 0.3, 0.2, 0.1,
		0.25, 0.25, 0.25, 0.25,
		0.7, 0.1, 0.1, 0.1,
		0.5, 0.2, 0.2, 0.1,
		nan, 0.1, 0.1, 0.1,
	}, 6, 4)
	labels := []float32{2, 3, 1, 0, 2, 0}
	oneHot := tensor.New(6, 4)
	for i, y := range labels {
		oneHot.Row(i)[int(y)] = 1
	}
	sparse := tensorOf(t, labels, 6)
	for _, tt := range []struct {
		k    int
		want float64
	}{{1, 2.0 / 6}, {2, 4.0 / 6}, {3, 4.0 / 6}, {4, 5.0 / 6}, {10, 5.0 / 6}} {
		dense, err := TopKCategoricalAccuracyWithK(tt.k, false)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := TopKCategoricalAccuracyWithK(tt.k, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := dense.CheckTargets(oneHot, pred.Shape); err != nil {
			t.Fatal(err)
		}
		if err := sp.CheckTargets(sparse, pred.Shape); err != nil {
			t.Fatal(err)
		}
		dense.Update(pred, oneHot)
		sp.Update(pred.Slice(0, 2), sparse.Slice(0, 2))
		sp.Update(pred.Slice(2, 6), sparse.Slice(2, 6))
		if got := dense.Result(); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("top-%d accuracy %v, want %v", tt.k, got, tt.want)
		}
		if got := sp.Result(); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("sparse top-%d accuracy %v, want %v", tt.k, got, tt.want)
		}
	}
	if m := TopKCategoricalAccuracy(); m.K() != 5 || m.Name() != "top_k_categorical_accuracy" {
		t.Errorf("default: k %d, name %q", m.K(), m.Name())
	}
	if m := SparseTopKCategoricalAccuracy(); m.K() != 5 || m.Name() != "sparse_top_k_categorical_accuracy" {
		t.Errorf("sparse default: k %d, name %q", m.K(), m.Name())
	}
}

func TestTopKChecks(t *testing.T) {
	if _, err := TopKCategoricalAccuracyWithK(0, true); err == nil || !strings.Contains(err.Error(), "k is 0, want at least 1") {
		t.Errorf("k = 0: %v", err)
	}
	pred := tensor.Shape{2, 3}
	for _, tt := range []struct {
		sparse bool
		y      *tensor.Tensor
		want   string
	}{
		{true, tensorOf(t, []float32{0, 3}, 2), "target 1 is 3, want an integer class in [0, 3)"},
		{true, tensorOf(t, []float32{0, 0.5}, 2), "target 1 is 0.5"},
		{true, tensor.New(2, 3), "targets of shape (2, 3), want (2,) class indices"},
		{false, tensor.New(2), "targets of shape (2,), want (2, 3) (one-hot)"},
	} {
		m, _ := TopKCategoricalAccuracyWithK(2, tt.sparse)
		if err := m.CheckTargets(tt.y, pred); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", m.Name(), err, tt.want)
		}
	}
}
