package fashionmnist

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const (
	// defaultTimeout bounds one download request, body included.
	defaultTimeout = 10 * time.Minute

	// maxBody bounds a download's size, compressed and decompressed. The
	// largest file, the training images, is 26 MB compressed and 47 MB
	// decompressed.
	maxBody = 64 << 20
)

// download fetches the named files into dir, trying the mirrors in turn
// for each.
func download(ctx context.Context, opts *Options, dir string, names []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the cache: %w", err)
	}
	client := opts.HTTPClient
	if client == nil {
		client = defaultClient()
	}
	mirrors := opts.Mirrors
	if mirrors == nil {
		mirrors = DefaultMirrors()
	}
	if len(mirrors) == 0 {
		return errors.New("no mirrors to download from (Options.Mirrors is empty)")
	}
	for _, name := range names {
		var errs []error
		for _, m := range mirrors {
			url := strings.TrimSuffix(m, "/") + "/" + name + ".gz"
			err := fetch(ctx, opts, client, url, dir, name)
			if err == nil {
				errs = nil
				break
			}
			opts.logf("fashionmnist: %v", err)
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		if errs != nil {
			return fmt.Errorf("fetching %s.gz failed:\n%w", name, errors.Join(errs...))
		}
	}
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

// fetch downloads url into a temporary file in dir, checks the SHA-256 of
// its decompressed contents and renames it to name.gz (or name if the
// server sent it uncompressed). On failure it leaves nothing behind.
func fetch(ctx context.Context, opts *Options, client *http.Client, url, dir, name string) (err error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	limit := opts.maxBody
	if limit <= 0 {
		limit = maxBody
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	// Ask for the bytes as stored, so the transport does not decompress
	// them behind our back.
	req.Header.Set("Accept-Encoding", "identity")
	opts.logf("fashionmnist: downloading %s", url)
	resp, err := client.Do(req)
	if err != nil {
		return err // names the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if resp.ContentLength > limit {
		return fmt.Errorf("GET %s: response of %d bytes is over the %d-byte limit", url, resp.ContentLength, limit)
	}

	tmp, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("GET %s: reading the response after %d bytes: %w", url, n, err)
	}
	if n > limit {
		return fmt.Errorf("GET %s: response is over the %d-byte limit", url, limit)
	}

	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	sum, compressed, err := digest(tmp, limit)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	if want := opts.sum(name); sum != want {
		return fmt.Errorf("GET %s: SHA-256 of the decompressed data is %s, want %s", url, sum, want)
	}

	dst := filepath.Join(dir, name)
	if compressed {
		dst += ".gz"
	}
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
	opts.logf("fashionmnist: saved %s (%d bytes)", dst, n)
	return nil
}

// digest returns the hex SHA-256 of r's contents, decompressed first if
// they start with the gzip magic bytes, and whether they did. It reads at
// most limit decompressed bytes.
func digest(r io.Reader, limit int64) (sum string, compressed bool, err error) {
	br := bufio.NewReader(r)
	src := io.Reader(br)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return "", true, fmt.Errorf("decompressing: %w", err)
		}
		defer zr.Close()
		src, compressed = zr, true
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(src, limit+1))
	if err != nil {
		return "", compressed, fmt.Errorf("decompressing: %w", err)
	}
	if n > limit {
		return "", compressed, fmt.Errorf("decompressed data is over the %d-byte limit", limit)
	}
	return hex.EncodeToString(h.Sum(nil)), compressed, nil
}
