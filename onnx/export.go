package onnx

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime/debug"
	"slices"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/internal/onnxpb"
	"google.golang.org/protobuf/proto"
)

// The names of the graph's input and output.
const (
	InputName  = "input"
	OutputName = "probabilities"
)

// Operator sets Export writes.
const (
	// DefaultOpset is the operator set written when Options.Opset is zero:
	// the newest that Debian's python3-onnx 1.12 checks, which every
	// ONNX Runtime since 1.12 runs.
	DefaultOpset = 17
	// MinOpset and MaxOpset bound Options.Opset: every operator Export
	// writes means the same from 13 to 21.
	MinOpset = 13
	MaxOpset = 21
)

// irVersion is the lowest IR version that carries the operator set
// (MinOpset to MaxOpset), so that older runtimes accept the file.
func irVersion(opset int) int64 {
	switch {
	case opset <= 14:
		return 7 // ONNX 1.8, 1.9
	case opset <= 18:
		return 8 // ONNX 1.10 to 1.13
	case opset <= 20:
		return 9 // ONNX 1.14, 1.15
	}
	return 10 // ONNX 1.16
}

// maxProtoBytes is protobuf's limit on one message, which an ONNX file
// without external data must fit in: the whole encoded model, weights,
// names, graph and metadata.
const maxProtoBytes = 1<<31 - 1

// Options are Export's settings; the zero value writes opset 17 with no
// metadata.
type Options struct {
	// Opset is the ONNX operator set version, DefaultOpset when zero.
	Opset int
	// Metadata is written as the model's metadata_props, in key order.
	Metadata map[string]string
	// ProducerVersion is recorded beside the producer name "tailor"; when
	// empty, the Tailor module's version from the build information
	// ("(devel)" in a source build).
	ProducerVersion string

	// maxBytes is the most the file may take, maxProtoBytes when zero
	// (tests lower it).
	maxBytes int
}

// ErrUnsupportedLayer is wrapped by the error Export returns for a layer
// type it cannot translate; the error names the layer and its type.
var ErrUnsupportedLayer = errors.New("no ONNX translation for this layer type (Tailor exports Dense, Activation, Flatten, Reshape, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, BatchNormalization, Dropout, RandomFlip, RandomTranslation and RandomErasing)")

// Export writes the inference graph of the built model m to w as an ONNX
// model (a serialized onnx.ModelProto): input "input", float32, of shape
// (N, m.InputShape()...), output "probabilities" of shape (N,
// m.OutputShape()...), every weight a float32 initializer. See the package
// documentation for how each layer translates.
func Export(w io.Writer, m *tailor.Model, opts Options) error {
	b, err := marshal(m, opts)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("onnx: writing the model: %w", err)
	}
	return nil
}

// marshal returns the bytes Export writes.
func marshal(m *tailor.Model, opts Options) ([]byte, error) {
	mp, err := build(m, opts)
	if err != nil {
		return nil, err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("onnx: encoding the model: %w", err)
	}
	return b, nil
}

// build makes the ONNX model of m.
func build(m *tailor.Model, opts Options) (*onnxpb.ModelProto, error) {
	if m == nil {
		return nil, errors.New("onnx: the model is nil")
	}
	if !m.Built() {
		return nil, errors.New("onnx: the model is not built: build it (Build, Compile with a declared input shape, or Load) before exporting")
	}
	opset := opts.Opset
	if opset == 0 {
		opset = DefaultOpset
	}
	if opset < MinOpset || opset > MaxOpset {
		return nil, fmt.Errorf("onnx: opset %d, want %d to %d", opset, MinOpset, MaxOpset)
	}
	b := newBuilder(opset)
	in := []int(m.InputShape())
	b.used[InputName], b.used[OutputName] = true, true
	v := value{name: InputName, shape: in}
	for _, l := range m.Layers() {
		var err error
		if v, err = b.translate(l, v); err != nil {
			return nil, fmt.Errorf("onnx: layer %q (type %s): %w", l.Name(), l.Type(), err)
		}
	}
	v = b.natural("output", v)
	if want := []int(m.OutputShape()); !slices.Equal(v.shape, want) {
		return nil, fmt.Errorf("onnx: the exported graph's output shape %v differs from the model's %v", v.shape, want)
	}
	if v.name == InputName || len(b.nodes) == 0 || b.nodes[len(b.nodes)-1].Output[0] != v.name {
		v.name = b.node("output", "Identity", []string{v.name})
	}
	b.nodes[len(b.nodes)-1].Output[0] = OutputName

	producer := opts.ProducerVersion
	if producer == "" {
		producer = moduleVersion()
	}
	var props []*onnxpb.StringStringEntryProto
	for _, k := range slices.Sorted(maps.Keys(opts.Metadata)) {
		props = append(props, &onnxpb.StringStringEntryProto{Key: proto.String(k), Value: proto.String(opts.Metadata[k])})
	}
	trainable, frozen := m.CountParams()
	mp := &onnxpb.ModelProto{
		IrVersion:       proto.Int64(irVersion(opset)),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(int64(opset))}},
		ProducerName:    proto.String("tailor"),
		ProducerVersion: proto.String(producer),
		DocString: proto.String(fmt.Sprintf("Tailor %s model %q: %d layers, %d weights (%d trainable), inference graph",
			"Sequential", m.Name(), len(m.Layers()), trainable+frozen, trainable)),
		Graph: &onnxpb.GraphProto{
			Name:        proto.String(m.Name()),
			Node:        b.nodes,
			Initializer: b.inits,
			Input:       []*onnxpb.ValueInfoProto{valueInfo(InputName, in)},
			Output:      []*onnxpb.ValueInfoProto{valueInfo(OutputName, v.shape)},
		},
		MetadataProps: props,
	}
	// the file is the encoded message, larger than the weights by the
	// names, the graph and the metadata: it is what must fit.
	limit := cmp.Or(opts.maxBytes, maxProtoBytes)
	if n := (proto.MarshalOptions{Deterministic: true}).Size(mp); n > limit {
		weights := 0
		for _, t := range b.inits {
			weights += len(t.RawData)
		}
		return nil, fmt.Errorf("onnx: the model would take %d bytes (%d of them float32 weights), more than the %d bytes (2 GiB) an ONNX file without external data can hold", n, weights, limit)
	}
	return mp, nil
}

// moduleVersion is the Tailor module's version in this binary's build
// information.
func moduleVersion() string {
	const path = "github.com/tailor-ml/tailor"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if bi.Main.Path == path && bi.Main.Version != "" {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			return d.Version
		}
	}
	return "(devel)"
}
