package main

import (
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/tensor"
)

// TestTrainCIFAR10Model: tailor train --model cifar-cnn reads CIFAR-10,
// not Fashion-MNIST — from --data alone when it is given, so a directory
// without the archive is an error naming it. (The real archive cannot be
// downloaded here; datasets/cifar10's tests load generated ones, and
// models' tests train the recipe on generated colour images.)
func TestTrainCIFAR10Model(t *testing.T) {
	code, _, stderr := runCLI(t, "train", "--model", "cifar-cnn", "--data", t.TempDir(), "--quiet")
	if code != 1 || !strings.Contains(stderr, "cifar-10-binary.tar.gz") {
		t.Errorf("exit %d, %q: want an error naming the CIFAR-10 archive", code, stderr)
	}
}

// TestPrintPrediction: the tutorial's print(predictions[0]) as numpy
// prints a float32 row — eight significant digits at most, wrapped at 75
// columns. It printed every value widened to float64 with %.8e on one
// line: [3.57489887e-04 7.97004264e-04 ...].
func TestPrintPrediction(t *testing.T) {
	probs, err := tensor.FromSlice([]float32{3.57489887e-04, 7.97004264e-04, 2.95015238e-03, 8.75234895e-04, 1.23996276e-03, 1.95653111e-01, 4.77465056e-03, 2.18443766e-01, 4.52467799e-02, 5.29661894e-01}, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	printPrediction(&b, probs, []uint8{9}, fashionmnist.ClassNames(), 0)
	// What numpy 1.24 prints for these float32 values.
	want := "\npredictions[0]: [3.5748989e-04 7.9700426e-04 2.9501524e-03 8.7523489e-04 1.2399628e-03\n 1.9565311e-01 4.7746506e-03 2.1844377e-01 4.5246780e-02 5.2966189e-01]\n" +
		"np.argmax(predictions[0]): 9 (Ankle boot)\ntest_labels[0]: 9 (Ankle boot)\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
