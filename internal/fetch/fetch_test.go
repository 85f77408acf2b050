package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tailor-ml/tailor/internal/atomicfile"
)

// TestToFile downloads from a loopback server: a zero Timeout leaves the
// bound to the context, a short one stops a slow server, Check decides the
// name, and a refused or oversized download leaves nothing behind.
func TestToFile(t *testing.T) {
	slow := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-slow:
			case <-r.Context().Done():
			}
			return
		}
		io.WriteString(w, "hello, tailor")
	}))
	defer srv.Close()
	defer close(slow)
	dir := t.TempDir()
	keep := func(f *os.File, size int64) (string, error) {
		b, _ := io.ReadAll(f)
		if string(b) != "hello, tailor" || size != 13 {
			return "", errors.New("unexpected contents")
		}
		return "kept.txt", nil
	}
	path, n, err := ToFile(context.Background(), Request{URL: srv.URL + "/file", Limit: 100, Dir: dir, Name: "f", Check: keep})
	if err != nil || n != 13 || !strings.HasSuffix(path, "kept.txt") {
		t.Fatalf("zero Timeout: %q, %d, %v", path, n, err)
	}
	_, _, err = ToFile(context.Background(), Request{URL: srv.URL + "/slow", Timeout: 50 * time.Millisecond, Limit: 100, Dir: dir, Name: "s", Check: keep})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow server: %v, want the deadline", err)
	}
	_, _, err = ToFile(context.Background(), Request{URL: srv.URL + "/file", Limit: 5, Dir: dir, Name: "big", Check: keep})
	if err == nil || !strings.Contains(err.Error(), "5-byte limit") {
		t.Errorf("over the limit: %v", err)
	}
	_, _, err = ToFile(context.Background(), Request{URL: srv.URL + "/file", Limit: 100, Dir: dir, Name: "bad",
		Check: func(*os.File, int64) (string, error) { return "", errors.New("checksum mismatch") }})
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Errorf("refused by Check: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "kept.txt" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("the directory holds %q, want only kept.txt", names)
	}
}

// A download killed half-way leaves its temporary file; the next download
// of the same name removes it, but not one that is still being written.
func TestToFileRemovesKilledDownloads(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello, tailor")
	}))
	defer srv.Close()
	dir := t.TempDir()
	killed, err := atomicfile.CreateTemp(dir, "f")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(killed, "hel")
	killed.Close() // as the kernel closes it when the process dies
	live, err := atomicfile.CreateTemp(dir, "f")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	keep := func(*os.File, int64) (string, error) { return "f", nil }
	if _, _, err := ToFile(context.Background(), Request{URL: srv.URL, Limit: 100, Dir: dir, Name: "f", Check: keep}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed.Name()); !os.IsNotExist(err) {
		t.Errorf("the killed download's %s is still there (%v)", killed.Name(), err)
	}
	if _, err := os.Stat(live.Name()); err != nil {
		t.Errorf("the download under way lost its file: %v", err)
	}
}

// Downloads of the same name at once (two loaders fetching one dataset)
// all succeed and leave one file: the temporary file used to be closed,
// which released its lock, before it was renamed, and a concurrent
// download's clean-up removed it in between ("rename ...: no such file").
func TestConcurrentDownloadsOfOneName(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello, tailor")
	}))
	defer srv.Close()
	dir := t.TempDir()
	keep := func(f *os.File, size int64) (string, error) { return "kept.txt", nil }
	const downloaders, downloads = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, downloaders*downloads)
	for range downloaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range downloads {
				if _, _, err := ToFile(context.Background(), Request{URL: srv.URL, Limit: 100, Dir: dir, Name: "f", Check: keep}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 3 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d downloads failed", n, downloaders*downloads)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "kept.txt" {
		t.Errorf("the directory holds %d entries, want only kept.txt", len(entries))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "kept.txt")); err != nil || string(b) != "hello, tailor" {
		t.Errorf("kept.txt holds %q, %v", b, err)
	}
}
