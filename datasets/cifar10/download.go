package cifar10

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// defaultTimeout bounds the download, body included.
const defaultTimeout = 30 * time.Minute

// download fetches the archive into dir: into a temporary file, checked
// against the expected size and SHA-256, synced, then renamed. On failure
// it leaves nothing behind.
func download(ctx context.Context, opts *Options, dir string) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the cache: %w", err)
	}
	url := opts.URL
	if url == "" {
		url = DefaultURL
	}
	client := opts.HTTPClient
	if client == nil {
		client = defaultClient()
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	sum, size, _ := opts.expected()
	limit := size
	if limit <= 0 {
		limit = archiveSize // tests without a size still get a bound
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	// The bytes as stored: the transport must not decompress them.
	req.Header.Set("Accept-Encoding", "identity")
	opts.logf("cifar10: downloading %s", url)
	resp, err := client.Do(req)
	if err != nil {
		return err // names the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if resp.ContentLength > limit {
		return fmt.Errorf("GET %s: %d bytes, over the %d expected", url, resp.ContentLength, limit)
	}
	tmp, err := os.CreateTemp(dir, "."+ArchiveName+".*.tmp")
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("GET %s: reading the response after %d bytes: %w", url, n, err)
	}
	if n > limit || (size > 0 && n != size) {
		return fmt.Errorf("GET %s: %d bytes, want %d", url, n, limit)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("GET %s: SHA-256 %s, want %s", url, got, sum)
	}
	dst := filepath.Join(dir, ArchiveName)
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("saving %s: %w", dst, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("saving %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("saving %s: %w", dst, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the rename durable where the platform allows
		d.Close()
	}
	opts.logf("cifar10: saved %s (%d bytes)", dst, n)
	return nil
}

// defaultClient returns a client with the default transport's settings
// (proxies from the environment included) and a bound on the wait for
// response headers.
func defaultClient() *http.Client {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultClient
	}
	t = t.Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	return &http.Client{Transport: t}
}
