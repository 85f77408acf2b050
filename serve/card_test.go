package serve

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/report"
)

// TestCardOfTrainedModel checks the card of a model trained on the real
// data: its test accuracy, its figures (curves and the confusion matrix,
// drawn by package plots) and its report page (package report).
func TestCardOfTrainedModel(t *testing.T) {
	f := trained(t)
	_, ts := newServer(t, []Model{{Name: "mlp", Version: "v1", Model: f.model, Meta: f.meta, Card: f.card}}, Options{})
	code, b := do(t, "GET", ts.URL+"/v1/models/mlp/card", "", nil)
	if code != 200 {
		t.Fatalf("card: %d %s", code, b)
	}
	var c cardJSON
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.Test == nil || float64(c.Test.Accuracy) != f.card.Test.Accuracy || c.Test.Examples != 10000 {
		t.Fatalf("card test metrics %+v, want accuracy %v on 10000", c.Test, f.card.Test.Accuracy)
	}
	if c.Test.Accuracy < 0.8 {
		t.Errorf("test accuracy %.4f after two epochs: want ≥ 0.8", c.Test.Accuracy)
	}
	if c.Epochs != 2 || !strings.Contains(c.Summary, "Total params: 101,770") || len(c.Settings) != 2 {
		t.Errorf("card: epochs %d, settings %v, summary %q", c.Epochs, c.Settings, c.Summary)
	}
	var names []string
	for _, fig := range c.Figures {
		path, _, _ := strings.Cut(fig.URL, "?")
		names = append(names, path[strings.LastIndex(path, "/")+1:])
		res, _ := get(t, ts.URL+fig.URL)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("%s: %d %s", fig.URL, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if fig.Width < 100 || fig.Height < 100 {
			t.Errorf("%s: %d×%d", fig.URL, fig.Width, fig.Height)
		}
	}
	if got := strings.Join(names, " "); got != "loss.svg accuracy.svg confusion_matrix.svg" {
		t.Errorf("figures %s, want loss.svg accuracy.svg confusion_matrix.svg", got)
	}
	code, b = do(t, "GET", ts.URL+"/v1/models/mlp/figures/confusion_matrix.svg", "", nil)
	if code != 200 || !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "Ankle boot") {
		t.Errorf("confusion matrix: %d, %d bytes, want an SVG naming the classes", code, len(b))
	}
	res, pb := get(t, ts.URL+c.ReportURL)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Errorf("report: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("report CSP %q", res.Header.Get("Content-Security-Policy"))
	}
	if want := fmt.Sprintf("%.4f", f.card.Test.Accuracy); !strings.Contains(string(pb), want) {
		t.Errorf("the report page does not show the test accuracy %s", want)
	}
}

// TestCardNotMeasured checks the card of a model without a test set or
// history, and the page's own files.
func TestCardNotMeasured(t *testing.T) {
	_, ts := newServer(t, []Model{untrained(t)}, Options{})
	code, b := do(t, "GET", ts.URL+"/v1/models/mlp/card", "", nil)
	if code != 200 {
		t.Fatalf("card: %d %s", code, b)
	}
	if !strings.Contains(string(b), `"test":null`) || !strings.Contains(string(b), `"figures":[]`) || !strings.Contains(string(b), `"epochs":0`) {
		t.Errorf("card %s: want test null, no figures, no epochs", b)
	}
	if code, b := do(t, "GET", ts.URL+"/models/mlp/report", "", nil); code != 200 || !strings.Contains(string(b), "<html") {
		t.Errorf("report: %d", code)
	}
	code, b = do(t, "GET", ts.URL+"/v1/models", "", nil)
	if code != 200 || !strings.Contains(string(b), `"name":"mlp"`) || !strings.Contains(string(b), `"input_shape":[28,28]`) || !strings.Contains(string(b), `"classify":true`) {
		t.Errorf("models: %d %s", code, b)
	}
	for _, tc := range []struct{ path, contentType, contains string }{
		{"/", "text/html; charset=utf-8", `<script src="/static/app.js" defer>`},
		{"/static/app.js", "text/javascript; charset=utf-8", "async function classify"},
		{"/static/style.css", "text/css; charset=utf-8", "canvas#pad"},
	} {
		res, body := get(t, ts.URL+tc.path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != tc.contentType || !strings.Contains(string(body), tc.contains) {
			t.Errorf("GET %s: %d %q, want %q holding %q", tc.path, res.StatusCode, res.Header.Get("Content-Type"), tc.contentType, tc.contains)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", tc.path, csp)
		}
	}
}

// TestCardNonFinite serves a model whose report has a NaN test loss, an
// infinite accuracy and a NaN training time: the card writes them as null,
// and the report page still renders.
func TestCardNonFinite(t *testing.T) {
	m := untrained(t)
	m.Card = &report.Report{TrainingSeconds: math.NaN(), Test: &report.Metrics{Split: "test", Examples: 3, Loss: math.NaN(), Accuracy: math.Inf(1)},
		History: &tailor.History{Epochs: []int{0, 1}, History: map[string][]float64{"loss": {math.NaN(), math.NaN()}, "accuracy": {0.5, 0.75}}}}
	_, ts := newServer(t, []Model{m}, Options{})
	code, b := do(t, "GET", ts.URL+"/v1/models/mlp/card", "", nil)
	if code != 200 || !strings.Contains(string(b), `"test":{"split":"test","examples":3,"loss":null,"accuracy":null}`) || !strings.Contains(string(b), `"training_seconds":null`) {
		t.Errorf("card: %d %s, want the loss, accuracy and training time null", code, b)
	}
	// a history whose loss has no finite value: the card draws accuracy only
	if s := string(b); strings.Contains(s, "loss.svg") || !strings.Contains(s, "accuracy.svg") {
		t.Errorf("card: %s, want the accuracy curve and no loss curve", b)
	}
	if code, b := do(t, "GET", ts.URL+"/models/mlp/report", "", nil); code != 200 || !strings.Contains(string(b), "<html") {
		t.Errorf("report: %d", code)
	}
}

// get fetches url and returns the response and its body.
func get(t testing.TB, url string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// TestFigureCaching serves two models of the same name and version with
// different histories, as tailor serve does a model retrained between two
// starts (library users' versions default to "1"): a browser that cached
// the first server's learning curve must not show it for the second's
// card, so either the figure's URL differs or its answer may not be
// reused without asking.
func TestFigureCaching(t *testing.T) {
	var bodies [2][]byte
	var cache [2]string
	var url [2]string
	for i, losses := range [][]float64{{2, 1}, {0.5, 0.25}} {
		m := untrained(t)
		m.Version = ""
		m.Meta.History = &tailor.History{Epochs: []int{0, 1}, History: map[string][]float64{"loss": losses}}
		_, ts := newServer(t, []Model{m}, Options{})
		code, b := do(t, "GET", ts.URL+"/v1/models/mlp/card", "", nil)
		var c cardJSON
		if err := json.Unmarshal(b, &c); code != 200 || err != nil || len(c.Figures) != 1 {
			t.Fatalf("card: %d %s", code, b)
		}
		url[i] = c.Figures[0].URL
		res, fig := get(t, ts.URL+url[i])
		if res.StatusCode != 200 || !strings.Contains(string(fig), "<svg") {
			t.Fatalf("GET %s: %d", url[i], res.StatusCode)
		}
		bodies[i], cache[i] = fig, res.Header.Get("Cache-Control")
	}
	if string(bodies[0]) == string(bodies[1]) {
		t.Fatal("the two learning curves are the same SVG")
	}
	if url[0] == url[1] && !strings.Contains(cache[0], "no-cache") && !strings.Contains(cache[0], "no-store") {
		t.Errorf("both servers' curves are at %s, which the first allows caching (Cache-Control %q): a browser shows the first model's curve for the second", url[0], cache[0])
	}
}
