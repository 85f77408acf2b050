package models

import (
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/tensor"
)

// TestModels builds every predefined model from its declared input shape
// and checks its parameter counts.
func TestModels(t *testing.T) {
	want := map[string][2]int{ // trainable, non-trainable
		"mlp":          {101770, 0},
		"mlp-dropout":  {101770, 0},
		"mlp-dropout2": {118282, 0},
		"ref-cnn":      {421642, 0},
		"cnn":          {468202, 384},
		"best":         {1747946, 640},
		"cifar-cnn":    {308394, 896},
	}
	if len(Names()) != len(want) {
		t.Errorf("models %v, want the %d this test knows", Names(), len(want))
	}
	for _, name := range Names() {
		m, err := New(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Summary(io.Discard); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		in := []int{28, 28}
		if name == "cifar-cnn" {
			in = []int{32, 32, 3}
		}
		if !m.InputShape().Equal(in) {
			t.Errorf("%s: input shape %v, want %v", name, m.InputShape(), in)
		}
		if !m.OutputShape().Equal([]int{10}) {
			t.Errorf("%s: output shape %v, want (10,)", name, m.OutputShape())
		}
		tr, nt := m.CountParams()
		if w, ok := want[name]; ok && (tr != w[0] || nt != w[1]) {
			t.Errorf("%s: %d trainable and %d non-trainable parameters, want %d and %d", name, tr, nt, w[0], w[1])
		}
	}
	for _, name := range Names() {
		r, err := TrainingRecipe(name)
		if err != nil {
			t.Fatal(err)
		}
		if r.Epochs <= 0 || r.BatchSize <= 0 || r.Optimizer(Steps(r.Epochs, 60000, r.BatchSize)) == nil {
			t.Errorf("%s: recipe %+v", name, r)
		}
	}
	if Steps(5, 60000, 32) != 9375 || Steps(1, 10, 3) != 4 {
		t.Error("Steps: wrong count")
	}
	if _, err := TrainingRecipe("resnet"); err == nil {
		t.Error("unknown recipe: no error")
	}
	if _, err := New("resnet"); err == nil {
		t.Error("unknown model: no error")
	}
}

// TestCIFARCNNTrains trains the CIFAR-10 recipe briefly on generated RGB
// images whose class is the colour of a square patch, and requires it to
// learn them: the real data cannot be downloaded here.
func TestCIFARCNNTrains(t *testing.T) {
	const n = 320
	rng := rand.New(rand.NewPCG(3, 4))
	x, labels := tensor.New(n, 32, 32, 3), make([]uint8, n)
	for i := range labels {
		k := rng.IntN(3)
		labels[i] = uint8(k)
		img := x.Row(i)
		for j := range img {
			img[j] = 0.4 * rng.Float32()
		}
		r0, c0 := rng.IntN(16), rng.IntN(16)
		for r := r0; r < r0+16; r++ {
			for c := c0; c < c0+16; c++ {
				img[(r*32+c)*3+k] += 0.6
			}
		}
	}
	train, err := datasets.WithLabels(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New("cifar-cnn")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := TrainingRecipe("cifar-cnn")
	const epochs = 4
	if err := m.Compile(r.Optimizer(Steps(epochs, n, r.BatchSize)), r.Loss(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(context.Background(), train, tailor.FitOptions{Epochs: epochs, BatchSize: r.BatchSize, Seed: 1, Verbose: tailor.Silent})
	if err != nil {
		t.Fatal(err)
	}
	// Training accuracy: 20 steps are too few for batch normalisation's
	// moving statistics (momentum 0.99), which inference uses.
	if acc := h.History["accuracy"][epochs-1]; acc < 0.9 {
		t.Errorf("accuracy %v in epoch %d (losses %v): the CIFAR recipe did not learn colours", acc, epochs, h.History["loss"])
	}
	p, err := m.Predict(context.Background(), x.Slice(0, 5), tailor.PredictOptions{})
	if err != nil || !p.Shape.Equal(tensor.Shape{5, 10}) {
		t.Errorf("Predict: %v, %v", p, err)
	}
}
