package tailor_test

import (
	"context"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/tensor"
)

// TestTutorialOneEpoch trains the tutorial's MLP for one epoch on the real
// Fashion-MNIST (which .ci/run installs) and checks the test accuracy.
func TestTutorialOneEpoch(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on the real dataset")
	}
	ctx := context.Background()
	train, test, err := fashionmnist.LoadData(ctx, fashionmnist.Options{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := tensor.FromUint8(train.Images, 1.0/255, train.N, 28, 28)
	y, _ := tensor.FromUint8(train.Labels, 1, train.N)
	tx, _ := tensor.FromUint8(test.Images, 1.0/255, test.N, 28, 28)
	ty, _ := tensor.FromUint8(test.Labels, 1, test.N)

	model := models.MLP()
	if err := model.SetSeed(2); err != nil {
		t.Fatal(err)
	}
	if err := model.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	hist, err := model.Fit(ctx, ds(t, x, y), tailor.FitOptions{Epochs: 1, Seed: 2, Verbose: tailor.Silent})
	if err != nil {
		t.Fatal(err)
	}
	if acc := hist.History["accuracy"][0]; acc < 0.80 {
		t.Errorf("training accuracy after one epoch %.4f, want ≥ 0.80 (Keras: 0.8262)", acc)
	}
	loss, scores, err := model.Evaluate(ctx, ds(t, tx, ty), tailor.EvaluateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if scores["accuracy"] < 0.84 || loss > 0.5 {
		t.Errorf("test accuracy %.4f, loss %.4f after one epoch; want ≥ 0.84 and ≤ 0.5", scores["accuracy"], loss)
	}
	classes, err := model.PredictClasses(ctx, tx, tailor.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	score, err := metrics.AccuracyScore(test.Labels, classes)
	if err != nil {
		t.Fatal(err)
	}
	if score != scores["accuracy"] {
		t.Errorf("AccuracyScore of PredictClasses %.4f differs from Evaluate's accuracy %.4f", score, scores["accuracy"])
	}
}
