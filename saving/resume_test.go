package saving

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/tensor"
)

// interrupter cancels training at chosen points: after batch Batch of
// epoch Epoch, or, with Batch −1, at the end of epoch Epoch (between
// epochs), or, with Batch −2, as epoch Epoch begins.
type interrupter struct {
	tailor.NopCallback
	Epoch, Batch int
	cancel       context.CancelFunc
}

func (c *interrupter) OnBatchEnd(_ *tailor.Model, epoch, batch int, _ float64) error {
	if epoch == c.Epoch && batch == c.Batch {
		c.cancel()
	}
	return nil
}

func (c *interrupter) OnEpochEnd(_ *tailor.Model, epoch int, _ tailor.Logs) error {
	if epoch == c.Epoch && c.Batch == -1 {
		c.cancel()
	}
	return nil
}

func (c *interrupter) OnEpochBegin(_ *tailor.Model, epoch int) error {
	if epoch == c.Epoch && c.Batch == -2 {
		c.cancel()
	}
	return nil
}

// resumeData is 70 examples: with a validation split of 0.2 and batches
// of 16, an epoch is 56 examples in four steps, the last of 8.
func resumeData() (x, y *tensor.Tensor) { return synthetic(70, 6, 6, 11) }

func resumeOptions() tailor.FitOptions {
	return tailor.FitOptions{Epochs: 4, BatchSize: 16, Seed: 42, ValidationSplit: 0.2, Verbose: tailor.Silent}
}

// appendHistory adds the epochs of h to all.
func appendHistory(all, h *tailor.History) {
	all.Epochs = append(all.Epochs, h.Epochs...)
	for k, v := range h.History {
		all.History[k] = append(all.History[k], v...)
	}
}

// TestResumeIsExact interrupts training at several points — inside an
// epoch, after its last batch, between epochs, as an epoch begins, and
// several times in one run — saves a checkpoint, loads it into a new model
// and resumes. The final weights must be bit for bit those of an
// uninterrupted run, and every epoch's figures the same.
func TestResumeIsExact(t *testing.T) {
	x, y := resumeData()
	want := smallMLP(1)
	compileAdam(t, want)
	wantHist, err := want.Fit(context.Background(), ds(x, y), resumeOptions())
	if err != nil {
		t.Fatal(err)
	}

	for _, stops := range [][]interrupter{
		{{Epoch: 0, Batch: 0}},
		{{Epoch: 1, Batch: 2}},
		{{Epoch: 2, Batch: 3}},  // after an epoch's last batch, before validation
		{{Epoch: 1, Batch: -1}}, // between epochs
		{{Epoch: 2, Batch: -2}}, // as an epoch begins: its first batch still runs
		{{Epoch: 3, Batch: 1}},
		{{Epoch: 0, Batch: 1}, {Epoch: 0, Batch: 2}, {Epoch: 2, Batch: -1}, {Epoch: 3, Batch: 0}},
	} {
		t.Run(fmt.Sprint(stops), func(t *testing.T) {
			m := smallMLP(1)
			compileAdam(t, m)
			m, all := interruptAndResume(t, m, ds(x, y), resumeOptions(), stops)
			sameBits(t, want, m)
			if !reflect.DeepEqual(all.Epochs, wantHist.Epochs) || !reflect.DeepEqual(all.History, wantHist.History) {
				t.Errorf("history\n%v %v\nwant\n%v %v", all.Epochs, all.History, wantHist.Epochs, wantHist.History)
			}
		})
	}
}

// interruptAndResume trains m with opts, stopping it at each of stops in
// turn; after each stop it saves a checkpoint, loads it into a new model
// and resumes from there with the options the checkpoint gives back. It
// returns the model that finished and the whole run's history.
func interruptAndResume(t *testing.T, m *tailor.Model, data datasets.Dataset, opts tailor.FitOptions, stops []interrupter) (*tailor.Model, *tailor.History) {
	t.Helper()
	dir := t.TempDir()
	all := &tailor.History{History: map[string][]float64{}}
	for i := 0; ; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		run := opts
		if i < len(stops) {
			stops[i].cancel = cancel
			run.Callbacks = []tailor.Callback{&stops[i]}
		}
		h, err := m.Fit(ctx, data, run)
		cancel()
		appendHistory(all, h)
		if i == len(stops) {
			if err != nil {
				t.Fatal(err)
			}
			return m, all
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stop %d: Fit returned %v, want context.Canceled", i, err)
		}
		if err := SaveCheckpoint(dir, &Checkpoint{Model: m, Fit: FitConfigOf(opts), Progress: m.Progress(), History: all}); err != nil {
			t.Fatal(err)
		}
		ck, err := LoadCheckpoint(dir)
		if err != nil {
			t.Fatal(err)
		}
		m, opts = ck.Model, ck.FitOptions()
		opts.Verbose = tailor.Silent
		all = ck.History
		if all == nil {
			all = &tailor.History{History: map[string][]float64{}}
		}
	}
}

// TestResumeWithEMA: with Adam keeping a moving average of the weights,
// Fit ends with the average as the weights, and a run interrupted inside
// an epoch and between epochs, saved and resumed, ends with the same bits:
// the checkpoint keeps the average and the optimizer's use_ema.
func TestResumeWithEMA(t *testing.T) {
	x, y := resumeData()
	compileEMA := func(m *tailor.Model) {
		a := optimizers.Adam()
		if err := a.UseEMA(0.9, 0); err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(a, losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
			t.Fatal(err)
		}
	}
	plain, want := smallMLP(1), smallMLP(1)
	compileAdam(t, plain)
	compileEMA(want)
	for _, m := range []*tailor.Model{plain, want} {
		if _, err := m.Fit(context.Background(), ds(x, y), resumeOptions()); err != nil {
			t.Fatal(err)
		}
	}
	values, _ := want.Weights().Trainable()
	average := want.Optimizer().(optimizers.Stateful).State(want.Weights()).Slots["average"]
	for _, p := range want.Params() {
		if p.Trainable() && !reflect.DeepEqual(p.Value.Data, average[p.Path()]) {
			t.Fatalf("%s after Fit is not the moving average", p.Path())
		}
	}
	plainValues, _ := plain.Weights().Trainable()
	if reflect.DeepEqual(values, plainValues) {
		t.Fatal("the moving average changed nothing")
	}

	m := smallMLP(1)
	compileEMA(m)
	m, _ = interruptAndResume(t, m, ds(x, y), resumeOptions(), []interrupter{{Epoch: 1, Batch: 2}, {Epoch: 2, Batch: -1}})
	if on, momentum, _ := m.Optimizer().(interface{ EMA() (bool, float64, int64) }).EMA(); !on || momentum != 0.9 {
		t.Fatalf("the checkpoint's optimizer keeps no average (%v, %v)", on, momentum)
	}
	sameBits(t, want, m)
}

// TestResumeCNN resumes a network with batch normalisation and dropout
// in the middle of an epoch.
func TestResumeCNN(t *testing.T) {
	x, y := synthetic(40, 8, 8, 3)
	opts := tailor.FitOptions{Epochs: 2, BatchSize: 8, Seed: 5, Verbose: tailor.Silent}
	want := smallCNN(2)
	compileAdam(t, want)
	if _, err := want.Fit(context.Background(), ds(x, y), opts); err != nil {
		t.Fatal(err)
	}
	m := smallCNN(2)
	compileAdam(t, m)
	m, _ = interruptAndResume(t, m, ds(x, y), opts, []interrupter{{Epoch: 0, Batch: 2}})
	sameBits(t, want, m)
}

func TestResumeChecksTheData(t *testing.T) {
	x, y := resumeData()
	m := smallMLP(1)
	compileAdam(t, m)
	o := resumeOptions()
	o.Resume = &tailor.Progress{Epoch: 1, Step: 2, Seen: 32}
	o.BatchSize = 8
	if _, err := m.Fit(context.Background(), ds(x, y), o); err == nil || !strings.Contains(err.Error(), "the batch size or the data changed") {
		t.Errorf("error %v", err)
	}
	o.BatchSize = 16
	o.Resume = &tailor.Progress{Epoch: 1, Step: 9, Seen: 56}
	if _, err := m.Fit(context.Background(), ds(x, y), o); err == nil || !strings.Contains(err.Error(), "an epoch has 4 steps") {
		t.Errorf("error %v", err)
	}
}

// TestResumeClassWeights: a run with class weights, interrupted and
// resumed from its checkpoint with the options LoadCheckpoint gives back,
// ends with the weights of the uninterrupted run: the class weights are
// part of the checkpoint's fit options, as they change every step.
func TestResumeClassWeights(t *testing.T) {
	x, y := resumeData()
	opts := resumeOptions()
	opts.ClassWeight = map[int]float64{0: 0.25, 2: 3.5}
	want := smallMLP(1)
	compileAdam(t, want)
	if _, err := want.Fit(context.Background(), ds(x, y), opts); err != nil {
		t.Fatal(err)
	}
	m := smallMLP(1)
	compileAdam(t, m)
	m, _ = interruptAndResume(t, m, ds(x, y), opts, []interrupter{{Epoch: 1, Batch: 1}})
	sameBits(t, want, m)
}
