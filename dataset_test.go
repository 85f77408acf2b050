package tailor_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/tensor"
)

// generated is a dataset that is not a tensor: example i is computed from
// i alone when asked for — as a dataset read from files or a generator
// would be — 4 features around class i%3's centre.
type generated struct {
	n     int
	reads int // batches gathered
}

func (g *generated) Len() int                   { return g.n }
func (g *generated) ExampleShape() tensor.Shape { return tensor.Shape{4} }
func (g *generated) TargetShape() tensor.Shape  { return tensor.Shape{} }
func (g *generated) label(i int) int            { return (i * 7) % 3 }

func (g *generated) check(i int) error {
	if i < 0 || i >= g.n {
		return fmt.Errorf("generated: index %d out of range [0, %d)", i, g.n)
	}
	return nil
}

func (g *generated) GatherTargets(dst *tensor.Tensor, idx []int) error {
	dst.Resize(len(idx))
	for k, i := range idx {
		if err := g.check(i); err != nil {
			return err
		}
		dst.Data[k] = float32(g.label(i))
	}
	return nil
}

func (g *generated) Gather(dst *tensor.Tensor, idx []int) error {
	g.reads++
	dst.Resize(len(idx), 4)
	for k, i := range idx {
		if err := g.check(i); err != nil {
			return err
		}
		rng, row := rand.New(rand.NewPCG(uint64(i), 99)), dst.Row(k)
		for j := range row {
			row[j] = float32(0.3 * rng.NormFloat64())
		}
		row[g.label(i)] += 2
	}
	return nil
}

// TestFitReadsDataset trains on a dataset that is not a tensor and
// requires exactly the weights that training on the same examples held in
// tensors gives — so batches are gathered by the same shuffled indices —
// and that an interrupted run resumed from its Progress ends bit for bit
// where an uninterrupted one does.
func TestFitReadsDataset(t *testing.T) {
	ctx := context.Background()
	gen := &generated{n: 250}
	opts := tailor.FitOptions{Epochs: 3, BatchSize: 16, Seed: 5, ValidationSplit: 0.2, Verbose: tailor.Silent}

	x, y, err := datasets.Materialize(gen)
	if err != nil {
		t.Fatal(err)
	}
	inMemory := newClassifier(t, 4)
	wantHist := fit(t, inMemory, x, y, opts)

	m := newClassifier(t, 4)
	gen.reads = 0
	h, err := m.Fit(ctx, gen, opts)
	if err != nil {
		t.Fatal(err)
	}
	if gen.reads < 3*13 {
		t.Errorf("the dataset was read %d times for 3 epochs of 13 batches", gen.reads)
	}
	if !sameWeights(weights(m), weights(inMemory)) {
		t.Error("training on the generated dataset and on its tensors gave different weights")
	}
	if fmt.Sprint(h.History) != fmt.Sprint(wantHist.History) {
		t.Errorf("history %v, in memory %v", h.History, wantHist.History)
	}
	if acc := h.History["val_accuracy"][2]; acc < 0.9 {
		t.Errorf("validation accuracy %v: the model did not learn from the dataset", acc)
	}

	// Interrupt in the middle of epoch 2, then resume.
	resumed := newClassifier(t, 4)
	cut, cancel := context.WithCancel(ctx)
	stop := &cancelAt{epoch: 1, batch: 6, cancel: cancel}
	run := opts
	run.Callbacks = []tailor.Callback{stop}
	if _, err := resumed.Fit(cut, gen, run); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Fit: %v", err)
	}
	p := resumed.Progress()
	if p.Epoch != 1 || p.Step != 7 {
		t.Fatalf("progress %+v, want epoch 1, step 7", p)
	}
	run = opts
	run.Resume = &p
	if _, err := resumed.Fit(ctx, gen, run); err != nil {
		t.Fatal(err)
	}
	if !sameWeights(weights(resumed), weights(m)) {
		t.Error("the resumed run ended with other weights than the uninterrupted one")
	}
}

// cancelAt cancels a context after a given batch.
type cancelAt struct {
	tailor.NopCallback
	epoch, batch int
	cancel       func()
}

func (c *cancelAt) OnBatchEnd(_ *tailor.Model, epoch, batch int, _ float64) error {
	if epoch == c.epoch && batch == c.batch {
		c.cancel()
	}
	return nil
}

// TestDatasetErrors: a dataset that fails to read, or holds a bad target,
// stops Fit with its error.
func TestDatasetErrors(t *testing.T) {
	m := newClassifier(t, 1)
	bad := &brokenTargets{generated{n: 40}}
	_, err := m.Fit(context.Background(), bad, tailor.FitOptions{Verbose: tailor.Silent})
	if err == nil || !strings.Contains(err.Error(), "training data") || !strings.Contains(err.Error(), "target 3 is 3") {
		t.Errorf("Fit on a dataset with a bad target: %v", err)
	}
}

type brokenTargets struct{ generated }

func (b *brokenTargets) GatherTargets(dst *tensor.Tensor, idx []int) error {
	if err := b.generated.GatherTargets(dst, idx); err != nil {
		return err
	}
	for k, i := range idx {
		if i == 3 {
			dst.Data[k] = 3
		}
	}
	return nil
}
