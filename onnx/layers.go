package onnx

import (
	"fmt"

	"github.com/tailor-ml/tailor/internal/onnxpb"
	"github.com/tailor-ml/tailor/layers"
)

// translate appends the operators that compute layer l at inference to
// the graph, reading in, and returns its output.
func (b *builder) translate(l layers.Layer, in value) (value, error) {
	c := &config{m: l.Config()}
	scope := l.Name()
	switch l.Type() {
	case "Dense":
		return b.dense(l, c, in)
	case "Activation":
		act := c.str("activation", "")
		if act == "" {
			c.fail(fmt.Errorf("config has no %q", "activation"))
		}
		if c.err != nil {
			return in, c.err
		}
		return b.activate(scope, in, act)
	case "Flatten":
		return b.flatten(scope, in)
	case "Reshape":
		return b.reshape(scope, c, in)
	case "Conv2D":
		return b.conv2D(l, c, in)
	case "MaxPooling2D":
		return b.pool2D(scope, "MaxPool", c, in)
	case "AveragePooling2D":
		return b.pool2D(scope, "AveragePool", c, in)
	case "GlobalAveragePooling2D":
		return b.globalAveragePooling2D(scope, c, in)
	case "BatchNormalization":
		return b.batchNormalization(l, c, in)
	case "Dropout", "RandomFlip", "RandomTranslation", "RandomErasing":
		// the identity at inference.
		return in, nil
	}
	return in, ErrUnsupportedLayer
}

// dense is y = activation(x·kernel + bias), x (N, in), as Gemm.
func (b *builder) dense(l layers.Layer, c *config, in value) (value, error) {
	scope := l.Name()
	units, act, useBias := c.int("units", 0, false), c.str("activation", "linear"), c.bool("use_bias", true)
	if c.err != nil {
		return in, c.err
	}
	if len(in.shape) != 1 {
		return in, fmt.Errorf("input shape %v, want (features,)", in.shape)
	}
	n := in.shape[0]
	kernel, err := weight(l, "kernel", n, units)
	if err != nil {
		return in, err
	}
	if chw := in.flatCHW; chw != nil {
		// the input is ordered (c, h, w), Tailor's (h, w, c): reorder the
		// kernel's rows to match, so x·kernel is the same sum.
		ch, h, w := chw[0], chw[1], chw[2]
		k := make([]float32, len(kernel))
		for ci := 0; ci < ch; ci++ {
			for hw := 0; hw < h*w; hw++ {
				copy(k[(ci*h*w+hw)*units:][:units], kernel[(hw*ch+ci)*units:][:units])
			}
		}
		kernel = k
	}
	inputs := []string{in.name, b.floats(scope+"/kernel", []int{n, units}, kernel)}
	if useBias {
		bias, err := b.param(l, "bias", units)
		if err != nil {
			return in, err
		}
		inputs = append(inputs, bias)
	}
	out := value{name: b.node(scope, "Gemm", inputs), shape: []int{units}}
	return b.activate(scope, out, act)
}

// flatten is (N, ...) → (N, size).
func (b *builder) flatten(scope string, in value) (value, error) {
	n := size(in.shape)
	switch {
	case in.flatCHW != nil || len(in.shape) == 1 && !in.nchw:
		return in, nil // already flat
	case in.nchw && len(in.shape) == 3 && in.shape[2] > 1:
		// flattened channels-first; a Dense after it reorders its kernel,
		// anything else transposes it back (value.flatCHW).
		h, w, ch := in.shape[0], in.shape[1], in.shape[2]
		return value{name: b.node(scope, "Flatten", []string{in.name}, attrInt("axis", 1)), shape: []int{n}, flatCHW: []int{ch, h, w}}, nil
	}
	// one channel, channels-first or not, or any channels-last tensor:
	// the elements are already in Tailor's order.
	return value{name: b.node(scope, "Flatten", []string{in.name}, attrInt("axis", 1)), shape: []int{n}}, nil
}

// reshape gives each example target_shape, one −1 inferred; () makes
// (N, 1) an (N,).
func (b *builder) reshape(scope string, c *config, in value) (value, error) {
	target := c.ints("target_shape", nil)
	if c.err != nil {
		return in, c.err
	}
	out := append([]int(nil), target...)
	unknown, known := -1, 1
	for i, d := range out {
		switch {
		case d == -1 && unknown < 0:
			unknown = i
		case d <= 0:
			return in, fmt.Errorf("target_shape %v: dimensions must be positive, with at most one −1", target)
		default:
			known *= d
		}
	}
	n := size(in.shape)
	if unknown >= 0 && known > 0 && n%known == 0 {
		out[unknown] = n / known
	}
	// an empty target is one value per example, as the layer allows.
	if size(out) != n {
		return in, fmt.Errorf("cannot reshape %v to %v", in.shape, target)
	}
	in = b.natural(scope, in)
	// 0 keeps the batch dimension as it is.
	shape := b.int64s(scope+"/shape", append([]int{0}, out...))
	return value{name: b.node(scope, "Reshape", []string{in.name, shape}), shape: out}, nil
}

// imageDims reads (H, W, C) or (H, W) as one channel.
func imageDims(shape []int) (h, w, c int, err error) {
	switch len(shape) {
	case 2:
		return shape[0], shape[1], 1, nil
	case 3:
		return shape[0], shape[1], shape[2], nil
	}
	return 0, 0, 0, fmt.Errorf("input shape %v, want images (height, width, channels) or (height, width)", shape)
}

// window computes the output size of a sliding window of size k and
// stride s over n positions, and the padding before and after, as Tailor
// (and Keras) do: valid padding places windows only where they fit; same
// padding gives ⌈n/s⌉ outputs, the odd position of padding going after.
func window(n, k, s int, padding string) (out, before, after int, err error) {
	switch padding {
	case "same":
		out = (n + s - 1) / s
		total := max((out-1)*s+k-n, 0)
		return out, total / 2, total - total/2, nil
	case "valid":
		if k > n {
			return 0, 0, 0, fmt.Errorf("window %d does not fit in %d positions with valid padding", k, n)
		}
		return (n-k)/s + 1, 0, 0, nil
	}
	return 0, 0, 0, fmt.Errorf("padding %q, want valid or same", padding)
}

// geometry reads kernel (or pool) size, strides and padding and returns
// the output rows and columns and ONNX's pads (top, left, bottom, right).
func geometry(h, w int, size, strides [2]int, padding string) (oh, ow int, pads []int, err error) {
	oh, top, bottom, err := window(h, size[0], strides[0], padding)
	if err != nil {
		return 0, 0, nil, err
	}
	ow, left, right, err := window(w, size[1], strides[1], padding)
	if err != nil {
		return 0, 0, nil, err
	}
	return oh, ow, []int{top, left, bottom, right}, nil
}

// conv2D is y = activation(conv(x, kernel) + bias) as Conv, channels-first,
// the kernel (KH, KW, C, F) transposed to ONNX's (F, C, KH, KW).
func (b *builder) conv2D(l layers.Layer, c *config, in value) (value, error) {
	scope := l.Name()
	filters := c.int("filters", 0, false)
	size, strides := c.pair("kernel_size", nil), c.pair("strides", []int{1, 1})
	padding, act, useBias := c.str("padding", "valid"), c.str("activation", "linear"), c.bool("use_bias", true)
	c.channelsLast()
	if d := c.pair("dilation_rate", []int{1, 1}); d != [2]int{1, 1} {
		c.fail(fmt.Errorf("dilation_rate %v: only 1×1 is supported", d))
	}
	if g := c.int("groups", 1, true); g != 1 {
		c.fail(fmt.Errorf("groups %d: only 1 is supported", g))
	}
	// dtype (float32 or mixed_bfloat16) changes how Tailor rounds the
	// products, not the weights: both export as float32.
	if dt := c.str("dtype", "float32"); dt != "float32" && dt != "mixed_bfloat16" {
		c.fail(fmt.Errorf("dtype %q, want float32 or mixed_bfloat16", dt))
	}
	if c.err != nil {
		return in, c.err
	}
	h, w, ch, err := imageDims(in.shape)
	if err != nil {
		return in, err
	}
	oh, ow, pads, err := geometry(h, w, size, strides, padding)
	if err != nil {
		return in, err
	}
	kh, kw := size[0], size[1]
	kernel, err := weight(l, "kernel", kh, kw, ch, filters)
	if err != nil {
		return in, err
	}
	k := make([]float32, len(kernel))
	for i := 0; i < kh; i++ {
		for j := 0; j < kw; j++ {
			for ci := 0; ci < ch; ci++ {
				for f := 0; f < filters; f++ {
					k[((f*ch+ci)*kh+i)*kw+j] = kernel[((i*kw+j)*ch+ci)*filters+f]
				}
			}
		}
	}
	x, err := b.channelsFirst(scope, in)
	if err != nil {
		return in, err
	}
	inputs := []string{x.name, b.floats(scope+"/kernel", []int{filters, ch, kh, kw}, k)}
	if useBias {
		bias, err := b.param(l, "bias", filters)
		if err != nil {
			return in, err
		}
		inputs = append(inputs, bias)
	}
	y := b.node(scope, "Conv", inputs,
		attrInts("kernel_shape", kh, kw), attrInts("strides", strides[0], strides[1]),
		attrInts("pads", pads...), attrInts("dilations", 1, 1), attrInt("group", 1))
	return b.activate(scope, value{name: y, shape: []int{oh, ow, filters}, nchw: true}, act)
}

// pool2D is MaxPool or AveragePool, channels-first. Tailor's padded
// positions never win a maximum and do not count towards an average, as
// MaxPool's pads and AveragePool's count_include_pad=0 say.
func (b *builder) pool2D(scope, op string, c *config, in value) (value, error) {
	size := c.pair("pool_size", []int{2, 2})
	strides, padding := c.pair("strides", size[:]), c.str("padding", "valid")
	c.channelsLast()
	if c.err != nil {
		return in, c.err
	}
	h, w, ch, err := imageDims(in.shape)
	if err != nil {
		return in, err
	}
	oh, ow, pads, err := geometry(h, w, size, strides, padding)
	if err != nil {
		return in, err
	}
	x, err := b.channelsFirst(scope, in)
	if err != nil {
		return in, err
	}
	attrs := []*onnxpb.AttributeProto{attrInts("kernel_shape", size[0], size[1]), attrInts("strides", strides[0], strides[1]), attrInts("pads", pads...)}
	if op == "AveragePool" {
		attrs = append(attrs, attrInt("count_include_pad", 0))
	}
	out := value{name: b.node(scope, op, []string{x.name}, attrs...), nchw: true, shape: []int{oh, ow, ch}}
	if len(in.shape) == 2 {
		out.shape = []int{oh, ow}
	}
	return out, nil
}

// globalAveragePooling2D is (N, H, W, C) → (N, C): GlobalAveragePool over
// the channels-first tensor, then Flatten of its (N, C, 1, 1) output.
func (b *builder) globalAveragePooling2D(scope string, c *config, in value) (value, error) {
	c.channelsLast()
	if c.bool("keepdims", false) {
		c.fail(fmt.Errorf("keepdims=true is not supported"))
	}
	if c.err != nil {
		return in, c.err
	}
	if len(in.shape) != 3 {
		return in, fmt.Errorf("input shape %v, want (height, width, channels)", in.shape)
	}
	x, err := b.channelsFirst(scope, in)
	if err != nil {
		return in, err
	}
	y := b.node(scope, "GlobalAveragePool", []string{x.name})
	y = b.node(scope, "Flatten", []string{y}, attrInt("axis", 1))
	return value{name: y, shape: []int{in.shape[2]}}, nil
}

// batchNormalization is y = γ·(x − moving_mean)/√(moving_variance + ε) + β
// over Tailor's last axis, as ONNX's BatchNormalization, which normalises
// axis 1: images go channels-first, features (N, C) stay as they are, and
// any other rank has its last axis moved to 1 and back.
func (b *builder) batchNormalization(l layers.Layer, c *config, in value) (value, error) {
	scope := l.Name()
	if axis := c.ints("axis", []int{-1}); len(axis) != 1 || (axis[0] != -1 && axis[0] != len(in.shape)) {
		c.fail(fmt.Errorf("axis %v: only the last axis is supported", axis))
	}
	eps := c.float("epsilon", 1e-3)
	for _, key := range []string{"center", "scale"} {
		if !c.bool(key, true) {
			c.fail(fmt.Errorf("%s=false is not supported", key))
		}
	}
	if c.err != nil {
		return in, c.err
	}
	if len(in.shape) == 0 {
		return in, fmt.Errorf("input shape %v has no channels", in.shape)
	}
	ch := in.shape[len(in.shape)-1]
	var inputs []string
	for _, name := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
		wt, err := b.param(l, name, ch)
		if err != nil {
			return in, err
		}
		inputs = append(inputs, wt)
	}
	bn := func(x string) string {
		return b.node(scope, "BatchNormalization", append([]string{x}, inputs...), attrFloat("epsilon", float32(eps)))
	}
	r := len(in.shape)
	switch {
	case r == 3:
		x, err := b.channelsFirst(scope, in)
		if err != nil {
			return in, err
		}
		x.name = bn(x.name)
		return x, nil
	case r == 1:
		x := b.natural(scope, in)
		x.name = bn(x.name)
		return x, nil
	}
	x := b.natural(scope, in)
	perm, inv := []int{0, r}, []int{0}
	for i := 1; i < r; i++ {
		perm = append(perm, i)
	}
	for i := 2; i <= r; i++ {
		inv = append(inv, i)
	}
	inv = append(inv, 1)
	x.name = b.transpose(scope, bn(b.transpose(scope, x.name, perm...)), inv...)
	return x, nil
}
