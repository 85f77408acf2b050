package tailor_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/tensor"
)

// sgdClassifier is newClassifier with plain SGD at the given rate.
func sgdClassifier(t *testing.T, lr float64) *tailor.Model {
	t.Helper()
	m := tailor.Sequential(layers.Dense(16, activations.ReLU), layers.Dense(3, activations.Softmax))
	opt, err := optimizers.SGDWith(lr, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(opt, losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestClassWeight(t *testing.T) {
	x, y := blobs(120, 6)
	opts := tailor.FitOptions{Epochs: 2, BatchSize: 16, Seed: 1}

	// Weighting every class by 2 doubles the loss and its gradient: plain
	// SGD then takes the steps of twice the learning rate, bit for bit.
	doubled := opts
	doubled.ClassWeight = map[int]float64{0: 2, 1: 2, 2: 2}
	a, b := sgdClassifier(t, 0.05), sgdClassifier(t, 0.1)
	ha := fit(t, a, x, y, doubled)
	hb := fit(t, b, x, y, opts)
	if !sameWeights(weights(a), weights(b)) {
		t.Error("class weights of 2 with learning rate 0.05 and none with 0.1 trained different weights")
	}
	// The reported loss is the weighted one: twice b's, up to rounding.
	if r := ha.History["loss"][0] / hb.History["loss"][0]; r < 1.999 || r > 2.001 {
		t.Errorf("weighted loss %v is %v times the unweighted %v, want 2", ha.History["loss"][0], r, hb.History["loss"][0])
	}

	// A class of weight 0 has no influence: changing its examples' features
	// leaves the trained weights unchanged.
	ignored := opts
	ignored.ClassWeight = map[int]float64{2: 0}
	moved := x.Clone()
	for i, l := range y.Data {
		if l == 2 {
			for j := range moved.Row(i) {
				moved.Row(i)[j] *= -3
			}
		}
	}
	c, d := sgdClassifier(t, 0.1), sgdClassifier(t, 0.1)
	fit(t, c, x, y, ignored)
	fit(t, d, moved, y, ignored)
	if !sameWeights(weights(c), weights(d)) {
		t.Error("examples of a class weighted 0 changed the trained weights")
	}
	// ... and the next Fit, without class weights, is unweighted again.
	e, f := sgdClassifier(t, 0.1), sgdClassifier(t, 0.1)
	fit(t, e, x, y, ignored)
	fit(t, e, x, y, opts)
	fit(t, f, x, y, ignored)
	fit(t, f, moved, y, opts)
	if sameWeights(weights(e), weights(f)) {
		t.Error("class weights of an earlier Fit still applied")
	}

	for _, tc := range []struct {
		cw   map[int]float64
		want string
	}{
		{map[int]float64{3: 1}, "class weight for class 3, but the model's outputs have classes 0 to 2"},
		{map[int]float64{1: -1}, "class weight -1 for class 1"},
	} {
		o := opts
		o.ClassWeight, o.Verbose = tc.cw, tailor.Silent
		if _, err := sgdClassifier(t, 0.1).Fit(context.Background(), ds(t, x, y), o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("class weights %v: %v, want an error containing %q", tc.cw, err, tc.want)
		}
	}
}

// TestClassWeightRoundsSoftTargets: the class of a single soft target is
// the target rounded, halves to even, as Keras's np.round has it — 0.9 is
// class 1, 0.5 class 0 — not the target truncated.
func TestClassWeightRoundsSoftTargets(t *testing.T) {
	x, _ := blobs(4, 1)
	loss := func(target float32, cw map[int]float64) float64 {
		m := tailor.Sequential(layers.Dense(1, activations.Sigmoid))
		if err := m.SetSeed(1); err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(optimizers.SGD(), losses.BinaryCrossentropy()); err != nil {
			t.Fatal(err)
		}
		y := tensor.New(4, 1)
		for i := range y.Data {
			y.Data[i] = target
		}
		// One batch: the epoch's loss is the first step's, before any update.
		return fit(t, m, x, y, tailor.FitOptions{BatchSize: 4, ClassWeight: cw}).History["loss"][0]
	}
	for _, tc := range []struct {
		target float32
		cw     map[int]float64
		times  float64 // the weighted loss over the unweighted
	}{
		{0.9, map[int]float64{1: 10}, 10},
		{0.9, map[int]float64{0: 10}, 1},
		{0.5, map[int]float64{0: 10}, 10},
		{0.5, map[int]float64{1: 10}, 1},
	} {
		if r := loss(tc.target, tc.cw) / loss(tc.target, nil); math.Abs(r-tc.times) > 1e-4*tc.times {
			t.Errorf("targets %v, class weights %v: loss %v times the unweighted, want %v", tc.target, tc.cw, r, tc.times)
		}
	}
}

// TestClassWeightOutsideTheClasses: a target that rounds to no class of
// the model's — a regression target of 3 or −1 for a single output, whose
// classes are 0 and 1 — weighs 1, as Keras's class_weight.get(class, 1)
// has it, not the weight of the nearest class.
func TestClassWeightOutsideTheClasses(t *testing.T) {
	x, _ := blobs(4, 1)
	loss := func(target float32, cw map[int]float64) float64 {
		m := tailor.Sequential(layers.Dense(1, activations.Linear))
		if err := m.SetSeed(1); err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(optimizers.SGD(), losses.MeanSquaredError()); err != nil {
			t.Fatal(err)
		}
		y := tensor.New(4, 1)
		for i := range y.Data {
			y.Data[i] = target
		}
		return fit(t, m, x, y, tailor.FitOptions{BatchSize: 4, ClassWeight: cw}).History["loss"][0]
	}
	cw := map[int]float64{0: 10, 1: 10}
	for _, target := range []float32{3, -1} {
		if w, u := loss(target, cw), loss(target, nil); w != u {
			t.Errorf("targets %v, outside classes 0 and 1: weighted loss %v, unweighted %v", target, w, u)
		}
	}
	if w, u := loss(1, cw), loss(1, nil); math.Abs(w/u-10) > 1e-4 {
		t.Errorf("targets 1: weighted loss %v is %v times the unweighted, want 10", w, w/u)
	}
}

// TestClassWeightErrorIsStable: of several bad class weights, Fit names
// the same one every run (the lowest class), not the one Go's map order
// happens to visit first.
func TestClassWeightErrorIsStable(t *testing.T) {
	x, y := blobs(24, 6)
	cw := map[int]float64{7: 1, -2: 1, 1: -1, 5: 1, 9: 1}
	o := tailor.FitOptions{BatchSize: 8, ClassWeight: cw, Verbose: tailor.Silent}
	for range 20 {
		_, err := sgdClassifier(t, 0.1).Fit(context.Background(), ds(t, x, y), o)
		if want := "tailor: class weight for class -2, but the model's outputs have classes 0 to 2"; err == nil || err.Error() != want {
			t.Fatalf("class weights %v: %v, want %q", cw, err, want)
		}
	}
}
