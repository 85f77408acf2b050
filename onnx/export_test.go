package onnx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/internal/onnxpb"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/models"
	"google.golang.org/protobuf/proto"
)

// userLayer stands for a layer type of the user's own: it computes what
// the layer it wraps computes, under a type name the exporter does not
// know.
type userLayer struct{ layers.Layer }

func (userLayer) Type() string { return "TimesTwo" }

func built(t *testing.T, m *tailor.Model, in ...int) *tailor.Model {
	t.Helper()
	if err := m.Build(in...); err != nil {
		t.Fatal(err)
	}
	return m
}

func decode(t *testing.T, m *tailor.Model, opts Options) *onnxpb.ModelProto {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(&buf, m, opts); err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(buf.Bytes(), &mp); err != nil {
		t.Fatal(err)
	}
	return &mp
}

func TestUnsupportedLayerIsNamed(t *testing.T) {
	m := built(t, tailor.Sequential(
		layers.Flatten(28, 28),
		userLayer{layers.Dropout(0)},
		layers.Dense(10, activations.Softmax),
	))
	var buf bytes.Buffer
	err := Export(&buf, m, Options{})
	if err == nil {
		t.Fatal("exporting a model with a user's layer succeeded")
	}
	name := m.Layers()[1].Name()
	if !strings.Contains(err.Error(), `layer "`+name+`"`) || !strings.Contains(err.Error(), "TimesTwo") || !errors.Is(err, ErrUnsupportedLayer) {
		t.Errorf("error %q, want one naming layer %q of type TimesTwo and wrapping ErrUnsupportedLayer", err, name)
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written before the error, want none", buf.Len())
	}
	t.Log(err)
}

func TestExportRefusesBadRequests(t *testing.T) {
	var buf bytes.Buffer
	if err := Export(&buf, models.MLP(), Options{}); err == nil || !strings.Contains(err.Error(), "not built") {
		t.Errorf("unbuilt model: error %v, want one saying it is not built", err)
	}
	m := built(t, models.MLP())
	for _, opset := range []int{12, 22, -1} {
		if err := Export(&buf, m, Options{Opset: opset}); err == nil || !strings.Contains(err.Error(), "opset") {
			t.Errorf("opset %d: error %v, want one naming the opset", opset, err)
		}
	}
	if err := Export(&buf, nil, Options{}); err == nil {
		t.Error("nil model: no error")
	}
}

func TestExportIsDeterministic(t *testing.T) {
	m := built(t, models.CNN())
	opts := Options{Metadata: map[string]string{"b": "2", "a": "1", "c": "3"}}
	var first, second bytes.Buffer
	if err := Export(&first, m, opts); err != nil {
		t.Fatal(err)
	}
	if err := Export(&second, m, opts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Error("two exports of the same model differ")
	}
	mp := decode(t, m, opts)
	var keys []string
	for _, p := range mp.GetMetadataProps() {
		keys = append(keys, p.GetKey())
	}
	if !reflect.DeepEqual(keys, []string{"a", "b", "c"}) {
		t.Errorf("metadata keys %v, want a b c in order", keys)
	}
}

// node returns the graph's nodes of the given type.
func nodes(mp *onnxpb.ModelProto, op string) []*onnxpb.NodeProto {
	var out []*onnxpb.NodeProto
	for _, n := range mp.GetGraph().GetNode() {
		if n.GetOpType() == op {
			out = append(out, n)
		}
	}
	return out
}

func attr(n *onnxpb.NodeProto, name string) *onnxpb.AttributeProto {
	for _, a := range n.GetAttribute() {
		if a.GetName() == name {
			return a
		}
	}
	return nil
}

// TestPaddingAndPoolingAttributes checks the window attributes that
// ONNX Runtime's comparison depends on, without it: Keras's same padding
// puts the odd row or column below and to the right, and average pooling
// counts only positions inside the image.
func TestPaddingAndPoolingAttributes(t *testing.T) {
	m := built(t, tailor.Sequential(
		layers.Conv2D(2, [2]int{2, 2}, layers.Conv2DOptions{Padding: layers.Same}),                             // 9×8: pads 0,0 / 1,1
		layers.Conv2D(2, [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same, Strides: [2]int{2, 2}}),      // 9×8 → 5×4: 1,0 / 1,1
		layers.AveragePooling2D([2]int{2, 2}, layers.PoolOptions{Padding: layers.Same, Strides: [2]int{1, 1}}), // 5×4: 0,0 / 1,1
		layers.MaxPooling2D([2]int{3, 3}),
	), 9, 8)
	mp := decode(t, m, Options{})
	convs := nodes(mp, "Conv")
	if len(convs) != 2 {
		t.Fatalf("%d Conv nodes, want 2", len(convs))
	}
	for i, want := range [][]int64{{0, 0, 1, 1}, {1, 0, 1, 1}} {
		if got := attr(convs[i], "pads").GetInts(); !reflect.DeepEqual(got, want) {
			t.Errorf("Conv %d pads %v, want %v (top, left, bottom, right)", i, got, want)
		}
	}
	if got := attr(convs[1], "strides").GetInts(); !reflect.DeepEqual(got, []int64{2, 2}) {
		t.Errorf("strides %v, want [2 2]", got)
	}
	avg := nodes(mp, "AveragePool")
	if len(avg) != 1 || attr(avg[0], "count_include_pad").GetI() != 0 || !reflect.DeepEqual(attr(avg[0], "pads").GetInts(), []int64{0, 0, 1, 1}) {
		t.Errorf("AveragePool %v, want count_include_pad 0 and pads [0 0 1 1]", avg)
	}
	mx := nodes(mp, "MaxPool")
	if len(mx) != 1 || !reflect.DeepEqual(attr(mx[0], "pads").GetInts(), []int64{0, 0, 0, 0}) || !reflect.DeepEqual(attr(mx[0], "kernel_shape").GetInts(), []int64{3, 3}) {
		t.Errorf("MaxPool %v, want a 3×3 window with no padding", mx)
	}
	// one channel (9, 8) enters channels-first by an Unsqueeze, and the
	// output leaves by a Transpose back to channels-last.
	g := mp.GetGraph().GetNode()
	if g[0].GetOpType() != "Unsqueeze" || g[len(g)-1].GetOpType() != "Transpose" || g[len(g)-1].GetOutput()[0] != OutputName {
		t.Errorf("the graph runs %s … %s → %v, want Unsqueeze … Transpose → probabilities", g[0].GetOpType(), g[len(g)-1].GetOpType(), g[len(g)-1].GetOutput())
	}
}

// TestMixedBFloat16ExportsFloat32Weights checks that best's mixed-precision
// convolutions carry their float32 kernels, transposed to (F, C, KH, KW),
// and that the Dense after Flatten has its rows in (c, h, w) order.
func TestMixedBFloat16ExportsFloat32Weights(t *testing.T) {
	m := built(t, models.Best())
	mp := decode(t, m, Options{})
	inits := map[string]*onnxpb.TensorProto{}
	for _, init := range mp.GetGraph().GetInitializer() {
		if init.GetDataType() != int32(onnxpb.TensorProto_FLOAT) && init.GetDataType() != int32(onnxpb.TensorProto_INT64) {
			t.Errorf("initializer %s has type %d, want float32 (or int64 for shapes)", init.GetName(), init.GetDataType())
		}
		inits[init.GetName()] = init
	}
	at := func(init *onnxpb.TensorProto, i int) float32 {
		return math.Float32frombits(binary.LittleEndian.Uint32(init.GetRawData()[4*i:]))
	}
	checked := 0
	for _, l := range m.Layers() {
		cfg := l.Config()
		for _, p := range l.Params() {
			init := inits[l.Name()+"/"+p.Name]
			if init == nil {
				t.Fatalf("no initializer for %s/%s", l.Name(), p.Name)
			}
			s := p.Value.Shape
			switch {
			case l.Type() == "Conv2D" && p.Name == "kernel":
				if cfg["dtype"] != "mixed_bfloat16" {
					t.Errorf("%s: dtype %v, the test expects best's mixed_bfloat16", l.Name(), cfg["dtype"])
				}
				kh, kw, c, f := s[0], s[1], s[2], s[3]
				if !reflect.DeepEqual(init.GetDims(), []int64{int64(f), int64(c), int64(kh), int64(kw)}) {
					t.Errorf("%s/kernel dims %v, want (F, C, KH, KW)", l.Name(), init.GetDims())
				}
				for i := 0; i < kh; i++ {
					for j := 0; j < kw; j++ {
						for ci := 0; ci < c; ci++ {
							for fi := 0; fi < f; fi++ {
								if got, want := at(init, ((fi*c+ci)*kh+i)*kw+j), p.Value.Data[((i*kw+j)*c+ci)*f+fi]; got != want {
									t.Fatalf("%s/kernel[%d,%d,%d,%d] = %v, want %v", l.Name(), fi, ci, i, j, got, want)
								}
							}
						}
					}
				}
				checked++
			case l.Name() == "dense" && p.Name == "kernel":
				// after the 7×7×128 map: ONNX row c·49 + hw is Tailor's hw·128 + c.
				units := s[1]
				for _, hw := range []int{0, 1, 48} {
					for _, c := range []int{0, 5, 127} {
						for _, u := range []int{0, 255} {
							if got, want := at(init, (c*49+hw)*units+u), p.Value.Data[(hw*128+c)*units+u]; got != want {
								t.Errorf("dense/kernel row for (c %d, hw %d), unit %d: %v, want %v", c, hw, u, got, want)
							}
						}
					}
				}
				checked++
			}
		}
	}
	if checked != 6 {
		t.Errorf("checked %d kernels, want best's 5 convolutions and its first Dense", checked)
	}
}

// reconfigured is a real layer that reports another type or configuration,
// as a damaged or foreign one might.
type reconfigured struct {
	layers.Layer
	typ string
	cfg map[string]any
}

func (r reconfigured) Type() string           { return r.typ }
func (r reconfigured) Config() map[string]any { return r.cfg }

func TestBadConfigsAreNamed(t *testing.T) {
	for _, tc := range []struct {
		typ      string
		cfg      map[string]any
		contains string
	}{
		{"Activation", map[string]any{"activation": "gelu"}, `activation "gelu" has no ONNX translation`},
		{"Activation", map[string]any{}, `no "activation"`},
		{"Dense", map[string]any{"units": "ten"}, `config "units" is ten, want an integer`},
		{"Dense", map[string]any{"units": 10, "use_bias": "yes"}, `config "use_bias" is string, want a boolean`},
		{"Dense", map[string]any{"units": 11}, `weight "kernel" has shape [784 10]`},
		{"Conv2D", map[string]any{"filters": 4, "kernel_size": []any{3.0, 3.0}}, "want images"},
		{"Reshape", map[string]any{"target_shape": []int{5, -1}}, "cannot reshape [784] to [5 -1]"},
		{"MaxPooling2D", map[string]any{"data_format": "channels_first"}, `data_format "channels_first", want channels_last`},
		{"Conv2D", map[string]any{"filters": 4, "kernel_size": 3, "dilation_rate": []int{2, 2}}, "dilation_rate [2 2]: only 1×1 is supported"},
		{"GlobalAveragePooling2D", map[string]any{"keepdims": true}, "keepdims=true is not supported"},
		{"BatchNormalization", map[string]any{"center": false}, "center=false is not supported"},
		{"BatchNormalization", map[string]any{"axis": 0}, "axis [0]: only the last axis is supported"},
	} {
		d := layers.Dense(10, activations.Softmax)
		d.SetName("dense")
		m := built(t, tailor.Sequential(layers.Flatten(28, 28), reconfigured{d, tc.typ, tc.cfg}))
		var buf bytes.Buffer
		err := Export(&buf, m, Options{})
		if err == nil || !strings.Contains(err.Error(), `layer "dense" (type `+tc.typ+`)`) || !strings.Contains(err.Error(), tc.contains) {
			t.Errorf("%s %v: error %v, want one naming the layer and saying %q", tc.typ, tc.cfg, err, tc.contains)
		}
	}
}

// TestSizeLimitCountsTheFile checks that the 2 GiB limit applies to the
// encoded model, not to its weights alone: with the limit lowered to
// between the weights' bytes and the file's (a long metadata value, the
// names and the graph making the difference), the export is refused, and
// at exactly the file's size it is written.
func TestSizeLimitCountsTheFile(t *testing.T) {
	m := built(t, models.MLP())
	opts := Options{Metadata: map[string]string{"class_names": strings.Repeat("x", 1<<20)}}
	var buf bytes.Buffer
	if err := Export(&buf, m, opts); err != nil {
		t.Fatal(err)
	}
	file := buf.Len()
	trainable, frozen := m.CountParams()
	weights := 4 * (trainable + frozen)
	if file <= weights+1<<20 {
		t.Fatalf("the file takes %d bytes, the weights %d: want the metadata's MiB on top", file, weights)
	}
	for _, limit := range []int{weights + 1000, file - 1} {
		opts.maxBytes = limit
		buf.Reset()
		err := Export(&buf, m, opts)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("would take %d bytes", file)) {
			t.Errorf("limit %d, weights %d bytes, file %d: error %v, want one giving the file's size", limit, weights, file, err)
		}
		if buf.Len() != 0 {
			t.Errorf("limit %d: %d bytes written, want none", limit, buf.Len())
		}
	}
	opts.maxBytes = file
	buf.Reset()
	if err := Export(&buf, m, opts); err != nil || buf.Len() != file {
		t.Errorf("limit %d, the file's size: error %v, %d bytes written, want the file", file, err, buf.Len())
	}
}
