package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/tensor"
)

// DenseLayer is a fully connected layer: y = activation(x·W + b).
//
// x is (B, in), W ("kernel") is (in, units), b ("bias") is (units), y is
// (B, units). Inputs of higher rank are not flattened: put a Flatten first.
type DenseLayer struct {
	named
	units      int
	activation activations.Activation
	useBias    bool

	in           int
	kernel, bias *Param
	x            *tensor.Tensor // the last input, kept for the kernel gradient
	out, dz, dx  tensor.Tensor
}

// Dense returns a fully connected layer with the given number of units and
// activation ("" or "linear" for none), with Keras's defaults: a
// glorot_uniform kernel and a zero bias.
func Dense(units int, activation activations.Activation) *DenseLayer {
	return &DenseLayer{units: units, activation: activation, useBias: true}
}

// Type returns "Dense".
func (d *DenseLayer) Type() string { return "Dense" }

// Activation returns the layer's activation.
func (d *DenseLayer) Activation() activations.Activation { return d.activation }

// Build creates the kernel and bias for inputs of shape (in,).
func (d *DenseLayer) Build(in tensor.Shape, rng *rand.Rand) (tensor.Shape, error) {
	if d.units <= 0 {
		return nil, fmt.Errorf("dense %q: units must be positive, got %d", d.name, d.units)
	}
	if err := d.activation.Validate(); err != nil {
		return nil, fmt.Errorf("dense %q: %w", d.name, err)
	}
	if len(in) != 1 || in[0] <= 0 {
		return nil, fmt.Errorf("dense %q: input shape %v, want (features,); add a Flatten layer before it", d.name, in)
	}
	d.in = in[0]
	d.kernel = newParam("kernel", d.in, d.units)
	glorotUniform(d.kernel.Value.Data, d.in, d.units, rng)
	if d.useBias {
		d.bias = newParam("bias", d.units)
	}
	return tensor.Shape{d.units}, nil
}

// Forward computes activation(x·W + b) for x of shape (B, in).
func (d *DenseLayer) Forward(x *tensor.Tensor, training bool) *tensor.Tensor {
	b := x.Len()
	d.x = x
	d.out.Resize(b, d.units)
	// most of the MLP's running time is spent in this product and the two
	// in Backward.
	kernels.Sgemm(false, false, b, d.units, d.in, 1, x.Data, d.in, d.kernel.Value.Data, d.units, 0, d.out.Data, d.units)
	if d.bias != nil {
		kernels.AddBias(d.out.Data, b, d.units, d.bias.Value.Data)
	}
	d.activation.Forward(d.out.Data, b, d.units)
	return &d.out
}

// Backward takes dy (B, units) through the activation and the product.
func (d *DenseLayer) Backward(dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	b := dy.Len()
	d.dz.Resize(b, d.units)
	// in the forward pass this was y = f(z), so dz = f'(z)·dy.
	d.activation.Backward(d.dz.Data, dy.Data, d.out.Data, b, d.units)
	return d.BackwardLogits(&d.dz, needInputGrad)
}

// BackwardLogits is Backward for a gradient dz taken with respect to the
// pre-activation z = x·W + b rather than the output. Losses use it to fuse
// softmax with cross-entropy, whose gradient with respect to z is simply
// (p − onehot)/B.
func (d *DenseLayer) BackwardLogits(dz *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	b := dz.Len()
	// z = x·W + b, so dW = xᵀ·dz, db = Σ_rows dz and dx = dz·Wᵀ.
	kernels.Sgemm(true, false, d.in, d.units, b, 1, d.x.Data, d.in, dz.Data, d.units, 0, d.kernel.Grad.Data, d.units)
	if d.bias != nil {
		kernels.SumRows(d.bias.Grad.Data, dz.Data, b, d.units, 0)
	}
	if !needInputGrad {
		return nil
	}
	d.dx.Resize(b, d.in)
	kernels.Sgemm(false, true, b, d.in, d.units, 1, dz.Data, d.units, d.kernel.Value.Data, d.units, 0, d.dx.Data, d.in)
	return &d.dx
}

// Params returns the kernel and the bias.
func (d *DenseLayer) Params() []*Param {
	if d.bias == nil {
		return []*Param{d.kernel}
	}
	return []*Param{d.kernel, d.bias}
}

// Config returns units, activation and use_bias.
func (d *DenseLayer) Config() map[string]any {
	return map[string]any{"name": d.name, "units": d.units, "activation": d.activation.Name(), "use_bias": d.useBias}
}

func sqrt(x float64) float64 { return math.Sqrt(x) }
