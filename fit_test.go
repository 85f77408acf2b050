package tailor_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/tensor"
)

func TestContextCancel(t *testing.T) {
	x, y := blobs(100, 1)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()

	t.Run("before Fit", func(t *testing.T) {
		m := newClassifier(t, 1)
		if err := m.Build(4); err != nil {
			t.Fatal(err)
		}
		before := weights(m)
		h, err := m.Fit(cancelled, ds(t, x, y), tailor.FitOptions{Verbose: tailor.Silent})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Fit error %v, want context.Canceled", err)
		}
		if h == nil || len(h.Epochs) != 0 {
			t.Errorf("history %+v, want an empty one", h)
		}
		if !sameWeights(before, weights(m)) {
			t.Error("a cancelled Fit trained")
		}
	})

	t.Run("during Fit", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		counter := &batchCounter{onBatch: func(epoch, batch int) {
			if epoch == 1 && batch == 2 {
				cancel()
			}
		}}
		m := newClassifier(t, 1)
		h, err := m.Fit(ctx, ds(t, x, y), tailor.FitOptions{Epochs: 5, BatchSize: 10, Verbose: tailor.Silent, Callbacks: []tailor.Callback{counter}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Fit error %v, want context.Canceled", err)
		}
		// Training stops after the batch under way: 10 of the first
		// epoch and 3 of the second.
		if counter.batches != 13 {
			t.Errorf("%d batches ran, want 13", counter.batches)
		}
		if h == nil || !slices.Equal(h.Epochs, []int{0}) {
			t.Errorf("history epochs %v, want [0]", h.Epochs)
		}
	})

	t.Run("Evaluate and Predict", func(t *testing.T) {
		m := newClassifier(t, 1)
		if _, _, err := m.Evaluate(cancelled, ds(t, x, y), tailor.EvaluateOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("Evaluate error %v, want context.Canceled", err)
		}
		if _, err := m.Predict(cancelled, x, tailor.PredictOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("Predict error %v, want context.Canceled", err)
		}
		if _, err := m.PredictClasses(cancelled, x, tailor.PredictOptions{}); !errors.Is(err, context.Canceled) {
			t.Errorf("PredictClasses error %v, want context.Canceled", err)
		}
	})
}

// TestEvaluatePredictConsistent checks that Evaluate's loss and accuracy,
// Predict's probabilities and PredictClasses' labels tell one story.
func TestEvaluatePredictConsistent(t *testing.T) {
	x, y := blobs(300, 1)
	m := newClassifier(t, 1)
	// One epoch of 5 steps leaves a quarter of the examples wrong, so the
	// accuracy is not trivially 1.
	fit(t, m, x, y, tailor.FitOptions{Epochs: 1, BatchSize: 64, Seed: 1})
	ctx := context.Background()
	probs := predict(t, m, x, 0)
	if !probs.Shape.Equal(tensor.Shape{300, 3}) {
		t.Fatalf("Predict shape %v, want (300, 3)", probs.Shape)
	}
	classes, err := m.PredictClasses(ctx, x, tailor.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(classes, probs.Argmax()) {
		t.Error("PredictClasses differs from the argmax of Predict")
	}
	var wantLoss float64
	labels := make([]int, 300)
	for i := range labels {
		labels[i] = int(y.Data[i])
		row := probs.Row(i)
		var s float64
		for _, p := range row {
			s += float64(p)
		}
		if math.Abs(s-1) > 1e-5 {
			t.Errorf("probabilities of example %d sum to %v", i, s)
		}
		wantLoss -= math.Log(float64(row[labels[i]])) / 300
	}
	wantAcc, err := metrics.AccuracyScore(labels, classes)
	if err != nil {
		t.Fatal(err)
	}
	if wantAcc == 1 || wantAcc < 0.5 {
		t.Fatalf("accuracy %v after one epoch: the test needs some examples right and some wrong", wantAcc)
	}
	for _, batch := range []int{0, 1, 7, 256, 1000} {
		loss, scores, err := m.Evaluate(ctx, ds(t, x, y), tailor.EvaluateOptions{BatchSize: batch})
		if err != nil {
			t.Fatal(err)
		}
		if scores["accuracy"] != wantAcc {
			t.Errorf("batch %d: Evaluate accuracy %v, PredictClasses gives %v", batch, scores["accuracy"], wantAcc)
		}
		if math.Abs(loss-wantLoss) > 1e-6 {
			t.Errorf("batch %d: Evaluate loss %v, −mean log p[y] of Predict %v", batch, loss, wantLoss)
		}
	}
}

// TestPredictBatchSize checks that the batch size does not change a
// single bit of the output.
func TestPredictBatchSize(t *testing.T) {
	x, y := blobs(300, 1)
	m := newClassifier(t, 1)
	fit(t, m, x, y, tailor.FitOptions{Epochs: 1, Seed: 1})
	want := predict(t, m, x, 256)
	for _, batch := range []int{0, 1, 7, 300, 1000} {
		if got := predict(t, m, x, batch); !slices.Equal(got.Data, want.Data) {
			t.Errorf("batch size %d changes the predictions", batch)
		}
	}
	// And a slice of the data predicts as within the whole.
	part := predict(t, m, x.Slice(13, 20), 3)
	if !slices.Equal(part.Data, want.Slice(13, 20).Data) {
		t.Error("predicting examples 13..19 alone changes them")
	}
}

// TestPredictIntoItsInput: an output that shares storage with the
// examples — the input tensor itself, a slice of it, a dataset over it —
// would be overwritten batch by batch while it is read (and reshaped
// under the reader, which panicked); PredictInto refuses it, and predicts
// into a tensor of its own as usual.
func TestPredictIntoItsInput(t *testing.T) {
	ctx := context.Background()
	x, _ := blobs(600, 1)
	m := tailor.Sequential(layers.Dense(2, activations.Softmax))
	if err := m.Build(4); err != nil {
		t.Fatal(err)
	}
	opts := tailor.PredictOptions{BatchSize: 100}
	want, err := m.Predict(ctx, x, opts)
	if err != nil {
		t.Fatal(err)
	}
	keep := x.Clone()
	labeled, err := datasets.WithLabels(x, make([]uint8, 600))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		out *tensor.Tensor
		in  datasets.Features
	}{
		"the input":           {x, x},
		"a slice of it":       {x.Slice(300, 600), x},
		"a dataset over it":   {x.Slice(0, 10), labeled},
		"its first rows only": {&tensor.Tensor{Shape: tensor.Shape{1, 4}, Data: x.Data[:4]}, x},
	} {
		if err := m.PredictInto(ctx, c.out, c.in, opts); err == nil || !strings.Contains(err.Error(), "shares its storage with the examples") {
			t.Errorf("%s: PredictInto gave %v, want an error saying the output shares the examples' storage", name, err)
		}
		if !slices.Equal(x.Data, keep.Data) || !x.Shape.Equal(keep.Shape) {
			t.Fatalf("%s: the refused PredictInto changed its input", name)
		}
	}
	out := &tensor.Tensor{}
	if err := m.PredictInto(ctx, out, x, opts); err != nil || !slices.Equal(out.Data, want.Data) {
		t.Errorf("PredictInto a tensor of its own: %v", err)
	}
}

// TestTrainOnBatchMatchesFit checks Fit without shuffling against the same
// batches fed by hand, bit for bit, and TrainOnBatch's loss against
// Evaluate's on the batch before the step.
func TestTrainOnBatchMatchesFit(t *testing.T) {
	x, y := blobs(50, 1)
	a := newClassifier(t, 5)
	fit(t, a, x, y, tailor.FitOptions{Epochs: 2, BatchSize: 16, NoShuffle: true})

	b := newClassifier(t, 5)
	ctx := context.Background()
	for epoch := 0; epoch < 2; epoch++ {
		for lo := 0; lo < 50; lo += 16 {
			hi := min(lo+16, 50)
			xb, yb := x.Slice(lo, hi), y.Slice(lo, hi)
			var before float64
			if b.Built() {
				var err error
				if before, _, err = b.Evaluate(ctx, ds(t, xb, yb), tailor.EvaluateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			loss, err := b.TrainOnBatch(xb, yb)
			if err != nil {
				t.Fatal(err)
			}
			if b.Built() && before != 0 && math.Abs(loss-before) > 1e-5 {
				t.Errorf("TrainOnBatch loss %v, Evaluate before the step %v", loss, before)
			}
		}
	}
	if !sameWeights(weights(a), weights(b)) {
		t.Error("Fit without shuffling and TrainOnBatch over the same batches disagree")
	}
}

// TestTrainOnBatchResetsMetrics: as Keras's train_on_batch resets the
// metrics before its step, the compiled metrics hold the figures of the
// batch just trained on — what Evaluate gives on it before the step —
// not a running total over every call (or over the Fit before them).
func TestTrainOnBatchResetsMetrics(t *testing.T) {
	x, y := blobs(48, 2)
	m := newClassifier(t, 6)
	ctx := context.Background()
	fit(t, m, x, y, tailor.FitOptions{Epochs: 1, BatchSize: 16})
	var seen []float64
	for lo := 0; lo < 48; lo += 12 {
		xb, yb := x.Slice(lo, lo+12), y.Slice(lo, lo+12)
		_, before, err := m.Evaluate(ctx, ds(t, xb, yb), tailor.EvaluateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.TrainOnBatch(xb, yb); err != nil {
			t.Fatal(err)
		}
		got := m.Metrics()[0].Result()
		if got != before["accuracy"] {
			t.Errorf("batch at %d: accuracy after TrainOnBatch %v, Evaluate on the batch before the step %v", lo, got, before["accuracy"])
		}
		seen = append(seen, got)
	}
	if slices.Min(seen) == slices.Max(seen) {
		t.Fatalf("every batch has accuracy %v: the check cannot tell a running total from the batch's", seen[0])
	}
}

func TestOtherErrors(t *testing.T) {
	ctx := context.Background()
	x, y := blobs(10, 1)
	uncompiled := tailor.Sequential(layers.Dense(3, "softmax"))
	if _, err := uncompiled.TrainOnBatch(x, y); err == nil || !strings.Contains(err.Error(), "before Compile") {
		t.Errorf("TrainOnBatch before Compile: %v", err)
	}
	if _, _, err := uncompiled.Evaluate(ctx, ds(t, x, y), tailor.EvaluateOptions{}); err == nil || !strings.Contains(err.Error(), "before Compile") {
		t.Errorf("Evaluate before Compile: %v", err)
	}
	// Predict needs no Compile, but the right shape.
	if p, err := uncompiled.Predict(ctx, x, tailor.PredictOptions{}); err != nil || !p.Shape.Equal(tensor.Shape{10, 3}) {
		t.Errorf("Predict without Compile: %v, %v", p, err)
	}
	if _, err := uncompiled.Predict(ctx, tensor.New(10, 5), tailor.PredictOptions{}); err == nil || !strings.Contains(err.Error(), "examples of shape (5,), the model expects (4,)") {
		t.Errorf("Predict of the wrong shape: %v", err)
	}
	if _, err := uncompiled.Predict(ctx, nil, tailor.PredictOptions{}); err == nil {
		t.Error("Predict(nil) succeeded")
	}
	if _, err := tailor.Sequential(layers.Dense(3, "")).Predict(ctx, nil, tailor.PredictOptions{}); err == nil {
		t.Error("Predict(nil) on an unbuilt model succeeded")
	}

	m := newClassifier(t, 1)
	bad := y.Clone()
	bad.Data[0] = 0.5
	if _, _, err := m.Evaluate(ctx, ds(t, x, bad), tailor.EvaluateOptions{}); err == nil || !strings.Contains(err.Error(), "evaluation data") {
		t.Errorf("Evaluate with a bad label: %v", err)
	}
	if _, _, err := m.Evaluate(ctx, ds(t, x, nil), tailor.EvaluateOptions{}); err == nil {
		t.Error("Evaluate without targets succeeded")
	}
	if _, err := m.TrainOnBatch(x, y.Slice(0, 3)); err == nil || !strings.Contains(err.Error(), "10 examples but targets of shape (3,)") {
		t.Errorf("TrainOnBatch with 3 targets: %v", err)
	}
	// A learning rate of 0 is a rate (Fit refuses NaN, ±Inf and negatives).
	still := newClassifier(t, 1)
	still.Optimizer().SetLearningRate(0)
	if err := still.Build(4); err != nil {
		t.Fatal(err)
	}
	before := weights(still)
	if _, err := still.Fit(ctx, ds(t, x, y), tailor.FitOptions{Verbose: tailor.Silent}); err != nil {
		t.Errorf("Fit at learning rate 0: %v", err)
	} else if !sameWeights(before, weights(still)) {
		t.Error("Fit at learning rate 0 moved the weights")
	}
	// A tensor whose Data does not fill its shape is an error, not a panic,
	// at every entry point — also one shortened after its dataset was made.
	short := &tensor.Tensor{Shape: tensor.Shape{10, 4}, Data: make([]float32, 8)}
	const shortErr = "tensor: shape (10, 4) holds 40 values, Data has 8"
	if _, err := m.Predict(ctx, short, tailor.PredictOptions{}); err == nil || !strings.Contains(err.Error(), "Predict: "+shortErr) {
		t.Errorf("Predict of a short tensor: %v", err)
	}
	if _, err := m.TrainOnBatch(short, y); err == nil || !strings.Contains(err.Error(), "examples: "+shortErr) {
		t.Errorf("TrainOnBatch of a short tensor: %v", err)
	}
	if _, err := m.TrainOnBatch(x, &tensor.Tensor{Shape: tensor.Shape{10}, Data: make([]float32, 3)}); err == nil || !strings.Contains(err.Error(), "targets: tensor: shape (10,) holds 10 values, Data has 3") {
		t.Errorf("TrainOnBatch with short targets: %v", err)
	}
	shortened := x.Clone()
	later := ds(t, shortened, y)
	shortened.Data = shortened.Data[:8]
	if _, err := m.Fit(ctx, later, tailor.FitOptions{Verbose: tailor.Silent}); err == nil || !strings.Contains(err.Error(), shortErr) {
		t.Errorf("Fit on a tensor shortened after: %v", err)
	}
	if _, _, err := m.Evaluate(ctx, later, tailor.EvaluateOptions{}); err == nil || !strings.Contains(err.Error(), shortErr) {
		t.Errorf("Evaluate on a tensor shortened after: %v", err)
	}
	if err := m.Compile(nil, losses.SparseCategoricalCrossentropy()); err == nil {
		t.Error("Compile without an optimizer succeeded")
	}
	if err := m.Compile(optimizers.Adam(), nil); err == nil {
		t.Error("Compile without a loss succeeded")
	}
	empty := tailor.Sequential()
	if err := empty.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy()); err != nil {
		t.Errorf("Compile of an empty model: %v", err)
	}
	if err := empty.Build(4); err == nil {
		t.Error("Build of an empty model succeeded")
	}
	if _, err := empty.Predict(ctx, x, tailor.PredictOptions{}); err == nil {
		t.Error("Predict with an empty model succeeded")
	}
	built := tailor.Sequential(layers.Flatten(2, 2))
	if err := built.Build(); err != nil {
		t.Fatal(err)
	}
	if err := built.Build(); err == nil {
		t.Error("building twice succeeded")
	}
	if err := tailor.Sequential(layers.Dense(0, "")).Build(4); err == nil || !strings.Contains(err.Error(), "building layer dense") {
		t.Errorf("Build with a bad layer: %v", err)
	}
}

func TestFitOutput(t *testing.T) {
	x, y := blobs(100, 1)
	m := newClassifier(t, 1)
	var b strings.Builder
	if _, err := m.Fit(context.Background(), ds(t, x, y), tailor.FitOptions{Epochs: 2, Verbose: tailor.OneLinePerEpoch, Out: &b}); err != nil {
		t.Fatal(err)
	}
	// 100 examples in batches of 32 make 4 steps.
	line := `4/4 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - \d+(s|ms|us)/epoch - \d+(s|ms|us)/step`
	want := regexp.MustCompile(`^Epoch 1/2\n` + line + `\nEpoch 2/2\n` + line + `\n$`)
	if !want.MatchString(b.String()) {
		t.Errorf("output %q does not match %s", b.String(), want)
	}

	b.Reset()
	if _, err := m.Fit(context.Background(), ds(t, x, y), tailor.FitOptions{Verbose: tailor.Silent, Out: &b}); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Errorf("Silent printed %q", b.String())
	}
	// A strings.Builder is no terminal: the default is a line per epoch.
	if _, err := m.Fit(context.Background(), ds(t, x, y), tailor.FitOptions{Out: &b}); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^Epoch 1/1\n` + line + `\n$`).MatchString(b.String()) {
		t.Errorf("default output %q", b.String())
	}

	b.Reset()
	if _, _, err := m.Evaluate(context.Background(), ds(t, x, y), tailor.EvaluateOptions{Verbose: tailor.OneLinePerEpoch, Out: &b}); err != nil {
		t.Fatal(err)
	}
	if want := `^1/1 - \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4} - \d+(s|ms|us)/epoch - \d+(s|ms|us)/step\n$`; !regexp.MustCompile(want).MatchString(b.String()) {
		t.Errorf("Evaluate output %q", b.String())
	}

	// ProgressBar is Keras's verbose=1, for Evaluate as for Fit: the bar,
	// drawn as the batches go, ending as Keras's evaluate ends it. It
	// printed verbose=2's line instead.
	b.Reset()
	loss, scores, err := m.Evaluate(context.Background(), ds(t, x, y), tailor.EvaluateOptions{BatchSize: 32, Verbose: tailor.ProgressBar, Out: &b})
	if err != nil {
		t.Fatal(err)
	}
	final := fmt.Sprintf(`\r4/4 \[==============================\] - \d+s \d+(s|ms|us)/step - loss: %.4f - accuracy: %.4f\n$`, loss, scores["accuracy"])
	if want := `^\r1/4 \[======>\.{23}\] - ETA: \d+s - loss: \d\.\d{4} - accuracy: \d\.\d{4}(\r[23]/4 [^\r]*)*` + final; !regexp.MustCompile(want).MatchString(b.String()) {
		t.Errorf("Evaluate's progress bar %q does not match %s", b.String(), want)
	}
}

type stopper struct {
	tailor.NopCallback
	at     int
	events []string
}

func (s *stopper) OnTrainBegin(*tailor.Model) error { s.events = append(s.events, "begin"); return nil }
func (s *stopper) OnEpochBegin(_ *tailor.Model, epoch int) error {
	s.events = append(s.events, "epoch "+string(rune('0'+epoch)))
	return nil
}
func (s *stopper) OnEpochEnd(m *tailor.Model, epoch int, logs tailor.Logs) error {
	if _, ok := logs["loss"]; !ok {
		return errors.New("no loss in the logs")
	}
	if epoch == s.at {
		m.StopTraining()
	}
	return nil
}
func (s *stopper) OnTrainEnd(*tailor.Model, tailor.Logs) error {
	s.events = append(s.events, "end")
	return nil
}

func TestCallbacks(t *testing.T) {
	x, y := blobs(40, 1)
	m := newClassifier(t, 1)
	s := &stopper{at: 1}
	h := fit(t, m, x, y, tailor.FitOptions{Epochs: 5, Callbacks: []tailor.Callback{s}})
	if !slices.Equal(h.Epochs, []int{0, 1}) {
		t.Errorf("epochs %v after StopTraining at epoch 1, want [0 1]", h.Epochs)
	}
	if want := []string{"begin", "epoch 0", "epoch 1", "end"}; !slices.Equal(s.events, want) {
		t.Errorf("events %v, want %v", s.events, want)
	}

	s = &stopper{at: -1}
	h = fit(t, m, x, y, tailor.FitOptions{Epochs: 4, InitialEpoch: 2, Callbacks: []tailor.Callback{s}})
	if !slices.Equal(h.Epochs, []int{2, 3}) {
		t.Errorf("epochs %v from InitialEpoch 2 to 4, want [2 3]", h.Epochs)
	}

	boom := errors.New("boom")
	_, err := m.Fit(context.Background(), ds(t, x, y), tailor.FitOptions{Verbose: tailor.Silent, Callbacks: []tailor.Callback{failing{err: boom}}})
	if !errors.Is(err, boom) {
		t.Errorf("Fit with a failing callback: %v", err)
	}
}

// batchStopper calls StopTraining at the end of batch at of the first
// epoch, recording every batch's mean loss and size.
type batchStopper struct {
	tailor.NopCallback
	at     int
	losses []float64
}

func (s *batchStopper) OnBatchEnd(m *tailor.Model, epoch, batch int, loss float64) error {
	s.losses = append(s.losses, loss)
	if epoch == 0 && batch == s.at {
		m.StopTraining()
	}
	return nil
}

// TestStopTrainingMidEpoch: as in Keras's fit, StopTraining called at the
// end of a batch stops the epoch there; the epoch still ends — validation,
// OnEpochEnd, the history — with its loss and metrics over the batches
// that ran, and no other epoch begins.
func TestStopTrainingMidEpoch(t *testing.T) {
	x, y := blobs(50, 3)
	m := newClassifier(t, 2)
	s := &batchStopper{at: 1}
	h := fit(t, m, x, y, tailor.FitOptions{Epochs: 3, BatchSize: 8, ValidationSplit: 0.2, Callbacks: []tailor.Callback{s}})
	if !slices.Equal(h.Epochs, []int{0}) || len(s.losses) != 2 {
		t.Fatalf("epochs %v and %d batches after StopTraining at the second batch, want [0] and 2", h.Epochs, len(s.losses))
	}
	if want := (s.losses[0] + s.losses[1]) / 2; math.Abs(h.History["loss"][0]-want) > 1e-12 {
		t.Errorf("epoch loss %v, want the mean of its two batches' %v", h.History["loss"][0], want)
	}
	if _, ok := h.History["val_loss"]; !ok {
		t.Error("no validation after stopping mid-epoch")
	}
}

type failing struct {
	tailor.NopCallback
	err error
}

func (f failing) OnBatchEnd(*tailor.Model, int, int, float64) error { return f.err }

// TestCategoricalTargets trains with one-hot targets and
// categorical_crossentropy, the other loss the fused softmax path serves.
func TestCategoricalTargets(t *testing.T) {
	x, y := blobs(300, 4)
	oneHot := tensor.New(300, 3)
	for i, v := range y.Data {
		oneHot.Row(i)[int(v)] = 1
	}
	m := tailor.Sequential(layers.Dense(16, activations.Tanh), layers.Dense(3, activations.Softmax))
	opt, _ := optimizers.AdamWith(0.01, 0.9, 0.999, 1e-7)
	if err := m.Compile(opt, losses.CategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	h := fit(t, m, x, oneHot, tailor.FitOptions{Epochs: 8, Seed: 4})
	if acc := h.History["accuracy"][7]; acc <= 0.95 {
		t.Errorf("accuracy %v with one-hot targets, want above 0.95", acc)
	}
	if _, err := m.Fit(context.Background(), ds(t, x, y), tailor.FitOptions{Verbose: tailor.Silent}); err == nil || !strings.Contains(err.Error(), "one-hot") {
		t.Errorf("sparse labels for categorical_crossentropy: %v", err)
	}
}

// TestAccuracyOfASigmoid: "accuracy" on a Dense(1, sigmoid) model reports
// binary accuracy, in training and in evaluation, as Keras's does.
func TestAccuracyOfASigmoid(t *testing.T) {
	x, y := blobs(200, 5)
	for i, v := range y.Data {
		y.Data[i] = min(v, 1) // class 0 against the rest
	}
	m := tailor.Sequential(layers.Dense(1, activations.Sigmoid))
	m.SetSeed(1)
	opt, _ := optimizers.AdamWith(0.05, 0.9, 0.999, 1e-7)
	if err := m.Compile(opt, losses.BinaryCrossentropy(), metrics.Accuracy(), metrics.BinaryAccuracy()); err != nil {
		t.Fatal(err)
	}
	h := fit(t, m, x, y, tailor.FitOptions{Epochs: 20, ValidationSplit: 0.2, Seed: 2})
	for _, k := range []string{"", "val_"} {
		acc, bin := h.History[k+"accuracy"], h.History[k+"binary_accuracy"]
		if !slices.Equal(acc, bin) {
			t.Errorf("%saccuracy %v, %sbinary_accuracy %v: want them equal", k, acc, k, bin)
		}
	}
	if acc := h.History["accuracy"][19]; acc < 0.9 {
		t.Errorf("accuracy %v after 20 epochs, want above 0.9", acc)
	}
}

// TestFlipAverage checks test-time flip averaging against Predict on the
// images and on mirrors built here, for grey (H, W) and colour (H, W, C)
// inputs, and Evaluate's scores against it.
func TestFlipAverage(t *testing.T) {
	ctx := context.Background()
	for _, in := range [][]int{{4, 5}, {4, 5, 2}} {
		m := tailor.Sequential(
			layers.Conv2D(3, [2]int{3, 3}, layers.Conv2DOptions{Activation: activations.ReLU, InputShape: in}),
			layers.Flatten(),
			layers.Dense(3, activations.Softmax),
		)
		m.SetSeed(2)
		if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
			t.Fatal(err)
		}
		const n = 40
		x := tensor.New(append([]int{n}, in...)...)
		y := tensor.New(n)
		for i := range x.Data {
			x.Data[i] = float32((i*7919)%13) / 13
		}
		for i := range y.Data {
			y.Data[i] = float32(i % 3)
		}
		// The mirror, by index: pixel (r, w−1−j) of image i becomes (r, j).
		h, w, c := in[0], in[1], 1
		if len(in) == 3 {
			c = in[2]
		}
		mirrored := tensor.New(x.Shape...)
		for i := 0; i < n; i++ {
			for r := 0; r < h; r++ {
				for j := 0; j < w; j++ {
					for k := 0; k < c; k++ {
						mirrored.Data[((i*h+r)*w+j)*c+k] = x.Data[((i*h+r)*w+w-1-j)*c+k]
					}
				}
			}
		}
		plain, flipped := predict(t, m, x, 0), predict(t, m, mirrored, 0)
		for _, batch := range []int{0, 7} {
			got, err := m.Predict(ctx, x, tailor.PredictOptions{BatchSize: batch, FlipAverage: true})
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got.Data {
				if want := (plain.Data[i] + flipped.Data[i]) / 2; v != want {
					t.Fatalf("input %v, batch %d: output %d is %v, want (%v + %v)/2", in, batch, i, v, plain.Data[i], flipped.Data[i])
				}
			}
			labels := make([]int, n)
			for i := range labels {
				labels[i] = int(y.Data[i])
			}
			wantAcc, _ := metrics.AccuracyScore(labels, got.Argmax())
			_, scores, err := m.Evaluate(ctx, ds(t, x, y), tailor.EvaluateOptions{BatchSize: batch, FlipAverage: true})
			if err != nil {
				t.Fatal(err)
			}
			if scores["accuracy"] != wantAcc {
				t.Errorf("input %v: Evaluate accuracy %v with flip averaging, Predict's gives %v", in, scores["accuracy"], wantAcc)
			}
		}
		if slices.Equal(plain.Data, flipped.Data) {
			t.Errorf("input %v: the mirrored images predict as the originals; the test proves nothing", in)
		}
	}

	mlp := newClassifier(t, 1)
	x, y := blobs(10, 1)
	if _, err := mlp.Predict(ctx, x, tailor.PredictOptions{FlipAverage: true}); err == nil || !strings.Contains(err.Error(), "FlipAverage needs image inputs") {
		t.Errorf("flip averaging a model of vectors: error %v", err)
	}
	if _, _, err := mlp.Evaluate(ctx, ds(t, x, y), tailor.EvaluateOptions{FlipAverage: true}); err == nil || !strings.Contains(err.Error(), "FlipAverage needs image inputs") {
		t.Errorf("flip averaging a model of vectors: error %v", err)
	}
}

// TestBatchMemoryLimit: a batch size whose activations would exceed
// MaxInferenceBytes is refused before anything is allocated.
func TestBatchMemoryLimit(t *testing.T) {
	ctx := context.Background()
	m := tailor.Sequential(layers.Dense(1<<16, activations.ReLU), layers.Dense(2, activations.Softmax))
	if err := m.Build(4); err != nil {
		t.Fatal(err)
	}
	x := tensor.New(1<<13, 4) // 8,192 examples × 65,538 outputs × 4 bytes = 2 GiB in one batch
	if _, err := m.Predict(ctx, x, tailor.PredictOptions{BatchSize: 1 << 13}); err == nil || !strings.Contains(err.Error(), "MaxInferenceBytes") {
		t.Errorf("Predict with a 2 GiB batch: %v", err)
	}
	if p, err := m.Predict(ctx, x.Slice(0, 8), tailor.PredictOptions{BatchSize: 1 << 13}); err != nil || p.Len() != 8 {
		t.Errorf("a large BatchSize over few examples: %v", err)
	}
}

// TestFitOnceAnEpoch: Fit once an epoch, each call given InitialEpoch,
// trains to the same bits as one Fit over all the epochs — shuffling and
// Dropout follow the epoch's number — while the same call repeated
// without it repeats the first epoch's order, as FitOptions.Seed says.
func TestFitOnceAnEpoch(t *testing.T) {
	x, y := blobs(60, 4)
	newModel := func() *tailor.Model {
		m := tailor.Sequential(layers.Dense(16, activations.ReLU), layers.Dropout(0.3), layers.Dense(3, activations.Softmax))
		if err := m.Compile(optimizers.SGD(), losses.SparseCategoricalCrossentropy()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	whole := newModel()
	fit(t, whole, x, y, tailor.FitOptions{Epochs: 3, BatchSize: 8, Seed: 5})
	byEpoch, repeated := newModel(), newModel()
	for e := range 3 {
		fit(t, byEpoch, x, y, tailor.FitOptions{InitialEpoch: e, Epochs: e + 1, BatchSize: 8, Seed: 5})
		fit(t, repeated, x, y, tailor.FitOptions{Epochs: 1, BatchSize: 8, Seed: 5})
	}
	if !sameWeights(weights(whole), weights(byEpoch)) {
		t.Error("Fit once an epoch with InitialEpoch differs from one Fit of 3 epochs")
	}
	if sameWeights(weights(whole), weights(repeated)) {
		t.Error("Fit repeated without InitialEpoch trained as one Fit of 3 epochs: the doc says it repeats epoch 0")
	}
}

// TestHugeBatchSize: a batch size above the number of examples is one
// batch of them all, up to the largest int, where counting the steps as
// (n + b − 1)/b overflowed to none: Fit trained nothing and reported a
// loss of 0 (or NaN).
func TestHugeBatchSize(t *testing.T) {
	x, y := blobs(10, 1)
	want, got := newClassifier(t, 1), newClassifier(t, 1)
	hw := fit(t, want, x, y, tailor.FitOptions{BatchSize: 10, Epochs: 2})
	hg := fit(t, got, x, y, tailor.FitOptions{BatchSize: math.MaxInt, Epochs: 2})
	if !sameWeights(weights(want), weights(got)) || !slices.Equal(hw.History["loss"], hg.History["loss"]) {
		t.Errorf("batch size MaxInt: losses %v, batch size 10: %v; the weights differ", hg.History["loss"], hw.History["loss"])
	}
	var b strings.Builder
	if _, _, err := got.Evaluate(context.Background(), ds(t, x, y), tailor.EvaluateOptions{BatchSize: math.MaxInt, Verbose: tailor.OneLinePerEpoch, Out: &b}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "1/1 ") {
		t.Errorf("Evaluate with batch size MaxInt printed %q, want 1/1 steps", b.String())
	}
}

// TestSharedOptimizer: an optimizer keeps moments for the weights of the
// model it trains; compiled into a second model as well, it mixed their
// moments silently (models of one architecture) or panicked (another).
// The second model's Fit and TrainOnBatch now refuse it, naming the fix,
// and the first model trains on.
func TestSharedOptimizer(t *testing.T) {
	x, y := blobs(40, 1)
	opt := optimizers.Adam()
	newModel := func(ls ...layers.Layer) *tailor.Model {
		m := tailor.Sequential(ls...)
		if err := m.Compile(opt, losses.SparseCategoricalCrossentropy()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	a := newModel(layers.Dense(3, activations.Softmax))
	fit(t, a, x, y, tailor.FitOptions{})
	const want = "the optimizer updates another model's weights already"
	for name, m := range map[string]*tailor.Model{
		"same architecture":    newModel(layers.Dense(3, activations.Softmax)),
		"another architecture": newModel(layers.Dense(4, activations.ReLU), layers.Dense(3, activations.Softmax)),
	} {
		if _, err := m.Fit(context.Background(), ds(t, x, y), tailor.FitOptions{Verbose: tailor.Silent}); err == nil || !strings.Contains(err.Error(), "Fit: "+want) {
			t.Errorf("%s: Fit with another model's optimizer: %v, want an error containing %q", name, err, want)
		}
		if _, err := m.TrainOnBatch(x, y); err == nil || !strings.Contains(err.Error(), "TrainOnBatch: "+want) {
			t.Errorf("%s: TrainOnBatch with another model's optimizer: %v, want an error containing %q", name, err, want)
		}
	}
	fit(t, a, x, y, tailor.FitOptions{})
}
