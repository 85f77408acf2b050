package layers

import (
	"fmt"
	"math"

	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// DropoutLayer sets a random fraction rate of its inputs to zero in
// training and scales the rest by 1/(1−rate), so that the expected output
// equals the input ("inverted" dropout, as Keras does). At inference it
// passes its input through unchanged.
//
// The mask is drawn from a PCG generator that the model reseeds before
// every training step from the Fit seed, the step number and the layer's
// name (see Stochastic): the same seed gives the same masks.
type DropoutLayer struct {
	named
	noParams
	rate float64
}

// dropoutState is one call's mask and buffers.
type dropoutState struct {
	stream  [2]uint64     // the state of the mask's PCG (rand.PCG after Seed(stream[0], stream[1]))
	active  bool          // whether the last Forward applied a mask
	mask    tensor.Tensor // 0 or 1/(1−rate) per element
	out, dx tensor.Tensor
}

// Dropout returns a dropout layer that drops each input with probability
// rate, 0 ≤ rate < 1.
func Dropout(rate float64) *DropoutLayer { return &DropoutLayer{rate: rate} }

// Type returns "Dropout".
func (d *DropoutLayer) Type() string { return "Dropout" }

// Rate returns the fraction of inputs dropped in training.
func (d *DropoutLayer) Rate() float64 { return d.rate }

// Build checks the rate; the output shape is the input shape.
func (d *DropoutLayer) Build(in tensor.Shape, _ *params.Builder) (tensor.Shape, error) {
	if !(d.rate >= 0 && d.rate < 1) {
		return nil, fmt.Errorf("dropout %q: rate %v, want 0 ≤ rate < 1", d.name, d.rate)
	}
	if err := checkShape("dropout", d.name, "input", in); err != nil {
		return nil, err
	}
	return append(tensor.Shape(nil), in...), nil
}

// NewState returns an empty state.
func (d *DropoutLayer) NewState() State { return &dropoutState{} }

// SeedStep reseeds the mask generator of s for one training step.
func (d *DropoutLayer) SeedStep(s State, seed, step uint64) {
	stateOf[dropoutState](s, "Dropout").stream = [2]uint64{seed ^ nameHash(d.name), step}
}

// nameHash is the 64-bit FNV-1a hash of a layer's name, so that two
// stochastic layers seeded for the same step draw different numbers.
func nameHash(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return h
}

// Forward returns x at inference, and x ⊙ mask in training, with each mask
// entry 0 with probability rate and 1/(1−rate) otherwise.
func (d *DropoutLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[dropoutState](s, "Dropout")
	st.active = training && d.rate > 0
	if !st.active {
		return x
	}
	st.mask.Resize(len(x.Data))
	st.out.Resize(x.Shape...)
	// An entry is dropped when its 16-bit draw falls below rate·2¹⁶, so the
	// rate is honoured to within 2⁻¹⁷.
	threshold := uint32(math.Round(d.rate * (1 << 16)))
	st.stream[0], st.stream[1] = kernels.Dropout(st.out.Data, st.mask.Data, x.Data, st.stream[0], st.stream[1], threshold, float32(1/(1-d.rate)))
	return &st.out
}

// Backward multiplies dy by the mask of the last Forward (in the forward
// pass this was y = x ⊙ mask, so dx = dy ⊙ mask), or passes it through when
// no mask was applied.
func (d *DropoutLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	st := stateOf[dropoutState](s, "Dropout")
	if !st.active {
		return dy
	}
	st.dx.Resize(dy.Shape...)
	kernels.Mul(st.dx.Data, dy.Data, st.mask.Data)
	return &st.dx
}

// Config returns rate.
func (d *DropoutLayer) Config() map[string]any {
	return map[string]any{"name": d.name, "rate": d.rate}
}
