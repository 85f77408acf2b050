package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// requestError is a failure to serve a request, with the HTTP status that
// says whose fault it is. Handlers return it; errorBody writes it.
type requestError struct {
	status int
	msg    string
}

func (e *requestError) Error() string { return e.msg }

// statusError returns a requestError with the status and a formatted
// message.
func statusError(status int, format string, args ...any) error {
	return &requestError{status: status, msg: fmt.Sprintf(format, args...)}
}

// badRequest is a 400: the request is malformed.
func badRequest(format string, args ...any) error {
	return statusError(http.StatusBadRequest, format, args...)
}

// notFound is a 404: no such model or path.
func notFound(format string, args ...any) error {
	return statusError(http.StatusNotFound, format, args...)
}

// statusOf returns the HTTP status for err: a requestError's own, and 500
// for anything else (a failure of the server, not of the request).
func statusOf(err error) int {
	var re *requestError
	if errors.As(err, &re) {
		return re.status
	}
	return http.StatusInternalServerError
}

// errorJSON is the protocol's error object, {"error": "..."}.
type errorJSON struct {
	Error string `json:"error"`
}

// writeError writes {"error": msg} with the status.
func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(errorJSON{msg}) // a struct of one string always marshals
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length")
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// writeJSON writes v as JSON with status 200.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "encoding the response: "+err.Error())
		return
	}
	writeBody(w, "application/json", append(b, '\n'))
}

// writeBody writes b with the content type and status 200.
func writeBody(w http.ResponseWriter, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
