package serve

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/report"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// Model is one model to serve and what its card shows.
type Model struct {
	// Name is the model's name in URLs (/v2/models/NAME/infer): letters,
	// digits, '.', '_' and '-'. tailor serve uses the file's name without
	// its extension.
	Name string
	// Version identifies this copy of the model, as model_version in
	// responses; tailor serve uses the start of the file's SHA-256. Empty
	// means "1".
	Version string
	// Model is the built model. The server only reads it (Predict and
	// Summary), from many goroutines at once.
	Model *tailor.Model
	// Meta is what the model file records besides the model: class names,
	// preprocessing, training history. New refuses preprocessing that
	// saving.Load would refuse (saving.Preprocessing.Validate).
	Meta saving.Meta
	// Card is what the model card and the model's report page show (the
	// input of report.Write): summary, settings, history, test metrics,
	// mistakes. Nil gives a card of the model's summary and Meta's history,
	// its test metrics "not measured".
	Card *report.Report
}

// Options are the server's limits and batching; the zero value of each
// field means its default.
type Options struct {
	// MaxBatch is the most examples in one batch of gathered requests
	// (default 32); 1 turns batching off, so that each request runs its
	// own forward pass. Forward passes are of Predict's default batch (at
	// most 256 examples, saving.DefaultInferenceBatch, and fewer for a
	// model whose 256 would exceed tailor.MaxInferenceBytes:
	// tailor.Model.DefaultBatchSize), a batch or request of more running
	// in several.
	MaxBatch int
	// MaxWait is how long the first request of a batch waits for others
	// (default 2 ms); negative means not at all: a batch is what is
	// already waiting.
	MaxWait time.Duration
	// BatchWorkers is the number of goroutines per model forming and
	// running batches (default GOMAXPROCS).
	BatchWorkers int
	// MaxInFlight bounds the inference requests (infer and classify)
	// served at once (default 64), each counted from when its body has
	// been read, so that slow uploads do not hold places; more get 429
	// Too Many Requests.
	MaxInFlight int
	// MaxBodyBytes bounds a request body (default 8 MiB); larger bodies get
	// 413. Half of it bounds the values of an infer request's answer: as
	// many numbers as a body of the limit can send, so that a model whose
	// outputs outnumber its inputs answers no more than it could be sent.
	MaxBodyBytes int64
	// MaxExamples bounds the examples of one infer request (default 256).
	MaxExamples int
	// MaxImagePixels bounds the width × height of an uploaded image
	// (default 16 megapixels), on top of package preprocessing's own
	// decode limits; larger images get 413 before they are decoded.
	MaxImagePixels int
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are
	// http.Server's (defaults 5 s, 30 s, 30 s and 120 s): how long a client
	// may take to send the headers and the whole request, how long an
	// answer may take, and how long an idle keep-alive connection stays.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownTimeout bounds how long Serve waits, once its context has
	// ended, for the requests in flight to finish (default 30 s).
	ShutdownTimeout time.Duration
	// ErrorLog receives failures of the server itself (5xx) and of
	// connections; nil means the standard logger.
	ErrorLog *log.Logger
}

func (o *Options) defaults() {
	if o.MaxBatch <= 0 {
		o.MaxBatch = 32
	}
	if o.MaxWait == 0 {
		o.MaxWait = 2 * time.Millisecond
	}
	if o.BatchWorkers <= 0 {
		o.BatchWorkers = runtime.GOMAXPROCS(0)
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 64
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 8 << 20
	}
	if o.MaxExamples <= 0 {
		o.MaxExamples = 256
	}
	if o.MaxImagePixels <= 0 {
		o.MaxImagePixels = 16 << 20
	}
	for _, d := range []struct {
		t   *time.Duration
		def time.Duration
	}{
		{&o.ReadHeaderTimeout, 5 * time.Second}, {&o.ReadTimeout, 30 * time.Second},
		{&o.WriteTimeout, 30 * time.Second}, {&o.IdleTimeout, 120 * time.Second},
		{&o.ShutdownTimeout, 30 * time.Second},
	} {
		if *d.t <= 0 {
			*d.t = d.def
		}
	}
	if o.ErrorLog == nil {
		o.ErrorLog = log.Default()
	}
}

// Server serves models over HTTP; it is an http.Handler. Close it after
// the HTTP server has shut down (Serve does both).
type Server struct {
	opts     Options
	models   map[string]*served
	order    []*served
	mux      *http.ServeMux
	routes   map[string]string // endpoint names in metrics, by pattern
	metrics  *telemetry
	inFlight chan struct{} // a token per inference request being served
	decoding chan struct{} // a token per image being decoded
}

// served is a model with everything precomputed for its requests.
type served struct {
	Name, Version string
	model         *tailor.Model
	sig           signature
	classNames    []string
	rescale       float64
	polarity      string
	folder        *saving.Preprocessing   // an image folder's preprocessing; nil for other models
	tabular       *preprocessing.Pipeline // a tabular model's saved preprocessing; nil for image models
	batcher       *batcher                // nil when batching is off
	card          *card
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// NameRule says what a model's name may hold.
const NameRule = "letters, digits, '.', '_' or '-', starting with a letter or digit"

// ValidName reports whether name can be a model's name in URLs (see
// Model.Name and NameRule).
func ValidName(name string) bool { return validName.MatchString(name) }

// New prepares models for serving: it checks their names and shapes,
// renders their cards and starts their batchers. The models must be built.
func New(models []Model, opts Options) (*Server, error) {
	opts.defaults()
	if len(models) == 0 {
		return nil, errors.New("serve: no models")
	}
	inFlight := make(chan struct{}, opts.MaxInFlight)
	s := &Server{
		opts:     opts,
		models:   map[string]*served{},
		mux:      http.NewServeMux(),
		routes:   map[string]string{},
		metrics:  newTelemetry(func() float64 { return float64(len(inFlight)) }),
		inFlight: inFlight,
		decoding: make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
	}
	for _, m := range models {
		sm, err := s.prepare(m)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.models[m.Name] = sm
		s.order = append(s.order, sm)
	}
	s.register()
	return s, nil
}

// prepare checks one model and precomputes what its requests need.
func (s *Server) prepare(m Model) (*served, error) {
	if !ValidName(m.Name) {
		return nil, fmt.Errorf("serve: model name %q: want %s", m.Name, NameRule)
	}
	if _, dup := s.models[m.Name]; dup {
		return nil, fmt.Errorf("serve: two models named %q", m.Name)
	}
	if m.Model == nil || !m.Model.Built() {
		return nil, fmt.Errorf("serve: model %q is not built", m.Name)
	}
	if m.Version == "" {
		m.Version = "1"
	}
	in, out := m.Model.InputShape(), m.Model.OutputShape()
	if len(out) != 1 {
		return nil, fmt.Errorf("serve: model %q outputs %v: want a vector of class probabilities", m.Name, out)
	}
	sm := &served{Name: m.Name, Version: m.Version, model: m.Model, rescale: 1.0 / 255, polarity: saving.PolarityLightOnDark}
	if p := m.Meta.Preprocessing; p != nil {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("serve: model %q: Meta.Preprocessing: %w", m.Name, err)
		}
		sm.rescale = p.Rescale
		if p.Polarity != "" {
			sm.polarity = p.Polarity
		}
		if p.ColorMode != "" {
			if len(in) != 3 || in[2] != 1 && in[2] != 3 {
				return nil, fmt.Errorf("serve: model %q: preprocessing color_mode %q needs inputs of (height, width, 1 or 3); the model's are %v", m.Name, p.ColorMode, in)
			}
			sm.folder, sm.polarity = p, ""
		}
	}
	if m.Meta.Tabular != nil {
		sm.tabular, sm.polarity = m.Meta.Tabular, ""
	}
	sm.classNames = m.Meta.ClassNames
	if len(sm.classNames) == 0 && out[0] == fashionmnist.NumClasses {
		sm.classNames = fashionmnist.ClassNames()
	}
	binary := out[0] == 1 && len(sm.classNames) == 2 // a sigmoid's probability of class 1
	if len(sm.classNames) != out[0] && !binary {
		sm.classNames = make([]string, out[0])
		for i := range sm.classNames {
			sm.classNames[i] = strconv.Itoa(i)
		}
	}
	sm.sig = signature{input: in, output: out, maxExamples: s.opts.MaxExamples, maxOutputs: int(min(s.opts.MaxBodyBytes/2, math.MaxInt32))}
	if sm.tabular == nil {
		table, err := uint8Table(float32(sm.rescale))
		if err != nil {
			return nil, fmt.Errorf("serve: model %q: %w", m.Name, err)
		}
		sm.sig.uint8Table = table
	}
	var err error
	if sm.card, err = newCard(sm, m.Meta, m.Card); err != nil {
		return nil, fmt.Errorf("serve: model %q: %w", m.Name, err)
	}
	if err := s.checkBudget(m.Model); err != nil {
		return nil, fmt.Errorf("serve: model %q: %w", m.Name, err)
	}
	// Warm up: one forward pass of a blank example, so that the first
	// request does not pay for the workspace, and so that the workspace
	// forgets whatever input it last read (a model scored on a test set
	// would otherwise keep the whole set alive through it). Its output
	// must be finite, so that a request's output that is not is the
	// request's doing (see predict).
	var warm tensor.Tensor
	blank := tensor.New(append([]int{1}, in...)...)
	if err := m.Model.PredictInto(context.Background(), &warm, blank, tailor.PredictOptions{}); err != nil {
		return nil, fmt.Errorf("serve: model %q: a first forward pass: %w", m.Name, err)
	}
	if i := notFinite(warm.Data); i >= 0 {
		return nil, fmt.Errorf("serve: model %q computes %v for output %d of a blank example: are its weights finite?", m.Name, warm.Data[i], i)
	}
	if s.opts.MaxBatch > 1 {
		name := m.Name // not m, whose card may hold a test set
		sm.batcher = newBatcher(m.Model, &sm.sig, s.opts.MaxBatch, s.opts.MaxWait, s.opts.BatchWorkers, s.opts.MaxInFlight,
			func(n int, seconds float64) { s.observeForward(name, n, seconds) })
	}
	trainable, frozen := m.Model.CountParams()
	s.metrics.info.WithLabelValues(m.Name, m.Version, shapeLabel(in), shapeLabel(out), strconv.Itoa(out[0])).Set(1)
	s.metrics.params.WithLabelValues(m.Name).Set(float64(trainable + frozen))
	return sm, nil
}

// checkBudget refuses a model one example of which needs more than
// tailor.MaxInferenceBytes for its layers' outputs, which Predict would
// refuse at every request (a model file that loads always fits).
// Forward passes are of Predict's default batch, which fits the budget.
func (s *Server) checkBudget(m *tailor.Model) error {
	if need := m.ActivationBytes(1); need > tailor.MaxInferenceBytes {
		return fmt.Errorf("one example needs %d MiB for the layers' outputs, more than tailor.MaxInferenceBytes (%d MiB)", need>>20, tailor.MaxInferenceBytes>>20)
	}
	return nil
}

// uint8Table maps each byte to the model input tensor.FromUint8 makes of
// it with the scale, so that UINT8 requests get the inputs tailor predict
// computes, bit for bit.
func uint8Table(scale float32) (*[256]float32, error) {
	var px [256]uint8
	for i := range px {
		px[i] = uint8(i)
	}
	t, err := tensor.FromUint8(px[:], scale, 256)
	if err != nil {
		return nil, err
	}
	var table [256]float32
	copy(table[:], t.Data)
	return &table, nil
}

func shapeLabel(s tensor.Shape) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "x")
}

func (s *Server) observeForward(model string, n int, seconds float64) {
	s.metrics.batchSize.WithLabelValues(model).Observe(float64(n))
	s.metrics.forward.WithLabelValues(model).Observe(seconds)
}

// register adds every route to the mux.
func (s *Server) register() {
	add := func(pattern, endpoint string, h func(http.ResponseWriter, *http.Request) error) {
		s.routes[pattern] = endpoint
		s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				s.fail(w, r, err)
			}
		})
	}
	add("GET /{$}", "page", s.handlePage)
	add("GET /static/{file}", "static", s.handleStatic)
	add("GET /v2", "server_metadata", s.handleServerMetadata)
	add("GET /v2/health/live", "health_live", s.handleLive)
	add("GET /v2/health/ready", "health_ready", s.handleReady)
	add("GET /v2/models/{name}", "model_metadata", s.handleModelMetadata)
	add("GET /v2/models/{name}/versions/{version}", "model_metadata", s.handleModelMetadata)
	add("GET /v2/models/{name}/ready", "model_ready", s.handleModelReady)
	add("GET /v2/models/{name}/versions/{version}/ready", "model_ready", s.handleModelReady)
	add("POST /v2/models/{name}/infer", "infer", s.handleInfer)
	add("POST /v2/models/{name}/versions/{version}/infer", "infer", s.handleInfer)
	add("POST /v1/models/{action}", "classify", s.handleClassify)
	add("GET /v1/models", "models", s.handleModels)
	add("GET /v1/models/{name}/card", "card", s.handleCard)
	add("GET /v1/models/{name}/figures/{figure}", "figure", s.handleFigure)
	add("GET /models/{name}/report", "report", s.handleReport)
	metrics := promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{ErrorLog: s.opts.ErrorLog})
	s.routes["GET /metrics"] = "metrics"
	s.mux.Handle("GET /metrics", metrics)
}

// ServeHTTP answers one request: it routes it, turns the router's own 404
// and 405 into JSON errors, redirects a path that is not clean (//v2/...)
// to its endpoint with a JSON body, recovers from panics and records the
// request's metrics. (The infer and classify handlers take an in-flight
// token, see admit, once they have read the request's body.)
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	// Route the clean path, which the router would redirect to, so that
	// a path cleaning to no endpoint is a 404 (or 405) at once.
	routed, clean := r, cleanPath(r.URL.EscapedPath())
	if r.Method != http.MethodConnect && clean != r.URL.EscapedPath() {
		u := *r.URL
		u.RawPath = clean
		if u.Path, _ = url.PathUnescape(clean); u.Path == clean {
			u.RawPath = ""
		}
		rr := *r
		rr.URL = &u
		routed = &rr
	}
	h, pattern := s.mux.Handler(routed)
	endpoint, ok := s.routes[pattern]
	if !ok {
		endpoint = "other"
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			buf := make([]byte, 8<<10)
			buf = buf[:runtime.Stack(buf, false)]
			s.opts.ErrorLog.Printf("serve: panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, buf)
			if rec.status == 0 {
				writeError(rec, http.StatusInternalServerError, "internal error")
			}
		}
		code := rec.status
		if code == 0 {
			code = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(strconv.Itoa(code), endpoint).Inc()
		s.metrics.duration.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
	}()
	if !ok && pattern == "" {
		// The router's 404 or 405 (with its Allow header), as JSON.
		cw := &captureWriter{header: rec.Header()}
		h.ServeHTTP(cw, r)
		msg := fmt.Sprintf("no endpoint %s: see GET /v2 and GET /v1/models", r.URL.Path)
		if cw.status == http.StatusMethodNotAllowed {
			msg = fmt.Sprintf("%s %s: method not allowed; allowed: %s", r.Method, r.URL.Path, rec.Header().Get("Allow"))
		}
		writeError(rec, cw.status, msg)
		return
	}
	if routed != r {
		// The router's redirect (307: the method and body are resent), with
		// a JSON body saying where.
		target := &url.URL{Path: routed.URL.Path, RawPath: routed.URL.RawPath, RawQuery: r.URL.RawQuery}
		rec.Header().Set("Location", target.String())
		writeError(rec, http.StatusTemporaryRedirect, fmt.Sprintf("%s %s: the path is not clean; the endpoint is %s %s, where this request is redirected", r.Method, r.URL.Path, r.Method, routed.URL.Path))
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// cleanPath is the path the router redirects p to, as net/http's
// ServeMux cleans it: with no "." or ".." elements, no doubled slashes,
// and its trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// admit takes one of the Options.MaxInFlight tokens for an inference
// request, or answers 429 when none is left; release gives it back. The
// handlers call it once the request's body is read, so that a client
// slow to send its body holds no token meanwhile (Options.ReadTimeout
// bounds how long it may take) and cannot keep others' requests out.
func (s *Server) admit() (release func(), err error) {
	select {
	case s.inFlight <- struct{}{}:
		return func() { <-s.inFlight }, nil
	default:
		return nil, statusError(http.StatusTooManyRequests, "%d inference requests are being served, the most at once: retry later", s.opts.MaxInFlight)
	}
}

// fail writes err as a JSON error; failures of the server itself are
// logged.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled):
		status, msg = 499, "the client closed the request"
	case errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusServiceUnavailable, "timed out waiting for the model"
	case status >= 500:
		s.opts.ErrorLog.Printf("serve: %s %s: %v", r.Method, r.URL.Path, err)
	}
	writeError(w, status, msg)
}

// model returns the named model, checking the version if one is in the
// path.
func (s *Server) model(r *http.Request) (*served, error) {
	name := r.PathValue("name")
	m, ok := s.models[name]
	if !ok {
		return nil, notFound("no model %q: this server has %s", name, s.names())
	}
	if v := r.PathValue("version"); v != "" && v != m.Version {
		return nil, notFound("model %q has no version %q: it has %q", name, v, m.Version)
	}
	return m, nil
}

// names lists the models' names for error messages.
func (s *Server) names() string {
	q := make([]string, len(s.order))
	for i, m := range s.order {
		q[i] = strconv.Quote(m.Name)
	}
	return strings.Join(q, ", ")
}

// predict runs n examples through m, batched with other requests when
// batching is on and the request fits a batch. An output that is not
// finite is a 422: the request's values, finite but too large for the
// model, overflowed it (New checked that a blank example's output is
// finite).
func (s *Server) predict(ctx context.Context, m *served, x []float32, n int) ([]float32, error) {
	out, err := s.forward(ctx, m, x, n)
	if err != nil {
		return nil, err
	}
	if i := notFinite(out); i >= 0 {
		row := m.sig.output.Size()
		return nil, statusError(http.StatusUnprocessableEntity, "the model computed %v for output %d of example %d: the request's values, though valid, overflow it; send values scaled as its training inputs were", out[i], i%row, i/row)
	}
	return out, nil
}

// notFinite returns the index of the first NaN or infinity of x, or -1.
func notFinite(x []float32) int {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}

// forwardOptions are the server's forward passes' options: Predict's
// default batch, which fits the model's inference budget (the outputs do
// not depend on it).
var forwardOptions = tailor.PredictOptions{}

func (s *Server) forward(ctx context.Context, m *served, x []float32, n int) ([]float32, error) {
	if m.batcher != nil && n <= s.opts.MaxBatch {
		return m.batcher.predict(ctx, x, n)
	}
	t, err := tensor.FromSlice(x, append([]int{n}, m.sig.input...)...)
	if err != nil {
		return nil, err
	}
	var out tensor.Tensor
	start := time.Now()
	if err := m.model.PredictInto(ctx, &out, t, forwardOptions); err != nil {
		return nil, err
	}
	s.observeForward(m.Name, n, time.Since(start).Seconds())
	return out.Data, nil
}

// Close stops the batchers. Requests still waiting for a batch fail with
// 503; call it after the HTTP server has shut down.
func (s *Server) Close() {
	for _, m := range s.order {
		if m.batcher != nil {
			m.batcher.close()
		}
	}
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// captureWriter keeps the status of the router's error handlers and
// discards their plain-text bodies; their headers (Allow) go to header.
type captureWriter struct {
	header http.Header
	status int
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}
func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return len(b), nil
}
