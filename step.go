package tailor

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/tensor"
)

// checkData validates the first n examples of a dataset against the
// model and the loss: the shape of the examples, and every target, read in
// chunks so that the check costs little memory.
func (m *Model) checkData(what string, ds datasets.Dataset, n int) error {
	if ds == nil || n == 0 {
		return fmt.Errorf("tailor: %s: no examples", what)
	}
	if !ds.ExampleShape().Equal(m.inputShape) {
		return fmt.Errorf("tailor: %s: examples of shape %v, the model expects %v", what, ds.ExampleShape(), m.inputShape)
	}
	const chunkValues = 1 << 20
	chunk := max(1, chunkValues/max(1, ds.TargetShape().Size()))
	var y tensor.Tensor
	idx := make([]int, 0, min(chunk, n))
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		idx = idx[:0]
		for i := lo; i < hi; i++ {
			idx = append(idx, i)
		}
		if err := ds.GatherTargets(&y, idx); err != nil {
			return fmt.Errorf("tailor: %s: %w", what, err)
		}
		pred := append(tensor.Shape{hi - lo}, m.OutputShape()...)
		if err := m.checkTargets(&y, pred); err != nil {
			if n > chunk {
				return fmt.Errorf("tailor: %s, examples %d to %d: %w", what, lo, hi-1, err)
			}
			return fmt.Errorf("tailor: %s: %w", what, err)
		}
	}
	return nil
}

// targetChecker is a metric that can say whether it can read targets for
// predictions of a shape (batch axis included), as a loss does.
type targetChecker interface {
	CheckTargets(y *tensor.Tensor, pred tensor.Shape) error
}

// checkTargets checks y against predictions of shape pred for the loss,
// then for every compiled metric that checks its targets: a metric that
// reads them otherwise than the loss (precision after a softmax over
// classes, one-hot top-k against class indices) is an error here, not a
// panic in its Update.
func (m *Model) checkTargets(y *tensor.Tensor, pred tensor.Shape) error {
	if err := m.loss.CheckTargets(y, pred); err != nil {
		return err
	}
	for _, mt := range m.metrics {
		if c, ok := mt.(targetChecker); ok {
			if err := c.CheckTargets(y, pred); err != nil && strings.HasPrefix(err.Error(), mt.Name()) {
				return fmt.Errorf("metric %w", err)
			} else if err != nil {
				return fmt.Errorf("metric %s: %w", mt.Name(), err)
			}
		}
	}
	return nil
}

// gather reads the examples idx of ds into the workspace's batch.
func (ws *workspace) gather(ds datasets.Dataset, idx []int) error {
	if err := ds.Gather(&ws.x, idx); err != nil {
		return fmt.Errorf("tailor: reading a batch: %w", err)
	}
	if err := ds.GatherTargets(&ws.y, idx); err != nil {
		return fmt.Errorf("tailor: reading a batch: %w", err)
	}
	return nil
}

// trainBatch runs one training step on examples idx of ds, with the
// stochastic layers seeded for the given global step, and returns the
// batch's summed loss.
func (m *Model) trainBatch(ds datasets.Dataset, idx []int, seed, step uint64) (float64, error) {
	ws := m.train
	if err := ws.gather(ds, idx); err != nil {
		return 0, err
	}
	for i, l := range m.layers {
		if s, ok := l.(layers.Stochastic); ok {
			s.SeedStep(ws.states[i], seed, step)
		}
	}
	return m.trainStep(ws, &ws.x, &ws.y), nil
}

// TrainOnBatch runs one optimisation step on the batch (x, y) and returns
// its mean loss, as Keras's train_on_batch does. Like Keras's, it resets
// the compiled metrics first, so that afterwards each one's Result (see
// Metrics) is its figure on this batch — what Keras returns beside the
// loss — not a running total over calls. Stochastic layers draw from the
// state their last step left them in.
func (m *Model) TrainOnBatch(x, y *tensor.Tensor) (float64, error) {
	if m.loss == nil {
		return 0, errors.New("tailor: TrainOnBatch before Compile")
	}
	if x == nil || y == nil || len(x.Shape) == 0 {
		return 0, errors.New("tailor: TrainOnBatch needs a batch of examples and its targets")
	}
	if err := x.Validate(); err != nil {
		return 0, fmt.Errorf("tailor: batch: examples: %w", err)
	}
	if err := y.Validate(); err != nil {
		return 0, fmt.Errorf("tailor: batch: targets: %w", err)
	}
	if err := m.beginTraining("TrainOnBatch"); err != nil {
		return 0, err
	}
	defer m.training.Store(false)
	if err := m.ensureBuilt(x.ExampleShape()); err != nil {
		return 0, err
	}
	switch {
	case x.Len() == 0:
		return 0, errors.New("tailor: batch: no examples")
	case !x.ExampleShape().Equal(m.inputShape):
		return 0, fmt.Errorf("tailor: batch: examples of shape %v, the model expects %v", x.ExampleShape(), m.inputShape)
	case len(y.Shape) == 0 || y.Len() != x.Len():
		return 0, fmt.Errorf("tailor: batch: %d examples but targets of shape %v", x.Len(), y.Shape)
	}
	if err := m.bindOptimizer(); err != nil {
		return 0, fmt.Errorf("tailor: TrainOnBatch: %w", err)
	}
	ws := m.train
	ws.predShape = append(append(ws.predShape[:0], x.Len()), m.OutputShape()...)
	if err := m.checkTargets(y, ws.predShape); err != nil {
		return 0, fmt.Errorf("tailor: batch: %w", err)
	}
	for _, mt := range m.metrics {
		mt.Reset()
	}
	return m.trainStep(ws, x, y) / float64(x.Len()), nil
}

// trainStep is one step of training, the only place the chain rule runs:
// forward through every layer, the loss and its gradient, backward through
// every layer in reverse, the optimizer's update and the metrics. It
// returns the batch's summed loss and allocates nothing once the
// workspace's buffers have grown to the batch size.
func (m *Model) trainStep(ws *workspace, x, y *tensor.Tensor) float64 {
	// The step writes the weights (and batch normalisation's moving
	// statistics), which concurrent inference calls read.
	m.weightsMu.Lock()
	defer m.weightsMu.Unlock()
	h := x
	for i, l := range m.layers {
		h = l.Forward(ws.states[i], h, true)
	}
	ws.grad.Resize(h.Shape...)
	last := len(m.layers) - 1
	var loss float64
	if m.logits != nil {
		// the loss writes dL/dz for the softmax's or sigmoid's
		// pre-activation z.
		loss = m.fusedLoss(h, y, &ws.grad)
	} else {
		loss = m.loss.Compute(h, y, &ws.grad)
	}
	if m.classWeight != nil {
		// scale each example's loss and gradient row by its class's weight.
		loss = m.weightExamples(ws, h, y)
	}
	g := &ws.grad
	if m.logits != nil {
		g = m.logits.BackwardLogits(ws.states[last], g, m.needDx[last])
		last--
	}
	for i := last; i >= 0; i-- {
		g = m.layers[i].Backward(ws.states[i], g, m.needDx[i])
	}
	m.optimizer.Apply(m.weights)
	for _, mt := range m.metrics {
		mt.Update(h, y)
	}
	return loss
}

// setClassWeights checks Fit's class weights against the model's outputs
// and lays them out by class for the training step; nil turns them off.
func (m *Model) setClassWeights(cw map[int]float64) error {
	m.classWeight = nil
	if cw == nil {
		return nil
	}
	classes := m.OutputShape()[len(m.OutputShape())-1]
	if classes == 1 {
		classes = 2 // a single sigmoid output: classes 0 and 1
	}
	w := make([]float32, classes)
	for c := range w {
		w[c] = 1
	}
	for _, c := range slices.Sorted(maps.Keys(cw)) { // the same error every run
		v := cw[c]
		if c < 0 || c >= classes {
			return fmt.Errorf("tailor: class weight for class %d, but the model's outputs have classes 0 to %d", c, classes-1)
		}
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("tailor: class weight %v for class %d, want a finite weight ≥ 0", v, c)
		}
		w[c] = float32(v)
	}
	m.classWeight = w
	return nil
}

// weightExamples multiplies each example's row of the loss gradient in
// ws.grad by the weight of its class and returns the batch's weighted
// summed loss Σᵢ wᵢ·lᵢ, each lᵢ computed by the loss on example i alone.
func (m *Model) weightExamples(ws *workspace, h, y *tensor.Tensor) float64 {
	b := h.Len()
	outRow, yRow := h.Shape[1:].Size(), y.Shape[1:].Size()
	var sum float64
	for i := 0; i < b; i++ {
		yi := y.Data[i*yRow : (i+1)*yRow]
		class := int(math.RoundToEven(float64(yi[0]))) // a soft target 0.9 is class 1, as Keras's np.round has it
		if yRow > 1 {
			class = tensor.Argmax(yi)
		}
		w := float32(1) // a target that is no class of the model's weighs 1, as in Keras
		if class >= 0 && class < len(m.classWeight) {
			w = m.classWeight[class]
		}
		ws.rowPred.Shape = append(append(ws.rowPred.Shape[:0], 1), h.Shape[1:]...)
		ws.rowPred.Data = h.Data[i*outRow : (i+1)*outRow]
		ws.rowTarget.Shape = append(append(ws.rowTarget.Shape[:0], 1), y.Shape[1:]...)
		ws.rowTarget.Data = yi
		sum += float64(w) * m.loss.Compute(&ws.rowPred, &ws.rowTarget, nil)
		g := ws.grad.Data[i*outRow : (i+1)*outRow]
		for j := range g {
			g[j] *= w
		}
	}
	return sum
}
