package serve

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/tailor-ml/tailor/plots"
	"github.com/tailor-ml/tailor/report"
	"github.com/tailor-ml/tailor/saving"
)

// card is a model's card, rendered once when the server starts: the JSON
// the page reads, its figures as SVG, and the model's report page.
type card struct {
	json    []byte
	figures map[string][]byte // by file name: loss.svg, ...
	report  []byte
}

// cardJSON is what GET /v1/models/{name}/card answers.
type cardJSON struct {
	Name            string           `json:"name"`
	Version         string           `json:"version"`
	Summary         string           `json:"summary"`
	Settings        []saving.Setting `json:"settings"`
	TrainingSeconds finite           `json:"training_seconds,omitempty"`
	Epochs          int              `json:"epochs"`
	// Test is null when the model was not measured on a test set.
	Test      *testJSON    `json:"test"`
	Figures   []figureJSON `json:"figures"`
	ReportURL string       `json:"report_url"`
}

type testJSON struct {
	Split    string `json:"split"`
	Examples int    `json:"examples"`
	Loss     finite `json:"loss"`
	Accuracy finite `json:"accuracy"`
}

// finite is a number of the card, which JSON writes as null when it is
// NaN or infinite (a diverged model's loss), as JSON has no such numbers.
type finite float64

// MarshalJSON writes f, or null when it is not finite.
func (f finite) MarshalJSON() ([]byte, error) {
	if v := float64(f); math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

type figureJSON struct {
	Title  string `json:"title"`
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// newCard renders m's card from src, or from the model and its Meta when
// src is nil.
func newCard(m *served, meta saving.Meta, src *report.Report) (*card, error) {
	var r report.Report
	if src != nil {
		r = *src
	} else {
		r = report.Report{History: meta.History}
		if t := meta.Training; t != nil {
			r.TrainingSeconds = t.Seconds
			for _, st := range t.Settings {
				r.Settings = append(r.Settings, report.Setting(st))
			}
		}
	}
	if r.Title == "" {
		r.Title = m.Name
	}
	if r.Summary == "" {
		var b strings.Builder
		if err := m.model.Summary(&b); err != nil {
			return nil, err
		}
		r.Summary = b.String()
	}
	if len(r.ClassNames) == 0 {
		r.ClassNames = m.classNames
	}
	c := &card{figures: map[string][]byte{}}
	v := cardJSON{
		Name: m.Name, Version: m.Version, Summary: r.Summary,
		TrainingSeconds: finite(r.TrainingSeconds),
		ReportURL:       "/models/" + m.Name + "/report",
		Settings:        []saving.Setting{},
		Figures:         []figureJSON{},
	}
	for _, st := range r.Settings {
		v.Settings = append(v.Settings, saving.Setting(st))
	}
	add := func(file, title string, f *plots.Figure, err error) error {
		if err != nil {
			return fmt.Errorf("card figure %s: %w", file, err)
		}
		var buf bytes.Buffer
		if err := f.WriteSVG(&buf); err != nil {
			return fmt.Errorf("card figure %s: %w", file, err)
		}
		c.figures[file] = buf.Bytes()
		// The URL names the figure's content, which browsers cache for an
		// hour (handleFigure): a model retrained and served again under
		// the same name and version gets new URLs for its new figures.
		sum := sha256.Sum256(buf.Bytes())
		url := "/v1/models/" + m.Name + "/figures/" + file + "?v=" + hex.EncodeToString(sum[:6])
		v.Figures = append(v.Figures, figureJSON{Title: title, URL: url, Width: f.Width, Height: f.Height})
		return nil
	}
	if h := r.History; h != nil && len(h.Epochs) > 0 {
		v.Epochs = len(h.Epochs)
		for _, metric := range []string{"loss", "accuracy"} {
			if _, ok := h.History[metric]; !ok {
				continue
			}
			f, err := plots.LearningCurve(metric, h.Epochs, h.History)
			if errors.Is(err, plots.ErrNoFiniteValues) {
				continue // nothing to draw; the card's figures leave it out
			}
			if err := add(metric+".svg", "Training "+metric+" per epoch", f, err); err != nil {
				return nil, err
			}
		}
	}
	if t := r.Test; t != nil {
		split := t.Split
		if split == "" {
			split = "test"
		}
		v.Test = &testJSON{Split: split, Examples: t.Examples, Loss: finite(t.Loss), Accuracy: finite(t.Accuracy)}
		if t.Confusion != nil {
			f, err := plots.ConfusionMatrix(t.Confusion, r.ClassNames, plots.ConfusionOptions{})
			if err := add("confusion_matrix.svg", "Confusion matrix of the "+split+" split", f, err); err != nil {
				return nil, err
			}
		}
		if t.PerClassAccuracy != nil {
			f, err := plots.PerClassAccuracy(t.PerClassAccuracy, r.ClassNames, t.Accuracy)
			if err := add("per_class_accuracy.svg", "Accuracy of each class on the "+split+" split", f, err); err != nil {
				return nil, err
			}
		}
	}
	var page bytes.Buffer
	if err := report.Write(&page, r); err != nil {
		return nil, err
	}
	c.report = page.Bytes()
	var err error
	if c.json, err = json.Marshal(v); err != nil {
		return nil, err
	}
	c.json = append(c.json, '\n')
	return c, nil
}

// handleCard answers GET /v1/models/{name}/card.
func (s *Server) handleCard(w http.ResponseWriter, r *http.Request) error {
	m, err := s.model(r)
	if err != nil {
		return err
	}
	writeBody(w, "application/json", m.card.json)
	return nil
}

// handleFigure answers GET /v1/models/{name}/figures/{figure}, cacheable
// for an hour: the card's URLs for it end in ?v= and a hash of its
// content.
func (s *Server) handleFigure(w http.ResponseWriter, r *http.Request) error {
	m, err := s.model(r)
	if err != nil {
		return err
	}
	f, ok := m.card.figures[r.PathValue("figure")]
	if !ok {
		return notFound("model %q has no figure %q", m.Name, r.PathValue("figure"))
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeBody(w, "image/svg+xml", f)
	return nil
}

// handleReport answers GET /models/{name}/report: the model's page from
// package report, which needs nothing beyond itself.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) error {
	m, err := s.model(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
	writeBody(w, "text/html; charset=utf-8", m.card.report)
	return nil
}
