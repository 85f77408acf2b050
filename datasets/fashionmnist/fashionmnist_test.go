package fashionmnist

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tailor-ml/tailor/datasets/idx"
)

// split returns image and label files for n images of 2x3 pixels whose
// first pixel and first label are marker.
func split(n int, marker byte) (images, labels *idx.File) {
	images = &idx.File{DType: idx.Uint8, Dims: []int{n, 2, 3}, Data: make([]byte, n*6)}
	labels = &idx.File{DType: idx.Uint8, Dims: []int{n}, Data: make([]byte, n)}
	for i := range images.Data {
		images.Data[i] = byte(i)
	}
	for i := range labels.Data {
		labels.Data[i] = byte(i % NumClasses)
	}
	images.Data[0], labels.Data[0] = marker, marker%NumClasses
	return images, labels
}

// fakeData returns the four files of a small dataset, keyed by base name:
// 5 training and 3 test images.
func fakeData(marker byte) map[string]*idx.File {
	trI, trL := split(5, marker)
	teI, teL := split(3, marker)
	return map[string]*idx.File{trainImages: trI, trainLabels: trL, testImages: teI, testLabels: teL}
}

// encode returns the uncompressed IDX encoding of f.
func encode(t *testing.T, f *idx.File) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := idx.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sumsOf returns the checksums LoadData should expect for files.
func sumsOf(t *testing.T, files map[string]*idx.File) map[string]string {
	t.Helper()
	sums := make(map[string]string)
	for name, f := range files {
		h := sha256.Sum256(encode(t, f))
		sums[name] = hex.EncodeToString(h[:])
	}
	return sums
}

// writeDir writes files into dir, creating it; compressed with .gz
// suffixes where gz(name) is true.
func writeDir(t *testing.T, dir string, files map[string]*idx.File, gz func(name string) bool) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, f := range files {
		path := filepath.Join(dir, name)
		compress := gz != nil && gz(name)
		if compress {
			path += ".gz"
		}
		if err := idx.WriteFile(path, f, compress); err != nil {
			t.Fatal(err)
		}
	}
}

// isolated returns Options that see no real data: an empty environment,
// and cache and system directories under a fresh temporary directory.
func isolated(t *testing.T) Options {
	root := t.TempDir()
	return Options{
		Getenv:     func(string) string { return "" },
		CacheDir:   filepath.Join(root, "cache"),
		SystemDir:  filepath.Join(root, "system"),
		NoDownload: true,
		Logf:       t.Logf,
	}
}

func TestClassNames(t *testing.T) {
	want := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	got := ClassNames()
	if !slices.Equal(got, want) {
		t.Fatalf("ClassNames() = %q, want %q", got, want)
	}
	got[0] = "changed"
	if ClassNames()[0] != want[0] {
		t.Error("modifying the result of ClassNames changed the next result")
	}
}

func TestSearchOrder(t *testing.T) {
	const (
		dir = 1 << iota
		env
		cache
		system
		partial // Options.Dir lacks one file
	)
	tests := []struct {
		name string
		has  int // which locations hold the data
		want int
	}{
		{"all hold it: Dir wins", dir | env | cache | system, dir},
		{"no Dir: TAILOR_DATA wins", env | cache | system, env},
		{"cache before system", cache | system, cache},
		{"system last", system, system},
		// An explicit directory is final: no fallback to the others.
		{"incomplete Dir is an error", partial | env | system, 0},
		{"incomplete Dir, only system", partial | system, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := isolated(t)
			root := t.TempDir()
			dirs := map[int]string{
				dir:    filepath.Join(root, "dir"),
				env:    filepath.Join(root, "env"),
				cache:  opts.CacheDir,
				system: opts.SystemDir,
			}
			dirs[partial] = dirs[dir]
			if tt.has&(dir|partial) != 0 {
				opts.Dir = dirs[dir]
			}
			opts.Getenv = func(k string) string {
				if k == EnvVar {
					return dirs[env]
				}
				return ""
			}
			// Each location gets data with its own marker; the checksums
			// are those of the location that should win.
			for loc, d := range dirs {
				if tt.has&loc == 0 || loc == partial {
					continue
				}
				files := fakeData(byte(loc))
				// Mix plain and compressed files.
				writeDir(t, d, files, func(name string) bool { return strings.HasPrefix(name, "train") == (loc%3 == 0) })
				if loc == tt.want {
					opts.sums = sumsOf(t, files)
				}
			}
			if tt.has&partial != 0 {
				files := fakeData(byte(partial))
				delete(files, testLabels)
				writeDir(t, dirs[partial], files, nil)
			}

			train, test, err := LoadData(context.Background(), opts)
			if tt.want == 0 {
				if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), opts.Dir+" (Options.Dir / --data) lacks t10k-labels-idx1-ubyte[.gz]") || !strings.Contains(err.Error(), "no other is searched and nothing is downloaded") {
					t.Fatalf("LoadData: %v, want an error naming the missing file of %s", err, opts.Dir)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadData: %v", err)
			}
			if train.Images[0] != byte(tt.want) || test.Images[0] != byte(tt.want) {
				t.Errorf("loaded data with markers %d and %d, want %d", train.Images[0], test.Images[0], tt.want)
			}
			if train.N != 5 || test.N != 3 || train.Rows != 2 || train.Cols != 3 || len(train.Images) != 30 || len(test.Labels) != 3 {
				t.Errorf("train %d %dx%d (%d pixels), test %d (%d labels): want 5 2x3 (30 pixels), 3 (3 labels)",
					train.N, train.Rows, train.Cols, len(train.Images), test.N, len(test.Labels))
			}
			if got := train.Image(1); len(got) != 6 || cap(got) != 6 || got[0] != 6 {
				t.Errorf("train.Image(1) = %v (cap %d), want 6 pixels starting with 6", got, cap(got))
			}
		})
	}
}

func TestSearchPath(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvVar {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"defaults", Options{Getenv: env(""), CacheDir: "/c"}, []string{"/c", DefaultSystemDir}},
		{"all", Options{Getenv: env("/e"), CacheDir: "/c", SystemDir: "/s"}, []string{"/e", "/c", "/s"}},
		{"Dir alone", Options{Dir: "/d", Getenv: env("/e"), CacheDir: "/c", SystemDir: "/s"}, []string{"/d"}},
		{"repeats dropped", Options{Getenv: env("/c/"), CacheDir: "/c", SystemDir: "/c/."}, []string{"/c/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.opts.SearchPath(); !slices.Equal(got, tt.want) {
				t.Errorf("SearchPath() = %q, want %q", got, tt.want)
			}
		})
	}

	// An empty CacheDir means the user cache directory.
	def, err := DefaultCacheDir()
	if err != nil {
		t.Skip(err)
	}
	if got := (Options{Getenv: env("")}).SearchPath(); !slices.Equal(got, []string{def, DefaultSystemDir}) {
		t.Errorf("SearchPath() = %q, want [%s %s]", got, def, DefaultSystemDir)
	}
}

func TestLoadInvalid(t *testing.T) {
	int8Labels := &idx.File{DType: idx.Int8, Dims: []int{5}, Data: make([]byte, 5)}
	tests := []struct {
		name   string
		change func(map[string]*idx.File)
		bad    string // the file the error must name
		msg    string
	}{
		{"images rank 2", func(m map[string]*idx.File) { m[trainImages].Dims = []int{5, 6} }, trainImages, "want uint8 images of dimensions [N rows cols]"},
		{"labels rank 2", func(m map[string]*idx.File) { m[testLabels].Dims = []int{3, 1} }, testLabels, "want uint8 labels of dimensions [N]"},
		{"labels int8", func(m map[string]*idx.File) { m[trainLabels] = int8Labels }, trainLabels, "holds int8"},
		{"count mismatch", func(m map[string]*idx.File) { m[testLabels].Dims, m[testLabels].Data = []int{2}, []byte{1, 2} }, testLabels, "holds 2 labels but"},
		{"label 10", func(m map[string]*idx.File) { m[trainLabels].Data[4] = 10 }, trainLabels, "label 4 is 10, want 0 to 9"},
		{"test images differ in size", func(m map[string]*idx.File) { m[testImages].Dims = []int{3, 3, 2} }, trainImages, "holds 2x3 images but"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := isolated(t)
			opts.Dir = t.TempDir()
			files := fakeData(1)
			tt.change(files)
			writeDir(t, opts.Dir, files, func(string) bool { return true })
			opts.sums = sumsOf(t, files)
			_, _, err := LoadData(context.Background(), opts)
			if err == nil {
				t.Fatal("LoadData succeeded, want error")
			}
			if !strings.Contains(err.Error(), filepath.Join(opts.Dir, tt.bad)) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q: want it to name %s and say %q", err, tt.bad, tt.msg)
			}
		})
	}

	t.Run("checksum mismatch", func(t *testing.T) {
		opts := isolated(t)
		opts.Dir = t.TempDir()
		files := fakeData(1)
		opts.sums = sumsOf(t, files)
		files[testImages].Data[7]++
		writeDir(t, opts.Dir, files, nil)
		_, _, err := LoadData(context.Background(), opts)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(opts.Dir, testImages)+": SHA-256") {
			t.Errorf("error %v, want a SHA-256 mismatch naming %s", err, testImages)
		}
	})

	t.Run("truncated file", func(t *testing.T) {
		opts := isolated(t)
		opts.Dir = t.TempDir()
		files := fakeData(1)
		opts.sums = sumsOf(t, files)
		writeDir(t, opts.Dir, files, nil)
		path := filepath.Join(opts.Dir, trainLabels)
		if err := os.Truncate(path, 10); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadData(context.Background(), opts)
		var fe *idx.FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), path) {
			t.Errorf("error %v, want an idx.FormatError naming %s", err, path)
		}
	})

	t.Run("real checksums reject other data", func(t *testing.T) {
		opts := isolated(t)
		opts.Dir = t.TempDir()
		writeDir(t, opts.Dir, fakeData(1), nil)
		_, _, err := LoadData(context.Background(), opts)
		if err == nil || !strings.Contains(err.Error(), "want "+defaultSums[0]) {
			t.Errorf("error %v, want a mismatch against the real checksum", err)
		}
	})
}

func TestNotFound(t *testing.T) {
	opts := isolated(t)
	partial := t.TempDir()
	opts.Getenv = func(k string) string {
		if k == EnvVar {
			return partial
		}
		return ""
	}
	files := fakeData(1)
	delete(files, trainLabels)
	delete(files, testImages)
	writeDir(t, partial, files, nil)

	_, _, err := LoadData(context.Background(), opts)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("LoadData error %v, want ErrNotFound", err)
	}
	msg := err.Error()
	for _, want := range []string{
		partial + " ($TAILOR_DATA): lacks train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz]",
		opts.CacheDir + " (download cache): does not exist",
		opts.SystemDir + " (Debian package dataset-fashion-mnist): does not exist",
		"download: disabled by Options.NoDownload",
		"apt-get install dataset-fashion-mnist",
		"--data DIR",
		"TAILOR_DATA=DIR",
		"network access",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error message lacks %q:\n%s", want, msg)
		}
	}

	opts.Dir = ""
	opts.Getenv = func(string) string { return "" }
	_, _, err = LoadData(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "$TAILOR_DATA: not set") {
		t.Errorf("error %v, want it to say TAILOR_DATA is not set", err)
	}
}

// server is a loopback mirror set: it serves files under /a/ and /b/ and
// logs the paths requested.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	files  map[string][]byte // by URL path
	log    []string
	handle func(w http.ResponseWriter, r *http.Request) bool // if set and it returns true, the request is handled
}

func newServer(t *testing.T) *server {
	s := &server{files: make(map[string][]byte)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.log = append(s.log, r.URL.Path)
		b, ok := s.files[r.URL.Path]
		handle := s.handle
		s.mu.Unlock()
		if handle != nil && handle(w, r) {
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

// publish serves files under prefix, gzip-compressed unless plain is set.
func (s *server) publish(t *testing.T, prefix string, files map[string]*idx.File, plain bool) {
	for name, f := range files {
		b := encode(t, f)
		if !plain {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(b)
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			b = buf.Bytes()
		}
		s.files[prefix+name+".gz"] = b
	}
}

func (s *server) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// downloading returns isolated Options that download from s's mirrors
// /a/ and /b/.
func downloading(t *testing.T, s *server) Options {
	opts := isolated(t)
	opts.NoDownload = false
	opts.Mirrors = []string{s.URL + "/a/", s.URL + "/b"}
	opts.HTTPClient = s.Client()
	return opts
}

// cacheFiles lists the cache directory, which must exist.
func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestDownload(t *testing.T) {
	files := fakeData(42)
	sums := sumsOf(t, files)
	allGz := []string{testImages + ".gz", testLabels + ".gz", trainImages + ".gz", trainLabels + ".gz"}

	t.Run("first mirror", func(t *testing.T) {
		s := newServer(t)
		s.publish(t, "/a/", files, false)
		opts := downloading(t, s)
		opts.sums = sums
		train, test, err := LoadData(context.Background(), opts)
		if err != nil {
			t.Fatalf("LoadData: %v", err)
		}
		if train.Images[0] != 42 || test.N != 3 {
			t.Errorf("loaded marker %d and %d test images, want 42 and 3", train.Images[0], test.N)
		}
		if got := cacheFiles(t, opts.CacheDir); !slices.Equal(got, allGz) {
			t.Errorf("cache holds %q, want %q", got, allGz)
		}
		if got := s.requests(); len(got) != 4 {
			t.Errorf("requests %q, want 4", got)
		}

		// The second time the cache serves.
		s.Close()
		if _, _, err := LoadData(context.Background(), opts); err != nil {
			t.Fatalf("LoadData from the cache: %v", err)
		}
	})

	t.Run("first mirror 404, second used", func(t *testing.T) {
		s := newServer(t)
		s.publish(t, "/b/", files, false)
		opts := downloading(t, s)
		opts.sums = sums
		if _, _, err := LoadData(context.Background(), opts); err != nil {
			t.Fatalf("LoadData: %v", err)
		}
		if got := cacheFiles(t, opts.CacheDir); !slices.Equal(got, allGz) {
			t.Errorf("cache holds %q, want %q", got, allGz)
		}
		got := s.requests()
		want := []string{"/a/" + trainImages + ".gz", "/b/" + trainImages + ".gz"}
		if len(got) != 8 || !slices.Equal(got[:2], want) {
			t.Errorf("requests %q, want 8 starting %q", got, want)
		}
	})

	t.Run("only missing files", func(t *testing.T) {
		s := newServer(t)
		s.publish(t, "/a/", files, false)
		opts := downloading(t, s)
		opts.sums = sums
		writeDir(t, opts.CacheDir, map[string]*idx.File{trainImages: files[trainImages], testLabels: files[testLabels]}, nil)
		if _, _, err := LoadData(context.Background(), opts); err != nil {
			t.Fatalf("LoadData: %v", err)
		}
		want := []string{"/a/" + trainLabels + ".gz", "/a/" + testImages + ".gz"}
		if got := s.requests(); !slices.Equal(got, want) {
			t.Errorf("requests %q, want %q", got, want)
		}
	})

	t.Run("uncompressed response", func(t *testing.T) {
		s := newServer(t)
		s.publish(t, "/a/", files, true)
		opts := downloading(t, s)
		opts.sums = sums
		if _, _, err := LoadData(context.Background(), opts); err != nil {
			t.Fatalf("LoadData: %v", err)
		}
		want := []string{testImages, testLabels, trainImages, trainLabels}
		if got := cacheFiles(t, opts.CacheDir); !slices.Equal(got, want) {
			t.Errorf("cache holds %q, want %q", got, want)
		}
	})

	// Failures: each must leave the cache empty.
	failures := []struct {
		name  string
		setup func(t *testing.T, s *server, opts *Options)
		msg   string
	}{
		{"corrupt payload", func(t *testing.T, s *server, opts *Options) {
			s.publish(t, "/a/", files, false)
			s.publish(t, "/b/", files, false)
			opts.sums = maps.Clone(sums)
			opts.sums[trainImages] = strings.Repeat("0", 64)
		}, "SHA-256 of the decompressed data is " + sums[trainImages] + ", want 0000"},
		{"not gzip or IDX", func(t *testing.T, s *server, opts *Options) {
			s.files["/a/"+trainImages+".gz"] = []byte{0x1f, 0x8b, 0, 1, 2}
		}, "decompressing"},
		{"all mirrors 404", func(t *testing.T, s *server, opts *Options) {}, "404 Not Found"},
		{"body over the limit", func(t *testing.T, s *server, opts *Options) {
			s.publish(t, "/a/", files, true)
			opts.maxBody = 20
		}, "over the 20-byte limit"},
		{"streamed body over the limit", func(t *testing.T, s *server, opts *Options) {
			s.handle = func(w http.ResponseWriter, r *http.Request) bool {
				w.(http.Flusher).Flush() // no Content-Length
				w.Write(make([]byte, 100))
				return true
			}
			opts.maxBody = 20
		}, "response is over the 20-byte limit"},
		{"decompressed over the limit", func(t *testing.T, s *server, opts *Options) {
			s.publish(t, "/a/", map[string]*idx.File{trainImages: {DType: idx.Uint8, Dims: []int{4000}, Data: make([]byte, 4000)}}, false)
			opts.maxBody = 1000
		}, "decompressed data is over the 1000-byte limit"},
		{"request timeout", func(t *testing.T, s *server, opts *Options) {
			s.handle = func(w http.ResponseWriter, r *http.Request) bool {
				<-r.Context().Done()
				return true
			}
			opts.Timeout = 50 * time.Millisecond
		}, "deadline exceeded"},
		{"no mirrors", func(t *testing.T, s *server, opts *Options) { opts.Mirrors = []string{} }, "no mirrors"},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			opts := downloading(t, s)
			opts.sums = sums
			tt.setup(t, s, &opts)
			_, _, err := LoadData(context.Background(), opts)
			if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("LoadData error %v, want ErrNotFound saying %q", err, tt.msg)
			}
			if !strings.Contains(err.Error(), "apt-get install") {
				t.Errorf("error lacks the advice:\n%v", err)
			}
			if got := cacheFiles(t, opts.CacheDir); len(got) != 0 {
				t.Errorf("cache holds %q, want nothing", got)
			}
		})
	}

	t.Run("context canceled", func(t *testing.T) {
		s := newServer(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s.handle = func(w http.ResponseWriter, r *http.Request) bool {
			cancel()
			<-r.Context().Done()
			return true
		}
		opts := downloading(t, s)
		_, _, err := LoadData(ctx, opts)
		if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrNotFound) {
			t.Fatalf("LoadData error %v, want context.Canceled and ErrNotFound", err)
		}
		if got := s.requests(); len(got) != 1 {
			t.Errorf("requests %q, want 1: no other mirror after cancellation", got)
		}
		if got := cacheFiles(t, opts.CacheDir); len(got) != 0 {
			t.Errorf("cache holds %q, want nothing", got)
		}
	})

	t.Run("disabled", func(t *testing.T) {
		s := newServer(t)
		s.publish(t, "/a/", files, false)
		opts := downloading(t, s)
		opts.NoDownload = true
		if _, _, err := LoadData(context.Background(), opts); !errors.Is(err, ErrNotFound) {
			t.Fatalf("LoadData error %v, want ErrNotFound", err)
		}
		if got := s.requests(); len(got) != 0 {
			t.Errorf("requests %q with downloads disabled", got)
		}
	})
}

// TestRealData loads the real dataset, which must be installed (Debian
// package dataset-fashion-mnist) or reachable through TAILOR_DATA or the
// cache. It never downloads; missing data fails with LoadData's advice.
func TestRealData(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the real dataset in short mode")
	}
	start := time.Now()
	train, test, err := LoadData(context.Background(), Options{NoDownload: true, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded in %v", time.Since(start))

	for _, c := range []struct {
		name string
		d    *Dataset
		n    int
	}{{"train", train, 60000}, {"test", test, 10000}} {
		if c.d.N != c.n || c.d.Rows != 28 || c.d.Cols != 28 || len(c.d.Images) != c.n*28*28 || len(c.d.Labels) != c.n {
			t.Errorf("%s: %d images of %dx%d (%d pixels, %d labels), want %d of 28x28",
				c.name, c.d.N, c.d.Rows, c.d.Cols, len(c.d.Images), len(c.d.Labels), c.n)
		}
	}

	var sum float64
	var maxPixel uint8
	for _, p := range train.Images {
		sum += float64(p)
		maxPixel = max(maxPixel, p)
	}
	if maxPixel != 255 {
		t.Errorf("train pixel max %d, want 255", maxPixel)
	}
	if got, want := strconv.FormatFloat(sum/float64(len(train.Images)), 'g', -1, 64), "72.94035223214286"; got != want {
		t.Errorf("train pixel mean %s, want %s", got, want)
	}
	if got, want := train.Labels[:3], []uint8{9, 0, 0}; !slices.Equal(got, want) {
		t.Errorf("first train labels %v, want %v", got, want)
	}
	if got, want := train.Labels[len(train.Labels)-3:], []uint8{3, 0, 5}; !slices.Equal(got, want) {
		t.Errorf("last train labels %v, want %v", got, want)
	}
}

// TestExplicitDirIsFinal: a --data directory that lacks a file is an error
// naming the file, even when TAILOR_DATA, the cache and the system
// directory hold the data and a mirror would serve it.
func TestExplicitDirIsFinal(t *testing.T) {
	files := fakeData(9)
	s := newServer(t)
	s.publish(t, "/a/", files, false)
	opts := downloading(t, s)
	opts.sums = sumsOf(t, files)
	env := t.TempDir()
	for _, d := range []string{env, opts.CacheDir, opts.SystemDir} {
		writeDir(t, d, files, nil)
	}
	opts.Getenv = func(k string) string {
		if k == EnvVar {
			return env
		}
		return ""
	}
	opts.Dir = t.TempDir()
	partial := fakeData(9)
	delete(partial, trainLabels)
	delete(partial, testImages)
	writeDir(t, opts.Dir, partial, nil)
	_, _, err := LoadData(context.Background(), opts)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), opts.Dir+" (Options.Dir / --data) lacks train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz]") {
		t.Fatalf("LoadData: %v, want an error naming %s and the two missing files", err, opts.Dir)
	}
	if r := s.requests(); len(r) != 0 {
		t.Errorf("LoadData downloaded %v for an explicit directory", r)
	}
	// The same directory, completed, loads.
	writeDir(t, opts.Dir, files, nil)
	if train, _, err := LoadData(context.Background(), opts); err != nil || train.Images[0] != 9 {
		t.Fatalf("LoadData of the completed directory: %v", err)
	}
}

// TestHugeHeaderRefused: a gzip file whose header claims 256 MiB of
// training images (a real bomb: the zeros are there) is refused from its
// header, against the 64 MiB cap, before the payload is inflated.
func TestHugeHeaderRefused(t *testing.T) {
	opts := isolated(t)
	opts.Dir = t.TempDir()
	files := fakeData(1)
	opts.sums = sumsOf(t, files)
	writeDir(t, opts.Dir, files, nil)
	path := filepath.Join(opts.Dir, trainImages)
	os.Remove(path)
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestSpeed)
	zw.Write([]byte{0, 0, 8, 3, 0, 5, 0x5c, 0xcd, 0, 0, 0, 28, 0, 0, 0, 28}) // 351,437 images of 28×28
	zero := make([]byte, 1<<20)
	for range 256 {
		zw.Write(zero)
	}
	zw.Close()
	os.WriteFile(path+".gz", bomb.Bytes(), 0o644)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := LoadData(context.Background(), opts)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), path+".gz") || !strings.Contains(err.Error(), "over the 67108864-byte limit") {
		t.Fatalf("LoadData: %v, want the header refused, naming the file", err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 4<<20 {
		t.Errorf("refusing it allocated %d bytes", a)
	}
}
