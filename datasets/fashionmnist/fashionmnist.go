package fashionmnist

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tailor-ml/tailor/datasets/idx"
)

// NumClasses is the number of classes; labels run from 0 to NumClasses-1.
const NumClasses = 10

// EnvVar is the environment variable naming a directory that holds the
// data. LoadData reads it through Options.Getenv.
const EnvVar = "TAILOR_DATA"

// DefaultSystemDir is where the Debian package dataset-fashion-mnist
// installs the data.
const DefaultSystemDir = "/usr/share/datasets/fashion-mnist"

// classNames is never modified; ClassNames hands out copies.
var classNames = [NumClasses]string{
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
}

// ClassNames returns the name of each class, indexed by label. The slice is
// a fresh copy that the caller may modify.
func ClassNames() []string {
	names := classNames
	return names[:]
}

// DefaultMirrors returns the base URLs LoadData downloads from, in the order
// it tries them: Keras's copy on Google Cloud Storage, then Zalando's on
// Amazon S3. The latter is plain HTTP; the SHA-256 check makes that safe.
func DefaultMirrors() []string {
	return []string{
		"https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
		"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
	}
}

// DefaultCacheDir returns the default download cache,
// os.UserCacheDir()/tailor/fashion-mnist.
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("fashionmnist: no default cache directory: %w", err)
	}
	return filepath.Join(dir, "tailor", "fashion-mnist"), nil
}

// The four files, in the order used throughout.
const (
	trainImages = "train-images-idx3-ubyte"
	trainLabels = "train-labels-idx1-ubyte"
	testImages  = "t10k-images-idx3-ubyte"
	testLabels  = "t10k-labels-idx1-ubyte"
)

var fileNames = [4]string{trainImages, trainLabels, testImages, testLabels}

// defaultSums holds the SHA-256 of each of fileNames, decompressed.
var defaultSums = [4]string{
	"c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
	"bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
	"5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
	"0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

// A Dataset is one split of Fashion-MNIST: N images of Rows x Cols pixels
// and their labels. Keras would return Images as an array of shape
// (N, Rows, Cols) and Labels of shape (N,).
type Dataset struct {
	// Images holds N*Rows*Cols pixels, 0 (background) to 255, image after
	// image, each row-major.
	Images []uint8

	// Labels holds the class of each image, 0 to NumClasses-1; see
	// ClassNames.
	Labels []uint8

	// N is the number of images; Rows and Cols are the height and width
	// of each, 28 for the real data.
	N, Rows, Cols int
}

// Image returns the pixels of image i, row-major. The slice shares memory
// with d.Images.
func (d *Dataset) Image(i int) []uint8 {
	n := d.Rows * d.Cols
	return d.Images[i*n : (i+1)*n : (i+1)*n]
}

// Options configures LoadData. The zero value searches the default
// directories and downloads into the default cache if need be.
type Options struct {
	// Dir, if set, is the only directory LoadData reads: when it lacks a
	// file, LoadData fails naming the missing files, and neither searches
	// elsewhere nor downloads. It is what the command line's --data flag
	// sets.
	Dir string

	// Getenv reads the environment variable EnvVar (TAILOR_DATA), whose
	// value, if set, is the directory searched second. It is the only
	// environment LoadData consults itself (os.UserCacheDir reads HOME or
	// XDG_CACHE_HOME when CacheDir is empty). Nil means os.Getenv.
	Getenv func(key string) string

	// CacheDir is the download cache, searched third and created if a
	// download is needed. Empty means DefaultCacheDir().
	CacheDir string

	// SystemDir is searched last. Empty means DefaultSystemDir.
	SystemDir string

	// NoDownload makes LoadData fail rather than download when no
	// directory holds the data.
	NoDownload bool

	// Mirrors are the base URLs to download from, tried in order; file
	// names are appended to them. Nil means DefaultMirrors().
	Mirrors []string

	// HTTPClient makes the download requests. Nil means a client with
	// the default transport's settings and a 30 s limit on waiting for
	// response headers.
	HTTPClient *http.Client

	// Timeout bounds each download request, body included; the context
	// passed to LoadData bounds them all. Zero means 10 minutes.
	Timeout time.Duration

	// Logf, if set, receives progress messages: where the data was found,
	// what is being downloaded. Messages have no trailing newline.
	Logf func(format string, args ...any)

	// Test hooks: replacement checksums of the decompressed files, keyed
	// by base name, and a replacement download size limit.
	sums    map[string]string
	maxBody int64
}

func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// sum returns the expected SHA-256 of the named file, decompressed.
func (o Options) sum(name string) string {
	if o.sums != nil {
		return o.sums[name]
	}
	for i, n := range fileNames {
		if n == name {
			return defaultSums[i]
		}
	}
	return ""
}

// location is a directory to search and where it came from.
type location struct {
	dir    string // empty if the source names none
	source string // for messages: "Options.Dir / --data", "$TAILOR_DATA", ...
	note   string // why dir is empty, if it is
}

// locations returns the search path with its sources, and the cache
// directory ("" if it cannot be determined).
func (o Options) locations() (locs []location, cache string) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if o.Dir != "" {
		return []location{{dir: o.Dir, source: "Options.Dir / --data"}}, ""
	}
	env := location{dir: getenv(EnvVar), source: "$" + EnvVar}
	if env.dir == "" {
		env.note = "not set"
	}
	locs = append(locs, env)

	cacheLoc := location{dir: o.CacheDir, source: "download cache"}
	if cacheLoc.dir == "" {
		var err error
		if cacheLoc.dir, err = DefaultCacheDir(); err != nil {
			cacheLoc.note = err.Error()
		}
	}
	locs = append(locs, cacheLoc)

	sys := o.SystemDir
	if sys == "" {
		sys = DefaultSystemDir
	}
	locs = append(locs, location{dir: sys, source: "Debian package dataset-fashion-mnist"})

	// Drop directories already listed, keeping the first mention.
	seen := make(map[string]bool)
	out := locs[:0]
	for _, l := range locs {
		if l.dir != "" {
			key := filepath.Clean(l.dir)
			if seen[key] {
				continue
			}
			seen[key] = true
		}
		out = append(out, l)
	}
	return out, cacheLoc.dir
}

// SearchPath returns the directories LoadData would search, in order,
// leaving out sources that name none (an unset TAILOR_DATA) and repeats:
// Options.Dir alone when it is set.
func (o Options) SearchPath() []string {
	locs, _ := o.locations()
	var dirs []string
	for _, l := range locs {
		if l.dir != "" {
			dirs = append(dirs, l.dir)
		}
	}
	return dirs
}

// find looks for the four files in dir, preferring the uncompressed form.
// It returns their paths and, if some are missing, a description of what
// is wrong with dir and the names of the missing files.
func find(dir string) (paths [4]string, problem string, missing []string) {
	if fi, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return paths, "does not exist", fileNames[:]
		}
		return paths, err.Error(), fileNames[:]
	} else if !fi.IsDir() {
		return paths, "is not a directory", fileNames[:]
	}
	for i, name := range fileNames {
		for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, name+".gz")} {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				paths[i] = p
				break
			}
		}
		if paths[i] == "" {
			missing = append(missing, name)
		}
	}
	if missing != nil {
		problem = "lacks " + strings.Join(missing, "[.gz], ") + "[.gz]"
	}
	return paths, problem, missing
}

// LoadData returns the Fashion-MNIST training and test sets, finding or
// downloading the files as the package documentation describes. With
// Options.Dir set it reads that directory alone.
//
// When no directory holds the data and downloading is disabled or fails,
// the error matches ErrNotFound (errors.Is), lists every directory searched
// and says how to provide the data. Corrupt or unexpected files are errors
// that name the file; LoadData does not fall back to another directory.
func LoadData(ctx context.Context, opts Options) (train, test *Dataset, err error) {
	if opts.Dir != "" {
		paths, problem, _ := find(opts.Dir)
		if problem != "" {
			return nil, nil, fmt.Errorf("%w: %s (Options.Dir / --data) %s; a directory given explicitly is read alone: no other is searched and nothing is downloaded",
				ErrNotFound, opts.Dir, problem)
		}
		opts.logf("fashionmnist: loading from %s", opts.Dir)
		return load(ctx, &opts, paths)
	}
	locs, cache := opts.locations()
	var searched []string
	for _, l := range locs {
		if l.dir == "" {
			searched = append(searched, fmt.Sprintf("%s: %s", l.source, l.note))
			continue
		}
		paths, problem, _ := find(l.dir)
		if problem == "" {
			opts.logf("fashionmnist: loading from %s", l.dir)
			return load(ctx, &opts, paths)
		}
		searched = append(searched, fmt.Sprintf("%s (%s): %s", l.dir, l.source, problem))
	}

	nf := &notFoundError{searched: searched, cache: cache, mirrors: opts.Mirrors}
	if nf.mirrors == nil {
		nf.mirrors = DefaultMirrors()
	}
	switch {
	case opts.NoDownload:
		nf.download = errDownloadDisabled
	case cache == "":
		nf.download = errors.New("no cache directory to download into; set Options.CacheDir")
	default:
		_, _, missing := find(cache)
		nf.download = download(ctx, &opts, cache, missing)
	}
	if nf.download != nil {
		return nil, nil, nf
	}
	paths, problem, _ := find(cache)
	if problem != "" {
		return nil, nil, fmt.Errorf("fashionmnist: cache %s after downloading: %s", cache, problem)
	}
	return load(ctx, &opts, paths)
}

// ErrNotFound is matched by the error LoadData returns when no directory
// holds the data and it could not be downloaded.
var ErrNotFound = errors.New("fashionmnist: data not found")

var errDownloadDisabled = errors.New("disabled by Options.NoDownload")

type notFoundError struct {
	searched []string // one line per location
	cache    string
	mirrors  []string
	download error // why the data was not downloaded
}

func (e *notFoundError) Error() string {
	var b strings.Builder
	b.WriteString("fashionmnist: Fashion-MNIST data not found\nsearched:\n")
	for _, s := range e.searched {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	fmt.Fprintf(&b, "download: %v\n", strings.ReplaceAll(e.download.Error(), "\n", "\n  "))
	b.WriteString("to fix, do one of:\n")
	b.WriteString("  - install the Debian package: apt-get install dataset-fashion-mnist\n")
	fmt.Fprintf(&b, "  - pass --data DIR or set %s=DIR, where DIR holds %s, %s, %s and %s (each plain or .gz)\n",
		EnvVar, trainImages, trainLabels, testImages, testLabels)
	cache := e.cache
	if cache == "" {
		cache = "the cache directory"
	}
	mirror := "the mirrors"
	if len(e.mirrors) > 0 {
		mirror = e.mirrors[0]
	}
	fmt.Fprintf(&b, "  - allow network access to %s so the files can be downloaded to %s", mirror, cache)
	return b.String()
}

// Unwrap lets errors.Is match both ErrNotFound and the download error,
// such as context.Canceled.
func (e *notFoundError) Unwrap() []error { return []error{ErrNotFound, e.download} }

// load reads and checks the four files.
func load(ctx context.Context, opts *Options, paths [4]string) (train, test *Dataset, err error) {
	var files [4]*idx.File
	for i, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("fashionmnist: loading %s: %w", p, err)
		}
		if files[i], err = readChecked(p, opts.sum(fileNames[i])); err != nil {
			return nil, nil, err
		}
	}
	if train, err = dataset(paths[0], paths[1], files[0], files[1]); err != nil {
		return nil, nil, err
	}
	if test, err = dataset(paths[2], paths[3], files[2], files[3]); err != nil {
		return nil, nil, err
	}
	if train.Rows != test.Rows || train.Cols != test.Cols {
		return nil, nil, fmt.Errorf("fashionmnist: %s holds %dx%d images but %s holds %dx%d, want the same size",
			paths[0], train.Rows, train.Cols, paths[2], test.Rows, test.Cols)
	}
	return train, test, nil
}

// maxPayload caps each file's payload, well above the 47,040,000 bytes of
// the training images: a header claiming more is refused before anything
// is read.
const maxPayload = 64 << 20

// readChecked reads an IDX file and checks the SHA-256 of its decompressed
// bytes against want (hex). As IDX has a single encoding per array, those
// bytes are exactly what idx.Write produces from the File.
func readChecked(path, want string) (*idx.File, error) {
	f, err := idx.ReadFileLimit(path, maxPayload)
	if err != nil {
		return nil, fmt.Errorf("fashionmnist: %w", err)
	}
	h := sha256.New()
	if err := idx.Write(h, f); err != nil {
		return nil, fmt.Errorf("fashionmnist: hashing %s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return nil, fmt.Errorf("fashionmnist: %s: SHA-256 of the decompressed data is %s, want %s: "+
			"the file is corrupt or is not Fashion-MNIST (MNIST digits have the same file names); "+
			"delete or replace it", path, got, want)
	}
	return f, nil
}

// dataset checks a pair of image and label files and combines them.
func dataset(imagesPath, labelsPath string, images, labels *idx.File) (*Dataset, error) {
	if images.DType != idx.Uint8 || len(images.Dims) != 3 {
		return nil, fmt.Errorf("fashionmnist: %s: holds %v of dimensions %v, want uint8 images of dimensions [N rows cols]",
			imagesPath, images.DType, images.Dims)
	}
	if labels.DType != idx.Uint8 || len(labels.Dims) != 1 {
		return nil, fmt.Errorf("fashionmnist: %s: holds %v of dimensions %v, want uint8 labels of dimensions [N]",
			labelsPath, labels.DType, labels.Dims)
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("fashionmnist: %s holds %d labels but %s holds %d images, want as many of each",
			labelsPath, labels.Dims[0], imagesPath, images.Dims[0])
	}
	for i, l := range labels.Data {
		if l >= NumClasses {
			return nil, fmt.Errorf("fashionmnist: %s: label %d is %d, want 0 to %d", labelsPath, i, l, NumClasses-1)
		}
	}
	return &Dataset{
		Images: images.Data,
		Labels: labels.Data,
		N:      images.Dims[0],
		Rows:   images.Dims[1],
		Cols:   images.Dims[2],
	}, nil
}
