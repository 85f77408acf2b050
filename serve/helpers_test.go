package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/report"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// fixture is the tutorial's MLP trained for two epochs on 30,000 images
// of the real Fashion-MNIST, once per test binary, with the test split and
// the card tailor serve would show.
type fixture struct {
	model   *tailor.Model
	meta    saving.Meta
	test    *fashionmnist.Dataset
	testX   *tensor.Tensor // the test images scaled by 1/255
	history *tailor.History
	card    *report.Report
}

var (
	fixtureOnce sync.Once
	theFixture  *fixture
	fixtureErr  error
)

// trained returns the fixture, training it on first use. It skips in
// -short mode; without the dataset (which .ci/run installs) it fails.
func trained(t testing.TB) *fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: trains an MLP on the real Fashion-MNIST")
	}
	fixtureOnce.Do(func() { theFixture, fixtureErr = train() })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return theFixture
}

func train() (*fixture, error) {
	ctx := context.Background()
	tr, test, err := fashionmnist.LoadData(ctx, fashionmnist.Options{NoDownload: true})
	if err != nil {
		return nil, err
	}
	x, _ := tensor.FromUint8(tr.Images, 1.0/255, tr.N, 28, 28)
	tx, _ := tensor.FromUint8(test.Images, 1.0/255, test.N, 28, 28)
	m := models.MLP()
	if err := m.SetSeed(1); err != nil {
		return nil, err
	}
	if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		return nil, err
	}
	h, err := fit(ctx, m, x.Slice(0, 30000), tr.Labels[:30000], 2)
	if err != nil {
		return nil, err
	}
	loss, err := evaluate(ctx, m, tx, test.Labels)
	if err != nil {
		return nil, err
	}
	classes, err := m.PredictClasses(ctx, tx, tailor.PredictOptions{})
	if err != nil {
		return nil, err
	}
	confusion := make([][]int, 10)
	for i := range confusion {
		confusion[i] = make([]int, 10)
	}
	right := 0
	for i, l := range test.Labels {
		confusion[l][classes[i]]++
		if classes[i] == int(l) {
			right++
		}
	}
	meta := saving.FashionMNIST(fashionmnist.ClassNames())
	meta.History = h
	card := &report.Report{
		History:    h,
		Settings:   []report.Setting{{Name: "recipe", Value: "mlp"}, {Name: "epochs", Value: "2"}},
		Test:       &report.Metrics{Split: "test", Examples: test.N, Loss: loss, Accuracy: float64(right) / float64(test.N), Confusion: confusion},
		ClassNames: fashionmnist.ClassNames(),
	}
	return &fixture{model: m, meta: meta, test: test, testX: tx, history: h, card: card}, nil
}

// fit is the one place these tests train a model.
func fit(ctx context.Context, m *tailor.Model, x *tensor.Tensor, labels []uint8, epochs int) (*tailor.History, error) {
	ds, err := datasets.WithLabels(x, labels)
	if err != nil {
		return nil, err
	}
	return m.Fit(ctx, ds, tailor.FitOptions{Epochs: epochs, Seed: 1, Verbose: tailor.Silent})
}

// evaluate is the one place these tests evaluate a model: its test loss.
func evaluate(ctx context.Context, m *tailor.Model, x *tensor.Tensor, labels []uint8) (float64, error) {
	ds, err := datasets.WithLabels(x, labels)
	if err != nil {
		return 0, err
	}
	loss, _, err := m.Evaluate(ctx, ds, tailor.EvaluateOptions{})
	return loss, err
}

// untrained returns a built, untrained MLP with the Fashion-MNIST
// metadata: enough for tests of the protocol that need no accuracy.
func untrained(t testing.TB) Model {
	t.Helper()
	m := models.MLP()
	if err := m.SetSeed(7); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return Model{Name: "mlp", Version: "7", Model: m, Meta: saving.FashionMNIST(fashionmnist.ClassNames())}
}

// newServer starts s on a test server and closes both at the end.
func newServer(t testing.TB, models []Model, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.ErrorLog == nil {
		opts.ErrorLog = log.New(testWriter{t}, "", 0)
	}
	s, err := New(models, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts
}

// testWriter sends the server's log to the test's.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Logf("%s", bytes.TrimRight(b, "\n"))
	return len(b), nil
}

// do sends a request and returns the status and body.
func do(t testing.TB, method, url, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// inferBody is a v2 infer request for images, each a row of values, as
// UINT8 when pixels is set and FP32 otherwise.
func inferBody(t testing.TB, datatype string, n int, data any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"id": "test",
		"inputs": []map[string]any{{
			"name": "input", "shape": []int{n, 28, 28}, "datatype": datatype, "data": data,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// inferResponse is the protocol's $inference_response.
type inferResponse struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	ID           string `json:"id"`
	Outputs      []struct {
		Name     string    `json:"name"`
		Datatype string    `json:"datatype"`
		Shape    []int     `json:"shape"`
		Data     []float32 `json:"data"`
	} `json:"outputs"`
}

// pngOf encodes gray pixels as a w×h PNG.
func pngOf(px []uint8, w, h int) []byte {
	g := image.NewGray(image.Rect(0, 0, w, h))
	copy(g.Pix, px)
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		panic(err) // encoding into memory does not fail
	}
	return buf.Bytes()
}

// wantJSONError checks that body is {"error": "..."} containing want.
func wantJSONError(t testing.TB, what string, body []byte, want string) {
	t.Helper()
	var e struct {
		Error *string `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error == nil || *e.Error == "" {
		t.Errorf("%s: body %q is not a JSON error", what, truncate(body))
		return
	}
	if !strings.Contains(*e.Error, want) {
		t.Errorf("%s: error %q does not say %q", what, *e.Error, want)
	}
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}
