package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/png"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tailor-ml/tailor/datasets/imagefolder"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// The media types an image upload may have: a raw body or a multipart
// part.
var imageTypes = []string{"image/png", "image/jpeg", "application/octet-stream"}

// classifyResponse is what POST /v1/models/{name}:classify answers.
type classifyResponse struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	// Top are the most probable classes, most probable first.
	Top []classProb `json:"top"`
	// Probabilities is the whole distribution, by class.
	Probabilities []float32 `json:"probabilities"`
	ClassNames    []string  `json:"class_names"`
	// Input is the image the model received.
	Input inputImage `json:"input"`
}

// classProb is one class and its probability, as tailor predict --json
// writes it.
type classProb struct {
	Class       int     `json:"class"`
	Name        string  `json:"name"`
	Probability float32 `json:"probability"`
}

// inputImage is the model's input as a picture: its values 0–255 (what
// was scaled by the model's rescale) row by row, channels last (one, a
// gray level, or three, red, green and blue), and the same as a PNG data:
// URI.
type inputImage struct {
	Height   int    `json:"height"`
	Width    int    `json:"width"`
	Channels int    `json:"channels"`
	Pixels   []int  `json:"pixels"`
	PNG      string `json:"png"`
}

// handleClassify answers POST /v1/models/{name}:classify: a PNG or JPEG,
// as a raw body or a multipart part named "image" (else the first file part),
// prepared as tailor predict prepares image files.
//
// Query parameters: top=k (default 3) and invert=auto|never|always as
// tailor predict's --invert (not for a model trained on an image folder).
func (s *Server) handleClassify(w http.ResponseWriter, r *http.Request) error {
	name, ok := strings.CutSuffix(r.PathValue("action"), ":classify")
	if !ok {
		return notFound("no endpoint POST %s: want POST /v1/models/{name}:classify", r.URL.Path)
	}
	m, ok := s.models[name]
	if !ok {
		return notFound("no model %q: this server has %s", name, s.names())
	}
	if m.tabular != nil {
		return badRequest("model %q was trained on a table: classify takes images; send the features its saved preprocessing makes of a row (FP32) to POST /v2/models/%s/infer", name, name)
	}
	if !m.classifies() {
		return badRequest("model %q takes inputs of shape %v: classify handles gray images (height, width) and the models trained on an image folder", name, m.sig.input)
	}
	top, invert, err := classifyParams(r.URL.Query(), m)
	if err != nil {
		return err
	}
	img, err := s.readImage(w, r)
	if err != nil {
		return err
	}
	release, err := s.admit()
	if err != nil {
		return err
	}
	defer release()
	x, err := s.decodeImage(r.Context(), img, m, invert)
	if err != nil {
		return err
	}
	out, err := s.predict(r.Context(), m, x.Data, 1)
	if err != nil {
		return err
	}
	probs := classProbabilities(out, len(m.classNames))
	in, err := pictureOf(x, m.rescale)
	if err != nil {
		return err
	}
	writeJSON(w, classifyResponse{
		ModelName: m.Name, ModelVersion: m.Version,
		Top:           topClasses(probs, m.classNames, top),
		Probabilities: probs,
		ClassNames:    m.classNames,
		Input:         in,
	})
	return nil
}

// classifies reports whether classify takes images for m: a model trained
// on an image folder, or one whose input is a gray image, (height, width)
// or (height, width, 1).
func (m *served) classifies() bool {
	in := m.sig.input
	return m.folder != nil || len(in) == 2 || len(in) == 3 && in[2] == 1
}

// classifyParams reads top and invert from the query for m. Invert does
// not apply to a model trained on an image folder, whose images are used
// as they are.
func classifyParams(q url.Values, m *served) (int, preprocessing.Invert, error) {
	classes := len(m.classNames)
	top := min(3, classes)
	if v := q.Get("top"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > classes {
			return 0, 0, badRequest("top=%q: want an integer from 1 to %d", v, classes)
		}
		top = k
	}
	invert := preprocessing.InvertAuto
	if v := q.Get("invert"); v != "" && m.folder != nil {
		return 0, 0, badRequest("invert=%q: model %q was trained on an image folder, whose images are not inverted: leave invert out", v, m.Name)
	}
	switch v := q.Get("invert"); v {
	case "", "auto":
	case "never":
		invert = preprocessing.InvertNever
	case "always":
		invert = preprocessing.InvertAlways
	default:
		return 0, 0, badRequest("invert=%q: want auto, never or always", v)
	}
	return top, invert, nil
}

// readImage returns the uploaded image's bytes: the body itself for
// image/png, image/jpeg and application/octet-stream, or the part named
// "image" (else the first file part) of multipart/form-data, wherever it
// is among the parts.
func (s *Server) readImage(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/form-data" && !slices.Contains(imageTypes, mt) {
		return nil, statusError(http.StatusUnsupportedMediaType, "Content-Type %q: want %s", ct, orList(append(imageTypes[:len(imageTypes):len(imageTypes)], "multipart/form-data")))
	}
	if mt != "multipart/form-data" {
		return s.readBody(w, r)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, badRequest("Content-Type %q: multipart/form-data needs a boundary", ct)
	}
	if err := identityEncoding(r); err != nil {
		return nil, err
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		return nil, tooLarge(r.ContentLength, s.opts.MaxBodyBytes)
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes), boundary)
	// The first file part not named "image", kept (within the body's
	// limit) until a part named so is found or the body ends; firstErr is
	// why it cannot be the image (its Content-Type).
	var first []byte
	var firstErr error
	found := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			if !found {
				return nil, badRequest("the multipart body has no file: want a part named \"image\" holding a PNG or JPEG")
			}
			return first, firstErr
		}
		if err != nil {
			return nil, multipartProblem(err, s.opts.MaxBodyBytes)
		}
		named := p.FormName() == "image"
		var ctErr error
		if pct := p.Header.Get("Content-Type"); pct != "" {
			pmt, _, err := mime.ParseMediaType(pct)
			if err != nil || !slices.Contains(imageTypes, pmt) {
				ctErr = statusError(http.StatusUnsupportedMediaType, "multipart part %q has Content-Type %q: want %s", p.FormName(), pct, orList(imageTypes))
			}
		}
		if named && ctErr != nil {
			return nil, ctErr
		}
		var b []byte
		if keep := named || p.FileName() != "" && !found && ctErr == nil; keep {
			b, err = io.ReadAll(p)
		} else {
			_, err = io.Copy(io.Discard, p)
		}
		if err != nil {
			return nil, multipartProblem(err, s.opts.MaxBodyBytes)
		}
		switch {
		case named:
			return b, nil
		case p.FileName() != "" && !found:
			first, firstErr, found = b, ctErr, true
		}
	}
}

// multipartProblem turns a multipart reading error into a 413 or a 400.
func multipartProblem(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(-1, limit)
	}
	return badRequest("reading the multipart body: %v", err)
}

// decodeImage checks the image's format and size, then prepares it as
// tailor predict does: for a model trained on an image folder, with
// package imagefolder (converted to the colour mode, resized with the
// saved interpolation, rescaled); for others, with package preprocessing
// with the model's polarity and rescale. At most a few images are decoded
// at once, which bounds the memory decoding takes.
func (s *Server) decodeImage(ctx context.Context, b []byte, m *served, invert preprocessing.Invert) (*tensor.Tensor, error) {
	if len(b) == 0 {
		return nil, badRequest("the image is empty: want a PNG or JPEG")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, badRequest("the upload is not a PNG or JPEG image: %v", err)
	}
	if format != "png" && format != "jpeg" {
		return nil, statusError(http.StatusUnsupportedMediaType, "a %s image: want PNG or JPEG", format)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(s.opts.MaxImagePixels) {
		return nil, statusError(http.StatusRequestEntityTooLarge, "%s image of %d×%d pixels: the limit is %d pixels", format, cfg.Width, cfg.Height, s.opts.MaxImagePixels)
	}
	select {
	case s.decoding <- struct{}{}:
		defer func() { <-s.decoding }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if p := m.folder; p != nil {
		in := m.sig.input
		px, err := imagefolder.DecodeImage(b, in[0], in[1], in[2], preprocessing.Interpolation(p.Interpolation), float32(p.Rescale))
		if err != nil {
			return nil, badRequest("the %s image: %v", format, err)
		}
		return tensor.FromSlice(px, in...)
	}
	opts := preprocessing.ImageOptions{
		Height: m.sig.input[0], Width: m.sig.input[1],
		Invert:      invert,
		DarkOnLight: m.polarity == saving.PolarityDarkOnLight,
		Rescale:     float32(m.rescale),
	}
	t, err := preprocessing.LoadImage(bytes.NewReader(b), opts)
	if err != nil {
		return nil, badRequest("the %s image: %v", format, err)
	}
	return t, nil
}

// pictureOf turns a prepared image, (height, width) or (height, width,
// channels), back into values 0–255 and a PNG.
func pictureOf(x *tensor.Tensor, rescale float64) (inputImage, error) {
	h, w := x.Shape[0], x.Shape[1]
	c := len(x.Data) / (h * w)
	px := make([]int, len(x.Data))
	for i, v := range x.Data {
		px[i] = min(max(int(math.Round(float64(v)/rescale)), 0), 255)
	}
	var img image.Image
	if c == 3 {
		rgb := image.NewNRGBA(image.Rect(0, 0, w, h))
		for i := range h * w {
			rgb.Pix[4*i], rgb.Pix[4*i+1], rgb.Pix[4*i+2], rgb.Pix[4*i+3] = uint8(px[3*i]), uint8(px[3*i+1]), uint8(px[3*i+2]), 255
		}
		img = rgb
	} else {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i, p := range px {
			g.Pix[i] = uint8(p)
		}
		img = g
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return inputImage{}, err
	}
	return inputImage{Height: h, Width: w, Channels: c, Pixels: px, PNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// classProbabilities returns an example's output as the probability of
// each class: 1 − p and p for a sigmoid's single output p, as tailor
// predict reads it.
func classProbabilities(out []float32, classes int) []float32 {
	if len(out) == 1 && classes == 2 {
		return []float32{1 - out[0], out[0]}
	}
	return out
}

// topClasses returns the k most probable classes (at least one), most
// probable first (the lower class first among equals).
func topClasses(p []float32, names []string, k int) []classProb {
	top := tensor.TopK(p, max(k, 1))
	out := make([]classProb, 0, len(top))
	for _, c := range top {
		out = append(out, classProb{Class: c, Name: names[c], Probability: p[c]})
	}
	return out
}
