package plots

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/plot/vg/draw"

	"github.com/tailor-ml/tailor/tensor"
)

var names = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// encode returns a func that writes a figure in both formats and returns
// the decoded PNG and the SVG text: encode(t)(LearningCurve(...)).
func encode(t *testing.T) func(*Figure, error) (image.Image, string) {
	return func(f *Figure, err error) (image.Image, string) {
		t.Helper()
		return encoded(t, f, err)
	}
}

func encoded(t *testing.T, f *Figure, err error) (image.Image, string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	var p, s bytes.Buffer
	if err := f.WritePNG(&p); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteSVG(&s); err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(&p)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := m.Bounds(); b.Dx() != f.Width || b.Dy() != f.Height {
		t.Errorf("PNG is %v, the figure says %d×%d", b.Size(), f.Width, f.Height)
	}
	svg := s.String()
	if !strings.HasPrefix(svg, "<?xml") || !strings.Contains(svg, "<svg") || !strings.HasSuffix(strings.TrimSpace(svg), "</svg>") {
		t.Errorf("SVG output is not an SVG document: %.80q", svg)
	}
	if strings.Contains(svg, "font-family:Liberation Sans;") {
		t.Error("SVG text names Liberation Sans without fallbacks")
	}
	return m, svg
}

var svgText = regexp.MustCompile(`>([^<]*)</text>`)

// texts are the SVG's text elements, unescaped and trimmed.
func texts(svg string) []string {
	var out []string
	for _, m := range svgText.FindAllStringSubmatch(svg, -1) {
		out = append(out, strings.TrimSpace(html.UnescapeString(m[1])))
	}
	return out
}

func hasTexts(t *testing.T, svg string, want ...string) {
	t.Helper()
	got := texts(svg)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("SVG has no text %q (it has %q)", w, got)
		}
	}
}

// count is the number of pixels of m within tol of c in every channel.
func count(m image.Image, r image.Rectangle, c color.RGBA, tol int) int {
	n := 0
	r = r.Intersect(m.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := rgba(m, x, y)
			if abs(int(p.R)-int(c.R)) <= tol && abs(int(p.G)-int(c.G)) <= tol && abs(int(p.B)-int(c.B)) <= tol {
				n++
			}
		}
	}
	return n
}

func abs(x int) int { return max(x, -x) }

// notWhite counts the pixels of m that are not background.
func notWhite(m image.Image) int {
	return m.Bounds().Dx()*m.Bounds().Dy() - count(m, m.Bounds(), color.RGBA{255, 255, 255, 255}, 0)
}

func history() ([]int, map[string][]float64) {
	return []int{0, 1, 2, 3, 4}, map[string][]float64{
		"loss":         {0.51, 0.38, 0.34, 0.32, 0.30},
		"val_loss":     {0.42, 0.37, 0.39, 0.35, 0.33},
		"accuracy":     {0.82, 0.86, 0.88, 0.88, 0.89},
		"val_accuracy": {0.85, 0.87, 0.85, 0.88, 0.88},
	}
}

func TestLearningCurve(t *testing.T) {
	epochs, h := history()
	m, svg := encode(t)(LearningCurve("loss", epochs, h))
	if m.Bounds().Dx() != 640 || m.Bounds().Dy() != 480 {
		t.Errorf("size %v, want 640×480", m.Bounds().Size())
	}
	hasTexts(t, svg, "Training and validation loss", "Epoch", "Loss", "training", "validation", "1", "5")
	for _, c := range []struct {
		name string
		c    color.RGBA
	}{{"training (tab:blue)", TabBlue}, {"validation (tab:orange)", TabOrange}} {
		if n := count(m, m.Bounds(), c.c, 10); n < 200 {
			t.Errorf("%s: %d pixels of its colour, want a line", c.name, n)
		}
	}

	// Without validation figures there is one line, and the title says so.
	delete(h, "val_accuracy")
	m, svg = encode(t)(LearningCurve("accuracy", nil, h))
	hasTexts(t, svg, "Training accuracy", "Accuracy")
	if slices.Contains(texts(svg), "validation") {
		t.Error("legend names a validation curve that is not there")
	}
	if n := count(m, m.Bounds(), TabOrange, 10); n != 0 {
		t.Errorf("%d orange pixels without validation data", n)
	}

	// A diverged loss: the non-finite epochs are left out.
	h["loss"] = []float64{0.5, math.NaN(), math.Inf(1), 0.4, 0.3}
	if _, err := LearningCurve("loss", epochs, h); err != nil {
		t.Errorf("NaN and Inf epochs: %v", err)
	}
}

func TestLearningCurveErrors(t *testing.T) {
	epochs, h := history()
	for _, tt := range []struct {
		name    string
		metric  string
		epochs  []int
		history map[string][]float64
		want    string
	}{
		{"unknown metric", "auc", epochs, h, `no "auc" figures (it has accuracy, loss, val_accuracy, val_loss)`},
		{"epochs", "loss", epochs[:3], h, `3 epochs but 5 "loss" values`},
		{"validation", "loss", nil, map[string][]float64{"loss": {1, 2}, "val_loss": {1}}, `2 "loss" values but 1 "val_loss" values`},
		{"nothing finite", "loss", nil, map[string][]float64{"loss": {math.NaN(), math.Inf(1)}}, `the history's "loss": no finite values to draw`},
		// An empty name once panicked drawing the y label.
		{"no metric name", "", nil, map[string][]float64{"": {1, 2}}, `no metric named: want a key of the history, such as "loss"`},
		{"no metric name, none in the history", "", epochs, h, "no metric named"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := LearningCurve(tt.metric, tt.epochs, tt.history); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	// A caller can tell "nothing to draw" from a wrong history.
	if _, err := LearningCurve("loss", nil, map[string][]float64{"loss": {math.NaN()}}); !errors.Is(err, ErrNoFiniteValues) {
		t.Errorf("no finite values: error %v does not wrap ErrNoFiniteValues", err)
	}
	if _, err := LearningCurve("auc", epochs, h); errors.Is(err, ErrNoFiniteValues) {
		t.Errorf("unknown metric: error %v wraps ErrNoFiniteValues", err)
	}
}

// confusion is a 10-class matrix whose diagonal is 900 + 10*i, with the
// rest of each row's 1,000 predicted as the next class.
func confusion() [][]int {
	m := make([][]int, 10)
	for i := range m {
		m[i] = make([]int, 10)
		m[i][i] = 900 + 10*i
		m[i][(i+1)%10] = 1000 - m[i][i]
	}
	return m
}

func TestConfusionMatrix(t *testing.T) {
	m, svg := encode(t)(ConfusionMatrix(confusion(), names, ConfusionOptions{}))
	if m.Bounds().Dx() != 800 || m.Bounds().Dy() != 700 {
		t.Errorf("size %v, want 800×700", m.Bounds().Size())
	}
	got := texts(svg)
	hasTexts(t, svg, "Confusion matrix", "Predicted label", "True label")
	for _, n := range names {
		// Once along the bottom, once down the side.
		if c := countOf(got, n); c != 2 {
			t.Errorf("class %q labelled %d times, want 2", n, c)
		}
	}
	// A number in each of the 100 cells: 80 zeros, the diagonal and the
	// cells right of it.
	if c := countOf(got, "0"); c < 80 {
		t.Errorf("%d cells say 0, want 80 (and the colour bar's 0)", c)
	}
	hasTexts(t, svg, "900", "990", "100", "10")
	// The heat map: the largest counts are viridis's yellow, the zeros its
	// purple, and the colour bar shows the whole map.
	if n := count(m, m.Bounds(), viridisHi, 12); n < 2000 {
		t.Errorf("%d yellow pixels, want the top cells and the colour bar's top", n)
	}
	if n := count(m, m.Bounds(), viridisLo, 4); n < 80*1500 {
		t.Errorf("%d dark purple pixels, want 80 zero cells of about 50×50", n)
	}

	_, svg = encode(t)(ConfusionMatrix(confusion(), names, ConfusionOptions{Normalize: true}))
	hasTexts(t, svg, "Confusion matrix (each row sums to 1)", "0.90", "0.99", "0.10", "0.01", "1.0")
}

func countOf(xs []string, s string) int {
	n := 0
	for _, x := range xs {
		if x == s {
			n++
		}
	}
	return n
}

func TestConfusionMatrixErrors(t *testing.T) {
	ragged := confusion()
	ragged[4] = ragged[4][:9]
	negative := confusion()
	negative[2][3] = -1
	for _, tt := range []struct {
		name  string
		m     [][]int
		names []string
		want  string
	}{
		{"empty", nil, nil, "empty"},
		{"names", confusion(), names[:9], "10 classes but 9 class names"},
		{"ragged", ragged, names, "row 4 has 9 columns, want 10"},
		{"negative", negative, names, "cell (2, 3) is -1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ConfusionMatrix(tt.m, tt.names, ConfusionOptions{}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestPerClassAccuracy(t *testing.T) {
	acc := []float64{0.87, 0.97, 0.78, 0.84, 0.88, 0.93, 0.57, 0.96, 0.97, 0.96}
	m, svg := encode(t)(PerClassAccuracy(acc, names, 0.8737))
	hasTexts(t, svg, append([]string{"Accuracy per class (dashed: overall, 0.8737)", "Accuracy", "0.570", "0.970"}, names...)...)
	// One tab:blue rectangle per class.
	if n := strings.Count(svg, "fill:#1F77B4"); n != len(acc) {
		t.Errorf("%d bars, want %d", n, len(acc))
	}
	if n := count(m, m.Bounds(), TabBlue, 4); n < 10*20*200 {
		t.Errorf("%d bar pixels, want ten long bars", n)
	}
	if _, err := PerClassAccuracy([]float64{0.5, 1.5}, names[:2], -1); err == nil || !strings.Contains(err.Error(), "class 1 (Trouser) is 1.5") {
		t.Errorf("accuracy 1.5: error %v", err)
	}
	if _, err := PerClassAccuracy(acc, names[:3], -1); err == nil {
		t.Error("3 names for 10 classes: no error")
	}
}

// A class with no examples (NaN accuracy) gets no bar and "n/a" for its
// value: it once failed as out of range, and 0 would read as all wrong.
func TestPerClassAccuracyNoExamples(t *testing.T) {
	acc := []float64{0.5, math.NaN(), 1}
	_, svg := encode(t)(PerClassAccuracy(acc, names[:3], 0.75))
	hasTexts(t, svg, "0.500", "n/a", "1.000")
	if n := strings.Count(svg, "fill:#1F77B4"); n != 2 {
		t.Errorf("%d bars, want 2 (none for the class with no examples)", n)
	}
	if strings.Contains(svg, "NaN") {
		t.Error("the SVG holds NaN")
	}
	if _, err := PerClassAccuracy([]float64{0.5, math.Inf(1)}, names[:2], -1); err == nil || !strings.Contains(err.Error(), "class 1 (Trouser) is +Inf") {
		t.Errorf("accuracy +Inf: error %v", err)
	}
}

// blob is a 28×28 image of a disc of radius r.
func blob(r float64) Image {
	img := Image{H: 28, W: 28, Pixels: make([]float32, 28*28)}
	for i := range img.Pixels {
		y, x := float64(i/28)-13.5, float64(i%28)-13.5
		if math.Hypot(x, y) < r {
			img.Pixels[i] = 1
		}
	}
	return img
}

// prediction puts p on class predicted, 0.3 on class second and spreads
// the rest evenly, so every bar is at least 2% high.
func prediction(predicted, second, label int, p float32) Prediction {
	probs := make([]float32, 10)
	rest := (1 - p - 0.3) / 8
	for j := range probs {
		probs[j] = rest
	}
	probs[predicted], probs[second] = p, 0.3
	return Prediction{Image: blob(8), Probabilities: probs, Label: label}
}

// barColours scans the bar chart in the right half of a PredictionFigure,
// on the lowest row above its x axis where every bar shows, and returns
// the colours of the bars from left to right.
func barColours(t *testing.T, m image.Image) []color.RGBA {
	t.Helper()
	b := m.Bounds()
	for y := b.Max.Y - 1; y > b.Dy()/2; y-- {
		var runs []color.RGBA
		in := false
		for x := b.Dx() / 2; x < b.Max.X; x++ {
			p := rgba(m, x, y)
			bar := p == BarGrey || p == Wrong || p == Right
			if bar && !in {
				runs = append(runs, p)
			}
			in = bar
		}
		if len(runs) == 10 {
			return runs
		}
	}
	t.Fatal("found no row with ten bars")
	return nil
}

func TestPredictionFigure(t *testing.T) {
	for _, tt := range []struct {
		name              string
		p                 Prediction
		caption           string
		red, blue         int // bar indices, -1 for none
		captionRed, right bool
	}{
		{"wrong", prediction(5, 7, 7, 0.6), "Sandal 60% (Sneaker)", 5, 7, true, false},
		{"right", prediction(9, 7, 9, 0.6), "Ankle boot 60% (Ankle boot)", -1, 9, false, true},
		{"no label", prediction(2, 6, -1, 0.6), "Pullover 60%", 2, -1, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, svg := encode(t)(PredictionFigure(tt.p, names))
			if m.Bounds().Dx() != 600 || m.Bounds().Dy() != 300 {
				t.Errorf("size %v, want 600×300 (figsize=(6, 3))", m.Bounds().Size())
			}
			hasTexts(t, svg, tt.caption, "0", "9")
			if tt.p.Right() != tt.right {
				t.Errorf("Right() = %v", tt.p.Right())
			}
			for i, c := range barColours(t, m) {
				want := BarGrey
				switch i {
				case tt.red:
					want = Wrong
				case tt.blue:
					want = Right
				}
				if c != want {
					t.Errorf("bar %d is %v, want %v", i, c, want)
				}
			}
			// The caption, under the image on the left, is red when wrong and
			// blue when right.
			left := image.Rect(0, 240, 300, 300)
			red, blue := count(m, left, Wrong, 60), count(m, left, Right, 60)
			switch {
			case tt.captionRed && (red < 30 || blue != 0):
				t.Errorf("caption has %d red and %d blue pixels, want red", red, blue)
			case tt.right && (blue < 30 || red != 0):
				t.Errorf("caption has %d red and %d blue pixels, want blue", red, blue)
			case !tt.captionRed && !tt.right && (red != 0 || blue != 0):
				t.Errorf("caption has %d red and %d blue pixels, want black", red, blue)
			}
			// The image is drawn: its disc is black in the binary colormap.
			if n := count(m, image.Rect(0, 0, 300, 240), color.RGBA{0, 0, 0, 255}, 0); n < 5000 {
				t.Errorf("%d black pixels in the image panel, want the disc", n)
			}
		})
	}
}

func TestPredictionGridAndValueArray(t *testing.T) {
	var ps []Prediction
	for i := range 15 {
		ps = append(ps, prediction(i%10, (i+3)%10, (i+i%2)%10, 0.55))
	}
	m, svg := encode(t)(PredictionGrid(ps, names, 3))
	if m.Bounds().Dx() != 1200 || m.Bounds().Dy() != 1000 {
		t.Errorf("size %v, want 1200×1000 (figsize=(12, 10))", m.Bounds().Size())
	}
	if n := strings.Count(svg, "<image "); n != 15 {
		t.Errorf("%d images, want 15", n)
	}
	// Eight of the 15 are right (even i), seven wrong.
	if n := strings.Count(svg, "fill:#FF0000"); n != 7*2 {
		t.Errorf("%d red marks, want a red bar and a red caption for each of 7 mistakes", n)
	}
	hasTexts(t, svg, "T-shirt/top 55% (T-shirt/top)", "Trouser 55% (Pullover)")

	m, svg = encode(t)(ValueArray(ps[1], names))
	if m.Bounds().Dx() != 640 || m.Bounds().Dy() != 480 {
		t.Errorf("size %v, want 640×480", m.Bounds().Size())
	}
	hasTexts(t, svg, names...)
	if n := strings.Count(svg, "fill:#777777"); n != 8 {
		t.Errorf("%d grey bars, want 8", n)
	}
}

func TestMistakes(t *testing.T) {
	var ps []Prediction
	for i := range 7 {
		ps = append(ps, prediction((i+1)%10, (i+2)%10, i, 0.65))
	}
	m, svg := encode(t)(Mistakes(ps, names, 5))
	if m.Bounds().Dx() != 1000 || m.Bounds().Dy() != 40+2*230 {
		t.Errorf("size %v, want 1000×500", m.Bounds().Size())
	}
	if n := strings.Count(svg, "<image "); n != 7 {
		t.Errorf("%d images, want 7", n)
	}
	hasTexts(t, svg, "Trouser 65.0%", "true: T-shirt/top", "Sneaker 65.0%", "true: Shirt")
	if red, blue := count(m, m.Bounds(), Wrong, 60), count(m, m.Bounds(), Right, 60); red < 7*30 || blue < 7*30 {
		t.Errorf("%d red and %d blue pixels, want both colours of caption", red, blue)
	}
	if notWhite(m) < 7*5000 {
		t.Error("gallery is nearly blank")
	}
	unknown := ps[0]
	unknown.Label = -1
	if _, err := Mistakes([]Prediction{unknown}, names, 5); err == nil || !strings.Contains(err.Error(), "no true class") {
		t.Errorf("unlabelled mistake: error %v", err)
	}
}

func TestPredictionErrors(t *testing.T) {
	ok := prediction(1, 2, 3, 0.5)
	short := ok
	short.Probabilities = short.Probabilities[:4]
	bad := prediction(1, 2, 3, 0.5)
	bad.Probabilities[0] = float32(math.NaN())
	label := ok
	label.Label = 10
	noImage := ok
	noImage.Image.Pixels = nil
	for _, tt := range []struct {
		name string
		p    Prediction
		want string
	}{
		{"probabilities", short, "4 probabilities but there are 10 class names"},
		{"NaN", bad, "probability of class 0 is NaN"},
		{"label", label, "true class 10 is out of range"},
		{"image", noImage, "has 0 pixels"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, f := range []func() error{
				func() error { _, err := PredictionFigure(tt.p, names); return err },
				func() error { _, err := PredictionGrid([]Prediction{ok, tt.p}, names, 3); return err },
			} {
				if err := f(); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("error %v, want %q", err, tt.want)
				}
			}
		})
	}
	if _, err := PredictionGrid(nil, names, 3); err == nil {
		t.Error("no predictions: no error")
	}
	if _, err := PredictionGrid([]Prediction{ok}, names, 0); err == nil {
		t.Error("0 columns: no error")
	}
}

func TestMostConfidentMistakes(t *testing.T) {
	probs, _ := tensor.FromSlice([]float32{
		0.9, 0.1, 0, // right
		0.2, 0.7, 0.1, // wrong, 0.7
		0.1, 0.1, 0.8, // wrong, 0.8
		0.1, 0.6, 0.3, // right
		0.5, 0.1, 0.4, // wrong, 0.5
		0.1, 0.2, 0.7, // wrong, 0.7 (after example 1: by index)
	}, 6, 3)
	labels := []uint8{0, 0, 1, 1, 2, 0}
	for _, tt := range []struct {
		k    int
		want []int
	}{{10, []int{2, 1, 5, 4}}, {2, []int{2, 1}}, {0, []int{}}} {
		got, err := MostConfidentMistakes(probs, labels, tt.k)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("k=%d: %v, want %v", tt.k, got, tt.want)
		}
	}
	if _, err := MostConfidentMistakes(probs, labels[:3], 5); err == nil {
		t.Error("3 labels for 6 rows: no error")
	}
	if _, err := MostConfidentMistakes(probs, []uint8{0, 0, 1, 1, 2, 7}, 5); err == nil {
		t.Error("label 7 of 3 classes: no error")
	}
}

func TestPercent(t *testing.T) {
	for _, tt := range []struct {
		p    float32
		want string
	}{{0.99, "99.0%"}, {0.9996, "99.9%"}, {1, "100.0%"}, {0.123, "12.3%"}, {0, "0.0%"}} {
		if got := Percent(tt.p); got != tt.want {
			t.Errorf("Percent(%v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestImshowAndGridSVG(t *testing.T) {
	_, svg := encode(t)(ImshowFigure(halves(0, 255), ImshowOptions{Title: "Ankle boot"}))
	hasTexts(t, svg, "Ankle boot", "0", "25", "250")
	// The image and the colour bar, each an embedded picture drawn pixelated.
	if n := strings.Count(svg, `<image style="image-rendering:pixelated"`); n != 2 {
		t.Errorf("%d pixelated pictures, want 2", n)
	}
	_, svg = encode(t)(GridFigure([]Image{halves(0, 1), halves(1, 0), halves(0, 1)}, []string{"Bag", "Coat", "Dress"}, 2))
	hasTexts(t, svg, "Bag", "Coat", "Dress")
	if n := strings.Count(svg, "<image "); n != 3 {
		t.Errorf("%d pictures, want 3", n)
	}
}

func TestSaveAll(t *testing.T) {
	dir := t.TempDir()
	f, err := PerClassAccuracy([]float64{0.5, 0.75}, names[:2], -1)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := SaveAll(dir, "per_class_accuracy", f)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "per_class_accuracy.png"), filepath.Join(dir, "per_class_accuracy.svg")}
	if !slices.Equal(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("%s: %v", paths[0], err)
	}
	if b, err := os.ReadFile(paths[1]); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("%s: %v, not an SVG", paths[1], err)
	}
	if err := f.Save(filepath.Join(dir, "x.jpg")); err == nil || !strings.Contains(err.Error(), `unknown image format ".jpg"`) {
		t.Errorf("saving as .jpg: %v", err)
	}
	if err := f.Save(filepath.Join(dir, "missing", "x.png")); err == nil {
		t.Error("saving into a missing directory: no error")
	}
	if format, err := FormatOf("A.SVG"); format != SVG || err != nil {
		t.Errorf("FormatOf(A.SVG) = %v, %v", format, err)
	}
}

// A figure keeps its own copy of the data and draws the same bytes from
// any number of goroutines at once.
func TestFigureIsIndependent(t *testing.T) {
	acc := []float64{0.5, 0.75, 0.25}
	f, err := PerClassAccuracy(acc, names[:3], 0.5)
	if err != nil {
		t.Fatal(err)
	}
	var first bytes.Buffer
	if err := f.WriteSVG(&first); err != nil {
		t.Fatal(err)
	}
	acc[0] = 0.99
	var wg sync.WaitGroup
	outs := make([][]byte, 4)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b bytes.Buffer
			if err := f.WriteSVG(&b); err != nil {
				t.Error(err)
			}
			outs[i] = b.Bytes()
		}()
	}
	wg.Wait()
	for i, o := range outs {
		if !bytes.Equal(o, first.Bytes()) {
			t.Errorf("drawing %d differs from the first", i)
		}
	}
}

// TestSVGIsWellFormedXML: class names, titles and captions with what XML
// 1.0 does not allow in a document (a form feed or NUL out of a CSV
// column, bytes that are not UTF-8 from a folder's name) are written as
// U+FFFD: gonum wrote them as they were, and a browser showed no figure
// at all (an SVG that is not well-formed XML is not drawn). Markup
// characters stay escaped.
func TestSVGIsWellFormedXML(t *testing.T) {
	odd := []string{"set\x0cosa", "nul\x00", "\xffbytes", "<b>&amp;\"'", "esc\x1b[0m", "ok\tname"}
	m := [][]int{{2, 0, 0, 0, 0, 0}, {0, 1, 1, 0, 0, 0}, {0, 0, 3, 0, 0, 0}, {0, 0, 0, 1, 0, 0}, {0, 0, 0, 0, 4, 0}, {1, 0, 0, 0, 0, 1}}
	p := Prediction{Image: halves(0, 1), Probabilities: []float32{0.5, 0.1, 0.1, 0.1, 0.1, 0.1}, Label: 1}
	figs := map[string]func() (*Figure, error){
		"confusion": func() (*Figure, error) { return ConfusionMatrix(m, odd, ConfusionOptions{Title: "title\x01"}) },
		"per class": func() (*Figure, error) { return PerClassAccuracy([]float64{1, 0.5, 1, 1, 1, 0.5}, odd, 0.8) },
		"value":     func() (*Figure, error) { return ValueArray(p, odd) },
		"mistakes":  func() (*Figure, error) { return Mistakes([]Prediction{p}, odd, 1) },
		"grid":      func() (*Figure, error) { return GridFigure([]Image{halves(0, 1)}, odd[:1], 1) },
		"imshow":    func() (*Figure, error) { return ImshowFigure(halves(0, 1), ImshowOptions{Title: odd[0]}) },
	}
	for name, fig := range figs {
		f, err := fig()
		_, svg := encoded(t, f, err)
		d := xml.NewDecoder(strings.NewReader(svg))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%s: the SVG is not well-formed XML: %v", name, err)
				break
			}
		}
		if !slices.ContainsFunc(texts(svg), func(s string) bool { return strings.HasPrefix(s, "set\uFFFDosa") }) {
			t.Errorf("%s: no text %q in %q", name, "set\uFFFDosa", texts(svg))
		}
		if name == "confusion" {
			hasTexts(t, svg, "nul\uFFFD", "\uFFFDbytes", "<b>&amp;\"'", "esc\uFFFD[0m", "ok\tname", "title\uFFFD")
		}
	}
}

// TestLearningCurveFlatLoss: the loss of a model that learns nothing stays
// at ln 2 to the seventh decimal; its y axis labels each tick with a
// different number (every one read "0.693147").
func TestLearningCurveFlatLoss(t *testing.T) {
	_, svg := encode(t)(LearningCurve("loss", nil, map[string][]float64{"loss": {0.6931472, 0.69314712, 0.69314705, 0.6931470}}))
	var ys []string
	for _, s := range texts(svg) {
		if strings.HasPrefix(s, "0.69314") {
			ys = append(ys, s)
		}
	}
	seen := map[string]bool{}
	for _, s := range ys {
		if seen[s] {
			t.Errorf("y tick label %q appears twice in %q", s, ys)
		}
		seen[s] = true
	}
	if len(ys) < 3 {
		t.Errorf("y tick labels %q, want at least 3", ys)
	}
}

// A long class name (a CSV's category, a folder's name) is cut with an
// ellipsis on the axes: drawn whole, it squeezed the confusion matrix to a
// few pixels and the per-class bars to a sliver.
func TestLongClassNames(t *testing.T) {
	long := strings.Repeat("x", 80)
	ns := []string{long, "b", "c"}
	m, svg := encode(t)(ConfusionMatrix([][]int{{9, 0, 0}, {0, 9, 0}, {0, 0, 9}}, ns, ConfusionOptions{}))
	// The three yellow cells of the diagonal, each about 180 pixels square
	// with the short names, stay large.
	if n := count(m, m.Bounds(), viridisHi, 12); n < 3*100*100 {
		t.Errorf("%d yellow pixels, want three cells of at least 100×100", n)
	}
	checkElided(t, svg, long)
	m, svg = encode(t)(PerClassAccuracy([]float64{1, 1, 1}, ns, -1))
	if n := count(m, m.Bounds(), TabBlue, 4); n < 3*80*300 {
		t.Errorf("%d bar pixels, want three bars of at least 300×80", n)
	}
	checkElided(t, svg, long)
	p := Prediction{Image: blob(8), Probabilities: []float32{0.8, 0.1, 0.1}, Label: 0}
	_, svg = encode(t)(ValueArray(p, ns))
	checkElided(t, svg, long)
}

// checkElided checks that svg labels long by a shorter prefix and an
// ellipsis, and never whole.
func checkElided(t *testing.T, svg, long string) {
	t.Helper()
	n := 0
	for _, s := range texts(svg) {
		if s == long {
			t.Errorf("the long name is drawn whole")
		}
		if cut, ok := strings.CutSuffix(s, "…"); ok && len(cut) >= 8 && strings.HasPrefix(long, cut) {
			n++
		}
	}
	if n == 0 {
		t.Errorf("no label is the long name cut with an ellipsis (texts: %q)", texts(svg))
	}
}

// The epoch axis of a long run keeps at most ten ticks: 20,000 epochs got
// 21 overlapping labels, and a history whose epochs span 10¹⁵ (a model
// file's, which nothing bounds) looped over every integer between them.
func TestEpochTicksOfLongRuns(t *testing.T) {
	for _, tt := range []struct {
		lo, hi float64
		want   []string
	}{
		{0.95, 5.05, []string{"1", "2", "3", "4", "5"}},
		{-999, 21000, []string{"0", "2500", "5000", "7500", "10000", "12500", "15000", "17500", "20000"}},
		{0, 1e15, []string{"0", "200000000000000", "400000000000000", "600000000000000", "800000000000000", "1000000000000000"}},
	} {
		var got []string
		for _, tk := range integerTicker(10).Ticks(tt.lo, tt.hi) {
			got = append(got, tk.Label)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ticks over [%g, %g]: %q, want %q", tt.lo, tt.hi, got, tt.want)
		}
	}
	_, svg := encode(t)(LearningCurve("loss", []int{0, 1e15}, map[string][]float64{"loss": {1, 0.5}}))
	hasTexts(t, svg, "1000000000000000")
}

// A confusion matrix of many classes (a table's target with hundreds of
// values) writes a cell's count only where it fits in the cell: every
// count was written, 10,000 unreadable labels for 100 classes, and an SVG
// that grew with the square of the classes (about 220 MB at 1,000).
func TestConfusionMatrixManyClasses(t *testing.T) {
	const n = 100
	m := make([][]int, n)
	ns := make([]string, n)
	for i := range m {
		m[i] = make([]int, n)
		m[i][i] = 1001 + i
		ns[i] = fmt.Sprint("class ", i)
	}
	_, svg := encode(t)(ConfusionMatrix(m, ns, ConfusionOptions{}))
	got := texts(svg)
	for _, s := range got {
		if s == "1001" || s == "1057" {
			t.Errorf("the count %s is written in a cell %d classes wide", s, n)
		}
	}
	if len(got) > 2*n+20 {
		t.Errorf("%d texts, want the titles, %d tick labels and the colour bar's", len(got), 2*n)
	}
	// Three classes keep their counts.
	_, svg = encode(t)(ConfusionMatrix([][]int{{1000, 1, 0}, {2, 1099, 1}, {0, 0, 9}}, ns[:3], ConfusionOptions{}))
	hasTexts(t, svg, "1000", "1099", "9", "0")
}

// A metric whose name starts with a letter outside ASCII is capitalised
// whole: its first byte alone made the axis label invalid UTF-8, drawn as
// U+FFFD.
func TestLearningCurveNonASCIIMetric(t *testing.T) {
	_, svg := encode(t)(LearningCurve("équité", nil, map[string][]float64{"équité": {0.5, 0.6}}))
	hasTexts(t, svg, "Équité", "Training équité")
}

// Captions under pictures cut long class names so that they stay within
// their own cell: drawn whole, a 60-character name ran across its
// neighbours' captions, hiding every probability and true class.
func TestLongClassNamesInCaptions(t *testing.T) {
	long := strings.Repeat("Long name ", 6)
	ns := []string{long, "Short", "Mid"}
	var ps []Prediction
	for i := 0; i < 3; i++ {
		ps = append(ps, Prediction{Image: blob(8), Probabilities: []float32{0.7, 0.2, 0.1}, Label: 1 + i%2})
	}
	// checkCaption finds a caption that cuts the long name and then reads
	// rest, no wider than maxPx in a font of fontPt.
	checkCaption := func(svg, rest string, maxPx, fontPt float64) {
		t.Helper()
		sty := textStyle(fontPt, draw.XCenter, draw.YTop)
		for _, s := range texts(svg) {
			if head, ok := strings.CutSuffix(s, "…"+rest); ok && len(head) >= 3 && strings.HasPrefix(long, head) {
				if w := pt(float64(sty.Width(s))); w > maxPx {
					t.Errorf("caption %q is %.0f px wide, want at most %.0f", s, w, maxPx)
				}
				return
			}
		}
		t.Errorf("no caption cuts the long name and ends %q (texts: %q)", rest, texts(svg))
	}
	_, svg := encode(t)(Mistakes(ps, ns, 3))
	checkCaption(svg, " 70.0%", 190, labelFontPt)
	hasTexts(t, svg, "true: Short", "true: Mid")
	_, svg = encode(t)(PredictionGrid(ps, ns, 3))
	checkCaption(svg, " 70% (Short)", 200, labelFontPt-1)
	_, svg = encode(t)(GridFigure([]Image{blob(8), blob(8)}, []string{long, "Short"}, 2))
	checkCaption(svg, "", 170, labelFontPt)
}
