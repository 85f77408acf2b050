package tailor

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/tensor"
)

// Model is a linear stack of layers, Keras's Sequential model.
type Model struct {
	name   string
	layers []layers.Layer
	seed   uint64

	built        bool
	inputShape   tensor.Shape   // without the batch axis
	outputShapes []tensor.Shape // one per layer, without the batch axis
	params       []*layers.Param
	needDx       []bool // whether layer i must return its input gradient

	compiled  bool
	optimizer optimizers.Optimizer
	loss      losses.Loss
	metrics   []metrics.Metric
	logits    logitLayer // the softmax layer whose gradient the loss fuses, or nil
	softmax   losses.SoftmaxLoss

	grad         tensor.Tensor // dLoss/dOutput for one batch
	xb, yb       tensor.Tensor // the gathered batch
	predShape    tensor.Shape  // the batch's output shape, for checking targets
	stopTraining bool
	progress     Progress // how far Fit has got
}

// logitLayer is a layer ending in an activation whose gradient the loss can
// take over (layers.DenseLayer with softmax).
type logitLayer interface {
	Activation() activations.Activation
	BackwardLogits(dz *tensor.Tensor, needInputGrad bool) *tensor.Tensor
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
	if m.built {
		panic("tailor: Add after the model was built")
	}
	if l.Name() == "" {
		base := snakeCase(l.Type())
		name := base
		for i := 1; m.hasLayer(name); i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		l.SetName(name)
	}
	m.layers = append(m.layers, l)
}

func (m *Model) hasLayer(name string) bool {
	for _, l := range m.layers {
		if l.Name() == name {
			return true
		}
	}
	return false
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
	if m.built {
		return errors.New("tailor: SetSeed after the model was built")
	}
	m.seed = seed
	return nil
}

// Seed returns the seed of the initial weights.
func (m *Model) Seed() uint64 { return m.seed }

// Build creates every layer's weights for inputs of the given shape (batch
// axis excluded). With no shape, the first layer's declared input shape is
// used, as for Flatten(28, 28). Building twice is an error.
func (m *Model) Build(inputShape ...int) error {
	if m.built {
		return errors.New("tailor: model already built")
	}
	in := tensor.Shape(inputShape)
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
	rng := rand.New(rand.NewPCG(m.seed, 0x7461696c6f72))
	m.inputShape = append(tensor.Shape(nil), in...)
	m.outputShapes = m.outputShapes[:0]
	m.params = m.params[:0]
	m.needDx = m.needDx[:0]
	seenParams := false
	shape := m.inputShape
	for _, l := range m.layers {
		out, err := l.Build(shape, rng)
		if err != nil {
			return fmt.Errorf("tailor: building layer %s: %w", l.Name(), err)
		}
		m.outputShapes = append(m.outputShapes, out)
		m.needDx = append(m.needDx, seenParams)
		ps := l.Params()
		m.params = append(m.params, ps...)
		for _, p := range ps {
			if p.Trainable() {
				seenParams = true
			}
		}
		shape = out
	}
	m.built = true
	return nil
}

// Built reports whether the weights exist.
func (m *Model) Built() bool { return m.built }

// InputShape returns the input shape (batch axis excluded), nil before Build.
func (m *Model) InputShape() tensor.Shape { return m.inputShape }

// OutputShape returns the output shape (batch axis excluded), nil before Build.
func (m *Model) OutputShape() tensor.Shape {
	if !m.built {
		return nil
	}
	return m.outputShapes[len(m.outputShapes)-1]
}

// Params returns every weight of the model, layer by layer.
func (m *Model) Params() []*layers.Param { return m.params }

// CountParams returns the number of trainable and non-trainable weights.
func (m *Model) CountParams() (trainable, nonTrainable int) {
	for _, p := range m.params {
		if p.Trainable() {
			trainable += len(p.Value.Data)
		} else {
			nonTrainable += len(p.Value.Data)
		}
	}
	return trainable, nonTrainable
}

// ensureBuilt builds the model from its declared input shape or from the
// shape of the data it is first given.
func (m *Model) ensureBuilt(x *tensor.Tensor) error {
	if m.built {
		return nil
	}
	if len(m.layers) == 0 {
		return errors.New("tailor: the model has no layers")
	}
	if s, ok := m.layers[0].(layers.InputShaper); ok && len(s.InputShape()) > 0 {
		return m.Build()
	}
	if x == nil || len(x.Shape) == 0 {
		return errors.New("tailor: the model is not built and its input shape is unknown")
	}
	return m.Build(x.Shape[1:]...)
}

// Compile sets the optimizer, the loss and the metrics that Fit and
// Evaluate use, and builds the model if its input shape is declared.
func (m *Model) Compile(optimizer optimizers.Optimizer, loss losses.Loss, ms ...metrics.Metric) error {
	if optimizer == nil || loss == nil {
		return errors.New("tailor: Compile needs an optimizer and a loss")
	}
	m.optimizer, m.loss, m.metrics = optimizer, loss, ms
	m.logits, m.softmax = nil, nil
	if len(m.layers) > 0 {
		if l, ok := m.layers[len(m.layers)-1].(logitLayer); ok && l.Activation() == activations.Softmax {
			if sl, ok := loss.(losses.SoftmaxLoss); ok {
				m.logits, m.softmax = l, sl
			}
		}
	}
	m.compiled = true
	if len(m.layers) == 0 {
		return nil
	}
	if s, ok := m.layers[0].(layers.InputShaper); ok && len(s.InputShape()) > 0 && !m.built {
		return m.Build()
	}
	return nil
}

// Optimizer returns the compiled optimizer.
func (m *Model) Optimizer() optimizers.Optimizer { return m.optimizer }

// Loss returns the compiled loss, nil before Compile.
func (m *Model) Loss() losses.Loss { return m.loss }

// Metrics returns the compiled metrics.
func (m *Model) Metrics() []metrics.Metric { return m.metrics }

// StopTraining asks Fit to stop at the end of the current epoch, as
// setting model.stop_training does in Keras. Callbacks call it.
func (m *Model) StopTraining() { m.stopTraining = true }
