package onnx_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/internal/testenv"
	"github.com/tailor-ml/tailor/onnx"
	"github.com/tailor-ml/tailor/tensor"
)

// The external checks: ONNX Runtime through onnxruntime-node, and ONNX's
// own checker through Debian's python3-onnx. .ci/run installs both:
//
//	apt-get install python3-onnx nodejs npm
//	npm install --prefix onnx/testdata --ignore-scripts --no-save onnxruntime-node@1.30.0
const ortInstall = "npm install --prefix onnx/testdata --ignore-scripts --no-save onnxruntime-node@1.30.0 (as .ci/run does)"

// needORT returns the node binary, or skips t saying what is missing.
func needORT(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		testenv.Missing(t, "ONNX Runtime checks skipped: node (Node.js) is not on the PATH; install Node.js and then "+ortInstall)
	}
	if _, err := os.Stat(filepath.Join("testdata", "node_modules", "onnxruntime-node", "package.json")); err != nil {
		testenv.Missing(t, "ONNX Runtime checks skipped: onnxruntime-node is not installed in onnx/testdata/node_modules; run "+ortInstall)
	}
	return node
}

// findChecker returns a python3 that imports onnx (Debian's python3-onnx
// installs it for /usr/bin/python3), or "".
func findChecker() string {
	var candidates []string
	if p := os.Getenv("TAILOR_PYTHON"); p != "" {
		candidates = append(candidates, p)
	}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	candidates = append(candidates, "/usr/bin/python3")
	for _, p := range candidates {
		if exec.Command(p, "-c", "import onnx.checker").Run() == nil {
			return p
		}
	}
	return ""
}

// checkerScript validates a file with onnx.checker (full_check also runs
// strict shape inference) and prints its opset and node count.
const checkerScript = `
import sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
print("onnx", onnx.__version__, "check_model ok: opset", m.opset_import[0].version, "ir", m.ir_version, "nodes", len(m.graph.node))
`

// checkModel runs ONNX's checker on the file at path in a subtest of t,
// which skips when python3-onnx is missing.
func checkModel(t *testing.T, path string) {
	t.Helper()
	t.Run("onnx.checker", func(t *testing.T) { runChecker(t, path) })
}

func runChecker(t *testing.T, path string) {
	t.Helper()
	python := findChecker()
	if python == "" {
		testenv.Missing(t, "onnx.checker skipped: no python3 imports onnx; install Debian's python3-onnx (as .ci/run does) or set TAILOR_PYTHON")
	}
	out, err := exec.Command(python, "-c", checkerScript, path).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx.checker.check_model(%s): %v\n%s", path, err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// ortResult is what ort_run.js prints.
type ortResult struct {
	InputNames  []string `json:"inputNames"`
	OutputNames []string `json:"outputNames"`
	OutputDims  []int    `json:"outputDims"`
	Seconds     float64  `json:"seconds"`
}

// runORT runs the ONNX model at path on x with ONNX Runtime and returns its
// output, of shape (N, outShape...).
func runORT(t *testing.T, node, path string, x *tensor.Tensor, outShape tensor.Shape) (*tensor.Tensor, ortResult) {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "input.f32"), filepath.Join(dir, "output.f32")
	raw := make([]byte, 4*len(x.Data))
	for i, v := range x.Data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(in, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{filepath.Join("testdata", "ort_run.js"), path, in, out}
	for _, d := range x.Shape {
		args = append(args, strconv.Itoa(d))
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ONNX Runtime on %s: %v\n%s", path, err, stderr.Bytes())
	}
	var res ortResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("ort_run.js printed %q: %v", stdout.Bytes(), err)
	}
	if len(res.InputNames) != 1 || res.InputNames[0] != onnx.InputName || len(res.OutputNames) != 1 || res.OutputNames[0] != onnx.OutputName {
		t.Errorf("ONNX Runtime sees inputs %v and outputs %v, want [%s] and [%s]", res.InputNames, res.OutputNames, onnx.InputName, onnx.OutputName)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	shape := append(tensor.Shape{x.Len()}, outShape...)
	y := tensor.New(shape...)
	if len(b) != 4*len(y.Data) {
		t.Fatalf("ONNX Runtime wrote %d bytes, want %d for shape %v", len(b), 4*len(y.Data), shape)
	}
	for i := range y.Data {
		y.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return y, res
}

// export writes m as ONNX into a temporary file and returns its path.
func export(t *testing.T, m *tailor.Model, opts onnx.Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := onnx.Export(&buf, m, opts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.onnx")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// agreement compares two (N, K) tensors of probabilities row by row.
type agreement struct {
	n       int
	maxDiff float64 // the largest |want − got| of any entry
	where   int     // the index of that entry
	agree   int     // rows whose argmaxes agree
	close   int     // rows that disagree but whose top two (in want) lie within tieTol
}

func compareRows(want, got *tensor.Tensor, tieTol float64) agreement {
	a := agreement{n: want.Len()}
	for i := range want.Data {
		if d := math.Abs(float64(want.Data[i]) - float64(got.Data[i])); d > a.maxDiff || math.IsNaN(d) {
			a.maxDiff, a.where = d, i
			if math.IsNaN(d) {
				a.maxDiff = math.Inf(1)
			}
		}
	}
	for i := 0; i < want.Len(); i++ {
		w, g := want.Row(i), got.Row(i)
		if tensor.Argmax(w) == tensor.Argmax(g) {
			a.agree++
			continue
		}
		if top2Gap(w) <= tieTol {
			a.close++
		}
	}
	return a
}

// top2Gap is the difference between the two largest entries.
func top2Gap(p []float32) float64 {
	first, second := math.Inf(-1), math.Inf(-1)
	for _, v := range p {
		switch f := float64(v); {
		case f > first:
			first, second = f, first
		case f > second:
			second = f
		}
	}
	return first - second
}

func (a agreement) String() string {
	return fmt.Sprintf("argmax agrees on %d of %d (%.4f%%; %d more within a near-tie), largest probability difference %.3g",
		a.agree, a.n, 100*float64(a.agree)/float64(a.n), a.close, a.maxDiff)
}
