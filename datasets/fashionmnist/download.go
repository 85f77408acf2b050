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
	"strings"
	"time"

	"github.com/tailor-ml/tailor/internal/fetch"
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
		client = fetch.DefaultClient()
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
			err := fetchFile(ctx, opts, client, url, dir, name)
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

// fetchFile downloads url into dir, checks the SHA-256 of its decompressed
// contents and keeps it as name.gz (or name if the server sent it
// uncompressed), atomically (package fetch).
func fetchFile(ctx context.Context, opts *Options, client *http.Client, url, dir, name string) error {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	limit := opts.maxBody
	if limit <= 0 {
		limit = maxBody
	}
	opts.logf("fashionmnist: downloading %s", url)
	path, n, err := fetch.ToFile(ctx, fetch.Request{
		URL: url, Client: client, Timeout: timeout, Limit: limit, Dir: dir, Name: name,
		Check: func(f *os.File, _ int64) (string, error) {
			sum, compressed, err := digest(f, limit)
			if err != nil {
				return "", err
			}
			if want := opts.sum(name); sum != want {
				return "", fmt.Errorf("SHA-256 of the decompressed data is %s, want %s", sum, want)
			}
			if compressed {
				return name + ".gz", nil
			}
			return name, nil
		},
	})
	if err != nil {
		return err
	}
	opts.logf("fashionmnist: saved %s (%d bytes)", path, n)
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
