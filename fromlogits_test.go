package tailor_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/sklearn"
	"github.com/tailor-ml/tailor/internal/testenv"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/tensor"
)

// TestFromLogitsTrainsAsWell trains the companion tutorial's network on
// scikit-learn's breast cancer (two classes) and iris (three) tables twice:
// with a sigmoid or softmax output and a loss on probabilities, and with
// a linear output and the same loss FromLogits. Both must learn (a linear
// output with a loss on probabilities used to train silently to chance;
// Compile now refuses it), and the two must agree within one test example.
func TestFromLogitsTrainsAsWell(t *testing.T) {
	if _, err := os.Stat(filepath.Join(sklearn.DefaultDir, "iris.csv")); err != nil {
		testenv.Missing(t, "python3-sklearn is not installed (%v): apt-get install python3-sklearn (.ci/run installs it)", err)
	}
	for _, tc := range []struct {
		name    string
		minTest float64
	}{{"breast-cancer", 0.95}, {"iris", 0.85}} {
		d, err := sklearn.Load(tc.name, sklearn.Options{})
		if err != nil {
			t.Fatal(err)
		}
		stratify := make([]int, len(d.Target))
		for i, y := range d.Target {
			stratify[i] = int(y)
		}
		train, test, err := preprocessing.TrainTestSplit(len(d.Target), preprocessing.SplitOptions{TestSize: 0.2, Seed: 1, Stratify: stratify})
		if err != nil {
			t.Fatal(err)
		}
		xTrain, yTrain := takeRows(t, d, train)
		xTest, yTest := takeRows(t, d, test)
		var scaler preprocessing.StandardScaler
		if err := scaler.FitTransform(xTrain); err != nil {
			t.Fatal(err)
		}
		if err := scaler.Transform(xTest); err != nil {
			t.Fatal(err)
		}
		accuracy := map[bool]float64{}
		for _, fromLogits := range []bool{false, true} {
			classes := len(d.ClassNames)
			var out layers.Layer
			var loss losses.Loss
			switch {
			case classes == 2 && fromLogits:
				out, loss = layers.Dense(1, activations.Linear), losses.BinaryCrossentropyLoss{FromLogits: true}
			case classes == 2:
				out, loss = layers.Dense(1, activations.Sigmoid), losses.BinaryCrossentropy()
			case fromLogits:
				out, loss = layers.Dense(classes, activations.Linear), losses.SparseCategoricalCrossentropyLoss{FromLogits: true}
			default:
				out, loss = layers.Dense(classes, activations.Softmax), losses.SparseCategoricalCrossentropy()
			}
			m := tailor.Sequential(layers.Dense(6, activations.ReLU), layers.Dense(6, activations.ReLU), out)
			if err := m.SetSeed(1); err != nil {
				t.Fatal(err)
			}
			if err := m.Compile(optimizers.Adam(), loss); err != nil {
				t.Fatal(err)
			}
			ds, err := datasets.FromTensors(xTrain, yTrain)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Fit(context.Background(), ds, tailor.FitOptions{Epochs: 100, BatchSize: 32, Seed: 1, Verbose: tailor.Silent}); err != nil {
				t.Fatal(err)
			}
			z, err := m.Predict(context.Background(), xTest, tailor.PredictOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// A sigmoid's output is above 0.5 where its logit is above 0.
			threshold := float32(0.5)
			if fromLogits {
				threshold = 0
			}
			right := 0
			for i, label := range yTest.Data {
				class := 0
				if classes == 2 {
					if z.Data[i] > threshold {
						class = 1
					}
				} else {
					class = tensor.Argmax(z.Row(i))
				}
				if class == int(label) {
					right++
				}
			}
			accuracy[fromLogits] = float64(right) / float64(len(test))
			if accuracy[fromLogits] < tc.minTest {
				t.Errorf("%s, from logits %v: test accuracy %.4f, want at least %.2f", tc.name, fromLogits, accuracy[fromLogits], tc.minTest)
			}
		}
		if diff := math.Abs(accuracy[true] - accuracy[false]); diff > 1/float64(len(test))+1e-9 {
			t.Errorf("%s: from logits %.4f, from probabilities %.4f", tc.name, accuracy[true], accuracy[false])
		}
	}
}

// takeRows returns the features and labels of the examples idx.
func takeRows(t *testing.T, d *sklearn.Dataset, idx []int) (x, y *tensor.Tensor) {
	t.Helper()
	x, y = &tensor.Tensor{}, tensor.New(len(idx))
	if err := d.Data.Gather(x, idx); err != nil {
		t.Fatal(err)
	}
	for i, j := range idx {
		y.Data[i] = float32(d.Target[j])
	}
	return x, y
}
