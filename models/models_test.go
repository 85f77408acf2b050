package models

import (
	"io"
	"testing"
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
		if !m.InputShape().Equal([]int{28, 28}) {
			t.Errorf("%s: input shape %v, want (28, 28)", name, m.InputShape())
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
