package layers

import (
	"fmt"

	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/tensor"
)

// PoolOptions are the keyword arguments of MaxPooling2D and
// AveragePooling2D; the zero value is Keras's default.
type PoolOptions struct {
	// Strides is the step of the window, the pool size when zero.
	Strides [2]int
	// Padding is Valid (the default) or Same; padded positions never win a
	// maximum and do not count towards an average.
	Padding Padding
}

// pool2D is what max and average pooling share: the configuration and the
// window geometry.
type pool2D struct {
	named
	noParams
	poolSize, strides [2]int
	padding           Padding
	g                 kernels.ConvGeom
	in                tensor.Shape
}

func newPool2D(poolSize [2]int, opts []PoolOptions) pool2D {
	var o PoolOptions
	if len(opts) > 0 {
		o = opts[len(opts)-1]
	}
	if o.Strides == [2]int{} {
		o.Strides = poolSize
	}
	return pool2D{poolSize: poolSize, strides: o.Strides, padding: o.Padding.orDefault()}
}

func (p *pool2D) build(kind string, in tensor.Shape) (tensor.Shape, error) {
	if err := p.padding.validate(); err != nil {
		return nil, fmt.Errorf("%s %q: %w", kind, p.name, err)
	}
	h, w, c, err := imageShape(in)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", kind, p.name, err)
	}
	p.g, err = kernels.NewConvGeom(h, w, c, p.poolSize[0], p.poolSize[1], p.strides[0], p.strides[1], p.padding == Same)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", kind, p.name, err)
	}
	p.in = append(p.in[:0], in...)
	if len(in) == 2 {
		return tensor.Shape{p.g.OH, p.g.OW}, nil
	}
	return tensor.Shape{p.g.OH, p.g.OW, c}, nil
}

// resizeOut gives out the batch's output shape: rank-2 images stay rank 2.
func (p *pool2D) resizeOut(out *tensor.Tensor, b int) {
	if len(p.in) == 2 {
		out.Resize(b, p.g.OH, p.g.OW)
	} else {
		out.Resize(b, p.g.OH, p.g.OW, p.g.C)
	}
}

// Config returns pool_size, strides, padding and data_format.
func (p *pool2D) Config() map[string]any {
	return map[string]any{
		"name": p.name, "pool_size": []int{p.poolSize[0], p.poolSize[1]},
		"strides": []int{p.strides[0], p.strides[1]}, "padding": string(p.padding),
		"data_format": "channels_last",
	}
}

// MaxPooling2DLayer takes the maximum of each channel over every window:
// y[b, i, j, c] = max_{di, dj} x[b, i·sh+di, j·sw+dj, c], for x (B, H, W, C)
// and y (B, OH, OW, C).
type MaxPooling2DLayer struct {
	pool2D
	reluBefore bool // its input is a ReLU's output, whose derivative Backward applies (Fuse)
}

// maxPoolState is one call's buffers and its input, in which Backward
// finds the maxima.
type maxPoolState struct {
	x       *tensor.Tensor
	out, dx tensor.Tensor
}

// MaxPooling2D returns a max-pooling layer over windows of poolSize
// (rows, columns), moving by the pool size and without padding unless
// opts says otherwise.
func MaxPooling2D(poolSize [2]int, opts ...PoolOptions) *MaxPooling2DLayer {
	return &MaxPooling2DLayer{pool2D: newPool2D(poolSize, opts)}
}

// Type returns "MaxPooling2D".
func (p *MaxPooling2DLayer) Type() string { return "MaxPooling2D" }

// Build checks the input shape (H, W, C) or (H, W) and returns the pooled
// one.
func (p *MaxPooling2DLayer) Build(in tensor.Shape, _ *params.Builder) (tensor.Shape, error) {
	return p.build("max_pooling2d", in)
}

// NewState returns an empty state.
func (p *MaxPooling2DLayer) NewState() State { return &maxPoolState{} }

// Forward pools x.
func (p *MaxPooling2DLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[maxPoolState](s, "MaxPooling2D")
	b := x.Len()
	st.x = x
	p.resizeOut(&st.out, b)
	kernels.MaxPool2D(st.out.Data, x.Data, b, &p.g)
	return &st.out
}

// Backward routes each dy to the input that was the maximum of its window
// (the first, on ties); every other input gets zero. After a Conv2D with a
// ReLU (Fuse), it also applies ReLU's derivative.
func (p *MaxPooling2DLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	st := stateOf[maxPoolState](s, "MaxPooling2D")
	b := dy.Len()
	resizeBatch(&st.dx, b, p.in)
	if p.reluBefore {
		kernels.MaxPool2DReluBackward(st.dx.Data, dy.Data, st.x.Data, st.out.Data, b, &p.g)
	} else {
		kernels.MaxPool2DBackward(st.dx.Data, dy.Data, st.x.Data, st.out.Data, b, &p.g)
	}
	return &st.dx
}

// AveragePooling2DLayer takes the mean of each channel over every window,
// counting only positions inside the image: for x (B, H, W, C), y is
// (B, OH, OW, C).
type AveragePooling2DLayer struct{ pool2D }

// AveragePooling2D returns an average-pooling layer over windows of
// poolSize (rows, columns), moving by the pool size and without padding
// unless opts says otherwise.
func AveragePooling2D(poolSize [2]int, opts ...PoolOptions) *AveragePooling2DLayer {
	return &AveragePooling2DLayer{pool2D: newPool2D(poolSize, opts)}
}

// Type returns "AveragePooling2D".
func (p *AveragePooling2DLayer) Type() string { return "AveragePooling2D" }

// Build checks the input shape (H, W, C) or (H, W) and returns the pooled
// one.
func (p *AveragePooling2DLayer) Build(in tensor.Shape, _ *params.Builder) (tensor.Shape, error) {
	return p.build("average_pooling2d", in)
}

// NewState returns an empty state.
func (p *AveragePooling2DLayer) NewState() State { return &outState{} }

// Forward averages x over every window.
func (p *AveragePooling2DLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[outState](s, "AveragePooling2D")
	b := x.Len()
	p.resizeOut(&st.out, b)
	kernels.AvgPool2D(st.out.Data, x.Data, b, &p.g)
	return &st.out
}

// Backward shares each dy equally among the inputs of its window.
func (p *AveragePooling2DLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	st := stateOf[outState](s, "AveragePooling2D")
	b := dy.Len()
	resizeBatch(&st.dx, b, p.in)
	kernels.AvgPool2DBackward(st.dx.Data, dy.Data, b, &p.g)
	return &st.dx
}

// GlobalAveragePooling2DLayer averages each channel over all positions:
// x (B, H, W, C) becomes y (B, C).
type GlobalAveragePooling2DLayer struct {
	named
	noParams
	in   tensor.Shape
	p, c int
}

// GlobalAveragePooling2D returns a global average-pooling layer.
func GlobalAveragePooling2D() *GlobalAveragePooling2DLayer {
	return &GlobalAveragePooling2DLayer{}
}

// Type returns "GlobalAveragePooling2D".
func (p *GlobalAveragePooling2DLayer) Type() string { return "GlobalAveragePooling2D" }

// Build checks the input shape (H, W, C) and returns (C,).
func (p *GlobalAveragePooling2DLayer) Build(in tensor.Shape, _ *params.Builder) (tensor.Shape, error) {
	if err := checkShape("global_average_pooling2d", p.name, "input", in); err != nil {
		return nil, err
	}
	if len(in) != 3 || in.Size() <= 0 {
		return nil, fmt.Errorf("global_average_pooling2d %q: input shape %v, want (height, width, channels)", p.name, in)
	}
	p.in = append(p.in[:0], in...)
	p.p, p.c = in[0]*in[1], in[2]
	return tensor.Shape{p.c}, nil
}

// NewState returns an empty state.
func (p *GlobalAveragePooling2DLayer) NewState() State { return &outState{} }

// Forward averages x over its H·W positions.
func (p *GlobalAveragePooling2DLayer) Forward(s State, x *tensor.Tensor, training bool) *tensor.Tensor {
	st := stateOf[outState](s, "GlobalAveragePooling2D")
	b := x.Len()
	st.out.Resize(b, p.c)
	kernels.GlobalAvgPool(st.out.Data, x.Data, b, p.p, p.c)
	return &st.out
}

// Backward spreads dy / (H·W) over every position.
func (p *GlobalAveragePooling2DLayer) Backward(s State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	if !needInputGrad {
		return nil
	}
	st := stateOf[outState](s, "GlobalAveragePooling2D")
	b := dy.Len()
	resizeBatch(&st.dx, b, p.in)
	kernels.GlobalAvgPoolBackward(st.dx.Data, dy.Data, b, p.p, p.c)
	return &st.dx
}

// Config returns data_format and keepdims (always false).
func (p *GlobalAveragePooling2DLayer) Config() map[string]any {
	return map[string]any{"name": p.name, "data_format": "channels_last", "keepdims": false}
}
