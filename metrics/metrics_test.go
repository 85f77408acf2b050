package metrics

import (
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

func TestAccuracy(t *testing.T) {
	// Predicted classes: 1, 0, 2, 0 (the last row ties; the first wins).
	pred := mustTensor(t, []float32{
		0.1, 0.8, 0.1,
		0.6, 0.3, 0.1,
		0.2, 0.3, 0.5,
		0.4, 0.4, 0.2,
	}, 4, 3)
	tests := []struct {
		name   string
		target *tensor.Tensor
		want   float64
	}{
		{"sparse all right", mustTensor(t, []float32{1, 0, 2, 0}, 4), 1},
		{"sparse tie goes to the first", mustTensor(t, []float32{1, 0, 2, 1}, 4), 0.75},
		{"sparse half", mustTensor(t, []float32{1, 1, 0, 0}, 4), 0.5},
		{"sparse column", mustTensor(t, []float32{2, 0, 2, 2}, 4, 1), 0.5},
		{"one-hot", mustTensor(t, []float32{
			0, 1, 0,
			0, 0, 1,
			0, 0, 1,
			1, 0, 0,
		}, 4, 3), 0.75},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Accuracy()
			if a.Name() != "accuracy" {
				t.Errorf("Name() = %q", a.Name())
			}
			if got := a.Result(); got != 0 {
				t.Errorf("Result() before any update = %v, want 0", got)
			}
			a.Update(pred, tt.target)
			if got := a.Result(); got != tt.want {
				t.Errorf("Result() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAccuracySingleOutput: with predictions (B, 1), a sigmoid's
// probability of class 1, accuracy is binary accuracy at 0.5, as Keras
// resolves "accuracy" — not the argmax of one column, always class 0.
func TestAccuracySingleOutput(t *testing.T) {
	// Thresholded: 0, 1, 0 (0.5 is not above 0.5), 1, 1.
	pred := mustTensor(t, []float32{0.2, 0.7, 0.5, 0.9, 0.6}, 5, 1)
	for _, target := range []*tensor.Tensor{
		mustTensor(t, []float32{0, 1, 1, 1, 0}, 5),
		mustTensor(t, []float32{0, 1, 1, 1, 0}, 5, 1),
	} {
		a := Accuracy()
		a.Update(pred, target)
		if got := a.Result(); got != 0.6 {
			t.Errorf("targets %v: Result() = %v, want 0.6", target.Shape, got)
		}
		b := BinaryAccuracy()
		b.Update(pred, target)
		if a.Result() != b.Result() {
			t.Errorf("targets %v: accuracy %v, binary_accuracy %v", target.Shape, a.Result(), b.Result())
		}
	}
	// The argmax of a single column is always class 0, which scored two
	// confident positives as wrong.
	a := Accuracy()
	a.Update(mustTensor(t, []float32{0.9, 0.8}, 2, 1), mustTensor(t, []float32{1, 1}, 2))
	if got := a.Result(); got != 1 {
		t.Errorf("two confident positives: Result() = %v, want 1", got)
	}
}

func TestAccuracyAccumulatesAndResets(t *testing.T) {
	a := Accuracy()
	a.Update(mustTensor(t, []float32{0.9, 0.1, 0.2, 0.8}, 2, 2), mustTensor(t, []float32{0, 1}, 2))
	a.Update(mustTensor(t, []float32{0.9, 0.1}, 1, 2), mustTensor(t, []float32{1}, 1))
	if got, want := a.Result(), 2.0/3; got != want {
		t.Errorf("Result() over two batches = %v, want %v", got, want)
	}
	a.Reset()
	if got := a.Result(); got != 0 {
		t.Errorf("Result() after Reset = %v, want 0", got)
	}
	a.Update(mustTensor(t, []float32{0.9, 0.1}, 1, 2), mustTensor(t, []float32{1}, 1))
	if got := a.Result(); got != 0 {
		t.Errorf("Result() after Reset and a wrong prediction = %v, want 0", got)
	}
}

func TestAccuracyScore(t *testing.T) {
	got, err := AccuracyScore([]uint8{9, 2, 1, 1, 6}, []int{9, 2, 1, 0, 6})
	if err != nil || got != 0.8 {
		t.Errorf("AccuracyScore = %v, %v; want 0.8", got, err)
	}
	got, err = AccuracyScore([]int64{-1, 3}, []int32{-1, 3})
	if err != nil || got != 1 {
		t.Errorf("AccuracyScore of equal labels = %v, %v; want 1", got, err)
	}
	// 256 does not wrap to 0: labels are compared as integers.
	got, err = AccuracyScore([]int{256, 0}, []uint8{0, 0})
	if err != nil || got != 0.5 {
		t.Errorf("AccuracyScore = %v, %v; want 0.5", got, err)
	}
	for _, c := range []struct {
		yTrue, yPred []int
		want         string
	}{
		{[]int{1, 2}, []int{1}, "2 true labels but 1 predictions"},
		{nil, []int{1}, "0 true labels but 1 predictions"},
		{nil, nil, "no labels"},
		{[]int{}, []int{}, "no labels"},
	} {
		got, err := AccuracyScore(c.yTrue, c.yPred)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("AccuracyScore(%v, %v) = %v, %v; want an error containing %q", c.yTrue, c.yPred, got, err, c.want)
		}
		if got != 0 {
			t.Errorf("AccuracyScore(%v, %v) = %v with an error", c.yTrue, c.yPred, got)
		}
	}
}
