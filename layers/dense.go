package layers

import (
	"fmt"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/params"
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
	kernel, bias *params.Param
}

// denseState is one call's buffers: the input, kept for the kernel
// gradient, the output and the gradients.
type denseState struct {
	x           *tensor.Tensor
	out, dz, dx tensor.Tensor
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

// Units returns the number of outputs.
func (d *DenseLayer) Units() int { return d.units }

// Build declares the kernel and bias for inputs of shape (in,).
func (d *DenseLayer) Build(in tensor.Shape, w *params.Builder) (tensor.Shape, error) {
	if d.units <= 0 {
		return nil, fmt.Errorf("dense %q: units must be positive, got %d", d.name, d.units)
	}
	if err := d.activation.Validate(); err != nil {
		return nil, fmt.Errorf("dense %q: %w", d.name, err)
	}
	if len(in) != 1 || in[0] <= 0 {
		return nil, fmt.Errorf("dense %q: input shape %v, want (features,); add a Flatten layer before it", d.name, in)
	}
	if err := checkShape("dense", d.name, "kernel", tensor.Shape{in[0], d.units}); err != nil {
		return nil, err
	}
	d.in = in[0]
	d.kernel = w.Add("kernel", params.GlorotUniform, true, d.in, d.units)
	d.bias = nil
	if d.useBias {
		d.bias = w.Add("bias", params.Zeros, true, d.units)
	}
	return tensor.Shape{d.units}, nil
}

// NewState returns an empty state.
func (d *DenseLayer) NewState() State { return &denseState{} }

// Forward computes activation(x·W + b) for x of shape (B, in).
func (d *DenseLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[denseState](s, "Dense")
	b := x.Len()
	st.x = x
	st.out.Resize(b, d.units)
	// most of the MLP's running time is spent in this product and the two
	// in Backward.
	kernels.Sgemm(false, false, b, d.units, d.in, 1, x.Data, d.in, d.kernel.Value.Data, d.units, 0, st.out.Data, d.units)
	if d.bias != nil {
		kernels.AddBias(st.out.Data, b, d.units, d.bias.Value.Data)
	}
	d.activation.Forward(st.out.Data, b, d.units)
	return &st.out
}

// Backward takes dy (B, units) through the activation and the product.
func (d *DenseLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if d.activation.IsLinear() { // y = z, so dz is dy itself
		return d.BackwardLogits(s, dy, needInputGrad)
	}
	st := stateOf[denseState](s, "Dense")
	b := dy.Len()
	st.dz.Resize(b, d.units)
	// in the forward pass this was y = f(z), so dz = f'(z)·dy.
	d.activation.Backward(st.dz.Data, dy.Data, st.out.Data, b, d.units)
	return d.BackwardLogits(s, &st.dz, needInputGrad)
}

// EndsInSoftmax reports whether the activation is softmax (see
// SoftmaxOutput).
func (d *DenseLayer) EndsInSoftmax() bool { return d.activation == activations.Softmax }

// EndsInSigmoid reports whether the activation is sigmoid (see
// SigmoidOutput).
func (d *DenseLayer) EndsInSigmoid() bool { return d.activation == activations.Sigmoid }

// BackwardLogits is Backward for a gradient dz taken with respect to the
// pre-activation z = x·W + b rather than the output (see SoftmaxOutput).
func (d *DenseLayer) BackwardLogits(s State, dz *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	st := stateOf[denseState](s, "Dense")
	b := dz.Len()
	// z = x·W + b, so dW = xᵀ·dz, db = Σ_rows dz and dx = dz·Wᵀ.
	kernels.Sgemm(true, false, d.in, d.units, b, 1, st.x.Data, d.in, dz.Data, d.units, 0, d.kernel.Grad.Data, d.units)
	if d.bias != nil {
		kernels.SumRows(d.bias.Grad.Data, dz.Data, b, d.units, 0)
	}
	if !needInputGrad {
		return nil
	}
	st.dx.Resize(b, d.in)
	kernels.Sgemm(false, true, b, d.in, d.units, 1, dz.Data, d.units, d.kernel.Value.Data, d.units, 0, st.dx.Data, d.in)
	return &st.dx
}

// Params returns the kernel and the bias.
func (d *DenseLayer) Params() []*params.Param {
	if d.bias == nil {
		return []*params.Param{d.kernel}
	}
	return []*params.Param{d.kernel, d.bias}
}

// Config returns units, activation and use_bias.
func (d *DenseLayer) Config() map[string]any {
	return map[string]any{"name": d.name, "units": d.units, "activation": d.activation.Name(), "use_bias": d.useBias}
}
