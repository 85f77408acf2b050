package tailor_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/callbacks"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// stripes returns n 12×12 images in 4 classes: class k has a bright band
// of rows 3k to 3k+2 over noise (mirroring left to right keeps the class),
// so a small CNN learns them quickly.
func stripes(n int, seed uint64) (*tensor.Tensor, []uint8) {
	rng := rand.New(rand.NewPCG(seed, 2))
	x, labels := tensor.New(n, 12, 12), make([]uint8, n)
	for i := range labels {
		k := rng.IntN(4)
		labels[i] = uint8(k)
		img := x.Row(i)
		for j := range img {
			img[j] = 0.3 * rng.Float32()
		}
		for r := 3 * k; r < 3*k+3; r++ {
			for c := 0; c < 12; c++ {
				img[r*12+c] += 0.7
			}
		}
	}
	return x, labels
}

// stripesSet returns stripes(n, seed) and the dataset of those images
// with their labels.
func stripesSet(t *testing.T, n int, seed uint64) (*tensor.Tensor, []uint8, *datasets.Labeled) {
	t.Helper()
	x, labels := stripes(n, seed)
	ds, err := datasets.WithLabels(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	return x, labels, ds
}

// softmaxOnStripes returns Flatten → Dense(4, softmax) for stripes'
// images, compiled with Adam, the sparse cross-entropy and ms.
func softmaxOnStripes(t *testing.T, ms ...metrics.Metric) *tailor.Model {
	t.Helper()
	m := tailor.Sequential(layers.Flatten(12, 12), layers.Dense(4, activations.Softmax))
	if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), ms...); err != nil {
		t.Fatal(err)
	}
	return m
}

// smallCNN has one layer of every kind that keeps per-call state; its
// second convolution computes in dtype.
func smallCNN(dtype layers.DType) *tailor.Model {
	return tailor.Sequential(
		layers.RandomFlip(layers.Horizontal, 12, 12),
		layers.Conv2D(8, [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same, Activation: activations.ReLU}),
		layers.BatchNormalization(),
		layers.MaxPooling2D([2]int{2, 2}),
		layers.Conv2D(8, [2]int{3, 3}, layers.Conv2DOptions{Activation: activations.ReLU, DType: dtype}),
		layers.Flatten(),
		layers.Dropout(0.2),
		layers.Dense(16, activations.ReLU),
		layers.Dense(4, activations.Softmax),
	)
}

// trainedAndLoaded trains smallCNN briefly, saves it and loads it back,
// as a server would load a model file.
func trainedAndLoaded(t *testing.T) (*tailor.Model, datasets.Dataset, *tensor.Tensor) {
	t.Helper()
	_, _, train := stripesSet(t, 600, 1)
	m := smallCNN(layers.MixedBFloat16)
	if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(context.Background(), train, tailor.FitOptions{Epochs: 3, Seed: 1, Verbose: tailor.Silent}); err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	if err := saving.SaveTo(&file, m, saving.Meta{}); err != nil {
		t.Fatal(err)
	}
	loaded, _, err := saving.LoadFrom(bytes.NewReader(file.Bytes()), int64(file.Len()))
	if err != nil {
		t.Fatal(err)
	}
	tx, _, test := stripesSet(t, 300, 2)
	return loaded, test, tx
}

// TestConcurrentPredict has 16 goroutines predict and evaluate on one
// loaded model, each with its own batch sizes and flip averaging, and
// requires every result to be bit for bit the serial one. Run it with
// -race (make test does) to check that calls share no state.
func TestConcurrentPredict(t *testing.T) {
	ctx := context.Background()
	m, test, x := trainedAndLoaded(t)
	type call struct {
		batch int
		flip  bool
	}
	calls := []call{{1, false}, {7, false}, {32, true}, {256, false}, {300, true}}
	want := map[call]*tensor.Tensor{}
	for _, c := range calls {
		p, err := m.Predict(ctx, x, tailor.PredictOptions{BatchSize: c.batch, FlipAverage: c.flip})
		if err != nil {
			t.Fatal(err)
		}
		want[c] = p
	}
	wantLoss, wantScores, err := m.Evaluate(ctx, test, tailor.EvaluateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if acc := wantScores["accuracy"]; acc < 0.9 {
		t.Fatalf("test accuracy %v after training: the model did not learn, so agreement would mean little", acc)
	}

	const goroutines, rounds = 16, 3
	errs := make(chan error, goroutines*rounds*(len(calls)+1))
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				for i := range calls {
					c := calls[(g+r+i)%len(calls)]
					p, err := m.Predict(ctx, x, tailor.PredictOptions{BatchSize: c.batch, FlipAverage: c.flip})
					if err != nil {
						errs <- err
						continue
					}
					if !slices.Equal(p.Data, want[c].Data) {
						errs <- fmt.Errorf("goroutine %d: Predict %+v differs from the serial result", g, c)
					}
				}
				loss, scores, err := m.Evaluate(ctx, test, tailor.EvaluateOptions{})
				switch {
				case err != nil:
					errs <- err
				case loss != wantLoss || scores["accuracy"] != wantScores["accuracy"]:
					errs <- fmt.Errorf("goroutine %d: Evaluate gave %v, %v; alone %v, %v", g, loss, scores, wantLoss, wantScores)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestPredictIntoAllocs: once warm, predicting into a kept output
// allocates nothing, with or without flip averaging.
func TestPredictIntoAllocs(t *testing.T) {
	ctx := context.Background()
	m, _, x := trainedAndLoaded(t)
	for _, flip := range []bool{false, true} {
		var out tensor.Tensor
		opts := tailor.PredictOptions{BatchSize: 64, FlipAverage: flip}
		predict := func() {
			if err := m.PredictInto(ctx, &out, x, opts); err != nil {
				t.Fatal(err)
			}
		}
		predict()
		if n := testing.AllocsPerRun(10, predict); n != 0 {
			t.Errorf("flip %v: PredictInto allocated %v times per call once warm", flip, n)
		}
		want, err := m.Predict(ctx, x, opts)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.Data, want.Data) || !out.Shape.Equal(want.Shape) {
			t.Errorf("flip %v: PredictInto and Predict disagree", flip)
		}
	}
}

// TestPredictWhileFitting has goroutines predict and evaluate while Fit
// trains the same model — batch normalisation, a moving average of the
// weights handed over at the end, early stopping putting back its best
// weights — and requires each call to compute all its batches with the
// same weights: the input is one set of images twice, predicted a half per
// batch, so the two halves must be the same bits. Run it with -race (make
// test does) to check that training steps and inference calls share no
// unguarded state.
func TestPredictWhileFitting(t *testing.T) {
	ctx := context.Background()
	x, labels, train := stripesSet(t, 64, 3)
	m := smallCNN(layers.Float32)
	opt := optimizers.Adam()
	if err := opt.UseEMA(0.9, 0); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(opt, losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	half := 16
	twice := tensor.New(2*half, 12, 12)
	copy(twice.Data, x.Data[:half*144])
	copy(twice.Data[half*144:], x.Data[:half*144])
	test, err := datasets.WithLabels(twice, append(slices.Clone(labels[:half]), labels[:half]...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Predict(ctx, twice, tailor.PredictOptions{}); err != nil { // builds the model
		t.Fatal(err)
	}

	stop := callbacks.EarlyStopping("loss", 10)
	stop.RestoreBestWeights = true
	done := make(chan error, 1)
	go func() {
		_, err := m.Fit(ctx, train, tailor.FitOptions{Epochs: 4, BatchSize: 2, Seed: 1, Verbose: tailor.Silent, Callbacks: []tailor.Callback{stop}})
		done <- err
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	var fitErr error
	finished := make(chan struct{})
	go func() { fitErr = <-done; close(finished) }()
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for calls := 0; ; calls++ {
				select {
				case <-finished:
					if calls == 0 {
						errs <- fmt.Errorf("goroutine %d: Fit ended before any call", g)
					}
					return
				default:
				}
				p, err := m.Predict(ctx, twice, tailor.PredictOptions{BatchSize: half, FlipAverage: g == 1})
				if err != nil {
					errs <- err
					return
				}
				if n := half * 4; !slices.Equal(p.Data[:n], p.Data[n:]) {
					errs <- fmt.Errorf("goroutine %d, call %d: the two batches of the same images differ: the weights changed within a call", g, calls)
					return
				}
				if _, _, err := m.Evaluate(ctx, test, tailor.EvaluateOptions{BatchSize: half}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if fitErr != nil {
		t.Fatal(fitErr)
	}
	for err := range errs {
		t.Error(err)
	}
}

// TestTrainingRefusesToOverlap: two calls that train one model would share
// its training workspace and optimizer state; while Fit runs, TrainOnBatch
// and Fit — from another goroutine or from one of its own callbacks — are
// refused with an error saying why, and the model trains again once Fit
// has returned.
func TestTrainingRefusesToOverlap(t *testing.T) {
	ctx := context.Background()
	x, labels, train := stripesSet(t, 32, 4)
	y := tensor.New(32)
	for i, l := range labels {
		y.Data[i] = float32(l)
	}
	m := softmaxOnStripes(t)
	const want = "the model is training already"
	started, release := make(chan struct{}), make(chan struct{})
	var inside error
	cb := &callbacks.Lambda{
		TrainBegin: func(*tailor.Model) error { close(started); <-release; return nil },
		EpochBegin: func(m *tailor.Model, _ int) error {
			_, inside = m.TrainOnBatch(x, y)
			return nil
		},
	}
	done := make(chan error)
	go func() {
		_, err := m.Fit(ctx, train, tailor.FitOptions{Verbose: tailor.Silent, Callbacks: []tailor.Callback{cb}})
		done <- err
	}()
	<-started
	if _, err := m.TrainOnBatch(x, y); err == nil || !strings.Contains(err.Error(), "TrainOnBatch: "+want) {
		t.Errorf("TrainOnBatch during Fit: %v, want an error containing %q", err, want)
	}
	if _, err := m.Fit(ctx, train, tailor.FitOptions{Verbose: tailor.Silent}); err == nil || !strings.Contains(err.Error(), "Fit: "+want) {
		t.Errorf("Fit during Fit: %v, want an error containing %q", err, want)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if inside == nil || !strings.Contains(inside.Error(), want) {
		t.Errorf("TrainOnBatch in a callback of Fit: %v, want an error containing %q", inside, want)
	}
	if _, err := m.TrainOnBatch(x, y); err != nil {
		t.Errorf("TrainOnBatch after Fit: %v", err)
	}
}

// TestStopTrainingFromAnotherGoroutine: StopTraining may come from outside
// Fit's callbacks — a timer, a signal handler — and stops Fit after the
// batch under way. Run it with -race.
func TestStopTrainingFromAnotherGoroutine(t *testing.T) {
	_, _, train := stripesSet(t, 64, 5)
	m := softmaxOnStripes(t)
	first := make(chan struct{})
	var once sync.Once
	cb := &callbacks.Lambda{BatchEnd: func(*tailor.Model, int, int, float64) error {
		once.Do(func() { close(first) })
		return nil
	}}
	go func() { <-first; m.StopTraining() }()
	const epochs = 10000
	h, err := m.Fit(context.Background(), train, tailor.FitOptions{Epochs: epochs, BatchSize: 1, Verbose: tailor.Silent, Callbacks: []tailor.Callback{cb}})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Epochs) == epochs {
		t.Errorf("Fit ran all %d epochs after StopTraining", epochs)
	}
}

// TestProgressWhileFitting: Progress may be polled from another goroutine
// — a status page — while Fit runs, and ends at the epoch Fit ended at.
// Run it with -race.
func TestProgressWhileFitting(t *testing.T) {
	_, _, train := stripesSet(t, 64, 6)
	m := softmaxOnStripes(t, metrics.Accuracy())
	done, polled, bad := make(chan struct{}), make(chan struct{}), make(chan tailor.Progress, 1)
	go func() {
		for n := 0; ; n++ {
			select {
			case <-done:
				return
			default:
			}
			if p := m.Progress(); p.Step > 0 && len(p.Metrics) != 1 {
				select {
				case bad <- p:
				default:
				}
			}
			if n == 0 {
				close(polled)
			}
		}
	}()
	// The first batch waits for a poll, so that polls overlap training.
	wait := &callbacks.Lambda{BatchEnd: func(_ *tailor.Model, epoch, batch int, _ float64) error {
		if epoch == 0 && batch == 0 {
			<-polled
		}
		return nil
	}}
	_, err := m.Fit(context.Background(), train, tailor.FitOptions{Epochs: 3, BatchSize: 2, Verbose: tailor.Silent, Callbacks: []tailor.Callback{wait}})
	close(done)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-bad:
		t.Errorf("Progress mid-epoch %+v has no metric state", p)
	default:
	}
	if p := m.Progress(); p.Epoch != 3 || p.Step != 0 {
		t.Errorf("Progress after Fit %+v, want epoch 3, step 0", p)
	}
}
