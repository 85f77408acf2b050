package tailor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/internal/progbar"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/tensor"
)

// EvaluateOptions are Evaluate's arguments beyond the data.
type EvaluateOptions struct {
	// BatchSize is the number of examples per forward pass (default 256,
	// or for a model whose batch of 256 would exceed MaxInferenceBytes
	// the largest batch within it; see DefaultBatchSize). The accuracy
	// does not depend on it; the loss, a float64 sum of per-batch sums,
	// only in its last bits.
	BatchSize int
	// FlipAverage scores the mean of the outputs for each image and its
	// left-right mirror, as PredictOptions.FlipAverage.
	FlipAverage bool
	// Verbose and Out are as for Fit — ProgressBar draws the bar as the
	// batches go (Keras's verbose=1), OneLinePerEpoch prints one line at
	// the end (verbose=2) — but the default prints nothing.
	Verbose Verbosity
	Out     io.Writer
}

// Evaluate returns the mean loss over the examples of ds and the value of
// every compiled metric, keyed by name, as Keras's evaluate does. It is
// safe to call from many goroutines at once (see Model).
func (m *Model) Evaluate(ctx context.Context, ds datasets.Dataset, opts EvaluateOptions) (loss float64, scores Logs, err error) {
	if m.loss == nil {
		return 0, nil, errors.New("tailor: Evaluate before Compile")
	}
	if ds == nil {
		return 0, nil, errors.New("tailor: Evaluate: no data")
	}
	if err := m.ensureBuilt(ds.ExampleShape()); err != nil {
		return 0, nil, err
	}
	if err := m.checkData("evaluation data", ds, ds.Len()); err != nil {
		return 0, nil, err
	}
	if err := m.checkFlip(opts.FlipAverage); err != nil {
		return 0, nil, err
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = m.DefaultBatchSize(opts.FlipAverage)
	}
	if err := m.checkBatch("Evaluate", min(opts.BatchSize, ds.Len()), opts.FlipAverage); err != nil {
		return 0, nil, err
	}
	out := opts.Out
	if out == nil {
		out = os.Stdout
	}
	steps := ceilDiv(ds.Len(), opts.BatchSize)
	var bar *progbar.Bar
	if opts.Verbose == ProgressBar {
		bar = progbar.New(out, steps, true)
	}
	start := time.Now()
	m.weightsMu.RLock() // every batch scored with the same weights, between training steps
	loss, scores, err = m.evaluate(ctx, ds, opts.BatchSize, opts.FlipAverage, bar)
	m.weightsMu.RUnlock()
	if err != nil {
		return 0, nil, err
	}
	if opts.Verbose != VerboseAuto && opts.Verbose != Silent {
		values := []progbar.Value{{Name: "loss", Value: loss}}
		for _, mt := range m.metrics {
			values = append(values, progbar.Value{Name: mt.Name(), Value: scores[mt.Name()]})
		}
		if bar != nil {
			bar.Finish(values)
		} else {
			progbar.Line(out, steps, time.Since(start), values)
		}
	}
	return loss, scores, nil
}

// evaluate scores ds in batches with a workspace of its own and its own
// copies of the metrics, so that concurrent calls share nothing. A bar,
// if not nil, is updated after every batch with the running figures.
func (m *Model) evaluate(ctx context.Context, ds datasets.Dataset, batch int, flip bool, bar *progbar.Bar) (float64, Logs, error) {
	ws := m.getWorkspace()
	defer m.putWorkspace(ws)
	ms := make([]metrics.Metric, len(m.metrics))
	for i, mt := range m.metrics {
		ms[i] = mt.Clone()
	}
	n := ds.Len()
	var lossSum float64
	for lo := 0; lo < n; lo += batch {
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		hi := min(lo+batch, n)
		x, err := ws.features(ds, lo, hi)
		if err != nil {
			return 0, nil, err
		}
		if err := ds.GatherTargets(&ws.y, ws.idx); err != nil {
			return 0, nil, fmt.Errorf("tailor: reading a batch: %w", err)
		}
		h := m.infer(ws, x, flip)
		lossSum += m.loss.Compute(h, &ws.y, nil)
		for _, mt := range ms {
			mt.Update(h, &ws.y)
		}
		if bar != nil {
			values := []progbar.Value{{Name: "loss", Value: lossSum / float64(hi)}}
			for _, mt := range ms {
				values = append(values, progbar.Value{Name: mt.Name(), Value: mt.Result()})
			}
			bar.Update(ceilDiv(hi, batch), values)
		}
	}
	scores := Logs{}
	for _, mt := range ms {
		scores[mt.Name()] = mt.Result()
	}
	return lossSum / float64(n), scores, nil
}

// features returns the features of examples [lo, hi) of f: read in place
// when f holds them in memory (datasets.View), gathered into the
// workspace's batch otherwise. ws.idx holds the indices afterwards.
func (ws *workspace) features(f datasets.Features, lo, hi int) (*tensor.Tensor, error) {
	ws.idx = ws.idx[:0]
	for i := lo; i < hi; i++ {
		ws.idx = append(ws.idx, i)
	}
	if datasets.View(&ws.view, f, lo, hi) {
		return &ws.view, nil
	}
	if err := f.Gather(&ws.x, ws.idx); err != nil {
		return nil, fmt.Errorf("tailor: reading a batch: %w", err)
	}
	return &ws.x, nil
}

// forward runs the layers in inference mode with the workspace's states.
func (m *Model) forward(ws *workspace, x *tensor.Tensor) *tensor.Tensor {
	h := x
	for i, l := range m.layers {
		h = l.Forward(ws.states[i], h, false)
	}
	return h
}

// flipBuffers hold infer's mirrored batch and averaged outputs between
// batches.
type flipBuffers struct{ mirrored, mean tensor.Tensor }

// infer runs the layers in inference mode on the batch x; with flip it
// returns the mean of the outputs for x and for its images mirrored left
// to right (test-time augmentation), in the workspace's buffers.
func (m *Model) infer(ws *workspace, x *tensor.Tensor, flip bool) *tensor.Tensor {
	h := m.forward(ws, x)
	if !flip {
		return h
	}
	fb := &ws.flip
	fb.mean.Resize(h.Shape...)
	copy(fb.mean.Data, h.Data)
	fb.mirrored.Resize(x.Shape...)
	mirror(&fb.mirrored, x)
	h = m.forward(ws, &fb.mirrored)
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

// MaxInferenceBytes bounds what one Predict or Evaluate call's buffers may
// grow to: the outputs of every layer for one batch, as float32s, doubled
// with flip averaging. A batch size that would need more is an error (pass
// a smaller BatchSize); the default batch (DefaultBatchSize) fits it for
// any model whose single example does.
const MaxInferenceBytes = 1 << 30

// DefaultBatchSize is the batch Predict and Evaluate use when their
// options give none, and Fit's validation pass: 256 examples, or, for a
// model whose batch of 256 would need more than MaxInferenceBytes (a CNN
// on 256×256 images, say), the largest batch that fits, at least 1. The
// outputs do not depend on the batch size. It is 256 before the model is
// built.
func (m *Model) DefaultBatchSize(flip bool) int {
	per := m.ActivationBytes(1)
	if flip {
		per *= 2
	}
	if per <= 0 {
		return DefaultInferenceBatch
	}
	return int(max(1, min(DefaultInferenceBatch, MaxInferenceBytes/per)))
}

// DefaultInferenceBatch is the most examples DefaultBatchSize gives: 256.
const DefaultInferenceBatch = 256

// ActivationBytes is the size of the layers' outputs for a batch of n
// examples, as float32s: what Predict and Evaluate keep per batch (twice
// with flip averaging) within MaxInferenceBytes, and Fit, three times
// over, within MaxTrainingBytes. It is 0 before the model is built.
func (m *Model) ActivationBytes(n int) int64 { return int64(n) * m.activations * 4 }

// checkBatch refuses a batch of b examples whose activations would exceed
// MaxInferenceBytes.
func (m *Model) checkBatch(what string, b int, flip bool) error {
	need := m.ActivationBytes(b)
	if flip {
		need *= 2
	}
	if need > MaxInferenceBytes {
		return fmt.Errorf("tailor: %s: a batch of %d examples needs %d MiB for the layers' outputs, more than MaxInferenceBytes (%d MiB): use a smaller BatchSize", what, b, need>>20, MaxInferenceBytes>>20)
	}
	return nil
}

// PredictOptions are Predict's arguments beyond the data.
type PredictOptions struct {
	// BatchSize is the number of examples per forward pass (default
	// DefaultBatchSize: 256, or fewer for a model whose batch of 256 would
	// exceed MaxInferenceBytes; the output does not depend on it).
	BatchSize int
	// FlipAverage returns, for each image, the mean of the model's outputs
	// for the image and for its left-right mirror: test-time augmentation
	// for models trained with RandomFlip("horizontal"), at twice the cost.
	FlipAverage bool
}

// Predict returns the model's outputs for the examples of x — a
// *tensor.Tensor (N, ...) or any datasets.Features — as Keras's predict
// does: for the tutorial's model, an (N, 10) tensor of class
// probabilities. It is safe to call from many goroutines at once, and
// gives the same bits as a call alone (see Model).
func (m *Model) Predict(ctx context.Context, x datasets.Features, opts PredictOptions) (*tensor.Tensor, error) {
	out := &tensor.Tensor{}
	if err := m.PredictInto(ctx, out, x, opts); err != nil {
		return nil, err
	}
	return out, nil
}

// PredictInto is Predict writing into out, which it resizes to (N,
// output...) reusing its storage: with an out of the right size kept from
// call to call it allocates nothing once warm.
func (m *Model) PredictInto(ctx context.Context, out *tensor.Tensor, x datasets.Features, opts PredictOptions) error {
	if x == nil {
		return errors.New("tailor: Predict: no examples")
	}
	if t, ok := x.(*tensor.Tensor); ok {
		if err := t.Validate(); err != nil {
			return fmt.Errorf("tailor: Predict: %w", err)
		}
	}
	if err := m.ensureBuilt(x.ExampleShape()); err != nil {
		return err
	}
	if !x.ExampleShape().Equal(m.inputShape) {
		return fmt.Errorf("tailor: Predict: examples of shape %v, the model expects %v", x.ExampleShape(), m.inputShape)
	}
	if err := m.checkFlip(opts.FlipAverage); err != nil {
		return err
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = m.DefaultBatchSize(opts.FlipAverage)
	}
	if err := m.checkBatch("Predict", min(opts.BatchSize, x.Len()), opts.FlipAverage); err != nil {
		return err
	}
	n, outShape := x.Len(), m.OutputShape()
	ws := m.getWorkspace()
	defer m.putWorkspace(ws)
	// Writing into the examples' own storage would overwrite (and reshape)
	// them while they are read.
	if t, ok := x.(*tensor.Tensor); (ok && t == out) || (datasets.View(&ws.view, x, 0, n) && kernels.Overlap(out.Data[:cap(out.Data)], ws.view.Data[:cap(ws.view.Data)])) {
		return errors.New("tailor: Predict: the output tensor shares its storage with the examples: predict into a tensor of its own")
	}
	row := outShape.Size()
	out.Shape = append(append(out.Shape[:0], n), outShape...)
	if cap(out.Data) < n*row {
		out.Data = make([]float32, n*row)
	}
	out.Data = out.Data[:n*row]
	m.weightsMu.RLock() // every batch predicted with the same weights, between training steps
	defer m.weightsMu.RUnlock()
	for lo := 0; lo < n; lo += opts.BatchSize {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+opts.BatchSize, n)
		xb, err := ws.features(x, lo, hi)
		if err != nil {
			return err
		}
		h := m.infer(ws, xb, opts.FlipAverage)
		copy(out.Data[lo*row:hi*row], h.Data)
	}
	return nil
}

// PredictClasses returns the most probable class of every example: the
// argmax of Predict along its last axis.
func (m *Model) PredictClasses(ctx context.Context, x datasets.Features, opts PredictOptions) ([]int, error) {
	p, err := m.Predict(ctx, x, opts)
	if err != nil {
		return nil, err
	}
	return p.Argmax(), nil
}
