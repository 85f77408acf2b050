package report

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/plots"
)

var classNames = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// sampleReport is a report like a 6-epoch run's, made up but consistent:
// the confusion matrix's rows hold 1,000 examples each and the per-class
// accuracies and the accuracy follow from it; the mistakes are blobs of
// different sizes, each predicted as the class after its own.
func sampleReport() Report {
	n := len(classNames)
	conf := make([][]int, n)
	perClass := make([]float64, n)
	right := 0
	for i := range conf {
		conf[i] = make([]int, n)
		diag := 700 + 29*i
		conf[i][i] = diag
		conf[i][(i+1)%n] = 1000 - diag - 3*(i%2)
		conf[i][(i+3)%n] = 3 * (i % 2)
		perClass[i] = float64(diag) / 1000
		right += diag
	}
	h := &tailor.History{Epochs: []int{0, 1, 2, 3, 4, 5}, History: map[string][]float64{}}
	for e := range 6 {
		f := float64(e)
		h.History["loss"] = append(h.History["loss"], 0.5*math.Exp(-f/3)+0.2)
		h.History["accuracy"] = append(h.History["accuracy"], 0.82+0.015*f)
		h.History["val_loss"] = append(h.History["val_loss"], 0.42-0.02*f+0.004*f*f)
		h.History["val_accuracy"] = append(h.History["val_accuracy"], 0.84+0.01*f-0.001*f*f)
		h.Seconds = append(h.Seconds, 1.5+0.01*f)
	}
	var mistakes []plots.Prediction
	for k := range 12 {
		img := plots.Image{H: 28, W: 28, Pixels: make([]float32, 28*28)}
		for i := range img.Pixels {
			y, x := float64(i/28)-13.5, float64(i%28)-13.5
			img.Pixels[i] = float32(math.Max(0, 1-math.Hypot(x, y)/float64(4+k)))
		}
		probs := make([]float32, n)
		label := k % n
		probs[(label+1)%n] = 0.99 - 0.01*float32(k)
		probs[label] = 1 - probs[(label+1)%n]
		mistakes = append(mistakes, plots.Prediction{Image: img, Probabilities: probs, Label: label})
	}
	return Report{
		Title:   "mlp.tailor",
		Summary: "Model: \"sequential\"\n dense (Dense)   (None, 128)   100480\nTotal params: 101,770\n",
		Settings: []Setting{
			{"model", "mlp"}, {"epochs", "6"}, {"batch size", "32"}, {"optimizer", "Adam (learning rate 0.001)"},
		},
		History: h,
		Test: &Metrics{Split: "test", Examples: 10000, Loss: 0.3446, Accuracy: float64(right) / 10000,
			PerClassAccuracy: perClass, Confusion: conf},
		ClassNames: classNames,
		Mistakes:   mistakes,
	}
}

func render(t *testing.T, r Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

var imgSrc = regexp.MustCompile(`<img src="([^"]*)"`)

// images returns the decoded images of the page: SVG documents and PNGs.
func images(t *testing.T, page string) (svgs []string, pngs [][]byte) {
	t.Helper()
	for _, m := range imgSrc.FindAllStringSubmatch(page, -1) {
		src := m[1]
		switch {
		case strings.HasPrefix(src, "data:image/svg+xml;base64,"):
			b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, "data:image/svg+xml;base64,"))
			if err != nil {
				t.Fatalf("SVG data URI: %v", err)
			}
			svgs = append(svgs, string(b))
		case strings.HasPrefix(src, "data:image/png;base64,"):
			b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, "data:image/png;base64,"))
			if err != nil {
				t.Fatalf("PNG data URI: %v", err)
			}
			pngs = append(pngs, b)
		default:
			t.Errorf("image source %.60q is not an inline SVG or PNG", src)
		}
	}
	return svgs, pngs
}

func TestWriteFullReport(t *testing.T) {
	r := sampleReport()
	page := render(t, r)
	for _, want := range []string{
		"<!DOCTYPE html>", `<meta name="viewport" content="width=device-width, initial-scale=1">`,
		"<h1>mlp.tailor</h1>",
		"Total params: 101,770", "Adam (learning rate 0.001)", "batch size",
		"Training took 9.2 s.", // the epochs' 6×1.5 s + 0.15 s
		"<th scope=\"col\">val_accuracy</th>",
		"Test metrics", "10\u2009000", "0.3446", "0.8305",
		"Confusion matrix", "Accuracy per class", "Most confident mistakes",
		"true: T-shirt/top", "Trouser 99.0%", "729 of 1\u2009000",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "No training history") {
		t.Error("page says there is no history, but there is")
	}
	// Self-contained: no script, no style sheet or image from elsewhere.
	for _, banned := range []string{"<script", "src=\"http", "href=\"http", "@import", "url(http"} {
		if strings.Contains(page, banned) {
			t.Errorf("page contains %q", banned)
		}
	}
	svgs, pngs := images(t, page)
	// loss, accuracy, confusion counts, confusion normalised, per class.
	if len(svgs) != 5 {
		t.Fatalf("%d SVG figures, want 5", len(svgs))
	}
	if len(pngs) != len(r.Mistakes) {
		t.Errorf("%d gallery images, want %d", len(pngs), len(r.Mistakes))
	}
	for i, b := range pngs {
		m, err := png.Decode(bytes.NewReader(b))
		if err != nil || m.Bounds().Dx() != 28 || m.Bounds().Dy() != 28 {
			t.Errorf("gallery image %d: %v, %v; want a 28×28 PNG", i, err, m)
		}
	}
	for i, want := range [][]string{
		{"Training and validation loss", "Epoch", ">validation<"},
		{"Training and validation accuracy", ">training<"},
		{"Confusion matrix", "Predicted label", "True label", ">Ankle boot<", ">729<"},
		{"each row sums to 1", ">0.73<"},
		{"Accuracy per class", ">Sandal", ">0.845<"},
	} {
		for _, w := range want {
			if !strings.Contains(svgs[i], w) {
				t.Errorf("figure %d lacks %q", i, w)
			}
		}
	}
	// The mistakes are wrong: red (class "wrong") predicted captions only.
	if n := len(regexp.MustCompile(`<li><img [^>]*><span class="wrong">`).FindAllString(page, -1)); n != len(r.Mistakes) {
		t.Errorf("%d red captions, want %d", n, len(r.Mistakes))
	}
}

func TestWriteWithoutHistory(t *testing.T) {
	r := sampleReport()
	r.History, r.Settings, r.Mistakes = nil, nil, nil
	page := render(t, r)
	for _, want := range []string{"No training history was recorded", "No recipe was recorded", "Test metrics"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, unwanted := range []string{"Training took", "Learning curves", "Most confident mistakes"} {
		if strings.Contains(page, unwanted) {
			t.Errorf("page has %q", unwanted)
		}
	}
	if svgs, _ := images(t, page); len(svgs) != 3 {
		t.Errorf("%d figures, want 3 (two confusion matrices and per-class accuracy)", len(svgs))
	}
}

// TestWriteOtherSplit: metrics of a split other than the test set (an
// image folder's validation images, a CSV file) are headed by its name,
// not as test metrics.
func TestWriteOtherSplit(t *testing.T) {
	r := sampleReport()
	r.Test.Split = "validation"
	page := render(t, r)
	if !strings.Contains(page, "<h2>Metrics (validation)</h2>") || strings.Contains(page, "Test metrics") {
		t.Errorf("a validation split's metrics are not headed as such")
	}
}

// A class with no examples in the split has no accuracy: its row reads
// "n/a" (it once failed the figure, and 0 would read as all wrong) and its
// bar is left out.
func TestWriteClassWithoutExamples(t *testing.T) {
	r := sampleReport()
	r.Test.PerClassAccuracy[2] = math.NaN()
	clear(r.Test.Confusion[2])
	page := render(t, r)
	if want := `<tr><td>2</td><td class="text">Pullover</td><td>n/a</td><td>0 of 0</td></tr>`; !strings.Contains(page, want) {
		t.Errorf("page lacks the row %q", want)
	}
	if strings.Contains(page, "NaN") {
		t.Error("page shows NaN")
	}
	svgs, _ := images(t, page)
	perClass := svgs[len(svgs)-1]
	if !strings.Contains(perClass, ">n/a<") {
		t.Error("the per-class figure does not label the class n/a")
	}
	if n := strings.Count(perClass, "fill:#1F77B4"); n != len(classNames)-1 {
		t.Errorf("the per-class figure has %d bars, want %d", n, len(classNames)-1)
	}
}

// A loss with no finite values (a run that diverged at once) leaves its
// curve out with a note saying why; the rest of the page is still written
// (Write used to fail).
func TestWriteLossWithoutFiniteValues(t *testing.T) {
	r := sampleReport()
	loss := r.History.History["loss"]
	for i := range loss {
		loss[i] = math.NaN()
	}
	loss[2] = math.Inf(1)
	page := render(t, r)
	if want := `<p class="note">The loss curve is left out: the history has no finite loss values to draw.</p>`; !strings.Contains(page, want) {
		t.Errorf("page lacks %q", want)
	}
	for _, want := range []string{"Learning curves", "<td>NaN</td>", "Test metrics", "Most confident mistakes"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	svgs, _ := images(t, page)
	// accuracy, confusion counts, confusion normalised, per class.
	if len(svgs) != 4 {
		t.Fatalf("%d SVG figures, want 4", len(svgs))
	}
	if !strings.Contains(svgs[0], "Training and validation accuracy") {
		t.Error("the first figure is not the accuracy curve")
	}
	// Other history errors still fail the page.
	r.History.History["loss"] = loss[:2]
	if err := Write(new(bytes.Buffer), r); err == nil {
		t.Error("a short loss column: no error")
	}
}

// Everything the caller supplies is text, never markup.
func TestWriteEscapes(t *testing.T) {
	r := sampleReport()
	evil := `<script>alert("x")</script>`
	r.Title = evil
	r.Summary = evil
	r.Settings = []Setting{{evil, evil}}
	r.ClassNames = append([]string{evil}, classNames[1:]...)
	page := render(t, r)
	if strings.Contains(page, "<script>") {
		t.Error("caller's markup reached the page unescaped")
	}
	if n := strings.Count(page, "&lt;script&gt;"); n < 4 {
		t.Errorf("escaped text appears %d times, want it in the title, heading, summary and settings", n)
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Report)
		want   string
	}{
		{"short history column", func(r *Report) { r.History.History["loss"] = r.History.History["loss"][:2] }, `6 epochs but 2 "loss" values`},
		{"epoch times", func(r *Report) { r.History.Seconds = r.History.Seconds[:1] }, "6 epochs but 1 epoch times"},
		{"class names", func(r *Report) { r.ClassNames = r.ClassNames[:9] }, "10 classes but 9 class names"},
		{"ragged confusion", func(r *Report) { r.Test.Confusion[3] = r.Test.Confusion[3][:4] }, "row 3 has 4 columns"},
		{"mistake probabilities", func(r *Report) { r.Mistakes[2].Probabilities = r.Mistakes[2].Probabilities[:3] }, "mistake 2: 3 probabilities but 10 class names"},
		{"mistake label", func(r *Report) { r.Mistakes[0].Label = 10 }, "mistake 0: true class 10 is out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleReport()
			tt.modify(&r)
			var buf bytes.Buffer
			err := Write(&buf, r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		s    float64
		want string
	}{{41.25, "41.2 s"}, {725, "12 min 05 s (725 s)"}, {3725, "1 h 02 min (3725 s)"}, {1e300, "1e+300 s"}, {math.Inf(1), "+Inf s"}} {
		if got := formatSeconds(tt.s); got != tt.want {
			t.Errorf("formatSeconds(%v) = %q, want %q", tt.s, got, tt.want)
		}
	}
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1\u2009000"}, {60000, "60\u2009000"}, {-1234567, "-1\u2009234\u2009567"}} {
		if got := groupDigits(tt.n); got != tt.want {
			t.Errorf("groupDigits(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestWriteErrorIsStable: a history with several columns of the wrong
// length is refused naming the first by name, every time, not whichever
// Go's map order visits first.
func TestWriteErrorIsStable(t *testing.T) {
	r := sampleReport()
	for _, k := range []string{"loss", "accuracy", "val_loss", "val_accuracy"} {
		r.History.History[k] = []float64{0.5}
	}
	for range 20 {
		if err, want := Write(&bytes.Buffer{}, r), `report: history has 6 epochs but 1 "accuracy" values`; err == nil || err.Error() != want {
			t.Fatalf("error %v, want %q", err, want)
		}
	}
}
