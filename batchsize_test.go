package tailor_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/tensor"
)

// bigActivations returns a model whose layers output 1100·1024 values per
// example — a batch of 256 would take 1.1 GiB, over MaxInferenceBytes —
// made of reshapes, which cost nothing to run.
func bigActivations(t *testing.T) *tailor.Model {
	t.Helper()
	var ls []layers.Layer
	for range 1100 {
		ls = append(ls, layers.Reshape(1024))
	}
	m := tailor.Sequential(append(ls, layers.Dense(2, activations.Softmax))...)
	m.SetSeed(1)
	if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(1024); err != nil {
		t.Fatal(err)
	}
	if m.ActivationBytes(256) <= tailor.MaxInferenceBytes {
		t.Fatalf("a batch of 256 takes %d bytes, want more than MaxInferenceBytes", m.ActivationBytes(256))
	}
	return m
}

// gatherCounter is a dataset read by Gather alone, recording the largest
// batch asked of it.
type gatherCounter struct {
	datasets.Dataset
	most int
}

func (g *gatherCounter) Gather(dst *tensor.Tensor, idx []int) error {
	g.most = max(g.most, len(idx))
	return g.Dataset.Gather(dst, idx)
}

// TestDefaultBatchFitsTheLimit: for a model whose batch of 256 would need
// more than MaxInferenceBytes, Predict and Evaluate without a BatchSize use
// the largest batch that fits instead of refusing to run, with the same
// results as smaller batches, and Fit's validation pass keeps to that
// batch too rather than 256.
func TestDefaultBatchFitsTheLimit(t *testing.T) {
	ctx := context.Background()
	m := bigActivations(t)
	b := m.DefaultBatchSize(false)
	if b >= 256 || m.ActivationBytes(b) > tailor.MaxInferenceBytes || m.ActivationBytes(b+1) <= tailor.MaxInferenceBytes {
		t.Fatalf("DefaultBatchSize %d: %d bytes, want the largest batch within %d", b, m.ActivationBytes(b), tailor.MaxInferenceBytes)
	}
	if fb := m.DefaultBatchSize(true); 2*m.ActivationBytes(fb) > tailor.MaxInferenceBytes || 2*m.ActivationBytes(fb+1) <= tailor.MaxInferenceBytes {
		t.Errorf("DefaultBatchSize with flip averaging %d, want the largest batch whose two passes fit", fb)
	}

	rng := rand.New(rand.NewPCG(3, 4))
	x, y := tensor.New(300, 1024), tensor.New(300)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	for i := range y.Data {
		y.Data[i] = float32(i % 2)
	}
	got, err := m.Predict(ctx, x, tailor.PredictOptions{})
	if err != nil {
		t.Fatalf("Predict with the default batch: %v", err)
	}
	want, err := m.Predict(ctx, x, tailor.PredictOptions{BatchSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Data, want.Data) {
		t.Error("Predict's default batch gives other outputs than batches of 64")
	}
	if _, _, err := m.Evaluate(ctx, ds(t, x, y), tailor.EvaluateOptions{}); err != nil {
		t.Fatalf("Evaluate with the default batch: %v", err)
	}
	// An explicit batch over the limit is still an error asking for less.
	if _, err := m.Predict(ctx, x, tailor.PredictOptions{BatchSize: 256}); err == nil || !strings.Contains(err.Error(), "use a smaller BatchSize") {
		t.Errorf("Predict with batches of 256: %v", err)
	}

	val := &gatherCounter{Dataset: ds(t, x, y)}
	if _, err := m.Fit(ctx, ds(t, x.Slice(0, 8), y.Slice(0, 8)), tailor.FitOptions{BatchSize: 4, ValidationData: val, Verbose: tailor.Silent}); err != nil {
		t.Fatal(err)
	}
	if val.most == 0 || val.most > b {
		t.Errorf("validation read batches of %d examples, want at most %d", val.most, b)
	}
}
