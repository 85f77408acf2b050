// Package params holds a model's weights: Param, one named weight tensor
// and its gradient, and Arena, the two contiguous buffers that every Param
// of a model is a view into — one for the values, one for the gradients —
// as llm.c keeps its parameters in one block. Layers declare their weights
// through a Builder while the model is built (Keras's add_weight); the
// model then allocates the arena once and runs the initializers, and
// optimizers update the whole arena in one pass per step.
//
// Weights are addressed by their path, layer/weight ("dense/kernel"), in
// model files and in optimizer state, never by position.
package params

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/tensor"
)

// Param is one weight tensor of a layer and its gradient.
type Param struct {
	// Name is the weight's name within its layer: "kernel", "bias", ...
	Name string
	// Value holds the weights: a view into the arena once the model is
	// built.
	Value *tensor.Tensor
	// Grad has Value's shape and holds the gradient after a training
	// step; it is nil for non-trainable weights (a batch-normalisation
	// layer's moving statistics).
	Grad *tensor.Tensor

	path string
	init Initializer
}

// Trainable reports whether the optimizer updates the parameter.
func (p *Param) Trainable() bool { return p.Grad != nil }

// Path is the weight's name in model files and optimizer state,
// layer/weight ("dense/kernel"); empty until the model is built.
func (p *Param) Path() string { return p.path }

// Initializer fills the weights w of a tensor of the given shape, drawing
// from rng if it needs random numbers.
type Initializer func(w []float32, shape tensor.Shape, rng *rand.Rand)

// Zeros sets every weight to 0, Keras's "zeros" (the default bias).
func Zeros(w []float32, _ tensor.Shape, _ *rand.Rand) { clear(w) }

// Ones sets every weight to 1, Keras's "ones".
func Ones(w []float32, _ tensor.Shape, _ *rand.Rand) {
	for i := range w {
		w[i] = 1
	}
}

// GlorotUniform draws every weight from U(−l, l), l = √(6/(fanIn+fanOut)),
// Keras's default kernel initializer, with Keras's fans: for a kernel of
// shape (..., in, out) the receptive field is the product of the leading
// axes, fanIn = in·receptive and fanOut = out·receptive.
func GlorotUniform(w []float32, shape tensor.Shape, rng *rand.Rand) {
	fanIn, fanOut := fans(shape)
	limit := math.Sqrt(6 / float64(fanIn+fanOut))
	for i := range w {
		w[i] = float32((2*rng.Float64() - 1) * limit)
	}
}

// fans computes Keras's fan-in and fan-out of a weight shape.
func fans(shape tensor.Shape) (in, out int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	}
	receptive := shape[:len(shape)-2].Size()
	return shape[len(shape)-2] * receptive, shape[len(shape)-1] * receptive
}

// Builder collects the weights that layers declare while a model is
// built, and Bind then lays them out in one arena.
type Builder struct {
	layer  string
	params []*Param
	size   int64 // values declared so far
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder { return &Builder{} }

// SetLayer names the layer whose weights the next calls to Add declare.
func (b *Builder) SetLayer(name string) { b.layer = name }

// Add declares a weight of the given shape, filled by init when the arena
// is bound, and returns it; its Value (and, when trainable, its Grad) has
// the shape but no data until Bind. It is Keras's
// add_weight(name, shape, initializer, trainable).
func (b *Builder) Add(name string, init Initializer, trainable bool, shape ...int) *Param {
	s := append(tensor.Shape(nil), shape...)
	p := &Param{Name: name, Value: &tensor.Tensor{Shape: s}, path: b.layer + "/" + name, init: init}
	if trainable {
		p.Grad = &tensor.Tensor{Shape: append(tensor.Shape(nil), s...)}
	}
	b.params = append(b.params, p)
	b.size += int64(s.Size())
	return p
}

// Size is the number of weights declared so far, trainable or not.
func (b *Builder) Size() int64 { return b.size }

// Bind allocates the arena for every declared weight, points each Param's
// Value and Grad into it, and runs the initializers in declaration order
// with rng, so the same seed gives the same weights.
func (b *Builder) Bind(rng *rand.Rand) *Arena {
	a := &Arena{params: b.params, byPath: make(map[string]int, len(b.params))}
	for _, p := range b.params {
		if p.Trainable() {
			a.trainable += p.Value.Shape.Size()
		}
	}
	a.values = kernels.NewStream(int(b.size), kernels.StreamWeights)
	a.grads = kernels.NewStream(a.trainable, kernels.StreamGrads)
	// Trainable weights first, so that they and their gradients are two
	// matching contiguous ranges an optimizer updates in one pass.
	t, nt := 0, a.trainable
	a.offsets = make([]int, len(b.params))
	for i, p := range b.params {
		n := p.Value.Shape.Size()
		if p.Trainable() {
			a.offsets[i] = t
			p.Value.Data = a.values[t : t+n : t+n]
			p.Grad.Data = a.grads[t : t+n : t+n]
			t += n
		} else {
			a.offsets[i] = nt
			p.Value.Data = a.values[nt : nt+n : nt+n]
			nt += n
		}
		a.byPath[p.path] = i
	}
	for _, p := range b.params {
		if p.init != nil {
			p.init(p.Value.Data, p.Value.Shape, rng)
			p.init = nil
		}
	}
	b.params = nil
	return a
}

// Arena is the storage of a model's weights: every Param's Value is a view
// into Values, trainable ones first, and every trainable Param's Grad the
// view of the same range of Grads.
type Arena struct {
	params    []*Param
	offsets   []int
	byPath    map[string]int
	values    []float32
	grads     []float32
	trainable int
}

// Params returns every weight in declaration order (layer by layer).
func (a *Arena) Params() []*Param { return a.params }

// Values returns all the weights, trainable first.
func (a *Arena) Values() []float32 { return a.values }

// Trainable returns the trainable weights and their gradients: two
// slices of the same length, element i of one the gradient of the other.
func (a *Arena) Trainable() (values, grads []float32) {
	return a.values[:a.trainable], a.grads
}

// Lookup returns the weight at path ("dense/kernel") and the offset of its
// values in Values (for a trainable one, also in Grads), or nil.
func (a *Arena) Lookup(path string) (p *Param, offset int) {
	i, ok := a.byPath[path]
	if !ok {
		return nil, 0
	}
	return a.params[i], a.offsets[i]
}

// Count returns the number of trainable and non-trainable weights.
func (a *Arena) Count() (trainable, nonTrainable int) {
	return a.trainable, len(a.values) - a.trainable
}

// String describes the arena's size.
func (a *Arena) String() string {
	t, nt := a.Count()
	return fmt.Sprintf("%d weights (%d trainable) in %d tensors", t+nt, t, len(a.params))
}

// New returns a standalone weight of the given shape, with its own zero
// storage (and a zero gradient when trainable), addressed by path. Pack
// gathers such weights into an arena; models never need New, their layers
// declare weights through a Builder.
func New(path string, trainable bool, shape ...int) *Param {
	p := &Param{Name: path, path: path, Value: tensor.New(shape...)}
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		p.Name = path[i+1:]
	}
	if trainable {
		p.Grad = tensor.New(shape...)
	}
	return p
}

// Pack lays the given weights out in a new arena, in order, keeping their
// current values and gradients: afterwards each Param's Value and Grad are
// views into the arena. It is an error for two weights to share a path.
func Pack(ps ...*Param) (*Arena, error) {
	b := NewBuilder()
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		if seen[p.path] {
			return nil, fmt.Errorf("params: two weights have the path %q", p.path)
		}
		seen[p.path] = true
		b.params = append(b.params, p)
		b.size += int64(p.Value.Shape.Size())
		value, grad := p.Value.Data, []float32(nil)
		if p.Grad != nil {
			grad = p.Grad.Data
		}
		p.init = func(w []float32, _ tensor.Shape, _ *rand.Rand) {
			copy(w, value)
			if grad != nil {
				copy(p.Grad.Data, grad)
			}
		}
	}
	return b.Bind(nil), nil
}
