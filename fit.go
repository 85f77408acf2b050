package tailor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/internal/progbar"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
)

// Verbosity chooses how Fit and Evaluate report progress.
type Verbosity int

// The verbosity levels, as Keras's verbose argument has them.
const (
	// VerboseAuto draws a progress bar on a terminal and prints one line
	// per epoch elsewhere (Keras's "auto").
	VerboseAuto Verbosity = iota
	// Silent prints nothing (verbose=0).
	Silent
	// ProgressBar draws the bar, updated in place (verbose=1).
	ProgressBar
	// OneLinePerEpoch prints one line per epoch (verbose=2).
	OneLinePerEpoch
)

// resolve turns VerboseAuto into what it means for w: a progress bar on a
// terminal, one line per epoch elsewhere.
func (v Verbosity) resolve(w io.Writer) Verbosity {
	if v != VerboseAuto {
		return v
	}
	if isTerminal(w) {
		return ProgressBar
	}
	return OneLinePerEpoch
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// FitOptions are Fit's arguments beyond the data. The zero value trains
// one epoch with Keras's defaults.
type FitOptions struct {
	// Epochs is the number of passes over the data (default 1).
	Epochs int
	// InitialEpoch is the epoch to start from, for resuming (default 0;
	// it may not be negative).
	InitialEpoch int
	// Resume, when not nil, continues a Fit that stopped part-way, from
	// the Progress the model reported then (see Model.Progress); it
	// overrides InitialEpoch. The epoch Resume.Epoch starts at step
	// Resume.Step, skipping the batches already done — the shuffled order
	// depends only on Seed and the epoch, and stochastic layers are
	// reseeded from the global step, so the rest come exactly as they
	// would have — with the loss and metric sums it had. OnEpochBegin is
	// not called again for an epoch already begun (Step > 0).
	Resume *Progress
	// BatchSize is the number of examples per step (default 32).
	BatchSize int
	// NoShuffle keeps the examples in order; by default they are shuffled
	// before every epoch.
	NoShuffle bool
	// Seed seeds the shuffling and the stochastic layers (Dropout,
	// augmentation); the same seed gives the same order. Each epoch's
	// order and masks depend on the seed and the epoch's number alone (so
	// that a run resumes exactly), so a Fit called again with the same
	// seed and epochs repeats them: to train on where an earlier Fit
	// ended, as Keras users call fit once an epoch, pass InitialEpoch (the
	// number of epochs done, Keras's initial_epoch) or another seed.
	Seed uint64
	// ValidationSplit holds out the last fraction of the training data,
	// taken before shuffling as Keras does, and evaluates on it after
	// every epoch.
	ValidationSplit float64
	// ValidationData, when set, is evaluated after every epoch instead.
	ValidationData datasets.Dataset
	// ClassWeight, when set, weights each training example's loss by the
	// weight of its class (missing classes weigh 1), as Keras's
	// class_weight does: the batch loss is Σᵢ w(yᵢ)·lᵢ / B, so rare classes
	// can count as much as common ones. The class of an example is its
	// label — a single target rounded to the nearest integer, halves to
	// even as numpy rounds, so a soft target 0.9 is class 1 — or for
	// one-hot targets the index of the largest entry. A target that is no
	// class of the model's (a regression target of 3 for a single output,
	// whose classes are 0 and 1) weighs 1, as in Keras.
	// Only the training loss is weighted: the metrics are not, as Keras's
	// metrics are not (its weighted_metrics, which Tailor lacks, are), nor
	// are the validation figures.
	ClassWeight map[int]float64
	// Verbose chooses the progress output; Out is where it goes (default
	// standard output).
	Verbose Verbosity
	Out     io.Writer
	// Callbacks are called around epochs and batches, in order; none may
	// be nil.
	Callbacks []Callback
}

func (o *FitOptions) defaults() {
	if o.Epochs == 0 {
		o.Epochs = 1
	}
	if o.BatchSize == 0 {
		o.BatchSize = 32
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
}

// History records the loss and metrics of every epoch, as Keras's
// History.history does: History["loss"][i] is epoch i's training loss, and
// validation figures carry a "val_" prefix.
type History struct {
	Epochs  []int
	History map[string][]float64
	// Seconds is the wall time of each epoch.
	Seconds []float64
}

// Logs maps a figure's name (loss, accuracy, val_loss, ...) to its value.
type Logs map[string]float64

// Progress is how far Fit has got: the epoch under way and the number of
// its batches done, with the running sums behind the epoch's reported loss
// and metrics. Once an epoch has ended (just before OnEpochEnd) it is
// {Epoch: next, Step: 0}. Model.Progress returns it and FitOptions.Resume
// continues from it; together with the weights and the optimizer's state
// it is all a checkpoint needs for training to resume bit for bit.
type Progress struct {
	Epoch int `json:"epoch"`
	Step  int `json:"step"`
	// Seen is the number of examples in those batches, LossSum their
	// summed loss.
	Seen    int     `json:"seen"`
	LossSum float64 `json:"loss_sum"`
	// Metrics holds each compiled metric's running state
	// (metrics.Stateful), in compile order; nil for a metric without one,
	// whose figure for a resumed epoch then covers only the batches run
	// after resuming. Nil when Step is 0.
	Metrics [][]float64 `json:"metrics,omitempty"`
}

// Progress returns how far the running or last Fit got; it may be called
// from any goroutine while Fit runs. After Fit returns because ctx was
// cancelled, it is the position to resume from.
func (m *Model) Progress() Progress {
	m.progressMu.Lock()
	defer m.progressMu.Unlock()
	m.weightsMu.RLock() // the metrics' state, which training steps update
	defer m.weightsMu.RUnlock()
	p := m.progress
	if p.Step == 0 {
		p.Metrics = nil
		return p
	}
	if p.Metrics == nil { // mid-epoch: the metrics hold the epoch's state
		p.Metrics = make([][]float64, len(m.metrics))
		for i, mt := range m.metrics {
			if s, ok := mt.(metrics.Stateful); ok {
				p.Metrics[i] = s.State()
			}
		}
	}
	return p
}

// Fit trains the model on the examples of train for opts.Epochs epochs and
// returns the per-epoch history, as Keras's fit does. Build train from
// in-memory tensors with datasets.WithLabels or datasets.FromTensors.
// Cancelling ctx stops training after the current batch; Fit then returns
// the history so far and ctx's error.
func (m *Model) Fit(ctx context.Context, train datasets.Dataset, opts FitOptions) (*History, error) {
	if err := m.beginTraining("Fit"); err != nil {
		return nil, err
	}
	defer m.training.Store(false)
	defer func() { m.classWeight = nil }() // they weigh this Fit only
	r, err := m.newFitRun(train, opts)
	if err != nil {
		return nil, err
	}
	return r.run(ctx)
}

// fitRun is one call of Fit: the data, the options and the order of the
// examples, with the history it builds.
type fitRun struct {
	m       *Model
	train   datasets.Dataset // examples [0, n) are trained on
	n       int
	val     datasets.Dataset // evaluated after every epoch, or nil
	opts    FitOptions
	order   epochOrder
	cbs     callbackList
	verbose Verbosity
	hist    *History
	values  []progbar.Value // the progress bar's figures
}

// MaxTrainingBytes bounds the activations of one training batch, counted
// at three times the layers' outputs as float32s (the outputs, their
// gradients and what backward keeps): Fit refuses a batch size that would
// need more, and saving.LoadCheckpoint a checkpoint that would.
const MaxTrainingBytes = 4 << 30

// newFitRun checks Fit's arguments and splits off the validation data.
func (m *Model) newFitRun(train datasets.Dataset, opts FitOptions) (*fitRun, error) {
	if m.loss == nil {
		return nil, errors.New("tailor: Fit before Compile")
	}
	opts.defaults()
	if opts.BatchSize < 0 || opts.Epochs < 0 {
		return nil, fmt.Errorf("tailor: Fit: batch size %d and epochs %d must be positive", opts.BatchSize, opts.Epochs)
	}
	// A rate set by SetLearningRate, or a schedule's first, is not checked
	// where it is set: 0 is a rate, NaN, infinities and negatives are not.
	if lr := m.optimizer.LearningRate(); !(lr >= 0) || math.IsInf(lr, 1) {
		return nil, fmt.Errorf("tailor: Fit: the optimizer's learning rate is %v, want a finite rate ≥ 0", lr)
	}
	if opts.InitialEpoch < 0 {
		return nil, fmt.Errorf("tailor: Fit: initial epoch %d, want ≥ 0", opts.InitialEpoch)
	}
	for i, cb := range opts.Callbacks {
		if cb == nil {
			return nil, fmt.Errorf("tailor: Fit: callback %d is nil", i)
		}
	}
	if train == nil {
		return nil, errors.New("tailor: Fit: no training data")
	}
	if err := m.ensureBuilt(train.ExampleShape()); err != nil {
		return nil, err
	}
	if err := m.bindOptimizer(); err != nil {
		return nil, fmt.Errorf("tailor: Fit: %w", err)
	}
	if b := min(opts.BatchSize, train.Len()); 3*m.ActivationBytes(b) > MaxTrainingBytes {
		return nil, fmt.Errorf("tailor: Fit: a batch of %d examples needs %d MiB for training (three times the layers' outputs: the outputs, their gradients and what backward keeps), more than MaxTrainingBytes (%d MiB): use a smaller BatchSize or smaller inputs",
			b, 3*m.ActivationBytes(b)>>20, MaxTrainingBytes>>20)
	}
	r := &fitRun{m: m, train: train, n: train.Len(), val: opts.ValidationData, opts: opts}
	if opts.ValidationSplit != 0 {
		if !(opts.ValidationSplit > 0 && opts.ValidationSplit < 1) {
			return nil, fmt.Errorf("tailor: validation split %v, want a fraction in (0, 1)", opts.ValidationSplit)
		}
		if opts.ValidationData != nil {
			return nil, errors.New("tailor: Fit: ValidationSplit and ValidationData are exclusive")
		}
		n := train.Len()
		r.n = int(float64(n) * (1 - opts.ValidationSplit))
		if r.n == 0 || r.n == n {
			return nil, fmt.Errorf("tailor: validation split %v of %d examples leaves one side empty", opts.ValidationSplit, n)
		}
		val, err := datasets.Slice(train, r.n, n)
		if err != nil {
			return nil, fmt.Errorf("tailor: %w", err)
		}
		r.val = val
	}
	if err := m.checkData("training data", train, r.n); err != nil {
		return nil, err
	}
	if r.val != nil {
		if err := m.checkData("validation data", r.val, r.val.Len()); err != nil {
			return nil, err
		}
	}
	if err := m.setClassWeights(opts.ClassWeight); err != nil {
		return nil, err
	}
	r.order = newEpochOrder(r.n, opts.BatchSize, opts.Seed, !opts.NoShuffle)
	if p := opts.Resume; p != nil {
		if err := m.resumeAt(p, r.order.steps, opts.BatchSize, r.n); err != nil {
			return nil, err
		}
	}
	r.cbs = callbackList(opts.Callbacks)
	r.verbose = opts.Verbose.resolve(opts.Out)
	r.hist = &History{History: map[string][]float64{}}
	r.values = make([]progbar.Value, 1+len(m.metrics))
	return r, nil
}

// resumeAt checks that r fits this training set: the same number of steps
// per epoch and the same batch size.
func (m *Model) resumeAt(r *Progress, steps, batch, n int) error {
	switch {
	case r.Epoch < 0 || r.Step < 0 || r.Step > steps:
		return fmt.Errorf("tailor: cannot resume at epoch %d, step %d: an epoch has %d steps", r.Epoch+1, r.Step, steps)
	case r.Seen != min(r.Step*batch, n):
		return fmt.Errorf("tailor: cannot resume: %d examples were seen in %d steps, but %d steps of batch size %d over %d examples make %d; the batch size or the data changed", r.Seen, r.Step, r.Step, batch, n, min(r.Step*batch, n))
	case r.Metrics != nil && len(r.Metrics) != len(m.metrics):
		return fmt.Errorf("tailor: cannot resume: the progress has %d metric states, the model has %d metrics", len(r.Metrics), len(m.metrics))
	}
	return nil
}

// run trains epoch after epoch, then tells the callbacks.
func (r *fitRun) run(ctx context.Context) (*History, error) {
	m, opts := r.m, r.opts
	startEpoch := opts.InitialEpoch
	if opts.Resume != nil {
		startEpoch = opts.Resume.Epoch
	}
	m.stopTraining.Store(false)
	m.setProgress(Progress{Epoch: startEpoch})
	if err := r.cbs.trainBegin(m); err != nil {
		return r.hist, err
	}
	var logs Logs
	for epoch := startEpoch; epoch < opts.Epochs && !m.stopTraining.Load(); epoch++ {
		if err := ctx.Err(); err != nil {
			return r.hist, err
		}
		var err error
		if logs, err = r.epoch(ctx, epoch); err != nil {
			return r.hist, err
		}
	}
	// An optimizer that keeps a moving average of the weights (UseEMA)
	// hands it over now, as Keras's fit does, before the callbacks see
	// the end.
	if f, ok := m.optimizer.(optimizers.Finalizer); ok {
		m.weightsMu.Lock()
		f.FinalizeVariableValues(m.weights)
		m.weightsMu.Unlock()
	}
	return r.hist, r.cbs.trainEnd(m, logs)
}

// epoch runs one epoch — its batches from the first not yet done, then
// validation — records it in the history and tells the callbacks.
func (r *fitRun) epoch(ctx context.Context, epoch int) (Logs, error) {
	first, err := r.begin(epoch)
	if err != nil {
		return nil, err
	}
	var bar *progbar.Bar
	if r.verbose != Silent {
		fmt.Fprintf(r.opts.Out, "Epoch %d/%d\n", epoch+1, r.opts.Epochs)
		bar = progbar.New(r.opts.Out, r.order.steps, r.verbose == ProgressBar)
	}
	start := time.Now()
	for step := first; step < r.order.steps; step++ {
		if err := r.step(epoch, step, bar); err != nil {
			return nil, err
		}
		// Cancelling stops training here, after a whole batch, where
		// Progress can resume it.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// StopTraining from a batch's callback ends the epoch here, as in
		// Keras; it still ends as usual, over the batches run.
		if r.m.stopTraining.Load() {
			break
		}
	}
	logs, shown, err := r.end(ctx)
	if err != nil {
		return nil, err
	}
	secs := time.Since(start).Seconds()
	if bar != nil {
		bar.Finish(shown)
	}
	r.hist.Epochs = append(r.hist.Epochs, epoch)
	r.hist.Seconds = append(r.hist.Seconds, secs)
	for k, v := range logs {
		r.hist.History[k] = append(r.hist.History[k], v)
	}
	r.m.setProgress(Progress{Epoch: epoch + 1})
	return logs, r.cbs.epochEnd(r.m, epoch, logs)
}

// begin starts an epoch: the callbacks (unless it is resumed part-way),
// its order of examples, and the running loss and metrics — zero, or those
// a resumed epoch had. It returns the first step to run.
func (r *fitRun) begin(epoch int) (first int, err error) {
	m, resume := r.m, r.opts.Resume
	if resume != nil && epoch == resume.Epoch {
		first = resume.Step
	}
	if first == 0 {
		if err := r.cbs.epochBegin(m, epoch); err != nil {
			return 0, err
		}
	}
	r.order.begin(epoch)
	if err := m.startMetrics(first, resume); err != nil {
		return 0, err
	}
	if first == 0 {
		m.setProgress(Progress{Epoch: epoch})
		return 0, nil
	}
	m.setProgress(Progress{Epoch: epoch, Step: first, Seen: resume.Seen, LossSum: resume.LossSum})
	return first, nil
}

// startMetrics resets the metrics for an epoch, or for one resumed at step
// first > 0 restores the state they had. It holds the weights' lock, under
// which training steps update the metrics and Progress reads them (with
// progressMu taken first: never take it under this lock).
func (m *Model) startMetrics(first int, resume *Progress) error {
	m.weightsMu.Lock()
	defer m.weightsMu.Unlock()
	for _, mt := range m.metrics {
		mt.Reset()
	}
	if first == 0 {
		return nil
	}
	for i, mt := range m.metrics {
		s, ok := mt.(metrics.Stateful)
		if ok && resume.Metrics != nil && resume.Metrics[i] != nil {
			if err := s.SetState(resume.Metrics[i]); err != nil {
				return fmt.Errorf("tailor: resuming: %w", err)
			}
		}
	}
	return nil
}

// step trains one batch of the epoch and reports it.
func (r *fitRun) step(epoch, step int, bar *progbar.Bar) error {
	m := r.m
	idx := r.order.batch(step)
	loss, err := m.trainBatch(r.train, idx, r.opts.Seed, uint64(epoch*r.order.steps+step))
	if err != nil {
		return err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return fmt.Errorf("tailor: the loss became %v at epoch %d, step %d: lower the learning rate or check the data", loss, epoch+1, step+1)
	}
	m.progressMu.Lock()
	p := &m.progress
	p.Step, p.Seen, p.LossSum = step+1, p.Seen+len(idx), p.LossSum+loss
	m.progressMu.Unlock()
	if err := r.cbs.batchEnd(m, epoch, step, loss/float64(len(idx))); err != nil {
		return err
	}
	if bar != nil {
		m.fillValues(r.values, p.LossSum/float64(p.Seen))
		bar.Update(step+1, r.values)
	}
	return nil
}

// end computes an epoch's figures: the training loss and metrics, then
// the validation ones. shown is what the progress bar ends with.
func (r *fitRun) end(ctx context.Context) (logs Logs, shown []progbar.Value, err error) {
	m := r.m
	// Validation shares no state with training, but the progress keeps the
	// metrics' training state for a checkpoint taken at epoch end.
	lossSum, seen := m.progress.LossSum, m.progress.Seen
	m.setProgress(m.Progress())
	logs = Logs{"loss": lossSum / float64(seen)} // seen is r.n unless StopTraining cut the epoch short
	for _, mt := range m.metrics {
		logs[mt.Name()] = mt.Result()
	}
	m.fillValues(r.values, logs["loss"])
	shown = r.values
	if r.val == nil {
		return logs, shown, nil
	}
	// Batches of DefaultBatchSize keep validation within MaxInferenceBytes.
	m.weightsMu.RLock() // against SetWeights on another goroutine
	vl, vm, err := m.evaluate(ctx, r.val, m.DefaultBatchSize(false), false, nil)
	m.weightsMu.RUnlock()
	if err != nil {
		return nil, nil, err
	}
	logs["val_loss"] = vl
	shown = append(shown[:len(r.values):len(r.values)], progbar.Value{Name: "val_loss", Value: vl})
	for _, mt := range m.metrics {
		logs["val_"+mt.Name()] = vm[mt.Name()]
		shown = append(shown, progbar.Value{Name: "val_" + mt.Name(), Value: vm[mt.Name()]})
	}
	return logs, shown, nil
}

func (m *Model) fillValues(values []progbar.Value, loss float64) {
	values[0] = progbar.Value{Name: "loss", Value: loss}
	for i, mt := range m.metrics {
		values[i+1] = progbar.Value{Name: mt.Name(), Value: mt.Result()}
	}
}

// epochOrder is the order in which an epoch visits the training examples:
// shuffled by a PCG seeded with (seed, epoch), so that any epoch's order
// can be reproduced on its own — which is what lets Fit resume mid-epoch —
// and cut into batches.
type epochOrder struct {
	n, batchSize, steps int
	seed                uint64
	shuffle             bool
	perm                []int
}

func newEpochOrder(n, batchSize int, seed uint64, shuffle bool) epochOrder {
	return epochOrder{n: n, batchSize: batchSize, steps: ceilDiv(n, batchSize),
		seed: seed, shuffle: shuffle, perm: make([]int, n)}
}

// begin lays out the order of epoch.
func (o *epochOrder) begin(epoch int) {
	for i := range o.perm {
		o.perm[i] = i
	}
	if o.shuffle {
		rng := rand.New(rand.NewPCG(o.seed, uint64(epoch)))
		rng.Shuffle(o.n, func(i, j int) { o.perm[i], o.perm[j] = o.perm[j], o.perm[i] })
	}
}

// batch returns the examples of a step of the epoch begun last.
func (o *epochOrder) batch(step int) []int {
	return o.perm[step*o.batchSize : min((step+1)*o.batchSize, o.n)]
}

// ceilDiv returns the number of batches of b that n examples make, ⌈n/b⌉,
// without overflowing for a b near the largest int.
func ceilDiv(n, b int) int {
	if n <= 0 {
		return 0
	}
	return (n-1)/b + 1
}

// setProgress records how far Fit has got, for Progress on other
// goroutines.
func (m *Model) setProgress(p Progress) {
	m.progressMu.Lock()
	m.progress = p
	m.progressMu.Unlock()
}
