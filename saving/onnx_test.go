package saving_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/internal/onnxpb"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/saving"
	"google.golang.org/protobuf/proto"
)

// decodeONNX parses an exported file with the generated ONNX protos.
func decodeONNX(t *testing.T, b []byte) *onnxpb.ModelProto {
	t.Helper()
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		t.Fatalf("the exported file is not an ONNX ModelProto: %v", err)
	}
	return &mp
}

// dims reads a graph input's or output's shape, "N" for a symbolic axis.
func dims(t *testing.T, vi *onnxpb.ValueInfoProto) []string {
	t.Helper()
	tt := vi.GetType().GetTensorType()
	if tt.GetElemType() != int32(onnxpb.TensorProto_FLOAT) {
		t.Errorf("%s has element type %d, want float32", vi.GetName(), tt.GetElemType())
	}
	var out []string
	for _, d := range tt.GetShape().GetDim() {
		if p := d.GetDimParam(); p != "" {
			out = append(out, p)
		} else {
			out = append(out, strconv.FormatInt(d.GetDimValue(), 10))
		}
	}
	return out
}

// TestExportONNXMetadataRoundTrip saves a model with the Fashion-MNIST
// Meta, loads it back as tailor export does, exports it and decodes the
// file: the class names and the preprocessing come back equal, and the
// graph's interface and weights are the model's.
func TestExportONNXMetadataRoundTrip(t *testing.T) {
	m := models.MLP()
	if err := m.SetSeed(4); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	meta := saving.FashionMNIST(fashionmnist.ClassNames())
	path := filepath.Join(t.TempDir(), "mlp.tailor")
	if err := saving.Save(path, m, meta); err != nil {
		t.Fatal(err)
	}
	loaded, loadedMeta, err := saving.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := saving.ExportONNX(loaded, &buf, saving.ONNXOptions{Meta: loadedMeta}); err != nil {
		t.Fatal(err)
	}
	mp := decodeONNX(t, buf.Bytes())

	props := map[string]string{}
	for _, p := range mp.GetMetadataProps() {
		props[p.GetKey()] = p.GetValue()
	}
	var names []string
	if err := json.Unmarshal([]byte(props[saving.MetaClassNames]), &names); err != nil {
		t.Fatalf("metadata %q = %q: %v", saving.MetaClassNames, props[saving.MetaClassNames], err)
	}
	if !reflect.DeepEqual(names, meta.ClassNames) {
		t.Errorf("class names %q, want %q", names, meta.ClassNames)
	}
	var pre saving.Preprocessing
	dec := json.NewDecoder(strings.NewReader(props[saving.MetaPreprocessing]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&pre); err != nil {
		t.Fatalf("metadata %q = %q: %v", saving.MetaPreprocessing, props[saving.MetaPreprocessing], err)
	}
	if pre != *meta.Preprocessing {
		t.Errorf("preprocessing %+v, want %+v", pre, *meta.Preprocessing)
	}
	if len(props) != 2 {
		t.Errorf("metadata %v, want only %s and %s", props, saving.MetaClassNames, saving.MetaPreprocessing)
	}

	if got := mp.GetOpsetImport(); len(got) != 1 || got[0].GetDomain() != "" || got[0].GetVersion() != 17 {
		t.Errorf("opset imports %v, want the default domain at 17", got)
	}
	if v := mp.GetIrVersion(); v != 8 {
		t.Errorf("IR version %d, want 8 (ONNX 1.12's, which carries opset 17)", v)
	}
	if mp.GetProducerName() != "tailor" || mp.GetProducerVersion() == "" {
		t.Errorf("producer %q %q, want tailor and a version", mp.GetProducerName(), mp.GetProducerVersion())
	}
	g := mp.GetGraph()
	if len(g.GetInput()) != 1 || g.GetInput()[0].GetName() != "input" || !reflect.DeepEqual(dims(t, g.GetInput()[0]), []string{"N", "28", "28"}) {
		t.Errorf("graph inputs %v, want input [N 28 28]", g.GetInput())
	}
	if len(g.GetOutput()) != 1 || g.GetOutput()[0].GetName() != "probabilities" || !reflect.DeepEqual(dims(t, g.GetOutput()[0]), []string{"N", "10"}) {
		t.Errorf("graph outputs %v, want probabilities [N 10]", g.GetOutput())
	}
	// Flatten of (28, 28) keeps Tailor's order, so every weight is the
	// model's, value for value.
	inits := map[string]*onnxpb.TensorProto{}
	for _, init := range g.GetInitializer() {
		inits[init.GetName()] = init
	}
	for _, l := range m.Layers() {
		for _, p := range l.Params() {
			name := l.Name() + "/" + p.Name
			init, ok := inits[name]
			if !ok {
				t.Errorf("no initializer %s", name)
				continue
			}
			raw := init.GetRawData()
			if len(raw) != 4*len(p.Value.Data) {
				t.Errorf("%s: %d bytes, want %d", name, len(raw), 4*len(p.Value.Data))
				continue
			}
			for i, v := range p.Value.Data {
				if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != v {
					t.Errorf("%s[%d] = %v, want %v", name, i, got, v)
					break
				}
			}
		}
	}
}

// TestExportONNXWithoutMeta leaves the metadata out, and refuses class
// names that do not match the outputs.
func TestExportONNXWithoutMeta(t *testing.T) {
	m := models.MLP()
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := saving.ExportONNX(m, &buf, saving.ONNXOptions{Opset: 13}); err != nil {
		t.Fatal(err)
	}
	mp := decodeONNX(t, buf.Bytes())
	if len(mp.GetMetadataProps()) != 0 || mp.GetOpsetImport()[0].GetVersion() != 13 {
		t.Errorf("metadata %v and opset %v, want none and 13", mp.GetMetadataProps(), mp.GetOpsetImport())
	}
	err := saving.ExportONNX(m, &buf, saving.ONNXOptions{Meta: saving.Meta{ClassNames: []string{"a", "b"}}})
	if err == nil || !strings.Contains(err.Error(), "2 class names") {
		t.Errorf("two class names for ten outputs: error %v, want one saying so", err)
	}
}
