package metrics

import (
	"math"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/tensor"
)

func tensorOf(t *testing.T, data []float32, shape ...int) *tensor.Tensor {
	t.Helper()
	x, err := tensor.FromSlice(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// Seven sigmoid outputs and their classes. At the threshold 0.5 (strictly
// above means class 1) the predicted classes are 1 1 0 0 0 1 0: correct at
// 0, 3, 4, 5; true positives 0 and 5, a false positive at 1, false
// negatives at 2 and 6.
var (
	binaryPred   = []float32{0.9, 0.6, 0.5, 0.4, 0.1, 0.7, 0.2}
	binaryTarget = []float32{1, 0, 1, 0, 0, 1, 1}
)

func TestBinaryMetrics(t *testing.T) {
	pred := tensorOf(t, binaryPred, 7, 1)
	target := tensorOf(t, binaryTarget, 7)
	at := func(th float64) []Metric {
		a, err := BinaryAccuracyWithThreshold(th)
		if err != nil {
			t.Fatal(err)
		}
		p, err := PrecisionWithThreshold(th)
		if err != nil {
			t.Fatal(err)
		}
		r, err := RecallWithThreshold(th)
		if err != nil {
			t.Fatal(err)
		}
		return []Metric{a, p, r}
	}
	tests := []struct {
		name    string
		metrics []Metric
		want    []float64 // accuracy, precision, recall
	}{
		{"default", []Metric{BinaryAccuracy(), Precision(), Recall()}, []float64{4.0 / 7, 2.0 / 3, 2.0 / 4}},
		{"0.5", at(0.5), []float64{4.0 / 7, 2.0 / 3, 2.0 / 4}},
		// At 0.3: predicted 1 1 1 1 0 1 0; TP 0, 2, 5; FP 1, 3; FN 6.
		{"0.3", at(0.3), []float64{4.0 / 7, 3.0 / 5, 3.0 / 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, m := range tt.metrics {
				if got := m.Result(); got != 0 {
					t.Errorf("%s before any update: %v, want 0", m.Name(), got)
				}
				m.Update(pred, target)
				if got := m.Result(); math.Abs(got-tt.want[i]) > 1e-12 {
					t.Errorf("%s = %v, want %v", m.Name(), got, tt.want[i])
				}
				m.Reset()
				// Two batches give the figure of one.
				m.Update(pred.Slice(0, 3), target.Slice(0, 3))
				m.Update(pred.Slice(3, 7), target.Slice(3, 7))
				if got := m.Result(); math.Abs(got-tt.want[i]) > 1e-12 {
					t.Errorf("%s over two batches = %v, want %v", m.Name(), got, tt.want[i])
				}
			}
		})
	}
}

// TestBinaryMetricsNoPositives: precision without predicted positives and
// recall without positive targets are 0, as Keras's divide_no_nan makes
// them.
func TestBinaryMetricsNoPositives(t *testing.T) {
	pred := tensorOf(t, []float32{0.1, 0.2}, 2, 1)
	target := tensorOf(t, []float32{0, 0}, 2, 1)
	p, r, a := Precision(), Recall(), BinaryAccuracy()
	for _, m := range []Metric{p, r, a} {
		m.Update(pred, target)
	}
	if p.Result() != 0 || r.Result() != 0 || a.Result() != 1 {
		t.Errorf("precision %v, recall %v, accuracy %v; want 0, 0, 1", p.Result(), r.Result(), a.Result())
	}
}

func TestBinaryMetricsState(t *testing.T) {
	pred := tensorOf(t, binaryPred, 7, 1)
	target := tensorOf(t, binaryTarget, 7)
	fresh := []func() Stateful{
		func() Stateful { return BinaryAccuracy() },
		func() Stateful { return Precision() },
		func() Stateful { return Recall() },
		func() Stateful { return TopKCategoricalAccuracy() },
	}
	for _, newMetric := range fresh {
		a, b := newMetric(), newMetric()
		p, y := pred, target
		if strings.Contains(a.Name(), "top_k") {
			p = tensorOf(t, []float32{0.9, 0.1, 0.2, 0.8}, 2, 2)
			y = tensorOf(t, []float32{1, 0, 1, 0}, 2, 2)
		}
		a.Update(p, y)
		if err := b.SetState(a.State()); err != nil {
			t.Fatalf("%s: %v", a.Name(), err)
		}
		a.Update(p, y)
		b.Update(p, y)
		if a.Result() != b.Result() {
			t.Errorf("%s: restored %v, want %v", a.Name(), b.Result(), a.Result())
		}
		for _, bad := range [][]float64{{1}, {1, 2, 3}, {-1, 2}, {0.5, 2}, {1, 1e300}, {math.NaN(), 1}} {
			if err := newMetric().SetState(bad); err == nil || !strings.HasPrefix(err.Error(), a.Name()) {
				t.Errorf("%s: state %v: error %v, want one naming the metric", a.Name(), bad, err)
			}
		}
	}
	if err := BinaryAccuracy().SetState([]float64{3, 2}); err == nil {
		t.Error("binary_accuracy: 3 correct of 2 accepted")
	}
}

func TestBinaryMetricsChecks(t *testing.T) {
	for _, th := range []float64{-0.1, 1.5, math.NaN()} {
		if _, err := BinaryAccuracyWithThreshold(th); err == nil {
			t.Errorf("binary accuracy threshold %v accepted", th)
		}
		if _, err := PrecisionWithThreshold(th); err == nil {
			t.Errorf("precision threshold %v accepted", th)
		}
		if _, err := RecallWithThreshold(th); err == nil {
			t.Errorf("recall threshold %v accepted", th)
		}
	}
	m := BinaryAccuracy()
	if err := m.CheckTargets(tensor.New(4), tensor.Shape{4, 1}); err != nil {
		t.Errorf("(4,) targets for (4, 1): %v", err)
	}
	if err := m.CheckTargets(tensor.New(4), tensor.Shape{4, 10}); err == nil || !strings.Contains(err.Error(), "binary_accuracy: targets of shape (4,) for predictions of shape (4, 10)") {
		t.Errorf("(4,) targets for (4, 10): %v", err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "binary_accuracy: 40 predictions but 4 targets") {
			t.Errorf("Update on mismatched sizes: panic %v", r)
		}
	}()
	m.Update(tensor.New(4, 10), tensor.New(4))
}
