package cifar10

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tailor-ml/tailor/tensor"
)

// The images' dimensions and the number of classes.
const (
	Height, Width, Channels = 32, 32, 3
	NumClasses              = 10
)

// EnvVar is the environment variable naming a directory that holds the
// archive.
const EnvVar = "TAILOR_DATA"

// ArchiveName is the file LoadData looks for and downloads.
const ArchiveName = "cifar-10-binary.tar.gz"

// DefaultURL is where LoadData downloads the archive from.
const DefaultURL = "https://www.cs.toronto.edu/~kriz/" + ArchiveName

// The published archive: its size and SHA-256 (see the package doc).
const (
	archiveSize   = 170_052_171
	archiveSHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
)

// classNames is never modified; ClassNames hands out copies.
var classNames = [NumClasses]string{
	"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck",
}

// ClassNames returns the name of each class, indexed by label, as
// batches.meta.txt lists them. The slice is a fresh copy.
func ClassNames() []string {
	names := classNames
	return names[:]
}

// DefaultCacheDir returns the default download cache,
// os.UserCacheDir()/tailor/cifar-10.
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cifar10: no default cache directory: %w", err)
	}
	return filepath.Join(dir, "tailor", "cifar-10"), nil
}

// A Dataset is one split of CIFAR-10: N colour images and their labels.
type Dataset struct {
	// Images holds N×32×32×3 bytes, image after image, each row-major
	// with the red, green and blue bytes of a pixel together
	// (channels-last, Keras's layout).
	Images []uint8
	// Labels holds the class of each image, 0 to 9; see ClassNames.
	Labels []uint8
	// N is the number of images.
	N int
}

// Image returns the Height×Width×Channels bytes of image i. The slice
// shares memory with d.Images.
func (d *Dataset) Image(i int) []uint8 {
	const n = Height * Width * Channels
	return d.Images[i*n : (i+1)*n : (i+1)*n]
}

// Tensor returns the images as a (N, 32, 32, 3) tensor, each byte times
// scale (1/255 maps them to [0, 1], as the tutorials do).
func (d *Dataset) Tensor(scale float32) (*tensor.Tensor, error) {
	return tensor.FromUint8(d.Images, scale, d.N, Height, Width, Channels)
}

// Options configures LoadData. The zero value searches the default
// directories and downloads into the default cache if need be.
type Options struct {
	// Dir, if set, is the only directory LoadData reads (no search, no
	// download): the command line's --data flag.
	Dir string
	// Getenv reads EnvVar; nil means os.Getenv.
	Getenv func(key string) string
	// CacheDir is the download cache, searched second and created if a
	// download is needed. Empty means DefaultCacheDir().
	CacheDir string
	// NoDownload makes LoadData fail rather than download.
	NoDownload bool
	// URL is where to download the archive from; empty means DefaultURL.
	URL string
	// HTTPClient makes the request. Nil means a client with the default
	// transport's settings and a 30 s limit on waiting for headers.
	HTTPClient *http.Client
	// Timeout bounds the download, body included; zero means 30 minutes.
	Timeout time.Duration
	// Logf, if set, receives progress messages without trailing newlines.
	Logf func(format string, args ...any)

	// Test hooks: the expected checksum and size of the archive (0 for
	// any size), and the number of records in each batch file.
	sum      string
	size     int64
	perBatch int
}

func (o *Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

func (o *Options) expected() (sum string, size int64, perBatch int) {
	if o.sum == "" {
		return archiveSHA256, archiveSize, 10_000
	}
	return o.sum, o.size, o.perBatch
}

// ErrNotFound is matched (errors.Is) by the error LoadData returns when no
// directory holds the archive and it could not be downloaded.
var ErrNotFound = errors.New("cifar10: data not found")

// LoadData returns the CIFAR-10 training and test sets, finding or
// downloading the archive as the package documentation describes. An
// explicit Options.Dir is final, as for Fashion-MNIST: the archive is read
// from it or the error names it, with no search and no download.
// Cancelling ctx stops the download or the reading. A corrupt archive is
// an error naming the file; LoadData does not fall back to another
// directory.
func LoadData(ctx context.Context, opts Options) (train, test *Dataset, err error) {
	if opts.Dir != "" {
		p := filepath.Join(opts.Dir, ArchiveName)
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			return nil, nil, fmt.Errorf("%w: %s (Options.Dir / --data) has no %s: put the archive (from %s) there, or leave the directory out to search and download", ErrNotFound, opts.Dir, ArchiveName, DefaultURL)
		}
		opts.logf("cifar10: loading %s", p)
		return loadFile(ctx, &opts, p)
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cache := opts.CacheDir
	var cacheErr error
	if cache == "" {
		cache, cacheErr = DefaultCacheDir()
	}
	type loc struct{ dir, source string }
	locs := []loc{{getenv(EnvVar), "$" + EnvVar}, {cache, "download cache"}}
	var searched []string
	for _, l := range locs {
		if l.dir == "" {
			continue
		}
		p := filepath.Join(l.dir, ArchiveName)
		fi, err := os.Stat(p)
		if err == nil && fi.Mode().IsRegular() {
			opts.logf("cifar10: loading %s", p)
			return loadFile(ctx, &opts, p)
		}
		why := "no " + ArchiveName
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			why = err.Error()
		}
		searched = append(searched, fmt.Sprintf("%s (%s): %s", l.dir, l.source, why))
	}
	var dlErr error
	switch {
	case opts.NoDownload:
		dlErr = errors.New("disabled by Options.NoDownload")
	case cache == "":
		dlErr = fmt.Errorf("no cache directory to download into: %v", cacheErr)
	default:
		dlErr = download(ctx, &opts, cache)
	}
	if dlErr != nil {
		url := opts.URL
		if url == "" {
			url = DefaultURL
		}
		return nil, nil, fmt.Errorf("%w\nsearched:\n  %s\ndownload: %w\nto fix, put %s (from %s) in a directory passed as --data or %s, or allow the download",
			ErrNotFound, strings.Join(searched, "\n  "), dlErr, ArchiveName, url, EnvVar)
	}
	return loadFile(ctx, &opts, filepath.Join(cache, ArchiveName))
}

// loadFile reads and checks the archive at p.
func loadFile(ctx context.Context, opts *Options, p string) (train, test *Dataset, err error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, fmt.Errorf("cifar10: %w", err)
	}
	defer f.Close()
	// A file of another size cannot be the archive: say so from its size,
	// before Read allocates the images and decompresses it, rather than
	// with whatever its parse stumbles on first.
	if _, size, _ := opts.expected(); size > 0 {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() != size {
			return nil, nil, fmt.Errorf("cifar10: %s: %d bytes, want the published %d: the archive is damaged or is not CIFAR-10's; delete it and download it again", p, fi.Size(), size)
		}
	}
	train, test, err = Read(ctx, f, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("cifar10: %s: %w", p, err)
	}
	return train, test, nil
}

// Read parses a cifar-10-binary.tar.gz stream, checking its size and
// checksum as LoadData does (opts, which may be nil, supplies them: any
// Options a caller can build expects the published archive). The images are returned only once the whole
// stream has been read and its checksum matched.
func Read(ctx context.Context, r io.Reader, opts *Options) (train, test *Dataset, err error) {
	if opts == nil {
		opts = &Options{}
	}
	sum, size, perBatch := opts.expected()
	h := sha256.New()
	counted := &countReader{r: r, ctx: ctx}
	br := bufio.NewReaderSize(io.TeeReader(counted, h), 1<<16)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, fmt.Errorf("not a gzip stream: %w", err)
	}
	zr.Multistream(false)
	// The images are allocated by readBatch, once a batch of the
	// expected size arrives: a stream that is not the archive costs
	// nothing like their 184 MB.
	train = &Dataset{N: 5 * perBatch}
	test = &Dataset{N: perBatch}
	// What the stream decompresses to is bounded as well: the batches,
	// batches.meta.txt, the members skipped, what may follow the tar, and
	// room for the tar's headers and padding. Without it a stream of tar
	// headers alone (directories, whose data is none) could make Read
	// inflate 1032 × what arrived.
	limit := 6*int64(perBatch)*recordBytes + maxMetaBytes + 2*maxOtherBytes + maxTarOverhead
	zlr := &inflateLimit{r: zr, left: limit, limit: limit}
	if err := untar(zlr, perBatch, train, test); err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, err
	}
	// Read the tar's end padding and the gzip trailer, which checks the
	// decompressed data's CRC, then hash whatever follows the gzip member:
	// the checksum covers the whole file.
	if n, err := io.Copy(io.Discard, io.LimitReader(zlr, maxOtherBytes+1)); err != nil {
		return nil, nil, fmt.Errorf("after the tar archive: %w", err)
	} else if n > maxOtherBytes {
		return nil, nil, fmt.Errorf("more than %d bytes after the tar archive", maxOtherBytes)
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		return nil, nil, err
	}
	if size > 0 && counted.n != size {
		return nil, nil, fmt.Errorf("%d bytes, want the published %d: the archive is damaged or is not CIFAR-10's; delete it and download it again", counted.n, size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return nil, nil, fmt.Errorf("SHA-256 %s, want %s: the archive is damaged or is not CIFAR-10's; delete it and download it again", got, sum)
	}
	return train, test, nil
}

// inflateLimit reads at most limit bytes from r, the decompressed
// stream, and fails past them.
type inflateLimit struct {
	r           io.Reader
	left, limit int64
}

func (l *inflateLimit) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("more than %d bytes decompressed, the most the archive's members, headers and padding take: the stream is not CIFAR-10's archive", l.limit)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// countReader counts the bytes read and stops when ctx is done.
type countReader struct {
	r   io.Reader
	ctx context.Context
	n   int64
}

func (c *countReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

const (
	imageBytes  = Height * Width * Channels
	recordBytes = 1 + imageBytes
	// maxOtherBytes bounds the members LoadData skips (readme.html).
	maxOtherBytes = 1 << 20
	maxMetaBytes  = 4 << 10
	// maxTarOverhead bounds the tar's headers (PAX and GNU long-name
	// records included) and padding in the decompressed stream: the
	// published archive's take under 20 KB.
	maxTarOverhead = 1 << 20
)

// untar reads the tar stream's members into train and test.
func untar(r io.Reader, perBatch int, train, test *Dataset) error {
	tr := tar.NewReader(r)
	want := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin", "batches.meta.txt"}
	seen := map[string]bool{}
	var other int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the tar archive: %w", err)
		}
		name := path.Base(hdr.Name)
		i := slices.Index(want, name)
		if hdr.Typeflag != tar.TypeReg || i < 0 {
			// Directories, readme.html, and members of any other type:
			// what they hold counts against maxOtherBytes whatever
			// their header says (archive/tar reads data after the
			// header of a type it does not know).
			if hdr.Typeflag == tar.TypeReg && other+hdr.Size > maxOtherBytes {
				return fmt.Errorf("%s: more than %d bytes of members other than the batches", hdr.Name, maxOtherBytes)
			}
			n, err := io.Copy(io.Discard, io.LimitReader(tr, maxOtherBytes-other+1))
			if err != nil {
				return fmt.Errorf("%s: %w", hdr.Name, err)
			}
			if other += n; other > maxOtherBytes {
				return fmt.Errorf("%s: more than %d bytes of members other than the batches", hdr.Name, maxOtherBytes)
			}
			continue
		}
		if seen[name] {
			return fmt.Errorf("%s appears twice", hdr.Name)
		}
		seen[name] = true
		if name == "batches.meta.txt" {
			if err := readMeta(tr, hdr); err != nil {
				return err
			}
			continue
		}
		d, first := train, i*perBatch
		if i == 5 {
			d, first = test, 0
		}
		if err := readBatch(tr, hdr, perBatch, d, first); err != nil {
			return err
		}
	}
	for _, name := range want {
		if !seen[name] {
			return fmt.Errorf("the archive lacks %s", name)
		}
	}
	return nil
}

// readBatch reads one batch file's records into d from image first on,
// turning each record's planes (1,024 red bytes, then green, then blue)
// into channels-last pixels.
func readBatch(r io.Reader, hdr *tar.Header, perBatch int, d *Dataset, first int) error {
	if want := int64(perBatch) * recordBytes; hdr.Size != want {
		return fmt.Errorf("%s: %d bytes, want %d (%d records of %d bytes)", hdr.Name, hdr.Size, want, perBatch, recordBytes)
	}
	if d.Images == nil {
		d.Images, d.Labels = make([]uint8, d.N*imageBytes), make([]uint8, d.N)
	}
	rec := make([]byte, recordBytes)
	for k := 0; k < perBatch; k++ {
		if _, err := io.ReadFull(r, rec); err != nil {
			return fmt.Errorf("%s: record %d: %w", hdr.Name, k, err)
		}
		if rec[0] >= NumClasses {
			return fmt.Errorf("%s: record %d has label %d, want 0 to %d", hdr.Name, k, rec[0], NumClasses-1)
		}
		d.Labels[first+k] = rec[0]
		img := d.Image(first + k)
		const plane = Height * Width
		for p := 0; p < plane; p++ {
			img[3*p] = rec[1+p]
			img[3*p+1] = rec[1+plane+p]
			img[3*p+2] = rec[1+2*plane+p]
		}
	}
	return nil
}

// readMeta checks that batches.meta.txt names the classes as ClassNames.
func readMeta(r io.Reader, hdr *tar.Header) error {
	if hdr.Size > maxMetaBytes {
		return fmt.Errorf("%s: %d bytes, want at most %d", hdr.Name, hdr.Size, maxMetaBytes)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", hdr.Name, err)
	}
	names := strings.Fields(string(b))
	if !slices.Equal(names, classNames[:]) {
		return fmt.Errorf("%s names the classes %q, want %q", hdr.Name, names, classNames)
	}
	return nil
}
