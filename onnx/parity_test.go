package onnx_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/onnx"
	"github.com/tailor-ml/tailor/tensor"
)

// Each model is trained for one epoch on the first trainImages images in
// batches of trainBatch, with its recipe's optimizer and loss: enough to
// move it well away from its near-uniform random outputs (test accuracy
// about 0.8) in seconds on two cores. The batches are smaller than the
// recipes' so that the 625 steps bring batch normalisation's moving
// statistics (momentum 0.99) to within 0.2% of their initial values' pull;
// in fewer steps cnn and best, judged on those statistics, score 0.2–0.4.
const (
	trainImages = 10000
	trainBatch  = 16
)

// fit trains m on x and y as the parity test needs. It is the one place
// this package calls Fit.
func fit(ctx context.Context, m *tailor.Model, x, y *tensor.Tensor, epochs, batch int, seed uint64) error {
	train, err := datasets.FromTensors(x, y)
	if err != nil {
		return err
	}
	_, err = m.Fit(ctx, train, tailor.FitOptions{Epochs: epochs, BatchSize: batch, Seed: seed, Verbose: tailor.Silent})
	return err
}

// trained returns the named predefined model compiled with its recipe and
// trained for one epoch on the first trainImages images.
func trained(t *testing.T, ctx context.Context, name string, x, y *tensor.Tensor) *tailor.Model {
	t.Helper()
	m, err := models.New(name)
	if err != nil {
		t.Fatal(err)
	}
	recipe, err := models.TrainingRecipe(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetSeed(1); err != nil {
		t.Fatal(err)
	}
	n := min(trainImages, x.Len())
	if err := m.Compile(recipe.Optimizer(models.Steps(1, n, trainBatch)), recipe.Loss(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	if err := fit(ctx, m, x.Slice(0, n), y.Slice(0, n), 1, trainBatch, 1); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFashionMNISTParity exports the four predefined models, each trained
// briefly, and compares ONNX Runtime's probabilities on the 10,000 test
// images with Tailor's Predict: for the float32 models every probability
// within 1e-5 and every argmax the same (unless Tailor's top two lie within
// 1e-5); for best, whose convolutions Tailor computes in mixed_bfloat16
// and ONNX Runtime in float32, at least 99.8% of the argmaxes the same.
// onnx.checker validates each file.
func TestFashionMNISTParity(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four models on the real dataset")
	}
	node := needORT(t)
	ctx := context.Background()
	train, test, err := fashionmnist.LoadData(ctx, fashionmnist.Options{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromUint8(train.Images, 1.0/255, train.N, 28, 28)
	y, _ := tensor.FromUint8(train.Labels, 1, train.N)
	tx, _ := tensor.FromUint8(test.Images, 1.0/255, test.N, 28, 28)

	for _, name := range []string{"mlp", "ref-cnn", "cnn", "best"} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			m := trained(t, ctx, name, x, y)
			trainSeconds := time.Since(start).Seconds()
			want, err := m.Predict(ctx, tx, tailor.PredictOptions{})
			if err != nil {
				t.Fatal(err)
			}
			acc, err := metrics.AccuracyScore(test.Labels, want.Argmax())
			if err != nil {
				t.Fatal(err)
			}
			if acc < 0.6 {
				t.Fatalf("test accuracy %.4f after training on %d images, want ≥ 0.6 for the comparison to mean something", acc, trainImages)
			}
			path := export(t, m, onnx.Options{})
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			checkModel(t, path)
			got, res := runORT(t, node, path, tx, m.OutputShape())
			a := compareRows(want, got, 1e-5)
			t.Logf("%s: %d-byte ONNX file, trained %.1f s on %d images (Tailor test accuracy %.4f); ONNX Runtime %.2f s for %d images; %v",
				name, st.Size(), trainSeconds, trainImages, acc, res.Seconds, tx.Len(), a)
			if name == "best" {
				if rate := float64(a.agree) / float64(a.n); rate < 0.998 {
					t.Errorf("mixed_bfloat16 model: %v; want ≥ 99.8%% of the argmaxes to agree", a)
				}
				return
			}
			if a.maxDiff > 1e-5 {
				t.Errorf("%v; want every probability within 1e-5 (worst: row %d, column %d)", a, a.where/m.OutputShape().Size(), a.where%m.OutputShape().Size())
			}
			if a.agree+a.close != a.n {
				t.Errorf("%v; want every argmax to agree except where the top two lie within 1e-5", a)
			}
		})
	}
}
