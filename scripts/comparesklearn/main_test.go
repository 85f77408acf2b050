package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tailor-ml/tailor/datasets/sklearn"
)

// TestTutorialANN trains the companion tutorial's network end to end: a
// Dense(1, sigmoid) output with binary cross-entropy on breast cancer (the
// pairing that failed before BinaryCrossentropy), and the same networks
// with a linear output and from_logits losses, which must learn as well
// as their sigmoid and softmax twins (a linear output with a probability
// loss used to train silently to chance).
func TestTutorialANN(t *testing.T) {
	if _, err := os.Stat(filepath.Join(sklearn.DefaultDir, "iris.csv")); err != nil {
		t.Skipf("python3-sklearn is not installed (%v): apt-get install python3-sklearn", err)
	}
	for _, tt := range []struct {
		name    string
		minTest float64
	}{{"breast-cancer", 0.95}, {"iris", 0.85}} {
		d, err := sklearn.Load(tt.name, sklearn.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c := config{seed: 1, testSize: 0.2, stratify: true, epochs: 100}
		probs, err := run(d, c)
		if err != nil {
			t.Fatal(err)
		}
		c.fromLogits = true
		logits, err := run(d, c)
		if err != nil {
			t.Fatal(err)
		}
		n := len(d.Target)
		if len(probs.Train)+len(probs.Test) != n || len(probs.Test) != int(math.Ceil(0.2*float64(n))) {
			t.Errorf("%s: split %d/%d of %d", tt.name, len(probs.Train), len(probs.Test), n)
		}
		if probs.TestAccuracy < tt.minTest || probs.TrainAccuracy < tt.minTest {
			t.Errorf("%s: train %.4f, test %.4f, want both at least %.2f", tt.name, probs.TrainAccuracy, probs.TestAccuracy, tt.minTest)
		}
		// One test example either way at most.
		if d := math.Abs(logits.TestAccuracy - probs.TestAccuracy); d > 1.0/float64(len(probs.Test))+1e-9 {
			t.Errorf("%s: from logits %.4f, from probabilities %.4f", tt.name, logits.TestAccuracy, probs.TestAccuracy)
		}
	}
}
