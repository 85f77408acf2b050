package tailor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
)

// TestMetricTargetsChecked compiles metrics whose targets the loss's do
// not fit — precision and recall (one target per output) and one-hot
// top-k on a 3-class softmax trained with class indices — and requires
// Fit, Evaluate and TrainOnBatch to refuse the data with an error naming
// the metric, as they refuse targets the loss cannot read, instead of
// panicking in the metric's Update.
func TestMetricTargetsChecked(t *testing.T) {
	x, y := blobs(64, 3)
	for _, tc := range []struct {
		metric metrics.Metric
		want   string
	}{
		{metrics.Precision(), "precision"},
		{metrics.Recall(), "recall"},
		{metrics.BinaryAccuracy(), "binary_accuracy"},
		{metrics.TopKCategoricalAccuracy(), "top_k_categorical_accuracy"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			m := tailor.Sequential(layers.Dense(8, activations.ReLU), layers.Dense(3, activations.Softmax))
			if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy(), tc.metric); err != nil {
				t.Fatal(err)
			}
			check := func(what string, f func() error) {
				t.Helper()
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s panicked: %v", what, r)
					}
				}()
				err := f()
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "targets") {
					t.Errorf("%s: error %v, want one naming %s and its targets", what, err, tc.want)
				}
			}
			check("Fit", func() error {
				_, err := m.Fit(context.Background(), ds(t, x, y), tailor.FitOptions{Verbose: tailor.Silent})
				return err
			})
			check("Evaluate", func() error {
				_, _, err := m.Evaluate(context.Background(), ds(t, x, y), tailor.EvaluateOptions{})
				return err
			})
			check("TrainOnBatch", func() error {
				_, err := m.TrainOnBatch(x, y)
				return err
			})
		})
	}
	// The pairing that fits trains: sparse top-k with class indices.
	m := tailor.Sequential(layers.Dense(8, activations.ReLU), layers.Dense(3, activations.Softmax))
	k2, err := metrics.TopKCategoricalAccuracyWithK(2, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), k2); err != nil {
		t.Fatal(err)
	}
	h := fit(t, m, x, y, tailor.FitOptions{Epochs: 1})
	if v := h.History["sparse_top_k_categorical_accuracy"]; len(v) != 1 || v[0] <= 0 {
		t.Errorf("sparse top-2 accuracy %v", v)
	}
}
