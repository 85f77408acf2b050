// Package fetch downloads a file over HTTP into a directory the way every
// dataset loader needs it: bounded in size and time, checked before it
// counts, and written atomically — into a temporary file that is synced
// and renamed into place, or removed on any failure (or, if the process
// is killed, by the next download of the same name).
package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/tailor-ml/tailor/internal/atomicfile"
)

// Request says what to download and where.
type Request struct {
	// URL is what to GET.
	URL string
	// Client makes the request; DefaultClient when nil.
	Client *http.Client
	// Timeout bounds the whole download, body included; zero leaves the
	// bound to ctx (as http.Client's zero Timeout does).
	Timeout time.Duration
	// Limit is the most bytes the response may hold.
	Limit int64
	// Dir is the directory the file goes into, created if need be; Name
	// is the file's base name there, unless Check renames it.
	Dir, Name string
	// Check verifies the downloaded file, given positioned at its start,
	// and returns the base name to keep it under (Name, or another when
	// the contents decide, such as a .gz suffix). An error discards it.
	Check func(f *os.File, size int64) (name string, err error)
}

// ToFile downloads r.URL into r.Dir and returns the path it was saved at
// and its size. The server is asked for the bytes as stored (no transfer
// decompression). Errors name the URL.
func ToFile(ctx context.Context, r Request) (path string, size int64, err error) {
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return "", 0, fmt.Errorf("creating %s: %w", r.Dir, err)
	}
	client := r.Client
	if client == nil {
		client = DefaultClient()
	}
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, err // names the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("GET %s: %s", r.URL, resp.Status)
	}
	if resp.ContentLength > r.Limit {
		return "", 0, fmt.Errorf("GET %s: response of %d bytes is over the %d-byte limit", r.URL, resp.ContentLength, r.Limit)
	}
	tmp, err := atomicfile.CreateTemp(r.Dir, r.Name) // removes what killed downloads left
	if err != nil {
		return "", 0, fmt.Errorf("GET %s: %w", r.URL, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	size, err = io.Copy(tmp, io.LimitReader(resp.Body, r.Limit+1))
	if err != nil {
		return "", 0, fmt.Errorf("GET %s: reading the response after %d bytes: %w", r.URL, size, err)
	}
	if size > r.Limit {
		return "", 0, fmt.Errorf("GET %s: response is over the %d-byte limit", r.URL, r.Limit)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", 0, fmt.Errorf("GET %s: %w", r.URL, err)
	}
	name, err := r.Check(tmp, size)
	if err != nil {
		return "", 0, fmt.Errorf("GET %s: %w", r.URL, err)
	}
	path = filepath.Join(r.Dir, name)
	if err := tmp.Chmod(0o644); err != nil {
		return "", 0, fmt.Errorf("saving %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("saving %s: %w", path, err)
	}
	// Renamed before it is closed (where locks allow), so that a
	// concurrent download of the same name does not take it for one that
	// was killed and remove it.
	if err := atomicfile.Rename(tmp, path); err != nil {
		return "", 0, fmt.Errorf("saving %s: %w", path, err)
	}
	if d, err := os.Open(r.Dir); err == nil {
		d.Sync() // make the rename durable where the platform allows
		d.Close()
	}
	return path, size, nil
}

// DefaultClient returns a client with the default transport's settings
// (proxies from the environment included) and a bound on the wait for
// response headers.
func DefaultClient() *http.Client {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultClient
	}
	t = t.Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: t}
}
