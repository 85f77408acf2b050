// Command comparesklearn trains Tailor's tabular ANN on scikit-learn's
// bundled datasets and writes, for each dataset and seed, the train/test
// split it used and its accuracies, so that scripts/compare-sklearn.py
// can train scikit-learn's models on exactly the same examples:
//
//	go run ./scripts/comparesklearn -out /tmp/cmp
//	/usr/bin/python3 scripts/compare-sklearn.py /tmp/cmp
//
// For each dataset (breast-cancer, iris, wine) and seed (1, 2, 3 by
// default) it splits the examples with preprocessing.TrainTestSplit
// (20 % test, stratified, the seed), standardises the features with a
// StandardScaler fitted on the training set, and trains the companion
// tutorial's network — Dense(6, relu) → Dense(6, relu) → Dense(1, sigmoid)
// with binary cross-entropy for two classes, Dense(C, softmax) with sparse
// categorical cross-entropy for more — with Adam (learning rate 0.001),
// batches of 32, 100 epochs, weights and shuffling seeded with the seed.
// It writes DIR/<dataset>-<seed>.json: the split's indices and Tailor's
// training and test accuracy. With -from-logits the last layer is linear
// and the loss applies the sigmoid or softmax itself (from_logits=True).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/sklearn"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/tensor"
)

// Result is one dataset and seed: the split and Tailor's figures.
type Result struct {
	Dataset       string  `json:"dataset"`
	Seed          uint64  `json:"seed"`
	TestSize      float64 `json:"test_size"`
	Stratified    bool    `json:"stratified"`
	Train         []int   `json:"train"`
	Test          []int   `json:"test"`
	FromLogits    bool    `json:"from_logits,omitempty"`
	Epochs        int     `json:"epochs"`
	BatchSize     int     `json:"batch_size"`
	TrainAccuracy float64 `json:"tailor_train_accuracy"`
	TestAccuracy  float64 `json:"tailor_test_accuracy"`
	Seconds       float64 `json:"tailor_seconds"`
}

func main() {
	out := flag.String("out", "", "directory for the <dataset>-<seed>.json files (required)")
	names := flag.String("datasets", strings.Join(sklearn.Names(), ","), "comma-separated datasets")
	seeds := flag.String("seeds", "1,2,3", "comma-separated seeds")
	epochs := flag.Int("epochs", 100, "training epochs")
	testSize := flag.Float64("test-size", 0.2, "test fraction (or count)")
	noStratify := flag.Bool("no-stratify", false, "split without stratifying by class")
	fromLogits := flag.Bool("from-logits", false, "a linear last layer with a from_logits loss")
	dir := flag.String("data", "", "directory of sklearn's CSV files (default: python3-sklearn's)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "comparesklearn: -out DIR is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	fmt.Printf("%-14s %4s  %8s  %8s\n", "dataset", "seed", "train", "test")
	for _, name := range strings.Split(*names, ",") {
		d, err := sklearn.Load(name, sklearn.Options{Dir: *dir})
		if err != nil {
			fail(err)
		}
		for _, s := range strings.Split(*seeds, ",") {
			seed, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				fail(fmt.Errorf("seed %q: %w", s, err))
			}
			r, err := run(d, config{seed: seed, testSize: *testSize, stratify: !*noStratify, epochs: *epochs, fromLogits: *fromLogits})
			if err != nil {
				fail(fmt.Errorf("%s seed %d: %w", name, seed, err))
			}
			b, err := json.Marshal(r)
			if err != nil {
				fail(err)
			}
			path := filepath.Join(*out, fmt.Sprintf("%s-%d.json", d.Name, seed))
			if err := atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err }); err != nil {
				fail(err)
			}
			fmt.Printf("%-14s %4d  %8.4f  %8.4f\n", d.Name, seed, r.TrainAccuracy, r.TestAccuracy)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "comparesklearn:", err)
	os.Exit(1)
}

// config is one run's settings.
type config struct {
	seed       uint64
	testSize   float64
	stratify   bool
	epochs     int
	fromLogits bool
}

// run splits, scales, trains and scores one dataset with one seed.
func run(d *sklearn.Dataset, c config) (*Result, error) {
	seed := c.seed
	opts := preprocessing.SplitOptions{TestSize: c.testSize, Seed: seed}
	if c.stratify {
		opts.Stratify = make([]int, len(d.Target))
		for i, y := range d.Target {
			opts.Stratify[i] = int(y)
		}
	}
	train, test, err := preprocessing.TrainTestSplit(len(d.Target), opts)
	if err != nil {
		return nil, err
	}
	xTrain, yTrain := take(d, train)
	xTest, yTest := take(d, test)
	var scaler preprocessing.StandardScaler
	if err := scaler.FitTransform(xTrain); err != nil {
		return nil, err
	}
	if err := scaler.Transform(xTest); err != nil {
		return nil, err
	}

	classes := len(d.ClassNames)
	binary := classes == 2
	var out layers.Layer = layers.Dense(classes, activations.Softmax)
	var loss losses.Loss = losses.SparseCategoricalCrossentropy()
	var metric metrics.Metric = metrics.Accuracy()
	threshold := float32(0.5) // of the sigmoid's output
	switch {
	case binary && c.fromLogits:
		// The binary metrics threshold probabilities; on logits the
		// decision is z > 0, which accuracy below applies.
		out, loss, metric, threshold = layers.Dense(1, activations.Linear), losses.BinaryCrossentropyLoss{FromLogits: true}, nil, 0
	case binary:
		out, loss, metric = layers.Dense(1, activations.Sigmoid), losses.BinaryCrossentropy(), metrics.BinaryAccuracy()
	case c.fromLogits:
		out, loss = layers.Dense(classes, activations.Linear), losses.SparseCategoricalCrossentropyLoss{FromLogits: true}
	}
	model := tailor.Sequential(
		layers.Dense(6, activations.ReLU),
		layers.Dense(6, activations.ReLU),
		out,
	)
	if err := model.SetSeed(seed); err != nil {
		return nil, err
	}
	var ms []metrics.Metric
	if metric != nil {
		ms = append(ms, metric)
	}
	if err := model.Compile(optimizers.Adam(), loss, ms...); err != nil {
		return nil, err
	}
	start := time.Now()
	const batch = 32
	if err := fit(model, xTrain, yTrain, c.epochs, batch, seed); err != nil {
		return nil, err
	}
	secs := time.Since(start).Seconds()
	trainAcc, err := accuracy(model, xTrain, yTrain, binary, threshold)
	if err != nil {
		return nil, err
	}
	testAcc, err := accuracy(model, xTest, yTest, binary, threshold)
	if err != nil {
		return nil, err
	}
	return &Result{
		Dataset: d.Name, Seed: seed, TestSize: c.testSize, Stratified: c.stratify, FromLogits: c.fromLogits,
		Train: train, Test: test, Epochs: c.epochs, BatchSize: batch,
		TrainAccuracy: trainAcc, TestAccuracy: testAcc, Seconds: secs,
	}, nil
}

// fit trains model on the examples x with targets y.
func fit(model *tailor.Model, x, y *tensor.Tensor, epochs, batch int, seed uint64) error {
	train, err := datasets.FromTensors(x, y)
	if err != nil {
		return err
	}
	_, err = model.Fit(context.Background(), train, tailor.FitOptions{
		Epochs: epochs, BatchSize: batch, Seed: seed, Verbose: tailor.Silent,
	})
	return err
}

// take returns the features and labels of examples idx.
func take(d *sklearn.Dataset, idx []int) (x, y *tensor.Tensor) {
	x, y = &tensor.Tensor{}, tensor.New(len(idx))
	if err := d.Data.Gather(x, idx); err != nil {
		panic(err) // the split's indices are in range
	}
	for i, j := range idx {
		y.Data[i] = float32(d.Target[j])
	}
	return x, y
}

// accuracy returns the fraction of examples whose predicted class — the
// single output above threshold, or the highest output — is the label.
func accuracy(model *tailor.Model, x, y *tensor.Tensor, binary bool, threshold float32) (float64, error) {
	p, err := model.Predict(context.Background(), x, tailor.PredictOptions{})
	if err != nil {
		return 0, err
	}
	correct := 0
	for i, label := range y.Data {
		var class int
		if binary {
			if p.Data[i] > threshold {
				class = 1
			}
		} else {
			class = tensor.Argmax(p.Row(i))
		}
		if class == int(label) {
			correct++
		}
	}
	return float64(correct) / float64(len(y.Data)), nil
}
