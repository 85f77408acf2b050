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

	"github.com/tailor-ml/tailor/internal/progbar"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/tensor"
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

// FitOptions are Fit's arguments beyond the data. The zero value trains
// one epoch with Keras's defaults.
type FitOptions struct {
	// Epochs is the number of passes over the data (default 1).
	Epochs int
	// InitialEpoch is the epoch to start from, for resuming (default 0).
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
	// Seed seeds the shuffling; the same seed gives the same order.
	Seed uint64
	// ValidationSplit holds out the last fraction of x and y, taken before
	// shuffling as Keras does, and evaluates on it after every epoch.
	ValidationSplit float64
	// ValidationX and ValidationY, when set, are evaluated after every
	// epoch instead.
	ValidationX, ValidationY *tensor.Tensor
	// Verbose chooses the progress output; Out is where it goes (default
	// standard output).
	Verbose Verbosity
	Out     io.Writer
	// Callbacks are called around epochs and batches.
	Callbacks []Callback
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

// Progress returns how far the running or last Fit got. After Fit returns
// because ctx was cancelled, it is the position to resume from.
func (m *Model) Progress() Progress {
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

// Callback is notified as Fit progresses. Embed NopCallback to implement
// only the methods you need. An error stops training and is returned by Fit.
type Callback interface {
	OnTrainBegin(m *Model) error
	OnEpochBegin(m *Model, epoch int) error
	OnBatchEnd(m *Model, epoch, batch int, loss float64) error
	OnEpochEnd(m *Model, epoch int, logs Logs) error
	OnTrainEnd(m *Model, logs Logs) error
}

// NopCallback implements Callback doing nothing.
type NopCallback struct{}

// OnTrainBegin does nothing.
func (NopCallback) OnTrainBegin(*Model) error { return nil }

// OnEpochBegin does nothing.
func (NopCallback) OnEpochBegin(*Model, int) error { return nil }

// OnBatchEnd does nothing.
func (NopCallback) OnBatchEnd(*Model, int, int, float64) error { return nil }

// OnEpochEnd does nothing.
func (NopCallback) OnEpochEnd(*Model, int, Logs) error { return nil }

// OnTrainEnd does nothing.
func (NopCallback) OnTrainEnd(*Model, Logs) error { return nil }

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

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (v Verbosity) resolve(w io.Writer) Verbosity {
	if v != VerboseAuto {
		return v
	}
	if isTerminal(w) {
		return ProgressBar
	}
	return OneLinePerEpoch
}

// checkData validates a dataset against the model and the loss.
func (m *Model) checkData(what string, x, y *tensor.Tensor) error {
	if x == nil || x.Len() == 0 {
		return fmt.Errorf("tailor: %s: no examples", what)
	}
	if !x.Shape[1:].Equal(m.inputShape) {
		return fmt.Errorf("tailor: %s: examples of shape %v, the model expects %v", what, x.Shape[1:], m.inputShape)
	}
	if y == nil {
		return fmt.Errorf("tailor: %s: no targets", what)
	}
	if y.Len() != x.Len() {
		return fmt.Errorf("tailor: %s: %d examples but %d targets", what, x.Len(), y.Len())
	}
	// The model keeps the shape, so that TrainOnBatch allocates nothing.
	m.predShape = append(append(m.predShape[:0], x.Len()), m.OutputShape()...)
	if err := m.loss.CheckTargets(y, m.predShape); err != nil {
		return fmt.Errorf("tailor: %s: %w", what, err)
	}
	return nil
}

// Fit trains the model on x (N, ...) and targets y for opts.Epochs epochs
// and returns the per-epoch history. Cancelling ctx stops training after
// the current batch; Fit then returns the history so far and ctx's error.
func (m *Model) Fit(ctx context.Context, x, y *tensor.Tensor, opts FitOptions) (*History, error) {
	if !m.compiled {
		return nil, errors.New("tailor: Fit before Compile")
	}
	opts.defaults()
	if opts.BatchSize < 0 || opts.Epochs < 0 {
		return nil, fmt.Errorf("tailor: Fit: batch size %d and epochs %d must be positive", opts.BatchSize, opts.Epochs)
	}
	if err := m.ensureBuilt(x); err != nil {
		return nil, err
	}
	if err := m.checkData("training data", x, y); err != nil {
		return nil, err
	}
	valX, valY := opts.ValidationX, opts.ValidationY
	if opts.ValidationSplit != 0 {
		if !(opts.ValidationSplit > 0 && opts.ValidationSplit < 1) {
			return nil, fmt.Errorf("tailor: validation split %v, want a fraction in (0, 1)", opts.ValidationSplit)
		}
		n := x.Len()
		split := int(float64(n) * (1 - opts.ValidationSplit))
		if split == 0 || split == n {
			return nil, fmt.Errorf("tailor: validation split %v of %d examples leaves one side empty", opts.ValidationSplit, n)
		}
		x, valX = x.Slice(0, split), x.Slice(split, n)
		y, valY = y.Slice(0, split), y.Slice(split, n)
	}
	if (valX == nil) != (valY == nil) {
		return nil, errors.New("tailor: validation data needs both ValidationX and ValidationY")
	}
	if valX != nil {
		if err := m.checkData("validation data", valX, valY); err != nil {
			return nil, err
		}
	}

	verbose := opts.Verbose.resolve(opts.Out)
	n := x.Len()
	steps := (n + opts.BatchSize - 1) / opts.BatchSize
	perm := make([]int, n)
	hist := &History{History: map[string][]float64{}}
	m.stopTraining = false
	startEpoch := opts.InitialEpoch
	if opts.Resume != nil {
		if err := m.resumeAt(opts.Resume, steps, opts.BatchSize, n); err != nil {
			return nil, err
		}
		startEpoch = opts.Resume.Epoch
	}
	m.progress = Progress{Epoch: startEpoch}
	for _, cb := range opts.Callbacks {
		if err := cb.OnTrainBegin(m); err != nil {
			return hist, err
		}
	}
	var logs Logs
	values := make([]progbar.Value, 1+len(m.metrics))
	for epoch := startEpoch; epoch < opts.Epochs && !m.stopTraining; epoch++ {
		if err := ctx.Err(); err != nil {
			return hist, err
		}
		resumed := opts.Resume != nil && epoch == opts.Resume.Epoch
		first := 0 // the first step to run
		if resumed {
			first = opts.Resume.Step
		}
		if first == 0 {
			for _, cb := range opts.Callbacks {
				if err := cb.OnEpochBegin(m, epoch); err != nil {
					return hist, err
				}
			}
		}
		for i := range perm {
			perm[i] = i
		}
		if !opts.NoShuffle {
			rng := rand.New(rand.NewPCG(opts.Seed, uint64(epoch)))
			rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		}
		var bar *progbar.Bar
		if verbose != Silent {
			fmt.Fprintf(opts.Out, "Epoch %d/%d\n", epoch+1, opts.Epochs)
			bar = progbar.New(opts.Out, steps, verbose == ProgressBar)
		}
		start := time.Now()
		for _, mt := range m.metrics {
			mt.Reset()
		}
		var lossSum float64
		seen := 0
		if resumed && first > 0 {
			lossSum, seen = opts.Resume.LossSum, opts.Resume.Seen
			for i, mt := range m.metrics {
				s, ok := mt.(metrics.Stateful)
				if ok && opts.Resume.Metrics != nil && opts.Resume.Metrics[i] != nil {
					if err := s.SetState(opts.Resume.Metrics[i]); err != nil {
						return hist, fmt.Errorf("tailor: resuming: %w", err)
					}
				}
			}
		}
		m.progress = Progress{Epoch: epoch, Step: first, Seen: seen, LossSum: lossSum}
		for step := first; step < steps; step++ {
			idx := perm[step*opts.BatchSize : min((step+1)*opts.BatchSize, n)]
			m.gather(x, y, idx)
			m.seedStep(opts.Seed, uint64(epoch*steps+step))
			l := m.trainStep(&m.xb, &m.yb)
			lossSum += l
			seen += len(idx)
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return hist, fmt.Errorf("tailor: the loss became %v at epoch %d, step %d: lower the learning rate or check the data", l, epoch+1, step+1)
			}
			m.progress.Step, m.progress.Seen, m.progress.LossSum = step+1, seen, lossSum
			for _, cb := range opts.Callbacks {
				if err := cb.OnBatchEnd(m, epoch, step, l/float64(len(idx))); err != nil {
					return hist, err
				}
			}
			if bar != nil {
				m.fillValues(values, lossSum/float64(seen))
				bar.Update(step+1, values)
			}
			// Cancelling stops training here, after a whole batch, where
			// Progress can resume it.
			if err := ctx.Err(); err != nil {
				return hist, err
			}
		}
		// Validation reuses the metrics: keep the training state first.
		m.progress = m.Progress()
		logs = Logs{"loss": lossSum / float64(n)}
		for _, mt := range m.metrics {
			logs[mt.Name()] = mt.Result()
		}
		m.fillValues(values, logs["loss"])
		shown := values
		if valX != nil {
			vl, vm, err := m.evaluate(ctx, valX, valY, 256, false)
			if err != nil {
				return hist, err
			}
			logs["val_loss"] = vl
			shown = append(shown[:len(values):len(values)], progbar.Value{Name: "val_loss", Value: vl})
			for _, mt := range m.metrics {
				logs["val_"+mt.Name()] = vm[mt.Name()]
				shown = append(shown, progbar.Value{Name: "val_" + mt.Name(), Value: vm[mt.Name()]})
			}
		}
		secs := time.Since(start).Seconds()
		if bar != nil {
			bar.Finish(shown)
		}
		hist.Epochs = append(hist.Epochs, epoch)
		hist.Seconds = append(hist.Seconds, secs)
		for k, v := range logs {
			hist.History[k] = append(hist.History[k], v)
		}
		m.progress = Progress{Epoch: epoch + 1}
		for _, cb := range opts.Callbacks {
			if err := cb.OnEpochEnd(m, epoch, logs); err != nil {
				return hist, err
			}
		}
	}
	for _, cb := range opts.Callbacks {
		if err := cb.OnTrainEnd(m, logs); err != nil {
			return hist, err
		}
	}
	return hist, nil
}

func (m *Model) fillValues(values []progbar.Value, loss float64) {
	values[0] = progbar.Value{Name: "loss", Value: loss}
	for i, mt := range m.metrics {
		values[i+1] = progbar.Value{Name: mt.Name(), Value: mt.Result()}
	}
}

// gather copies the examples idx of x and y into the batch buffers.
func (m *Model) gather(x, y *tensor.Tensor, idx []int) {
	gatherRows(&m.xb, x, idx)
	gatherRows(&m.yb, y, idx)
}

func gatherRows(dst, src *tensor.Tensor, idx []int) {
	row := src.Shape[1:].Size()
	dst.Shape = append(append(dst.Shape[:0], len(idx)), src.Shape[1:]...)
	if cap(dst.Data) < len(idx)*row {
		dst.Data = make([]float32, len(idx)*row)
	}
	dst.Data = dst.Data[:len(idx)*row]
	for i, j := range idx {
		copy(dst.Data[i*row:(i+1)*row], src.Data[j*row:(j+1)*row])
	}
}

// seedStep reseeds the stochastic layers for one training step.
func (m *Model) seedStep(seed, step uint64) {
	for _, l := range m.layers {
		if s, ok := l.(layers.Stochastic); ok {
			s.SeedStep(seed, step)
		}
	}
}

// TrainOnBatch runs one optimisation step on the batch (x, y) and returns
// its mean loss, as Keras's train_on_batch does.
func (m *Model) TrainOnBatch(x, y *tensor.Tensor) (float64, error) {
	if !m.compiled {
		return 0, errors.New("tailor: TrainOnBatch before Compile")
	}
	if err := m.ensureBuilt(x); err != nil {
		return 0, err
	}
	if err := m.checkData("batch", x, y); err != nil {
		return 0, err
	}
	return m.trainStep(x, y) / float64(x.Len()), nil
}

// trainStep is one step of training: forward through every layer, the
// loss and its gradient, backward through every layer, the optimizer's
// update and the metrics. It returns the batch's summed loss and allocates
// nothing once the buffers have grown to the batch size.
func (m *Model) trainStep(x, y *tensor.Tensor) float64 {
	h := x
	for _, l := range m.layers {
		h = l.Forward(h, true)
	}
	m.grad.Resize(h.Shape...)
	var loss float64
	last := len(m.layers) - 1
	var g *tensor.Tensor
	if m.logits != nil {
		loss = m.softmax.ComputeSoftmax(h, y, &m.grad)
		g = m.logits.BackwardLogits(&m.grad, m.needDx[last])
		last--
	} else {
		loss = m.loss.Compute(h, y, &m.grad)
		g = &m.grad
	}
	for i := last; i >= 0; i-- {
		g = m.layers[i].Backward(g, m.needDx[i])
	}
	m.optimizer.Apply(m.params)
	for _, mt := range m.metrics {
		mt.Update(h, y)
	}
	return loss
}

// EvaluateOptions are Evaluate's arguments beyond the data.
type EvaluateOptions struct {
	// BatchSize is the number of examples per forward pass (default 256;
	// the figures do not depend on it).
	BatchSize int
	// FlipAverage scores the mean of the outputs for each image and its
	// left-right mirror, as PredictOptions.FlipAverage.
	FlipAverage bool
	// Verbose and Out are as for Fit; the default prints nothing.
	Verbose Verbosity
	Out     io.Writer
}

// Evaluate returns the mean loss over x and y and the value of every
// compiled metric, keyed by name, as Keras's evaluate does.
func (m *Model) Evaluate(ctx context.Context, x, y *tensor.Tensor, opts EvaluateOptions) (loss float64, scores Logs, err error) {
	if !m.compiled {
		return 0, nil, errors.New("tailor: Evaluate before Compile")
	}
	if err := m.ensureBuilt(x); err != nil {
		return 0, nil, err
	}
	if err := m.checkData("evaluation data", x, y); err != nil {
		return 0, nil, err
	}
	if err := m.checkFlip(opts.FlipAverage); err != nil {
		return 0, nil, err
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 256
	}
	start := time.Now()
	loss, scores, err = m.evaluate(ctx, x, y, opts.BatchSize, opts.FlipAverage)
	if err != nil {
		return 0, nil, err
	}
	if opts.Verbose != VerboseAuto && opts.Verbose != Silent {
		out := opts.Out
		if out == nil {
			out = os.Stdout
		}
		steps := (x.Len() + opts.BatchSize - 1) / opts.BatchSize
		values := []progbar.Value{{Name: "loss", Value: loss}}
		for _, mt := range m.metrics {
			values = append(values, progbar.Value{Name: mt.Name(), Value: scores[mt.Name()]})
		}
		progbar.Line(out, steps, time.Since(start), values)
	}
	return loss, scores, nil
}

func (m *Model) evaluate(ctx context.Context, x, y *tensor.Tensor, batch int, flip bool) (float64, Logs, error) {
	for _, mt := range m.metrics {
		mt.Reset()
	}
	var lossSum float64
	var fb flipBuffers
	for lo := 0; lo < x.Len(); lo += batch {
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		hi := min(lo+batch, x.Len())
		xb, yb := x.Slice(lo, hi), y.Slice(lo, hi)
		h := m.infer(xb, flip, &fb)
		lossSum += m.loss.Compute(h, yb, nil)
		for _, mt := range m.metrics {
			mt.Update(h, yb)
		}
	}
	scores := Logs{}
	for _, mt := range m.metrics {
		scores[mt.Name()] = mt.Result()
	}
	return lossSum / float64(x.Len()), scores, nil
}

// forward runs the layers in inference mode.
func (m *Model) forward(x *tensor.Tensor) *tensor.Tensor {
	h := x
	for _, l := range m.layers {
		h = l.Forward(h, false)
	}
	return h
}

// flipBuffers hold infer's mirrored batch and averaged outputs between
// batches.
type flipBuffers struct{ mirrored, mean tensor.Tensor }

// infer runs the layers in inference mode on the batch x; with flip it
// returns the mean of the outputs for x and for its images mirrored left
// to right (test-time augmentation), in buffers kept in fb.
func (m *Model) infer(x *tensor.Tensor, flip bool, fb *flipBuffers) *tensor.Tensor {
	h := m.forward(x)
	if !flip {
		return h
	}
	fb.mean.Resize(h.Shape...)
	copy(fb.mean.Data, h.Data)
	fb.mirrored.Resize(x.Shape...)
	mirror(&fb.mirrored, x)
	h = m.forward(&fb.mirrored)
	for i, v := range h.Data {
		fb.mean.Data[i] = (fb.mean.Data[i] + v) / 2
	}
	return &fb.mean
}

// mirror writes the images of x (N, H, W) or (N, H, W, C), each row
// reversed, into dst of the same shape.
func mirror(dst, x *tensor.Tensor) {
	w, c := x.Shape[2], 1
	if len(x.Shape) == 4 {
		c = x.Shape[3]
	}
	row := w * c
	for r := 0; r < len(x.Data); r += row {
		src, out := x.Data[r:r+row], dst.Data[r:r+row]
		for j := 0; j < w; j++ {
			copy(out[j*c:j*c+c], src[(w-1-j)*c:(w-j)*c])
		}
	}
}

// checkFlip reports whether flip averaging can apply to the model's input.
func (m *Model) checkFlip(flip bool) error {
	if flip && len(m.inputShape) != 2 && len(m.inputShape) != 3 {
		return fmt.Errorf("tailor: FlipAverage needs image inputs (height, width) or (height, width, channels); the model's input is %v", m.inputShape)
	}
	return nil
}

// PredictOptions are Predict's arguments beyond the data.
type PredictOptions struct {
	// BatchSize is the number of examples per forward pass (default 256;
	// the output does not depend on it).
	BatchSize int
	// FlipAverage returns, for each image, the mean of the model's outputs
	// for the image and for its left-right mirror: test-time augmentation
	// for models trained with RandomFlip("horizontal"), at twice the cost.
	FlipAverage bool
}

// Predict returns the model's outputs for x (N, ...): for the tutorial's
// model, an (N, 10) tensor of class probabilities.
func (m *Model) Predict(ctx context.Context, x *tensor.Tensor, opts PredictOptions) (*tensor.Tensor, error) {
	if err := m.ensureBuilt(x); err != nil {
		return nil, err
	}
	if x == nil || len(x.Shape) == 0 || !x.Shape[1:].Equal(m.inputShape) {
		var got tensor.Shape
		if x != nil && len(x.Shape) > 0 {
			got = x.Shape[1:]
		}
		return nil, fmt.Errorf("tailor: Predict: examples of shape %v, the model expects %v", got, m.inputShape)
	}
	if err := m.checkFlip(opts.FlipAverage); err != nil {
		return nil, err
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 256
	}
	outShape := append(tensor.Shape{x.Len()}, m.OutputShape()...)
	out := tensor.New(outShape...)
	row := m.OutputShape().Size()
	var fb flipBuffers
	for lo := 0; lo < x.Len(); lo += opts.BatchSize {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+opts.BatchSize, x.Len())
		h := m.infer(x.Slice(lo, hi), opts.FlipAverage, &fb)
		copy(out.Data[lo*row:hi*row], h.Data)
	}
	return out, nil
}

// PredictClasses returns the most probable class of every example: the
// argmax of Predict along its last axis.
func (m *Model) PredictClasses(ctx context.Context, x *tensor.Tensor, opts PredictOptions) ([]int, error) {
	p, err := m.Predict(ctx, x, opts)
	if err != nil {
		return nil, err
	}
	return p.Argmax(), nil
}
