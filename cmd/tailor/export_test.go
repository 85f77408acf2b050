package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/internal/onnxpb"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/saving"
	"google.golang.org/protobuf/proto"
)

// savedModel writes a built CNN with the Fashion-MNIST metadata to a model
// file and returns its path.
func savedModel(t *testing.T, dir string) string {
	t.Helper()
	m := models.RefCNN()
	if err := m.SetSeed(3); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ref.tailor")
	if err := saving.Save(path, m, saving.FashionMNIST(fashionmnist.ClassNames())); err != nil {
		t.Fatal(err)
	}
	return path
}

func readONNX(t *testing.T, path string) *onnxpb.ModelProto {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &mp
}

func TestExportWritesONNX(t *testing.T) {
	dir := t.TempDir()
	model := savedModel(t, dir)
	out := filepath.Join(dir, "ref.onnx")
	code, stdout, stderr := runCLI(t, "export", model, "-o", out, "--opset", "15")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `input "input" float32 [N, 28, 28], output "probabilities" [N, 10]`) {
		t.Errorf("output %q lacks the graph's interface", stdout)
	}
	mp := readONNX(t, out)
	if v := mp.GetOpsetImport()[0].GetVersion(); v != 15 {
		t.Errorf("opset %d, want 15", v)
	}
	var names []string
	for _, p := range mp.GetMetadataProps() {
		if p.GetKey() == saving.MetaClassNames {
			if err := json.Unmarshal([]byte(p.GetValue()), &names); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !reflect.DeepEqual(names, fashionmnist.ClassNames()) {
		t.Errorf("class names %q, want Fashion-MNIST's", names)
	}
	if g := mp.GetGraph(); len(nodesOf(g, "Conv")) != 2 || len(nodesOf(g, "Gemm")) != 2 {
		t.Errorf("graph %v, want ref-cnn's two Conv and two Gemm", g.GetNode())
	}

	// without -o, next to the model; the file is replaced whole.
	if code, _, stderr := runCLI(t, "export", model); code != 0 {
		t.Fatalf("export without -o: exit %d: %s", code, stderr)
	}
	if v := readONNX(t, out).GetOpsetImport()[0].GetVersion(); v != 17 {
		t.Errorf("default opset %d, want 17", v)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files in the directory, want the model and its export (no temporary files)", len(entries))
	}
}

func nodesOf(g *onnxpb.GraphProto, op string) []*onnxpb.NodeProto {
	var out []*onnxpb.NodeProto
	for _, n := range g.GetNode() {
		if n.GetOpType() == op {
			out = append(out, n)
		}
	}
	return out
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	model := savedModel(t, dir)
	missing := filepath.Join(dir, "missing.tailor")
	link := filepath.Join(dir, "link.onnx")
	if err := os.Symlink(filepath.Base(model), link); err != nil {
		t.Fatal(err)
	}
	// the default output, beside the model, is a directory here
	if err := os.Mkdir(strings.TrimSuffix(model, filepath.Ext(model))+".onnx", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"export"}, 2, "want exactly one model file"},
		{[]string{"export", model, "--opset", "12"}, 2, "--opset 12: want 13 to 21"},
		{[]string{"export", model, "-o", model}, 1, "which this command reads"},
		{[]string{"export", model, "-o", link}, 1, "link.onnx: it is " + model + ", which this command reads"},
		{[]string{"export", missing, "-o", filepath.Join(dir, "x.onnx")}, 1, "missing.tailor"},
		{[]string{"export", "--help"}, 0, "--opset"},
		{[]string{"export", model}, 1, "tailor export: the ONNX file (-o, by default beside the model): cannot write " + strings.TrimSuffix(model, filepath.Ext(model)) + ".onnx"},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.contains) {
			t.Errorf("tailor %v: exit %d, output %q; want exit %d and %q", tc.args, code, out+errOut, tc.code, tc.contains)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.onnx")); !os.IsNotExist(err) {
		t.Errorf("a failed export left x.onnx behind (%v)", err)
	}
	if _, _, err := saving.Load(model); err != nil {
		t.Errorf("after the refused exports: %v", err)
	}
}
