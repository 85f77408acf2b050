package serve

import (
	"embed"
	"net/http"
	"path"
)

// static holds the page: plain HTML, CSS and JavaScript, no build step.
//
//go:embed static
var static embed.FS

// pagePolicy lets the page load only from this server (and data: URIs,
// the model's input picture), so it makes no external request.
const pagePolicy = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// handlePage answers GET /: the page.
func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) error {
	return s.serveStatic(w, "index.html")
}

// handleStatic answers GET /static/{file}: the page's CSS and JavaScript.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) error {
	return s.serveStatic(w, r.PathValue("file"))
}

var staticTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
}

func (s *Server) serveStatic(w http.ResponseWriter, name string) error {
	ct, ok := staticTypes[path.Ext(name)]
	if !ok {
		return notFound("no file %q: the page has index.html, app.js and style.css", name)
	}
	b, err := static.ReadFile("static/" + name)
	if err != nil {
		return notFound("no file %q: the page has index.html, app.js and style.css", name)
	}
	w.Header().Set("Content-Security-Policy", pagePolicy)
	w.Header().Set("Cache-Control", "no-cache")
	writeBody(w, ct, b)
	return nil
}

// modelList is what GET /v1/models answers.
type modelList struct {
	Models []modelEntry `json:"models"`
}

type modelEntry struct {
	Name        string   `json:"name"`
	Version     string   `json:"version"`
	InputShape  []int    `json:"input_shape"`
	OutputShape []int    `json:"output_shape"`
	ClassNames  []string `json:"class_names"`
	Classify    bool     `json:"classify"`
}

// handleModels answers GET /v1/models.
func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) error {
	list := modelList{Models: []modelEntry{}}
	for _, m := range s.order {
		list.Models = append(list.Models, modelEntry{
			Name: m.Name, Version: m.Version,
			InputShape: m.sig.input, OutputShape: m.sig.output,
			ClassNames: m.classNames, Classify: m.classifies(),
		})
	}
	writeJSON(w, list)
	return nil
}
