package serve

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
)

// handleServerMetadata answers GET /v2: the protocol's
// $metadata_server_response.
func (s *Server) handleServerMetadata(w http.ResponseWriter, r *http.Request) error {
	version := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	writeJSON(w, map[string]any{"name": "tailor", "version": version, "extensions": []string{}})
	return nil
}

// handleLive answers GET /v2/health/live: the process is serving.
func (s *Server) handleLive(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, map[string]bool{"live": true})
	return nil
}

// handleReady answers GET /v2/health/ready: every model was loaded before
// the server started, so a server that answers is ready.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, map[string]bool{"ready": true})
	return nil
}

// handleModelReady answers GET /v2/models/{name}[/versions/{v}]/ready.
func (s *Server) handleModelReady(w http.ResponseWriter, r *http.Request) error {
	m, err := s.model(r)
	if err != nil {
		return err
	}
	writeJSON(w, map[string]any{"name": m.Name, "ready": true})
	return nil
}

// handleModelMetadata answers GET /v2/models/{name}[/versions/{v}]: the
// protocol's $metadata_model_response.
func (s *Server) handleModelMetadata(w http.ResponseWriter, r *http.Request) error {
	m, err := s.model(r)
	if err != nil {
		return err
	}
	params := metadataParams{ClassNames: m.classNames, InputDatatypes: []string{datatypeFP32}}
	if m.tabular != nil {
		params.FeatureNames = m.tabular.FeatureNames()
	} else {
		params.InputDatatypes = append(params.InputDatatypes, datatypeUINT8)
		params.UINT8Rescale, params.Polarity = m.rescale, m.polarity
	}
	writeJSON(w, modelMetadata{
		Name:       m.Name,
		Versions:   []string{m.Version},
		Platform:   "tailor",
		Inputs:     []metadataTensor{{Name: InputName, Datatype: datatypeFP32, Shape: variable(m.sig.input)}},
		Outputs:    []metadataTensor{{Name: OutputName, Datatype: datatypeFP32, Shape: variable(m.sig.output)}},
		Parameters: params,
	})
	return nil
}

// handleInfer answers POST /v2/models/{name}[/versions/{v}]/infer.
func (s *Server) handleInfer(w http.ResponseWriter, r *http.Request) error {
	m, err := s.model(r)
	if err != nil {
		return err
	}
	if r.Header.Get("Inference-Header-Content-Length") != "" {
		return badRequest("the binary tensor data extension (Inference-Header-Content-Length) is not supported: send the tensor in \"data\" as JSON")
	}
	// A request without a Content-Type is read as JSON: tritonclient.http
	// sends its JSON requests without one, and the protocol names none.
	if r.Header.Get("Content-Type") != "" {
		if err := wantContentType(r, "application/json"); err != nil {
			return err
		}
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	release, err := s.admit()
	if err != nil {
		return err
	}
	defer release()
	in, err := decodeInfer(body, &m.sig)
	if err != nil {
		return err
	}
	probs, err := s.predict(r.Context(), m, in.x, in.n)
	if err != nil {
		return err
	}
	writeBody(w, "application/json", appendInferResponse(make([]byte, 0, 64+len(probs)*12), m.Name, m.Version, in.id, in.n, m.sig.output, probs))
	return nil
}

// wantContentType checks that the request's media type is one of want.
func wantContentType(r *http.Request, want ...string) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		for _, w := range want {
			if mt == w {
				return nil
			}
		}
	}
	return statusError(http.StatusUnsupportedMediaType, "Content-Type %q: want %s", ct, orList(want))
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	out := names[0]
	for _, n := range names[1 : len(names)-1] {
		out += ", " + n
	}
	return out + " or " + names[len(names)-1]
}

// identityEncoding refuses a body with a Content-Encoding (gzip, as
// tritonclient.http sends with request_compression_algorithm): the server
// reads bodies as they are.
func identityEncoding(r *http.Request) error {
	for _, e := range r.Header.Values("Content-Encoding") {
		if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "identity") {
			return statusError(http.StatusUnsupportedMediaType, "Content-Encoding %q: the server reads request bodies uncompressed; send the body without it", e)
		}
	}
	return nil
}

// readBody reads the whole request body, at most Options.MaxBodyBytes.
// Its buffer grows with the bytes received, up to the Content-Length, so
// that a body declared large but not sent costs nothing.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if err := identityEncoding(r); err != nil {
		return nil, err
	}
	limit := s.opts.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, tooLarge(r.ContentLength, limit)
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	// want is the size the whole body needs: +1 so that the read seeing
	// EOF finds room without growing.
	want := int64(-1)
	if r.ContentLength > 0 {
		want = r.ContentLength + 1
	}
	b := make([]byte, 0, 512)
	if want > 0 {
		b = make([]byte, 0, min(want, 64<<10))
	}
	for {
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, tooLarge(-1, limit)
			}
			return nil, badRequest("reading the request body: %v", err)
		}
		if len(b) == cap(b) {
			grow := cap(b) // double, but not past the declared length
			if want > 0 && int64(len(b)+grow) > want {
				grow = max(int(want)-len(b), 512)
			}
			b = slices.Grow(b, grow)
		}
	}
}

// tooLarge is a 413 for a body of size bytes (-1: unknown, over limit).
func tooLarge(size, limit int64) error {
	if size < 0 {
		return statusError(http.StatusRequestEntityTooLarge, "request body larger than the limit of %s", bytesText(limit))
	}
	return statusError(http.StatusRequestEntityTooLarge, "request body of %d bytes: the limit is %s", size, bytesText(limit))
}

// bytesText writes a size for people: 8 MiB, 512 KiB, 100 bytes.
func bytesText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
