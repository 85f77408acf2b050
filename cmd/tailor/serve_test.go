package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/internal/testenv"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/saving"
)

// lines is an io.Writer that hands each complete line to a channel.
type lines struct {
	mu  sync.Mutex
	buf []byte
	all strings.Builder
	ch  chan string
}

func (l *lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all.Write(b)
	l.buf = append(l.buf, b...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		select {
		case l.ch <- string(l.buf[:i]):
		default:
		}
		l.buf = l.buf[i+1:]
	}
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}

var servingLine = regexp.MustCompile(`^serving .* on (http://[^/]+)/`)

// startServe runs tailor serve in-process on a free port and returns its
// URL, its output, and a function that stops it (as SIGINT would) and
// returns its exit status.
func startServe(t *testing.T, args ...string) (string, *lines, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lines{ch: make(chan string, 16)}
	var errOut bytes.Buffer
	var mu sync.Mutex
	done := make(chan int, 1)
	go func() {
		code := run(ctx, &env{stdout: out, stderr: &lockedWriter{w: &errOut, mu: &mu}}, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
		done <- code
	}()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case line := <-out.ch:
			if m := servingLine.FindStringSubmatch(line); m != nil {
				stopped := false
				var code int
				stop := func() int {
					if !stopped {
						cancel()
						code = <-done
						stopped = true
					}
					return code
				}
				t.Cleanup(func() { stop() })
				return m[1], out, stop
			}
		case code := <-done:
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("tailor serve exited %d: %s%s", code, out, errOut.String())
		case <-deadline:
			cancel()
			t.Fatalf("tailor serve did not start: %s", out)
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// untrainedMLP saves a built, untrained tutorial MLP (compiled, as tailor
// train saves it) with the Fashion-MNIST metadata as dir/name.tailor.
func untrainedMLP(t *testing.T, dir, name string) string {
	t.Helper()
	m := models.MLP()
	if err := m.SetSeed(5); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	if !m.Built() {
		if err := m.Build(28, 28); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name+".tailor")
	if err := saving.Save(path, m, saving.FashionMNIST(fashionmnist.ClassNames())); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeV2ClientMatchesPredict trains a model with tailor train, serves
// it with tailor serve, and runs scripts/v2_client.py — a client of the
// protocol written from its documentation, in Python's standard library —
// against it: the probabilities it gets for test images (as UINT8 and as
// FP32) and for a PNG file must be those tailor predict prints. Then the
// server is stopped as SIGINT would stop it.
func TestServeV2ClientMatchesPredict(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains on the real dataset")
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		testenv.Missing(t, "python3 is not on the PATH (Debian: apt-get install python3), so the independent v2 client cannot run")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "mlp.tailor")
	if code, _, errOut := runCLI(t, "train", "--epochs", "1", "--train-limit", "5000", "--seed", "2", "--quiet", "--out", model); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	url, out, stop := startServe(t, model)
	if !strings.Contains(out.String(), "mlp: test accuracy 0.") {
		t.Errorf("tailor serve did not score the model on the test split: %s", out)
	}

	_, test, err := fashionmnist.LoadData(context.Background(), fashionmnist.Options{NoDownload: true})
	if err != nil {
		t.Fatal(err)
	}
	// A PNG of test image 7, twice as large, for both the client and predict.
	img := image.NewGray(image.Rect(0, 0, 56, 56))
	for y := range 56 {
		for x := range 56 {
			img.Pix[y*56+x] = test.Image(7)[(y/2)*28+x/2]
		}
	}
	pngPath := filepath.Join(dir, "seven.png")
	var buf bytes.Buffer
	png.Encode(&buf, img)
	if err := os.WriteFile(pngPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	indices := []string{"0", "1", "2", "42", "9999"}
	cmd := exec.Command(python, append([]string{filepath.Join("..", "..", "scripts", "v2_client.py"),
		"--url", url, "--model", "mlp", "--image", pngPath,
		"--images", filepath.Join(fashionmnist.DefaultSystemDir, "t10k-images-idx3-ubyte.gz"), "--index"}, indices...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("v2_client.py: %v: %s", err, stderr.String())
	}
	var got struct {
		Model string      `json:"model"`
		UINT8 [][]float64 `json:"uint8"`
		FP32  [][]float64 `json:"fp32"`
		Image []float64   `json:"image"`
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("v2_client.py printed %q: %v", stdout, err)
	}
	if got.Model != "mlp" || len(got.UINT8) != len(indices) || len(got.FP32) != len(indices) || len(got.Image) != 10 {
		t.Fatalf("v2_client.py printed %s", stdout)
	}

	for i, index := range indices {
		want := predicted(t, model, "--index", index)
		for c := range 10 {
			// UINT8: the server scales the pixels exactly as tailor
			// predict does, so the probabilities are the same float32s.
			if float32(got.UINT8[i][c]) != want[c] {
				t.Errorf("image %s class %d: UINT8 client %v, tailor predict %v", index, c, got.UINT8[i][c], want[c])
			}
			// FP32: Python's pixel/255 rounds in float64, then the server
			// rounds to float32: the inputs may differ in their last bit.
			if math.Abs(got.FP32[i][c]-float64(want[c])) > 1e-6 {
				t.Errorf("image %s class %d: FP32 client %v, tailor predict %v", index, c, got.FP32[i][c], want[c])
			}
		}
	}
	want := predicted(t, model, pngPath)
	for c := range 10 {
		if float32(got.Image[c]) != want[c] {
			t.Errorf("%s class %d: classify %v, tailor predict %v", pngPath, c, got.Image[c], want[c])
		}
	}

	if code := stop(); code != 0 {
		t.Errorf("tailor serve exited %d after SIGINT, want 0: %s", code, out)
	}
	if !strings.Contains(out.String(), "shut down: every request in flight was answered") {
		t.Errorf("tailor serve's output lacks its shutdown: %s", out)
	}
	if _, err := http.Get(url + "/v2/health/live"); err == nil {
		t.Error("the server still answers after it stopped")
	}
}

// predicted runs tailor predict --top 10 --json and returns the
// probabilities of all ten classes by class.
func predicted(t *testing.T, model string, args ...string) []float32 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.json")
	if code, _, errOut := runCLI(t, append([]string{"predict", model, "--top", "10", "--json", path}, args...)...); code != 0 {
		t.Fatalf("predict %v: exit %d: %s", args, code, errOut)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var preds []prediction
	if err := json.Unmarshal(b, &preds); err != nil || len(preds) != 1 || len(preds[0].Top) != 10 {
		t.Fatalf("predict --json: %s (%v)", b, err)
	}
	out := make([]float32, 10)
	for _, c := range preds[0].Top {
		out[c.Class] = float32(c.Probability)
	}
	return out
}

// TestServeCommandLine checks tailor serve's arguments and that models
// without a test set get cards saying "not measured".
func TestServeCommandLine(t *testing.T) {
	dir := t.TempDir()
	a := untrainedMLP(t, dir, "a")
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	twin := untrainedMLP(t, other, "a")
	spaced := untrainedMLP(t, dir, "my model")
	for _, tc := range []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"serve"}, 2, "want at least one model file"},
		{[]string{"serve", a, "--max-body", "lots"}, 1, `--max-body "lots": want a positive number of bytes`},
		{[]string{"serve", a, "--max-batch", "0"}, 1, "--max-batch 0: want at least 1"},
		{[]string{"serve", a, "--read-timeout", "0"}, 1, "--read-timeout 0s: want a positive duration"},
		{[]string{"serve", a, "--write-timeout", "-5s"}, 1, "--write-timeout -5s: want a positive duration"},
		{[]string{"serve", a, "--shutdown-timeout", "0s"}, 1, "--shutdown-timeout 0s: want a positive duration"},
		{[]string{"serve", filepath.Join(dir, "missing.tailor")}, 1, "missing.tailor"},
		{[]string{"serve", a, twin, "--data", dir}, 1, `two models named "a"`},
		{[]string{"serve", a, twin, "--data", dir}, 1, a + " and " + twin + `: two models named "a" (a model's name is its file's without the extension): rename one`},
		{[]string{"serve", spaced, "--data", dir}, 1, "tailor serve: " + spaced + `: model name "my model" (the file's name without its extension): want letters, digits`},
		{[]string{"serve", a, "--addr", "256.1.1.1:99999", "--data", dir}, 1, "256.1.1.1"},
		{[]string{"serve", "--help"}, 0, "--max-inflight"},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.contains) {
			t.Errorf("tailor %v: exit %d, output %q; want exit %d and %q", tc.args, code, out+errOut, tc.code, tc.contains)
		}
	}
	for _, tc := range []struct {
		in   string
		want int64
	}{{"8MiB", 8 << 20}, {"512KiB", 512 << 10}, {"100", 100}} {
		if n, err := parseBytes(tc.in); err != nil || n != tc.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", tc.in, n, err, tc.want)
		}
	}

	// A model of 4×4 inputs cannot be scored on Fashion-MNIST: its card
	// says "not measured".
	small := tailor.Sequential(layers.Flatten(4, 4), layers.Dense(10, activations.Softmax))
	if err := small.Build(4, 4); err != nil {
		t.Fatal(err)
	}
	smallPath := filepath.Join(dir, "small.tailor")
	if err := saving.Save(smallPath, small, saving.FashionMNIST(fashionmnist.ClassNames())); err != nil {
		t.Fatal(err)
	}
	url, out, stop := startServe(t, smallPath, "--max-batch", "1")
	res, err := http.Get(url + "/v1/models/small/card")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(b), `"test":null`) || !strings.Contains(string(b), `"version":"`) {
		t.Errorf("card without a test set: %s", b)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit %d: %s", code, out)
	}
	if strings.Contains(out.String(), "test accuracy 0.") {
		t.Errorf("scored without a test set: %s", out)
	}
}

// TestLoadVersioned: a served model's version is the SHA-256 of the very
// file it was loaded from, a directory or a damaged file is refused naming
// its path.
func TestLoadVersioned(t *testing.T) {
	dir := t.TempDir()
	path := untrainedMLP(t, dir, "mlp")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, meta, version, err := loadVersioned(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("%x", sha256.Sum256(b)); version != want {
		t.Errorf("version %s, want the file's SHA-256 %s", version, want)
	}
	if trainable, _ := m.CountParams(); trainable != 101770 || len(meta.ClassNames) != 10 {
		t.Errorf("loaded %d parameters and %d class names, want the MLP's 101770 and 10", trainable, len(meta.ClassNames))
	}
	if _, _, _, err := loadVersioned(dir); err == nil || !strings.Contains(err.Error(), dir+": not a regular file") {
		t.Errorf("a directory: %v, want it refused as not a regular file", err)
	}
	bad := filepath.Join(dir, "bad.tailor")
	if err := os.WriteFile(bad, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := loadVersioned(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("half a model file: %v, want an error naming %s", err, bad)
	}
}

// TestServeShutdownTimeout interrupts tailor serve while a client is
// still sending a request's body: after --shutdown-timeout the server
// closes the connection, and says so, rather than that nothing was
// written.
func TestServeShutdownTimeout(t *testing.T) {
	model := untrainedMLP(t, t.TempDir(), "mlp")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lines{ch: make(chan string, 16)}
	var errOut bytes.Buffer
	var mu sync.Mutex
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdout: out, stderr: &lockedWriter{w: &errOut, mu: &mu}},
			[]string{"serve", model, "--addr", "127.0.0.1:0", "--shutdown-timeout", "100ms", "--data", t.TempDir()})
	}()
	var addr string
	for addr == "" {
		select {
		case line := <-out.ch:
			if m := servingLine.FindStringSubmatch(line); m != nil {
				addr = strings.TrimPrefix(m[1], "http://")
			}
		case code := <-done:
			t.Fatalf("tailor serve exited %d: %s", code, out)
		}
	}
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// A request whose body never arrives in full.
	if _, err := fmt.Fprintf(conn, "POST /v2/models/mlp/infer HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"inputs\":", addr); err != nil {
		t.Fatal(err)
	}
	// The server has the request once it answers another on the same
	// server; then interrupt it.
	res, err := http.Get("http://" + addr + "/v2/health/live")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cancel()
	code := <-done
	mu.Lock()
	stderr := errOut.String()
	mu.Unlock()
	if code != 130 || !strings.Contains(stderr, "tailor serve: interrupted; requests still in flight after 100ms; their connections were closed") {
		t.Errorf("exit %d, stderr %q; want 130 and that the requests in flight were cut", code, stderr)
	}
	if strings.Contains(out.String(), "every request in flight was answered") {
		t.Errorf("stdout says every request was answered: %s", out)
	}
}
