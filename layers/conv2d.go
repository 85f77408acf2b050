package layers

import (
	"fmt"

	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// Padding is how a sliding window treats the border, as Keras names it.
type Padding string

const (
	// Valid places windows only where they fit inside the input: an H-row
	// input gives ⌊(H−k)/s⌋+1 rows. It is Keras's default.
	Valid Padding = "valid"
	// Same pads the input with zeros so that the output has ⌈H/s⌉ rows,
	// the odd row or column of padding going below or to the right.
	Same Padding = "same"
)

func (p Padding) validate() error {
	if p != Valid && p != Same {
		return fmt.Errorf("padding %q, want %q or %q", string(p), Valid, Same)
	}
	return nil
}

// orDefault returns p, or Valid when p is empty.
func (p Padding) orDefault() Padding {
	if p == "" {
		return Valid
	}
	return p
}

// DType is a layer's computation policy, as Keras names it.
type DType string

const (
	// Float32 computes in float32, the default.
	Float32 DType = "float32"
	// MixedBFloat16 keeps the weights and outputs in float32 but rounds the
	// operands of the convolution's products to bfloat16 and sums them in
	// float32, as Keras's "mixed_bfloat16" policy does, where a product's
	// sums run over an even number of values (the window KH·KW·C; for the
	// input gradient, stride 1 and an even KH·KW·F): an odd window, such as
	// a first 3×3 convolution of one channel, computes in float32. On CPUs with
	// AVX-512 those products run in bfloat16, to the same bits everywhere:
	// with VDPBF16PS where it is fast (AMD with AVX512_BF16), elsewhere
	// (Intel, AVX-512 without AVX512_BF16) with an emulation of it by
	// FMAs (kernels.BF16Method). Without AVX-512 the layer computes in
	// float32.
	MixedBFloat16 DType = "mixed_bfloat16"
	// Auto is MixedBFloat16 where it is the faster policy and Float32
	// elsewhere, as ResolveAuto decides for this CPU. A layer resolves it
	// when it is built, and its Config (so the model file) records the
	// policy it resolved to: a model trained with mixed_bfloat16 is loaded
	// with it everywhere.
	Auto DType = "auto"
)

func (d DType) validate() error {
	if d != Float32 && d != MixedBFloat16 && d != Auto {
		return fmt.Errorf("dtype %q, want %q, %q or %q", string(d), Float32, MixedBFloat16, Auto)
	}
	return nil
}

// ResolveAuto returns the policy Auto stands for on this CPU and why:
// MixedBFloat16 where bfloat16 products are native and faster than
// float32's (AMD Zen 4 and 5 with AVX512_BF16), Float32 elsewhere (Intel
// without AMX, where VDPBF16PS runs at half float32's rate, and CPUs
// without AVX512_BF16). The answer is the same for every call in a process
// (kernels.PreferBF16's table).
func ResolveAuto() (DType, string) {
	bf16, why := kernels.PreferBF16()
	if bf16 {
		return MixedBFloat16, why
	}
	return Float32, why
}

// Conv2DOptions are Conv2D's keyword arguments; the zero value is Keras's
// default.
type Conv2DOptions struct {
	// Strides is the step of the window down and across, (1, 1) when zero.
	Strides [2]int
	// Padding is Valid (the default) or Same.
	Padding Padding
	// Activation is applied to the output ("" or "linear" for none).
	Activation activations.Activation
	// NoBias drops the bias, as use_bias=False does.
	NoBias bool
	// InputShape declares the model's input shape (H, W, C), or (H, W) for
	// one-channel images, as Keras's input_shape argument does.
	InputShape []int
	// DType is Float32 (when empty), MixedBFloat16 (see kernels.Conv.BF16
	// for when the products round; 1×1 convolutions of stride 1 stay
	// float32) or Auto.
	DType DType
}

// Conv2DLayer is a 2-D convolution over channels-last images:
//
//	y[b, i, j, f] = activation(bias[f] + Σ_{di, dj, c} x[b, i·sh+di−pt, j·sw+dj−pl, c] · kernel[di, dj, c, f])
//
// x is (B, H, W, C) — or (B, H, W), read as one channel — the kernel is
// (KH, KW, C, F), the bias (F) and y (B, OH, OW, F), with the window
// positions and padding of kernels.NewConvGeom. (Strictly, this is a
// cross-correlation, as in every deep-learning library.)
//
// The convolution is computed as a matrix product: the windows of a block
// of images are unfolded into the rows of a matrix (im2col), which is then
// multiplied by the kernel read as a (KH·KW·C) × F matrix. Backward takes
// the kernel gradient as colsᵀ·dz, unfolding the blocks again, and the
// input gradient, for stride 1, as the convolution of dz with the kernel
// rotated by 180° — unfolded and multiplied in the same way — or, for
// larger strides, by folding dz·Kᵀ back onto the image (col2im). See
// kernels.Conv, which shares the blocks among the workers.
type Conv2DLayer struct {
	named
	filters    int
	kernelSize [2]int
	strides    [2]int
	padding    Padding
	activation activations.Activation
	useBias    bool
	inputShape tensor.Shape
	dtype      DType

	g            kernels.ConvGeom
	direct       bool // 1×1 kernel, stride 1: the input is its own im2col matrix
	reluDone     bool // the next layer applies ReLU's derivative to dy (Fuse)
	kernel, bias *params.Param
}

// convState is one call's buffers: the input, kept for the kernel
// gradient, the output and gradients, and the kernels.Conv whose working
// space unfolds and multiplies the blocks of images.
type convState struct {
	conv        *kernels.Conv
	x           *tensor.Tensor
	out, dz, dx tensor.Tensor
}

// Conv2D returns a 2-D convolution layer with the given number of filters
// and kernel size (rows, columns), with Keras's defaults unless opts says
// otherwise: strides 1, valid padding, no activation, a glorot_uniform
// kernel and a zero bias.
func Conv2D(filters int, kernelSize [2]int, opts ...Conv2DOptions) *Conv2DLayer {
	var o Conv2DOptions
	if len(opts) > 0 {
		o = opts[len(opts)-1]
	}
	if o.Strides == [2]int{} {
		o.Strides = [2]int{1, 1}
	}
	if o.DType == "" {
		o.DType = Float32
	}
	return &Conv2DLayer{
		filters: filters, kernelSize: kernelSize, strides: o.Strides,
		padding: o.Padding.orDefault(), activation: o.Activation, useBias: !o.NoBias,
		inputShape: append(tensor.Shape(nil), o.InputShape...), dtype: o.DType,
	}
}

// Type returns "Conv2D".
func (c *Conv2DLayer) Type() string { return "Conv2D" }

// InputShape returns the declared input shape, or nil.
func (c *Conv2DLayer) InputShape() tensor.Shape { return c.inputShape }

// Activation returns the layer's activation.
func (c *Conv2DLayer) Activation() activations.Activation { return c.activation }

// DType returns the computation policy: Auto until the layer is built,
// then what it resolved to.
func (c *Conv2DLayer) DType() DType { return c.dtype }

// SetDType changes the computation policy of a layer not yet built.
func (c *Conv2DLayer) SetDType(d DType) error {
	if err := d.validate(); err != nil {
		return fmt.Errorf("conv2d %q: %w", c.name, err)
	}
	if c.kernel != nil {
		return fmt.Errorf("conv2d %q: SetDType after Build", c.name)
	}
	c.dtype = d
	return nil
}

// Build declares the kernel (KH, KW, C, F) and bias (F) for inputs of
// shape (H, W, C) or (H, W), and returns (OH, OW, F).
func (c *Conv2DLayer) Build(in tensor.Shape, weights *params.Builder) (tensor.Shape, error) {
	if c.filters <= 0 {
		return nil, fmt.Errorf("conv2d %q: filters must be positive, got %d", c.name, c.filters)
	}
	if err := c.activation.Validate(); err != nil {
		return nil, fmt.Errorf("conv2d %q: %w", c.name, err)
	}
	if err := c.padding.validate(); err != nil {
		return nil, fmt.Errorf("conv2d %q: %w", c.name, err)
	}
	if err := c.dtype.validate(); err != nil {
		return nil, fmt.Errorf("conv2d %q: %w", c.name, err)
	}
	if c.dtype == Auto {
		c.dtype, _ = ResolveAuto()
	}
	h, w, ch, err := imageShape(in)
	if err != nil {
		return nil, fmt.Errorf("conv2d %q: %w", c.name, err)
	}
	kh, kw := c.kernelSize[0], c.kernelSize[1]
	c.g, err = kernels.NewConvGeom(h, w, ch, kh, kw, c.strides[0], c.strides[1], c.padding == Same)
	if err != nil {
		return nil, fmt.Errorf("conv2d %q: %w", c.name, err)
	}
	out := tensor.Shape{c.g.OH, c.g.OW, c.filters}
	if err := checkShape("conv2d", c.name, "output", out); err != nil {
		return nil, err
	}
	if err := checkShape("conv2d", c.name, "kernel", tensor.Shape{kh, kw, ch, c.filters}); err != nil {
		return nil, err
	}
	c.direct = kh == 1 && kw == 1 && c.strides == [2]int{1, 1}
	c.kernel = weights.Add("kernel", params.GlorotUniform, true, kh, kw, ch, c.filters)
	c.bias = nil
	if c.useBias {
		c.bias = weights.Add("bias", params.Zeros, true, c.filters)
	}
	return out, nil
}

// NewState returns an empty state for the built geometry.
func (c *Conv2DLayer) NewState() State {
	conv := kernels.NewConv(c.g, c.filters)
	conv.BF16 = c.dtype == MixedBFloat16
	return &convState{conv: conv}
}

// imageShape reads (H, W, C), or (H, W) as one channel, of positive sizes
// and at most as many values as an int counts.
func imageShape(in tensor.Shape) (h, w, c int, err error) {
	if err := in.Validate(); err != nil {
		return 0, 0, 0, fmt.Errorf("input shape: %w", err)
	}
	switch {
	case len(in) == 2 && in[0] > 0 && in[1] > 0:
		return in[0], in[1], 1, nil
	case len(in) == 3 && in[0] > 0 && in[1] > 0 && in[2] > 0:
		return in[0], in[1], in[2], nil
	}
	return 0, 0, 0, fmt.Errorf("input shape %v, want images (height, width, channels) or (height, width)", in)
}

// Forward convolves x (B, H, W, C) with the kernel: y = f(im2col(x)·K + b).
func (c *Conv2DLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[convState](s, "Conv2D")
	b := x.Len()
	g := &c.g
	m, k, f := b*g.Pixels(), g.PatchSize(), c.filters
	st.x = x
	st.out.Resize(b, g.OH, g.OW, f)
	var bias []float32
	if c.bias != nil {
		bias = c.bias.Value.Data
	}
	relu := c.activation == activations.ReLU
	if c.direct {
		kernels.Sgemm(false, false, m, f, k, 1, x.Data, k, c.kernel.Value.Data, f, 0, st.out.Data, f)
		switch {
		case bias != nil && relu:
			kernels.BiasRelu(st.out.Data, m, f, bias)
		case bias != nil:
			kernels.AddBias(st.out.Data, m, f, bias)
		}
	} else {
		// most of a CNN's running time is spent here and in the two
		// products of Backward.
		st.conv.Forward(st.out.Data, x.Data, c.kernel.Value.Data, bias, b, relu && bias != nil)
	}
	if !relu || bias == nil {
		c.activation.Forward(st.out.Data, m, f)
	}
	return &st.out
}

// Backward takes dy (B, OH, OW, F) back through the activation, the
// product and the unfolding.
func (c *Conv2DLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	st := stateOf[convState](s, "Conv2D")
	b := dy.Len()
	g := &c.g
	m, k, f := b*g.Pixels(), g.PatchSize(), c.filters
	// in the forward pass this was y = act(z), so dz = act'(z)·dy: dy
	// itself when the activation is linear, or when the next layer has
	// applied ReLU's derivative already (Fuse).
	dz := dy.Data
	if !c.activation.IsLinear() && !c.reluDone {
		st.dz.Resize(b, g.OH, g.OW, f)
		c.activation.Backward(st.dz.Data, dy.Data, st.out.Data, m, f)
		dz = st.dz.Data
	}
	// z = cols·K + b, so dK = colsᵀ·dz, db = Σ_rows dz and dcols = dz·Kᵀ.
	if c.direct {
		kernels.Sgemm(true, false, k, f, m, 1, st.x.Data, k, dz, f, 0, c.kernel.Grad.Data, f)
	} else {
		st.conv.KernelGrad(c.kernel.Grad.Data, st.x.Data, dz, b)
	}
	if c.bias != nil {
		kernels.SumRows(c.bias.Grad.Data, dz, m, f, 0)
	}
	if !needInputGrad {
		return nil
	}
	st.dx.Resize(st.x.Shape...)
	if c.direct {
		kernels.Sgemm(false, true, m, k, f, 1, dz, f, c.kernel.Value.Data, f, 0, st.dx.Data, k)
	} else {
		st.conv.InputGrad(st.dx.Data, dz, c.kernel.Value.Data, b)
	}
	return &st.dx
}

// Params returns the kernel and the bias.
func (c *Conv2DLayer) Params() []*params.Param {
	if c.bias == nil {
		return []*params.Param{c.kernel}
	}
	return []*params.Param{c.kernel, c.bias}
}

// Config returns filters, kernel_size, strides, padding, activation,
// use_bias and data_format (always channels_last), and input_shape and
// dtype when they are not the defaults.
func (c *Conv2DLayer) Config() map[string]any {
	cfg := map[string]any{
		"name": c.name, "filters": c.filters,
		"kernel_size": []int{c.kernelSize[0], c.kernelSize[1]},
		"strides":     []int{c.strides[0], c.strides[1]},
		"padding":     string(c.padding), "activation": c.activation.Name(),
		"use_bias": c.useBias, "data_format": "channels_last",
	}
	addInputShape(cfg, c.inputShape)
	if c.dtype != Float32 {
		cfg["dtype"] = string(c.dtype)
	}
	return cfg
}

// addInputShape records a declared input shape in a layer's config.
func addInputShape(cfg map[string]any, in tensor.Shape) {
	if len(in) > 0 {
		cfg["input_shape"] = []int(append(tensor.Shape(nil), in...))
	}
}

// resizeBatch gives t the shape (b, s...), reusing its storage when large
// enough, as tensor.Resize does.
func resizeBatch(t *tensor.Tensor, b int, s tensor.Shape) {
	n := b * s.Size()
	t.Shape = append(append(t.Shape[:0], b), s...)
	if cap(t.Data) < n {
		t.Data = make([]float32, n)
	}
	t.Data = t.Data[:n]
}
