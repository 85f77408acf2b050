package cifar10

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

const perBatch = 3 // records per batch in the generated archives

// pixel is the value of byte p of channel c of record k of batch b in the
// generated archives: distinct enough to catch a mixed-up layout.
func pixel(b, k, c, p int) byte { return byte(b*31 + k*17 + c*7 + p*3) }

type member struct {
	name string
	data []byte
}

// batch returns a batch file of perBatch records, labels (b+k) mod 10.
func batch(b int) []byte {
	var buf []byte
	for k := 0; k < perBatch; k++ {
		buf = append(buf, byte((b+k)%NumClasses))
		for c := 0; c < Channels; c++ {
			for p := 0; p < Height*Width; p++ {
				buf = append(buf, pixel(b, k, c, p))
			}
		}
	}
	return buf
}

// goodMembers returns the members of a well-formed small archive, as the
// real one is laid out.
func goodMembers() []member {
	ms := []member{{"cifar-10-batches-bin/batches.meta.txt", []byte(strings.Join(classNames[:], "\n") + "\n\n")}}
	for b := 1; b <= 5; b++ {
		ms = append(ms, member{"cifar-10-batches-bin/data_batch_" + string(rune('0'+b)) + ".bin", batch(b)})
	}
	ms = append(ms, member{"cifar-10-batches-bin/test_batch.bin", batch(6)}, member{"cifar-10-batches-bin/readme.html", []byte("<html></html>")})
	return ms
}

func archive(t *testing.T, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "cifar-10-batches-bin/", Typeflag: tar.TypeDir, Mode: 0o755})
	for _, m := range ms {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(m.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

func sumOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// testOptions expects the given archive bytes.
func testOptions(b []byte, o Options) Options {
	o.sum, o.size, o.perBatch = sumOf(b), int64(len(b)), perBatch
	o.Getenv = func(string) string { return "" }
	return o
}

func checkData(t *testing.T, train, test *Dataset) {
	t.Helper()
	if train.N != 5*perBatch || test.N != perBatch || len(train.Images) != 5*perBatch*3072 || len(test.Labels) != perBatch {
		t.Fatalf("train %d images, test %d", train.N, test.N)
	}
	for _, c := range []struct {
		d    *Dataset
		i, b int
	}{{train, 0, 1}, {train, 4, 2}, {train, 14, 5}, {test, 2, 6}} {
		k := c.i % perBatch
		if got, want := c.d.Labels[c.i], byte((c.b+k)%NumClasses); got != want {
			t.Errorf("image %d: label %d, want %d", c.i, got, want)
		}
		img := c.d.Image(c.i)
		// Pixel (row 5, column 7) is plane index 167; channels-last puts
		// its red, green and blue bytes together.
		p := 5*Width + 7
		for ch := 0; ch < Channels; ch++ {
			if got, want := img[3*p+ch], pixel(c.b, k, ch, p); got != want {
				t.Errorf("image %d pixel (5, 7) channel %d = %d, want %d", c.i, ch, got, want)
			}
		}
	}
	x, err := train.Tensor(1.0 / 255)
	if err != nil || !x.Shape.Equal([]int{15, 32, 32, 3}) {
		t.Errorf("Tensor: %v, %v", x.Shape, err)
	}
}

// server serves body at /cifar-10-binary.tar.gz and counts requests.
func server(t *testing.T, body []byte) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.URL.Path != "/"+ArchiveName {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s, &n
}

func TestDownloadAndLoad(t *testing.T) {
	body := archive(t, goodMembers())
	srv, hits := server(t, body)
	cache := filepath.Join(t.TempDir(), "cache")
	var logs []string
	opts := testOptions(body, Options{CacheDir: cache, URL: srv.URL + "/" + ArchiveName, Logf: func(f string, a ...any) { logs = append(logs, f) }})
	train, test, err := LoadData(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	checkData(t, train, test)
	saved, err := os.ReadFile(filepath.Join(cache, ArchiveName))
	if err != nil || !bytes.Equal(saved, body) {
		t.Fatalf("cache holds %d bytes, %v", len(saved), err)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != 1 {
		t.Errorf("cache holds %d files, want only the archive", len(entries))
	}
	// The second load reads the cache without a request.
	opts.NoDownload = true
	if _, _, err := LoadData(context.Background(), opts); err != nil || hits.Load() != 1 {
		t.Errorf("second load: %v after %d requests", err, hits.Load())
	}
}

func TestSearchOrder(t *testing.T) {
	body := archive(t, goodMembers())
	dir, env, cache := t.TempDir(), t.TempDir(), t.TempDir()
	bad := []byte("not an archive")
	os.WriteFile(filepath.Join(env, ArchiveName), bad, 0o644)
	os.WriteFile(filepath.Join(cache, ArchiveName), bad, 0o644)
	os.WriteFile(filepath.Join(dir, ArchiveName), body, 0o644)
	opts := testOptions(body, Options{Dir: dir, CacheDir: cache, NoDownload: true})
	opts.Getenv = func(k string) string {
		if k == EnvVar {
			return env
		}
		return ""
	}
	if _, _, err := LoadData(context.Background(), opts); err != nil {
		t.Errorf("Options.Dir first: %v", err)
	}
	// Without Dir, $TAILOR_DATA comes before the cache: its bad archive is
	// an error naming it, with no fallback.
	opts.Dir = ""
	_, _, err := LoadData(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(env, ArchiveName)+": 14 bytes, want the published") {
		t.Errorf("$TAILOR_DATA second: %v", err)
	}
	// Nothing anywhere and no download: ErrNotFound listing the places.
	opts = testOptions(body, Options{CacheDir: t.TempDir(), NoDownload: true})
	_, _, err = LoadData(context.Background(), opts)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "download cache): no cifar-10-binary.tar.gz") || !strings.Contains(err.Error(), "disabled by Options.NoDownload") {
		t.Errorf("not found: %v", err)
	}
}

// TestBadArchives loads archives that are corrupt, truncated or malformed
// (with the checksum set to theirs, so that the parser sees them), and
// one whose checksum is wrong: each must fail with an error naming the
// file and the problem.
func TestBadArchives(t *testing.T) {
	good := archive(t, goodMembers())
	corrupt := slices.Clone(good)
	corrupt[len(corrupt)/2] ^= 0xff
	badCRC := slices.Clone(good)
	badCRC[len(badCRC)-8] ^= 0xff // the gzip trailer's CRC-32
	replace := func(name string, data []byte) []member {
		ms := goodMembers()
		for i := range ms {
			if strings.HasSuffix(ms[i].name, name) {
				ms[i].data = data
			}
		}
		return ms
	}
	drop := func(name string) []member {
		return slices.DeleteFunc(goodMembers(), func(m member) bool { return strings.HasSuffix(m.name, name) })
	}
	badLabel := batch(3)
	badLabel[recordBytes] = 10 // record 1's label
	tests := []struct {
		name string
		body []byte
		sum  string // "" for the body's own
		want string
	}{
		{"wrong checksum", good, strings.Repeat("0", 64), "SHA-256 " + sumOf(good) + ", want 0000"},
		{"corrupt", corrupt, "", "data_batch"},
		{"truncated", good[:len(good)*2/3], "", "unexpected EOF"},
		{"bad gzip CRC", badCRC, "", "after the tar archive: gzip: invalid checksum"},
		{"not gzip", []byte("PK\x03\x04 a zip file"), "", "not a gzip stream"},
		{"short batch", archive(t, replace("data_batch_2.bin", batch(2)[:2*recordBytes])), "", "data_batch_2.bin: 6146 bytes, want 9219 (3 records of 3073 bytes)"},
		{"bad label", archive(t, replace("data_batch_3.bin", badLabel)), "", "data_batch_3.bin: record 1 has label 10, want 0 to 9"},
		{"missing test batch", archive(t, drop("test_batch.bin")), "", "the archive lacks test_batch.bin"},
		{"missing meta", archive(t, drop("batches.meta.txt")), "", "the archive lacks batches.meta.txt"},
		{"twice", archive(t, append(goodMembers(), member{"x/data_batch_1.bin", batch(1)})), "", "x/data_batch_1.bin appears twice"},
		{"wrong classes", archive(t, replace("batches.meta.txt", []byte("cat\ndog\n"))), "", `batches.meta.txt names the classes ["cat" "dog"]`},
		{"huge extra member", archive(t, append(goodMembers(), member{"junk.bin", make([]byte, 2<<20)})), "", "junk.bin: more than 1048576 bytes of members other than the batches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, ArchiveName)
			os.WriteFile(p, tt.body, 0o644)
			opts := testOptions(tt.body, Options{Dir: dir, NoDownload: true, CacheDir: t.TempDir()})
			if tt.sum != "" {
				opts.sum = tt.sum
			}
			_, _, err := LoadData(context.Background(), opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %v, want one naming %s and containing %q", err, p, tt.want)
			}
		})
	}
}

func TestDownloadFailures(t *testing.T) {
	good := archive(t, goodMembers())
	flipped := slices.Clone(good)
	flipped[100] ^= 1
	for _, tt := range []struct {
		name   string
		serve  []byte
		expect []byte // the archive the options expect
		path   string
		want   string
	}{
		{"wrong checksum", flipped, good, "/" + ArchiveName, "SHA-256 " + sumOf(flipped) + ", want " + sumOf(good)},
		{"truncated", good[:1000], good, "/" + ArchiveName, "1000 bytes, want"},
		{"too long", append(slices.Clone(good), 1, 2, 3), good, "/" + ArchiveName, "-byte limit"},
		{"not found", good, good, "/elsewhere.tar.gz", "404 Not Found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := server(t, tt.serve)
			cache := t.TempDir()
			opts := testOptions(tt.expect, Options{CacheDir: cache, URL: srv.URL + tt.path})
			_, _, err := LoadData(context.Background(), opts)
			if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrNotFound containing %q", err, tt.want)
			}
			if entries, _ := os.ReadDir(cache); len(entries) != 0 {
				t.Errorf("the failed download left %d files in the cache", len(entries))
			}
		})
	}
	// A cancelled context stops the download.
	srv, _ := server(t, good)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := LoadData(ctx, testOptions(good, Options{CacheDir: t.TempDir(), URL: srv.URL + "/" + ArchiveName}))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestReadDefaults(t *testing.T) {
	// The zero Options expect the published archive: a small one fails its
	// size check, not its parse (it holds 3 records per batch, not 10,000).
	body := archive(t, goodMembers())
	if _, _, err := Read(context.Background(), bytes.NewReader(body), nil); err == nil || !strings.Contains(err.Error(), "data_batch_1.bin: 9219 bytes, want 30730000") {
		t.Errorf("default expectations: %v", err)
	}
	if got := ClassNames(); len(got) != 10 || got[0] != "airplane" || got[9] != "truck" {
		t.Errorf("class names %q", got)
	}
}

// TestReadMemory streams an archive of 6,000 images: what Read allocates
// is the images it returns plus buffers, not a copy of the archive or of
// its decompressed members.
func TestReadMemory(t *testing.T) {
	const n = 1000
	rec := make([]byte, n*recordBytes)
	for i := range rec {
		rec[i] = byte(i*7) % 250
	}
	for k := 0; k < n; k++ {
		rec[k*recordBytes] = byte(k % NumClasses)
	}
	ms := goodMembers()
	for i := range ms {
		if strings.HasSuffix(ms[i].name, ".bin") {
			ms[i].data = rec
		}
	}
	body := archive(t, ms)
	opts := testOptions(body, Options{})
	opts.perBatch = n
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	train, test, err := Read(context.Background(), bytes.NewReader(body), &opts)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	out := uint64(len(train.Images) + len(train.Labels) + len(test.Images) + len(test.Labels))
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > out+2<<20 {
		t.Errorf("allocated %d bytes for %d bytes of images", alloc, out)
	}
}

// TestExplicitDirIsFinal: with Options.Dir the archive is read from it or
// the error names it; nothing else is searched and nothing downloaded.
func TestExplicitDirIsFinal(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a download was attempted: %s", r.URL)
	}))
	defer srv.Close()
	_, _, err := LoadData(context.Background(), Options{Dir: dir, URL: srv.URL + "/" + ArchiveName, CacheDir: t.TempDir()})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), ArchiveName) {
		t.Errorf("LoadData from a directory without the archive: %v", err)
	}
}

// TestWrongSizeRefusedUnread: an archive on disk whose size is not the
// published one (an interrupted copy, another file under the name) is
// refused from its size, before the 184 MB of images are allocated or
// anything is decompressed, with an error naming the file and what to
// do.
func TestWrongSizeRefusedUnread(t *testing.T) {
	good := archive(t, goodMembers())
	dir := t.TempDir()
	p := filepath.Join(dir, ArchiveName)
	if err := os.WriteFile(p, good[:len(good)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := LoadData(context.Background(), Options{Dir: dir})
	runtime.ReadMemStats(&after)
	want := fmt.Sprintf("cifar10: %s: %d bytes, want the published %d: the archive is damaged or is not CIFAR-10's; delete it and download it again", p, len(good)*2/3, archiveSize)
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes to refuse a file of %d bytes", alloc, len(good)*2/3)
	}
	// The test hooks' archive of its own size still loads.
	os.WriteFile(p, good, 0o644)
	if train, test, err := LoadData(context.Background(), testOptions(good, Options{Dir: dir})); err != nil {
		t.Fatal(err)
	} else {
		checkData(t, train, test)
	}
}

// TestReadAllocatesForBatchesOnly: a stream that is gzip but not the
// archive (here a tar of one stray member) is refused having allocated
// nothing like the 184 MB of images the published archive fills: they
// are allocated once a batch of the expected size arrives.
func TestReadAllocatesForBatchesOnly(t *testing.T) {
	body := archive(t, []member{{"notes.txt", []byte("not CIFAR-10")}})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := Read(context.Background(), bytes.NewReader(body), nil)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "the archive lacks data_batch_1.bin") {
		t.Errorf("error %v, want one saying data_batch_1.bin is missing", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("allocated %d bytes to refuse a stream of %d bytes", alloc, len(body))
	}
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestSkippedMembersBounded: the members Read skips are bounded by what
// they decompress to, whatever their tar type — a member of a type the
// reader does not know (here 'Z', carrying data) is no way around the
// 1 MiB of members other than the batches — and the decompressed stream
// as a whole by the batches and that 1 MiB, so a stream of headers alone
// (directories, whose data is none) cannot make Read inflate deflate's
// 1032 × what arrived. Either is refused having read a small part of a
// stream that would inflate to 256 or 64 MiB.
func TestSkippedMembersBounded(t *testing.T) {
	odd := func() []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		tw := tar.NewWriter(zw)
		if err := tw.WriteHeader(&tar.Header{Name: "cifar-10-batches-bin/blob", Typeflag: 'Z', Mode: 0o644, Size: 256 << 20}); err != nil {
			t.Fatal(err)
		}
		zeros := make([]byte, 1<<20)
		for range 256 {
			tw.Write(zeros)
		}
		tw.Close()
		zw.Close()
		return buf.Bytes()
	}()
	dirs := func() []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		tw := tar.NewWriter(zw)
		for range (64 << 20) / 512 {
			if err := tw.WriteHeader(&tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
				t.Fatal(err)
			}
		}
		tw.Close()
		zw.Close()
		return buf.Bytes()
	}()
	for _, tt := range []struct {
		name string
		body []byte
		want string
	}{
		{"odd type", odd, "cifar-10-batches-bin/blob: more than 1048576 bytes of members other than the batches"},
		{"headers alone", dirs, "bytes decompressed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(tt.body, Options{})
			r := &countingReader{r: bytes.NewReader(tt.body)}
			_, _, err := Read(context.Background(), r, &opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
			if r.n > len(tt.body)/2 {
				t.Errorf("read %d of the stream's %d bytes before refusing it", r.n, len(tt.body))
			}
		})
	}
}
