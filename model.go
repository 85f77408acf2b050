package tailor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// Model is a linear stack of layers, Keras's Sequential model.
//
// A model holds its layers' configuration and one copy of their weights
// (a params.Arena). Everything a call needs besides the weights — every
// layer's activations and what backward reads from forward — lives in a
// workspace owned by the call: Fit and TrainOnBatch use the model's own;
// Predict, PredictClasses and Evaluate take one from a pool and give it
// back, so that in the steady state they allocate nothing but their
// results.
//
// Concurrency: once built, a model may serve Predict, PredictInto,
// PredictClasses and Evaluate from any number of goroutines at once; each
// call gives the same result as it would alone. They may also run while
// Fit or TrainOnBatch trains the model on another goroutine: training
// steps (and Fit's hand-over of a moving average of the weights) wait for
// the inference calls under way, and a call that starts during a step
// waits for it to end, so every call computes all its batches with the
// weights between two whole steps. Two calls that train the model (Fit or
// TrainOnBatch, on two goroutines or one inside the other's callback) may
// not overlap: the second returns an error. Everything else that changes
// the model — Build, Compile, SetSeed, Add, loading weights into it, a
// callback's changes to the weights other than through SetWeights — must
// not run concurrently with any other call on the same model.
type Model struct {
	name   string
	layers []layers.Layer
	seed   uint64

	buildMu      sync.Mutex     // serialises building on first use
	inputShape   tensor.Shape   // without the batch axis
	outputShapes []tensor.Shape // one per layer, without the batch axis
	weights      *params.Arena  // nil until the model is built
	weightsMu    sync.RWMutex   // held by training steps to write the weights, by inference calls to read them
	training     atomic.Bool    // set while Fit or TrainOnBatch runs, which refuse to overlap
	needDx       []bool         // whether layer i must return its input gradient
	activations  int64          // values the layers output per example, summed

	optimizer optimizers.Optimizer
	loss      losses.Loss // nil until the model is compiled
	metrics   []metrics.Metric
	// fusedLoss computes the loss and its gradient with respect to the
	// last layer's pre-activation when the loss differentiates straight
	// through that layer's softmax or sigmoid, nil otherwise; logits is
	// that layer.
	fusedLoss func(probs, target, dlogits *tensor.Tensor) float64
	logits    layers.LogitsBackward

	classWeight []float32 // Fit's class weights, by class, or nil

	train        *workspace // the training step's
	pool         workspacePool
	stopTraining atomic.Bool
	progressMu   sync.Mutex // guards progress, which Progress reads from any goroutine
	progress     Progress   // how far Fit has got
}

// workspace is everything one call needs besides the weights: every
// layer's state, the gathered batch and its indices, the loss gradient and
// the buffers of flip averaging. Buffers grow on the first (or largest)
// batch and are reused after.
type workspace struct {
	states    []layers.State
	x, y      tensor.Tensor // the gathered batch
	view      tensor.Tensor // a batch read in place (see datasets.View)
	idx       []int
	grad      tensor.Tensor // dLoss/dOutput
	predShape tensor.Shape  // the batch's output shape, for checking targets

	rowPred, rowTarget tensor.Tensor // one example's views, for class weights
	flip               flipBuffers
}

// newWorkspace returns an empty workspace for the built model.
func (m *Model) newWorkspace() *workspace {
	ws := &workspace{states: make([]layers.State, len(m.layers))}
	for i, l := range m.layers {
		ws.states[i] = l.NewState()
	}
	return ws
}

// workspacePool keeps the inference workspaces of finished calls for the
// next ones. It holds at most max(2, GOMAXPROCS) idle workspaces: more
// concurrent calls than that each allocate their own, and the surplus is
// left to the garbage collector when they finish.
type workspacePool struct {
	mu   sync.Mutex
	free []*workspace
}

func (m *Model) getWorkspace() *workspace {
	p := &m.pool
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		ws := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return ws
	}
	p.mu.Unlock()
	return m.newWorkspace()
}

func (m *Model) putWorkspace(ws *workspace) {
	ws.view.Data = nil // do not keep the caller's examples alive
	p := &m.pool
	p.mu.Lock()
	if len(p.free) < max(2, runtime.GOMAXPROCS(0)) {
		p.free = append(p.free, ws)
	}
	p.mu.Unlock()
}

// Sequential returns a model that applies the layers in order, naming each
// unnamed layer after its type as Keras does: flatten, dense, dense_1, ...
func Sequential(ls ...layers.Layer) *Model {
	m := &Model{name: "sequential"}
	for _, l := range ls {
		m.Add(l)
	}
	return m
}

// Add appends a layer. It must be called before the model is built.
func (m *Model) Add(l layers.Layer) {
	if m.Built() {
		panic("tailor: Add after the model was built")
	}
	if l.Name() == "" {
		taken := make(map[string]bool, len(m.layers))
		for _, l := range m.layers {
			taken[l.Name()] = true
		}
		base := snakeCase(l.Type())
		name := base
		for i := 1; taken[name]; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		l.SetName(name)
	}
	m.layers = append(m.layers, l)
}

// snakeCase turns a Keras class name into its default layer name as
// Keras's to_snake_case does: MaxPooling2D → max_pooling2d,
// BatchNormalization → batch_normalization, ReLU → re_lu.
func snakeCase(s string) string {
	s = snakeWords.ReplaceAllString(s, "${1}_${2}")
	return strings.ToLower(snakeHumps.ReplaceAllString(s, "${1}_${2}"))
}

var (
	snakeWords = regexp.MustCompile(`(.)([A-Z][a-z0-9]+)`)
	snakeHumps = regexp.MustCompile(`([a-z])([A-Z])`)
)

// Name returns the model's name, "sequential".
func (m *Model) Name() string { return m.name }

// Layers returns the model's layers in order.
func (m *Model) Layers() []layers.Layer { return m.layers }

// SetSeed sets the seed from which the initial weights are drawn. It must
// be called before the model is built; the same seed gives the same
// weights.
func (m *Model) SetSeed(seed uint64) error {
	if m.Built() {
		return errors.New("tailor: SetSeed after the model was built")
	}
	m.seed = seed
	return nil
}

// Seed returns the seed of the initial weights.
func (m *Model) Seed() uint64 { return m.seed }

// Build creates every layer's weights for inputs of the given shape (batch
// axis excluded): the layers declare them in order, the model lays them
// out in one arena and draws their initial values from its seed. With no
// shape, the first layer's declared input shape is used, as for
// Flatten(28, 28). Building twice is an error, as is a model two of whose
// layers share a name (Keras's rule: weights are addressed by it).
func (m *Model) Build(inputShape ...int) error {
	m.buildMu.Lock()
	defer m.buildMu.Unlock()
	return m.build(inputShape)
}

// build is Build with m.buildMu held.
func (m *Model) build(inputShape tensor.Shape) error {
	if m.Built() {
		return errors.New("tailor: model already built")
	}
	in := inputShape
	if len(in) == 0 && len(m.layers) > 0 {
		if s, ok := m.layers[0].(layers.InputShaper); ok {
			in = s.InputShape()
		}
	}
	if len(in) == 0 {
		return errors.New("tailor: the input shape is unknown: give it to Build or declare it on the first layer, e.g. layers.Flatten(28, 28)")
	}
	if len(m.layers) == 0 {
		return errors.New("tailor: the model has no layers")
	}
	// A layer's weights live in the arena of the model that built it: built
	// again here it would take new ones, and the other model's forward pass
	// would silently read them while its optimizer trained the old.
	// Nor may one layer stand twice in this model: its second Build would
	// replace the weights of its first place.
	for i, l := range m.layers {
		for _, p := range l.Params() {
			if p != nil && p.Value != nil && p.Value.Data != nil {
				return fmt.Errorf("tailor: layer %s (%s) has been built in another model, whose weights it holds: give each model layers of its own", l.Name(), l.Type())
			}
		}
		if j := slices.IndexFunc(m.layers[:i], func(o layers.Layer) bool { return o == l }); j >= 0 {
			return fmt.Errorf("tailor: layer %s (%s) is both layer %d and layer %d of the model: give each place a layer of its own (Keras would share its weights; Tailor does not)", l.Name(), l.Type(), j+1, i+1)
		}
	}
	// Weights and optimizer state are addressed by the layer's name
	// (dense/kernel), and a stochastic layer's masks are seeded by it: two
	// layers of one name would share them, as Keras refuses.
	first := make(map[string]int, len(m.layers))
	for i, l := range m.layers {
		if j, ok := first[l.Name()]; ok {
			return fmt.Errorf("tailor: layers %d and %d are both named %q: give each layer of a model a name of its own (SetName), as Keras requires", j+1, i+1, l.Name())
		}
		first[l.Name()] = i
	}
	m.inputShape = append(tensor.Shape(nil), in...)
	m.outputShapes = m.outputShapes[:0]
	m.activations = 0
	m.needDx = m.needDx[:0]
	wb := params.NewBuilder()
	seenParams := false
	shape := m.inputShape
	for _, l := range m.layers {
		wb.SetLayer(l.Name())
		out, err := l.Build(shape, wb)
		if err != nil {
			return fmt.Errorf("tailor: building layer %s: %w", l.Name(), err)
		}
		m.outputShapes = append(m.outputShapes, out)
		m.activations += int64(out.Size())
		m.needDx = append(m.needDx, seenParams)
		for _, p := range l.Params() {
			if p.Trainable() {
				seenParams = true
			}
		}
		shape = out
	}
	layers.Fuse(m.layers)
	m.weights = wb.Bind(rand.New(rand.NewPCG(m.seed, 0x7461696c6f72)))
	m.train = m.newWorkspace()
	return nil
}

// Built reports whether the weights exist.
func (m *Model) Built() bool { return m.weights != nil }

// InputShape returns the input shape (batch axis excluded), nil before Build.
func (m *Model) InputShape() tensor.Shape { return m.inputShape }

// OutputShape returns the output shape (batch axis excluded), nil before Build.
func (m *Model) OutputShape() tensor.Shape {
	if !m.Built() {
		return nil
	}
	return m.outputShapes[len(m.outputShapes)-1]
}

// LayerOutputShape returns the output shape of layer i (batch axis
// excluded), nil before Build.
func (m *Model) LayerOutputShape(i int) tensor.Shape {
	if !m.Built() {
		return nil
	}
	return m.outputShapes[i]
}

// Weights returns the arena holding every weight and gradient, nil before
// Build.
func (m *Model) Weights() *params.Arena { return m.weights }

// Params returns every weight of the model, layer by layer.
func (m *Model) Params() []*params.Param {
	if m.weights == nil {
		return nil
	}
	return m.weights.Params()
}

// GetWeights returns a copy of the values of every weight, in the order of
// Params, as Keras's get_weights does. It is safe to call while another
// goroutine trains the model: it copies the weights between two steps.
// Before Build it returns nil.
func (m *Model) GetWeights() [][]float32 {
	if !m.Built() {
		return nil
	}
	m.weightsMu.RLock()
	defer m.weightsMu.RUnlock()
	ps := m.weights.Params()
	ws := make([][]float32, len(ps))
	for i, p := range ps {
		ws[i] = slices.Clone(p.Value.Data)
	}
	return ws
}

// SetWeights copies values into the weights, in the order of Params, as
// Keras's set_weights does: one slice per weight, each of the weight's
// size, or an error that changes nothing. It waits for the inference calls
// and the training step under way on other goroutines, which see the
// weights before or after, never part-way.
func (m *Model) SetWeights(values [][]float32) error {
	if !m.Built() {
		return errors.New("tailor: SetWeights before the model was built")
	}
	ps := m.weights.Params()
	if len(values) != len(ps) {
		return fmt.Errorf("tailor: SetWeights: %d arrays for the model's %d weights", len(values), len(ps))
	}
	for i, p := range ps {
		if len(values[i]) != len(p.Value.Data) {
			return fmt.Errorf("tailor: SetWeights: array %d has %d values, weight %s has %d (shape %v)", i, len(values[i]), p.Path(), len(p.Value.Data), p.Value.Shape)
		}
	}
	m.weightsMu.Lock()
	defer m.weightsMu.Unlock()
	for i, p := range ps {
		copy(p.Value.Data, values[i])
	}
	return nil
}

// CountParams returns the number of trainable and non-trainable weights.
func (m *Model) CountParams() (trainable, nonTrainable int) {
	if m.weights == nil {
		return 0, 0
	}
	return m.weights.Count()
}

// ensureBuilt builds the model from its declared input shape or from the
// shape of the data it is first given. Concurrent first calls build once.
func (m *Model) ensureBuilt(example tensor.Shape) error {
	m.buildMu.Lock()
	defer m.buildMu.Unlock()
	if m.Built() {
		return nil
	}
	if len(m.layers) == 0 {
		return errors.New("tailor: the model has no layers")
	}
	if s, ok := m.layers[0].(layers.InputShaper); ok && len(s.InputShape()) > 0 {
		return m.build(nil)
	}
	if len(example) == 0 {
		return errors.New("tailor: the model is not built and its input shape is unknown")
	}
	return m.build(example)
}

// Compile sets the optimizer, the loss and the metrics that Fit and
// Evaluate use, and builds the model if its input shape is declared. The
// optimizer keeps its state for this model's weights: Fit and TrainOnBatch
// refuse one that has trained another model (see optimizers.Binder).
func (m *Model) Compile(optimizer optimizers.Optimizer, loss losses.Loss, ms ...metrics.Metric) error {
	if optimizer == nil || loss == nil {
		return errors.New("tailor: Compile needs an optimizer and a loss")
	}
	for i, mt := range ms {
		if mt == nil {
			return fmt.Errorf("tailor: Compile: metric %d is nil", i)
		}
	}
	if v, ok := loss.(losses.Validator); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("tailor: Compile: %w", err)
		}
	}
	if err := checkOutputLoss(m.layers, loss); err != nil {
		return err
	}
	m.optimizer, m.loss, m.metrics = optimizer, loss, ms
	m.setFusedLoss()
	if len(m.layers) == 0 {
		return nil
	}
	if s, ok := m.layers[0].(layers.InputShaper); ok && len(s.InputShape()) > 0 && !m.Built() {
		return m.Build()
	}
	return nil
}

// checkOutputLoss refuses the pairs of last-layer activation and
// cross-entropy that cannot train, where Keras warns: a cross-entropy on
// probabilities (FromLogits false) after an activation whose outputs are
// not probabilities (linear, relu, tanh), and one on logits (FromLogits
// true) after a softmax or sigmoid, whose outputs are not logits. A last
// layer that does not report its activation (Dropout, Flatten, a layer of
// one's own) is not checked, nor is any other loss.
func checkOutputLoss(ls []layers.Layer, loss losses.Loss) error {
	if len(ls) == 0 {
		return nil
	}
	last, ok := ls[len(ls)-1].(interface{ Activation() activations.Activation })
	if !ok {
		return nil
	}
	var fromLogits bool
	switch l := loss.(type) {
	case losses.SparseCategoricalCrossentropyLoss:
		fromLogits = l.FromLogits
	case *losses.SparseCategoricalCrossentropyLoss:
		fromLogits = l.FromLogits
	case losses.CategoricalCrossentropyLoss:
		fromLogits = l.FromLogits
	case *losses.CategoricalCrossentropyLoss:
		fromLogits = l.FromLogits
	case losses.BinaryCrossentropyLoss:
		fromLogits = l.FromLogits
	case *losses.BinaryCrossentropyLoss:
		fromLogits = l.FromLogits
	default:
		return nil
	}
	act := last.Activation().Name()
	probabilities := act == string(activations.Softmax) || act == string(activations.Sigmoid)
	want := "softmax"
	if loss.Name() == "binary_crossentropy" {
		want = "sigmoid"
	}
	l := ls[len(ls)-1]
	switch {
	case !fromLogits && !probabilities:
		return fmt.Errorf("tailor: Compile: the last layer, %s (%s), has activation %s, so its outputs are not probabilities, but the loss %s expects probabilities: give the last layer activation %s, or use the loss with FromLogits: true",
			l.Name(), l.Type(), act, loss.Name(), want)
	case fromLogits && probabilities:
		return fmt.Errorf("tailor: Compile: the last layer, %s (%s), has activation %s, so its outputs are probabilities, but the loss %s has FromLogits: true and expects logits: give the last layer activation linear, or use the loss without FromLogits",
			l.Name(), l.Type(), act, loss.Name())
	}
	return nil
}

// setFusedLoss decides whether the loss differentiates straight through
// the last layer's softmax or sigmoid (see layers.SoftmaxOutput and
// layers.SigmoidOutput).
func (m *Model) setFusedLoss() {
	m.logits, m.fusedLoss = nil, nil
	if len(m.layers) == 0 {
		return
	}
	last := m.layers[len(m.layers)-1]
	if l, ok := last.(layers.SoftmaxOutput); ok && l.EndsInSoftmax() {
		if sl, ok := m.loss.(losses.SoftmaxLoss); ok {
			m.logits, m.fusedLoss = l, sl.ComputeSoftmax
		}
	}
	if l, ok := last.(layers.SigmoidOutput); ok && l.EndsInSigmoid() {
		if sl, ok := m.loss.(losses.SigmoidLoss); ok {
			m.logits, m.fusedLoss = l, sl.ComputeSigmoid
		}
	}
}

// bindOptimizer ties the compiled optimizer to the model's weights when it
// keeps state for each (optimizers.Binder), refusing one that serves
// another model already.
func (m *Model) bindOptimizer() error {
	if b, ok := m.optimizer.(optimizers.Binder); ok {
		return b.Bind(m.weights)
	}
	return nil
}

// Optimizer returns the compiled optimizer.
func (m *Model) Optimizer() optimizers.Optimizer { return m.optimizer }

// Loss returns the compiled loss, nil before Compile.
func (m *Model) Loss() losses.Loss { return m.loss }

// Metrics returns the compiled metrics.
func (m *Model) Metrics() []metrics.Metric { return m.metrics }

// errTraining is what Fit and TrainOnBatch return while the model trains
// already.
var errTraining = errors.New("the model is training already (Fit or TrainOnBatch on another goroutine, or in a callback of Fit): one model trains one batch at a time")

// beginTraining marks the model as training, or returns an error naming
// the call when it is already.
func (m *Model) beginTraining(call string) error {
	if !m.training.CompareAndSwap(false, true) {
		return fmt.Errorf("tailor: %s: %w", call, errTraining)
	}
	return nil
}

// StopTraining asks Fit to stop, as setting model.stop_training does in
// Keras: called from OnEpochEnd (as EarlyStopping does), no further epoch
// begins; called from OnBatchEnd, the epoch ends after that batch, its
// loss and metrics over the batches run, and is validated and reported as
// usual. Callbacks call it; so may any other goroutine, to stop a Fit
// under way after its current batch.
func (m *Model) StopTraining() { m.stopTraining.Store(true) }
