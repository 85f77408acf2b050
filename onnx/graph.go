package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tailor-ml/tailor/internal/onnxpb"
	"github.com/tailor-ml/tailor/layers"
	"google.golang.org/protobuf/proto"
)

// value is a tensor of the graph under construction: its ONNX name, the
// shape Tailor gives one example of it, and how its elements are laid out.
type value struct {
	name string
	// shape is Tailor's shape of one example, batch axis excluded: images
	// are (H, W, C), or (H, W) for one channel.
	shape []int
	// nchw says the tensor is channels-first: (N, C, H, W) for shape
	// (H, W, C), (N, 1, H, W) for shape (H, W). Otherwise it is (N,
	// shape...), as in Tailor.
	nchw bool
	// flatCHW, when set, says the tensor is a flattened (C, H, W) image
	// (Flatten of a channels-first tensor), shape is (H·W·C) and element
	// c·H·W + h·W + w holds Tailor's element (h·W + w)·C + c.
	flatCHW []int
}

// builder accumulates the nodes and initializers of a graph.
type builder struct {
	opset int
	nodes []*onnxpb.NodeProto
	inits []*onnxpb.TensorProto
	used  map[string]bool // every tensor and node name taken
}

func newBuilder(opset int) *builder {
	return &builder{opset: opset, used: map[string]bool{}}
}

// fresh returns base, or base_1, base_2, ... if base is taken, and takes it.
func (b *builder) fresh(base string) string {
	name := base
	for i := 1; b.used[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	b.used[name] = true
	return name
}

// node appends an operator named after scope and op, reading inputs, and
// returns the name of its one output.
func (b *builder) node(scope, op string, inputs []string, attrs ...*onnxpb.AttributeProto) string {
	name := b.fresh(scope + "/" + op)
	out := b.fresh(name + ":0")
	b.nodes = append(b.nodes, &onnxpb.NodeProto{
		Name: proto.String(name), OpType: proto.String(op),
		Input: inputs, Output: []string{out}, Attribute: attrs,
	})
	return out
}

// floats adds a float32 initializer and returns its name.
func (b *builder) floats(name string, dims []int, data []float32) string {
	name = b.fresh(name)
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	b.inits = append(b.inits, &onnxpb.TensorProto{
		Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
		Dims: int64s(dims), RawData: raw,
	})
	return name
}

// param adds the layer's weight name, which must have the given shape, as
// a float32 initializer named layer/name and returns that name.
func (b *builder) param(l layers.Layer, name string, shape ...int) (string, error) {
	data, err := weight(l, name, shape...)
	if err != nil {
		return "", err
	}
	return b.floats(l.Name()+"/"+name, shape, data), nil
}

// int64s adds a one-dimensional int64 initializer (a shape, a list of
// axes) and returns its name.
func (b *builder) int64s(name string, vals []int) string {
	name = b.fresh(name)
	b.inits = append(b.inits, &onnxpb.TensorProto{
		Name: proto.String(name), DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)),
		Dims: []int64{int64(len(vals))}, Int64Data: int64s(vals),
	})
	return name
}

func int64s(xs []int) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = int64(x)
	}
	return out
}

func attrInt(name string, v int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(int64(v))}
}

func attrInts(name string, v ...int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: int64s(v)}
}

func attrFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

// transpose permutes the axes of x.
func (b *builder) transpose(scope, x string, perm ...int) string {
	return b.node(scope, "Transpose", []string{x}, attrInts("perm", perm...))
}

// channelsFirst returns v laid out as (N, C, H, W), v being an image of
// shape (H, W, C) or (H, W).
func (b *builder) channelsFirst(scope string, v value) (value, error) {
	if len(v.shape) != 2 && len(v.shape) != 3 {
		return v, fmt.Errorf("input shape %v, want images (height, width, channels) or (height, width)", v.shape)
	}
	if v.nchw {
		return v, nil
	}
	v = b.natural(scope, v)
	if len(v.shape) == 2 {
		// (N, H, W) → (N, 1, H, W): the same elements in the same order.
		v.name = b.node(scope, "Unsqueeze", []string{v.name, b.int64s(scope+"/axes", []int{1})})
	} else {
		v.name = b.transpose(scope, v.name, 0, 3, 1, 2)
	}
	v.nchw = true
	return v, nil
}

// natural returns v laid out as Tailor lays it out, (N, shape...).
func (b *builder) natural(scope string, v value) value {
	switch {
	case v.nchw && len(v.shape) == 2:
		v.name = b.node(scope, "Squeeze", []string{v.name, b.int64s(scope+"/axes", []int{1})})
	case v.nchw:
		v.name = b.transpose(scope, v.name, 0, 2, 3, 1)
	case v.flatCHW != nil:
		// back to (N, C, H, W), channels-last, flattened again.
		chw := v.flatCHW
		x := b.node(scope, "Reshape", []string{v.name, b.int64s(scope+"/shape", []int{0, chw[0], chw[1], chw[2]})})
		x = b.transpose(scope, x, 0, 2, 3, 1)
		v.name = b.node(scope, "Flatten", []string{x}, attrInt("axis", 1))
	}
	v.nchw, v.flatCHW = false, nil
	return v
}

// channelAxis is the ONNX axis of Tailor's last axis in v's layout.
func channelAxis(v value) int {
	if v.nchw && len(v.shape) == 3 {
		return 1
	}
	return -1
}

// activate applies a Keras activation to v: element-wise ones in any
// layout, softmax along Tailor's last axis.
func (b *builder) activate(scope string, v value, activation string) (value, error) {
	switch activation {
	case "", "linear":
		return v, nil
	case "relu":
		v.name = b.node(scope, "Relu", []string{v.name})
	case "sigmoid":
		v.name = b.node(scope, "Sigmoid", []string{v.name})
	case "tanh":
		v.name = b.node(scope, "Tanh", []string{v.name})
	case "softmax":
		if v.flatCHW != nil {
			v = b.natural(scope, v)
		}
		v.name = b.node(scope, "Softmax", []string{v.name}, attrInt("axis", channelAxis(v)))
	default:
		return v, fmt.Errorf("activation %q has no ONNX translation (want linear, relu, sigmoid, tanh or softmax)", activation)
	}
	return v, nil
}

// valueInfo describes a float32 graph input or output of shape
// ("N", shape...).
func valueInfo(name string, shape []int) *onnxpb.ValueInfoProto {
	dims := []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}}
	for _, d := range shape {
		dims = append(dims, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
			Shape:    &onnxpb.TensorShapeProto{Dim: dims},
		}}},
	}
}
