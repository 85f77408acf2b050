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

// TestSigmoidConfidentMistakeLearns: a Dense(1, sigmoid) output that is
// confidently wrong (z = 20, p rounds to 1, target 0) must still get the
// gradient p − t through the sigmoid, as Keras computes binary
// cross-entropy from a sigmoid's logits; through Keras's clip of p and
// σ'(z) separately it was 0, and the weights never moved. Through a
// separate Activation(sigmoid) layer too, and a softmax output stays
// fused as before.
func TestSigmoidConfidentMistakeLearns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers []layers.Layer
	}{
		{"Dense(1, sigmoid)", []layers.Layer{layers.Dense(1, activations.Sigmoid)}},
		{"Dense(1) → Activation(sigmoid)", []layers.Layer{layers.Dense(1, activations.Linear), layers.Activation(activations.Sigmoid)}},
	} {
		m := tailor.Sequential(tc.layers...)
		sgd, err := optimizers.SGDWith(0.1, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(sgd, losses.BinaryCrossentropy()); err != nil {
			t.Fatal(err)
		}
		if err := m.Build(2); err != nil {
			t.Fatal(err)
		}
		// kernel [10, 10], bias 0: z = 20 for the input (1, 1)
		if err := m.SetWeights([][]float32{{10, 10}, {0}}); err != nil {
			t.Fatal(err)
		}
		x := tensor.New(1, 2)
		x.Data[0], x.Data[1] = 1, 1
		y := tensor.New(1)
		before, err := m.TrainOnBatch(x, y)
		if err != nil {
			t.Fatal(err)
		}
		w := m.GetWeights()
		// dL/dz = σ(20) − 0 ≈ 1: each kernel weight moves by 0.1·1·x = 0.1,
		// the bias by 0.1.
		p := 1 / (1 + math.Exp(-20))
		for i, want := range []float64{10 - 0.1*p, 10 - 0.1*p, -0.1 * p} {
			got := float64(w[i/2][i%2])
			if math.Abs(got-want) > 1e-5 {
				t.Errorf("%s: weight %d after one step is %v, want %v (the loss was %v)", tc.name, i, got, want, before)
			}
		}
	}
}
