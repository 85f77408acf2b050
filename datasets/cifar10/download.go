package cifar10

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tailor-ml/tailor/internal/fetch"
)

// defaultTimeout bounds the download, body included.
const defaultTimeout = 30 * time.Minute

// download fetches the archive into dir, checked against the expected
// size and SHA-256, atomically (package fetch).
func download(ctx context.Context, opts *Options, dir string) error {
	url := opts.URL
	if url == "" {
		url = DefaultURL
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
	opts.logf("cifar10: downloading %s", url)
	path, n, err := fetch.ToFile(ctx, fetch.Request{
		URL: url, Client: opts.HTTPClient, Timeout: timeout, Limit: limit, Dir: dir, Name: ArchiveName,
		Check: func(f *os.File, n int64) (string, error) {
			if size > 0 && n != size {
				return "", fmt.Errorf("%d bytes, want %d", n, size)
			}
			h := sha256.New()
			if _, err := io.Copy(h, f); err != nil {
				return "", err
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != sum {
				return "", fmt.Errorf("SHA-256 %s, want %s", got, sum)
			}
			return ArchiveName, nil
		},
	})
	if err != nil {
		return err
	}
	opts.logf("cifar10: saved %s (%d bytes)", path, n)
	return nil
}
