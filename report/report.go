// Package report renders how a trained model did as one self-contained
// HTML page: its summary, the recipe and training time, the learning
// curves, the test metrics, the confusion matrix, per-class accuracy and
// a gallery of its most confident mistakes.
//
// The page needs nothing but itself: figures are inline SVG images (data:
// URIs drawn by package plots), the mistakes are small inline PNGs, the
// style sheet is in the page, and there is no JavaScript. It reads on a
// phone as well as on a laptop: figures scale to the width of the screen
// and wide tables scroll sideways on their own.
//
// Write takes plain data, so a caller can fill a Report from a model file,
// a training run or anything else:
//
//	err := report.Write(w, report.Report{
//		Title:      "mlp.tailor",
//		Summary:    summaryText,
//		History:    history, // what Model.Fit returned
//		Test:       &report.Metrics{Split: "test", Examples: 10000, Loss: 0.34, Accuracy: 0.88},
//		ClassNames: fashionmnist.ClassNames(),
//	})
package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/plots"
)

// Report is what the page shows. Parts left empty are left out, except the
// training history, whose absence the page states.
type Report struct {
	// Title heads the page, such as the model file's name.
	Title string
	// Summary is the model's Keras-style summary (Model.Summary's text).
	Summary string
	// Settings are the recipe and other settings of the run (model,
	// epochs, batch size, optimizer, seed, ...), shown in this order.
	Settings []Setting
	// TrainingSeconds is the wall time of training; 0 means unknown, and
	// then the page shows the sum of the history's epoch times, if any.
	TrainingSeconds float64
	// History is what Model.Fit returned; nil when none was recorded.
	History *tailor.History
	// Test holds the metrics on held-out data; nil leaves them out.
	Test *Metrics
	// ClassNames names each class, indexed by class.
	ClassNames []string
	// Mistakes are the predictions to show in the gallery, typically the
	// most confident wrong ones (plots.MostConfidentMistakes).
	Mistakes []plots.Prediction
}

// Setting is one named setting of the run.
type Setting struct {
	Name, Value string
}

// Metrics is how the model did on a labelled split.
type Metrics struct {
	// Split names the data, such as "test".
	Split string
	// Examples is the number of examples scored.
	Examples int
	// Loss and Accuracy are the model's loss and accuracy on them.
	Loss, Accuracy float64
	// PerClassAccuracy is each class's accuracy, NaN for a class with no
	// examples in the split (shown as "n/a"); nil leaves it out.
	PerClassAccuracy []float64
	// Confusion counts examples of true class i predicted as class j in
	// Confusion[i][j]; nil leaves it out.
	Confusion [][]int
}

//go:embed page.html.tmpl
var pageSource string

var page = template.Must(template.New("report").Parse(pageSource))

// Write renders r as one HTML page to w. It checks r's parts against each
// other (as many class names as per-class accuracies, a square confusion
// matrix, history columns as long as its epochs) and returns an error
// naming the part that does not fit; nothing is written then.
func Write(w io.Writer, r Report) error {
	v, err := build(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("report: write: %w", err)
	}
	return nil
}

// view is what the template reads: r with its figures drawn and its
// numbers formatted.
type view struct {
	Title, Summary string
	Settings       []Setting
	TrainingTime   string
	HasHistory     bool
	Curves         []figure
	CurveNotes     []string // why a learning curve is left out
	HistoryColumns []string
	HistoryRows    [][]string
	Test           *testView
	Confusion      []figure
	ConfusionRows  [][]string
	ClassNames     []string
	PerClass       *figure
	PerClassRows   [][]string
	PerClassCounts bool
	Mistakes       []mistakeView
}

type figure struct {
	// Src is the src attribute, a data: URI of base64 (whose characters
	// need no escaping in a quoted attribute).
	Src template.HTMLAttr
	Alt string
	// Width and Height are the figure's own size in CSS pixels; the page
	// scales it down to fit narrower screens.
	Width, Height int
}

type testView struct {
	Split, Examples, Loss, Accuracy string
}

type mistakeView struct {
	Src                  template.HTMLAttr
	Predicted, True, Alt string
	Right                bool
}

func build(r Report) (*view, error) {
	v := &view{Title: r.Title, Summary: strings.TrimRight(r.Summary, "\n"), Settings: r.Settings}
	if v.Title == "" {
		v.Title = "Model report"
	}
	seconds := r.TrainingSeconds
	if h := r.History; h != nil && len(h.Epochs) > 0 {
		v.HasHistory = true
		if err := historyView(v, h); err != nil {
			return nil, err
		}
		if seconds == 0 {
			for _, s := range h.Seconds {
				seconds += s
			}
		}
	}
	if seconds > 0 {
		v.TrainingTime = formatSeconds(seconds)
	}
	if t := r.Test; t != nil {
		if err := testViews(v, t, r.ClassNames); err != nil {
			return nil, err
		}
	}
	for i, p := range r.Mistakes {
		m, err := mistake(p, r.ClassNames)
		if err != nil {
			return nil, fmt.Errorf("report: mistake %d: %w", i, err)
		}
		v.Mistakes = append(v.Mistakes, m)
	}
	return v, nil
}

// historyView fills the learning curves and the per-epoch table. A curve
// with no finite values (a diverged loss) is left out with a note.
func historyView(v *view, h *tailor.History) error {
	n := len(h.Epochs)
	var keys []string
	for _, k := range slices.Sorted(maps.Keys(h.History)) { // the same error every run
		if vals := h.History[k]; len(vals) != n {
			return fmt.Errorf("report: history has %d epochs but %d %q values", n, len(vals), k)
		}
		keys = append(keys, k)
	}
	if h.Seconds != nil && len(h.Seconds) != n {
		return fmt.Errorf("report: history has %d epochs but %d epoch times", n, len(h.Seconds))
	}
	sort.Slice(keys, func(a, b int) bool { return historyOrder(keys[a]) < historyOrder(keys[b]) })
	for _, metric := range []string{"loss", "accuracy"} {
		if _, ok := h.History[metric]; !ok {
			continue
		}
		f, err := plots.LearningCurve(metric, h.Epochs, h.History)
		if errors.Is(err, plots.ErrNoFiniteValues) {
			// A run whose loss diverged at once: the table shows its
			// values, and the rest of the page is still worth having.
			v.CurveNotes = append(v.CurveNotes, "The "+metric+" curve is left out: the history has no finite "+metric+" values to draw.")
			continue
		}
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		fig, err := svgFigure(f, "Training "+metric+" per epoch"+valNote(h, metric))
		if err != nil {
			return err
		}
		v.Curves = append(v.Curves, fig)
	}
	v.HistoryColumns = append([]string{"epoch"}, keys...)
	if h.Seconds != nil {
		v.HistoryColumns = append(v.HistoryColumns, "seconds")
	}
	for i, ep := range h.Epochs {
		row := []string{fmt.Sprint(ep + 1)}
		for _, k := range keys {
			row = append(row, formatFloat(h.History[k][i]))
		}
		if h.Seconds != nil {
			row = append(row, fmt.Sprintf("%.2f", h.Seconds[i]))
		}
		v.HistoryRows = append(v.HistoryRows, row)
	}
	return nil
}

// historyOrder sorts history columns as Keras prints them: loss, then
// metrics, then their validation twins, others after by name.
func historyOrder(k string) string {
	base, val := strings.CutPrefix(k, "val_")
	rank := "1"
	if base == "loss" {
		rank = "0"
	}
	if val {
		rank = "2" + rank
	}
	return rank + base
}

func valNote(h *tailor.History, metric string) string {
	if _, ok := h.History["val_"+metric]; ok {
		return ", training and validation"
	}
	return ""
}

// testViews fills the test metrics, the confusion matrices and per-class
// accuracy.
func testViews(v *view, t *Metrics, names []string) error {
	split := t.Split
	if split == "" {
		split = "test"
	}
	v.Test = &testView{Split: split, Examples: groupDigits(t.Examples), Loss: formatFloat(t.Loss), Accuracy: fmt.Sprintf("%.4f", t.Accuracy)}
	if t.Confusion != nil {
		for _, normalize := range []bool{false, true} {
			f, err := plots.ConfusionMatrix(t.Confusion, names, plots.ConfusionOptions{Normalize: normalize})
			if err != nil {
				return fmt.Errorf("report: %w", err)
			}
			alt := "Confusion matrix of the " + split + " split: counts of each true class (rows) predicted as each class (columns)"
			if normalize {
				alt = "Confusion matrix of the " + split + " split, each row divided by its total"
			}
			fig, err := svgFigure(f, alt)
			if err != nil {
				return err
			}
			v.Confusion = append(v.Confusion, fig)
		}
		v.ClassNames = names
		for _, row := range t.Confusion {
			cells := make([]string, len(row))
			for j, c := range row {
				cells[j] = groupDigits(c)
			}
			v.ConfusionRows = append(v.ConfusionRows, cells)
		}
	}
	if t.PerClassAccuracy != nil {
		f, err := plots.PerClassAccuracy(t.PerClassAccuracy, names, t.Accuracy)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		fig, err := svgFigure(f, "Accuracy of each class on the "+split+" split")
		if err != nil {
			return err
		}
		v.PerClass = &fig
		for i, a := range t.PerClassAccuracy {
			row := []string{fmt.Sprint(i), names[i], formatAccuracy(a)}
			if t.Confusion != nil {
				total := 0
				for _, c := range t.Confusion[i] {
					total += c
				}
				row = append(row, groupDigits(t.Confusion[i][i])+" of "+groupDigits(total))
				v.PerClassCounts = true
			}
			v.PerClassRows = append(v.PerClassRows, row)
		}
	}
	return nil
}

// mistake is one gallery cell: the image as an inline PNG (drawn at its
// own 28×28 and scaled by the browser, pixelated) and its captions.
func mistake(p plots.Prediction, names []string) (mistakeView, error) {
	if len(p.Probabilities) != len(names) {
		return mistakeView{}, fmt.Errorf("%d probabilities but %d class names", len(p.Probabilities), len(names))
	}
	if p.Label < 0 || p.Label >= len(names) {
		return mistakeView{}, fmt.Errorf("true class %d is out of range 0 to %d", p.Label, len(names)-1)
	}
	pic, err := plots.Picture(p.Image, nil)
	if err != nil {
		return mistakeView{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, pic); err != nil {
		return mistakeView{}, fmt.Errorf("encode image: %w", err)
	}
	k := p.Predicted()
	pred := names[k] + " " + plots.Percent(p.Probabilities[k])
	return mistakeView{
		Src:       srcAttr("image/png", buf.Bytes()),
		Predicted: pred,
		True:      names[p.Label],
		Alt:       fmt.Sprintf("A %s predicted as %s", names[p.Label], pred),
		Right:     p.Right(),
	}, nil
}

// svgFigure encodes f as an SVG data: URI.
func svgFigure(f *plots.Figure, alt string) (figure, error) {
	var buf bytes.Buffer
	if err := f.WriteSVG(&buf); err != nil {
		return figure{}, fmt.Errorf("report: %w", err)
	}
	return figure{
		Src:    srcAttr("image/svg+xml", buf.Bytes()),
		Alt:    alt,
		Width:  f.Width,
		Height: f.Height,
	}, nil
}

// srcAttr is the attribute src="data:TYPE;base64,..." for b.
func srcAttr(mediaType string, b []byte) template.HTMLAttr {
	return template.HTMLAttr(`src="data:` + mediaType + ";base64," + base64.StdEncoding.EncodeToString(b) + `"`)
}

// formatSeconds is a duration for people: "41.3 s", "12 min 05 s",
// "1 h 02 min".
func formatSeconds(s float64) string {
	switch {
	case s < 60:
		return fmt.Sprintf("%.1f s", s)
	case s < 3600:
		m := int(s) / 60
		return fmt.Sprintf("%d min %02d s (%.0f s)", m, int(s)%60, s)
	case !(s < 1e12): // a file's figure beyond hours (or infinite) overflows int
		return fmt.Sprintf("%.3g s", s)
	}
	h := int(s) / 3600
	return fmt.Sprintf("%d h %02d min (%.0f s)", h, int(s)%3600/60, s)
}

// formatFloat shows a figure with four decimals, or as Go prints it when
// it is not finite.
func formatFloat(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Sprint(x)
	}
	return fmt.Sprintf("%.4f", x)
}

// formatAccuracy writes a per-class accuracy to four places, or "n/a"
// for NaN, the accuracy of a class with no examples.
func formatAccuracy(a float64) string {
	if math.IsNaN(a) {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", a)
}

// groupDigits writes n with thin spaces between groups of three digits:
// 10 000.
func groupDigits(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var parts []string
	for len(s) > 3 {
		parts = append(parts, s[len(s)-3:])
		s = s[:len(s)-3]
	}
	parts = append(parts, s)
	slices.Reverse(parts)
	out := strings.Join(parts, "\u2009")
	if neg {
		out = "-" + out
	}
	return out
}
