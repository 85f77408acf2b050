package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Flags out of their range are refused before anything runs: --duration 0
// used to mean a run with no end (load runs until ctx when neither a
// duration nor a request count bounds it), and --clients 0 a run of no
// requests that reported success.
func TestRunRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--url", "http://127.0.0.1:1", "--name", "mlp", "--duration", "0", "--warmup", "0"}, "--duration 0s: want a positive duration"},
		{[]string{"--url", "http://127.0.0.1:1", "--name", "mlp", "--duration", "-1s"}, "--duration -1s"},
		{[]string{"--url", "http://127.0.0.1:1", "--name", "mlp", "--warmup", "-1s"}, "--warmup -1s"},
		{[]string{"--url", "http://127.0.0.1:1", "--name", "mlp", "--clients", "0"}, "--clients 0: want at least 1"},
		{[]string{"--url", "http://127.0.0.1:1", "--name", "mlp", "--malformed", "1.5"}, "--malformed 1.5"},
		{[]string{"--url", "http://127.0.0.1:1", "--name", "mlp", "--malformed", "NaN"}, "--malformed NaN"},
		{[]string{"--tailor", "bin/tailor", "--model", "m.tailor", "--max-batch", "0"}, "--max-batch 0"},
		{[]string{"--tailor", "bin/tailor", "--model", "m.tailor", "--max-body", "0"}, "--max-body 0"},
		{[]string{"--tailor", "bin/tailor", "--model", "m.tailor", "--max-wait", "-1ms"}, "--max-wait -1ms"},
		{[]string{"--tailor", "bin/tailor", "m.tailor"}, `unexpected argument "m.tailor"`},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := run(ctx, tc.args, io.Discard)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

// Against a server already running (--url), 5xx answers fail the run as
// they do against one it starts: the run used to print them and succeed.
func TestRunURLFailsOn5xx(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"broken"}`, http.StatusInternalServerError)
	}))
	defer srv.Close()
	var out strings.Builder
	err := run(context.Background(), []string{"--url", srv.URL, "--name", "mlp", "--duration", "100ms", "--warmup", "0", "--clients", "2"}, &out)
	if err == nil || !strings.Contains(err.Error(), "answered wrongly") {
		t.Errorf("a server answering 500: %v, want the run to fail\n%s", err, out.String())
	}
}
