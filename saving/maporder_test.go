package saving

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"

	"github.com/tailor-ml/tailor/safetensors"
)

// TestLoadErrorsAreStable: a file with several tensors the model has no
// weight for gets the same error every time, naming the first of them
// by name, not whichever Go's map order visits first.
func TestLoadErrorsAreStable(t *testing.T) {
	good := saved(t, trained(t), Meta{ClassNames: threeClasses})
	_, e := entries(t, good)
	cfg, w, opt := e[configEntry], e[weightsEntry], e[optimizerEntry]
	extra := func(prefix string) func(*safetensors.File) {
		return func(f *safetensors.File) {
			for _, n := range []string{"zz", "mm", "dense/aa", "qq", "dense_9/b"} {
				f.Tensors = append(f.Tensors, safetensors.Tensor{Name: prefix + n, Shape: []int{1}, Data: []float32{1}})
			}
		}
	}
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"weights", archive(configEntry, cfg, weightsEntry, editTensors(t, w, extra("")), optimizerEntry, opt),
			"loading model.safetensors: the file holds dense/aa, which the model has no weight for"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 20 {
				if _, _, err := loadBytes(tc.file); err == nil || err.Error() != tc.want {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
			}
		})
	}
}

// TestHistoryErrorIsStable: a history several of whose figures have the
// wrong length is refused naming the first of them by name, every time.
func TestHistoryErrorIsStable(t *testing.T) {
	m := trained(t)
	meta := FashionMNIST(threeClasses)
	meta.History = &tailor.History{Epochs: []int{0, 1}, History: map[string][]float64{
		"loss": {0.9, 0.5}, "val_loss": {0.7}, "accuracy": {0.5}, "val_accuracy": {0.4}, "auc": {0.3},
	}}
	for range 20 {
		err := SaveTo(&bytes.Buffer{}, m, meta)
		if want := "saving: history of 2 epochs has 1 values of accuracy"; err == nil || err.Error() != want {
			t.Fatalf("error %v, want %q", err, want)
		}
	}
}

// TestCheckpointClassWeightErrorIsStable: a checkpoint with several bad
// class weights is refused naming the lowest class, every time.
func TestCheckpointClassWeightErrorIsStable(t *testing.T) {
	dir := t.TempDir()
	ck := &Checkpoint{Model: trained(t), Fit: FitConfig{Epochs: 1, BatchSize: 16, ClassWeight: map[int]float64{-3: 1, 2: -1, -7: 1, -1: 1, 5: 1}}}
	if err := SaveCheckpoint(dir, ck); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		_, err := LoadCheckpoint(dir)
		if want := "class_weight 1 for class -7,"; err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v, want one containing %q", err, want)
		}
	}
}
