package idx

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// raw builds IDX bytes from a header and a payload, with no validation, so
// tests can write malformed files.
func raw(dtype, rank byte, dims []uint32, payload []byte) []byte {
	b := []byte{0, 0, dtype, rank}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, payload...)
}

// gz compresses b.
func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// valid is a small well-formed uint8 file: two 2x3 images.
var valid = raw(0x08, 3, []uint32{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255})

func TestReadMalformed(t *testing.T) {
	validGz := gz(t, valid)
	badCRC := bytes.Clone(validGz)
	badCRC[len(badCRC)-8] ^= 0xff // the CRC-32 in the gzip trailer
	badDeflate := bytes.Clone(validGz)
	badDeflate[10] = 0xff // first byte of the deflate stream: reserved block type

	tests := []struct {
		name    string
		in      []byte
		field   string
		msg     string // substring of the message
		wantErr error  // if set, errors.Is must match
	}{
		{"empty file", nil, "header", "empty input", nil},
		{"truncated header", []byte{0, 0, 8}, "header", "got 3 of 4 bytes", nil},
		{"text file", []byte("hello, world\n"), "magic", "0x68 0x65", nil},
		{"bad magic", append([]byte{1, 0}, valid[2:]...), "magic", "0x01 0x00, want 0x00 0x00", nil},
		{"bad magic byte 1", append([]byte{0, 3}, valid[2:]...), "magic", "0x00 0x03", nil},
		{"bad dtype", raw(0x07, 1, []uint32{1}, []byte{7}), "dtype", "0x07, want 0x08 (uint8)", nil},
		{"bad dtype 0x0a", raw(0x0a, 1, []uint32{1}, []byte{7}), "dtype", "0x0a", nil},
		{"rank 0", raw(0x08, 0, nil, nil), "rank", "0, want 1 to 8", nil},
		{"rank 9", raw(0x08, 9, []uint32{1, 1, 1, 1, 1, 1, 1, 1, 1}, []byte{1}), "rank", "9, want 1 to 8", nil},
		{"rank 255", raw(0x08, 255, nil, nil), "rank", "255", nil},
		{"truncated dims", raw(0x08, 3, []uint32{2, 2}, nil), "dims", "got 8 of 12 bytes", nil},
		{"truncated dim", raw(0x08, 1, nil, []byte{0, 0}), "dims", "got 2 of 4 bytes", nil},
		{"truncated payload", valid[:len(valid)-1], "payload", "got 11 of 12 bytes", nil},
		{"no payload", valid[:16], "payload", "got 0 of 12 bytes", nil},
		{"truncated int32 payload", raw(0x0c, 1, []uint32{2}, []byte{0, 0, 0, 1, 0, 0}), "payload", "got 6 of 8 bytes", nil},
		{"trailing bytes", append(bytes.Clone(valid), 0), "payload", "trailing data after the 12-byte payload", nil},
		{"2^31 images", raw(0x08, 3, []uint32{1 << 31, 28, 28}, nil), "dims", "over the 1073741824-byte limit", ErrTooLarge},
		{"just over limit", raw(0x0e, 1, []uint32{1<<27 + 1}, nil), "dims", "over the", ErrTooLarge},
		{"dim product overflow", raw(0x08, 3, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil), "dims", "overflows", ErrTooLarge},
		{"size overflow", raw(0x0e, 2, []uint32{0xffffffff, 0xffffffff}, nil), "dims", "overflows", ErrTooLarge},
		{"gzip: truncated header", validGz[:5], "gzip", "bad gzip header", io.ErrUnexpectedEOF},
		{"gzip: truncated stream", validGz[:len(validGz)-12], "", "", io.ErrUnexpectedEOF},
		{"gzip: bad checksum", badCRC, "payload", "invalid end of stream", gzip.ErrChecksum},
		{"gzip: corrupt deflate", badDeflate, "header", "read failed", nil},
		{"gzip: empty content", gz(t, nil), "header", "empty input", nil},
		{"gzip: truncated payload", gz(t, valid[:len(valid)-2]), "payload", "got 10 of 12 bytes", nil},
		{"gzip: trailing bytes", gz(t, append(bytes.Clone(valid), 1, 2)), "payload", "trailing data", nil},
		{"gzip: garbage after member", append(bytes.Clone(validGz), make([]byte, 16)...), "payload", "invalid end of stream", gzip.ErrHeader},
		{"gzip: 2^31 images", gz(t, raw(0x08, 3, []uint32{1 << 31, 28, 28}, nil)), "dims", "limit", ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const name = "testdata/bad.idx"
			f, err := Read(bytes.NewReader(tt.in), name)
			if err == nil {
				t.Fatalf("Read succeeded with dims %v, want error", f.Dims)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name the file", err)
			}
			if tt.field != "" && fe.Field != tt.field {
				t.Errorf("error %q: field %q, want %q", err, fe.Field, tt.field)
			}
			if !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("error %q: message lacks %q", err, tt.msg)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %q does not wrap %v", err, tt.wantErr)
			}
		})
	}
}

// allocated returns the bytes allocated while running f.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadHugeHeaderIsCheap checks that Read trusts no header: claims of
// huge payloads must fail without allocating memory for them.
func TestReadHugeHeaderIsCheap(t *testing.T) {
	const limit = 4 << 20
	tests := []struct {
		name  string
		in    []byte
		field string
	}{
		// Over MaxPayload: refused from the header alone.
		{"2^31 images", raw(0x08, 3, []uint32{1 << 31, 28, 28}, nil), "dims"},
		// Under MaxPayload but the data is not there: the buffer must
		// grow only with the data that arrives.
		{"1e9 bytes claimed, 10 sent", raw(0x08, 1, []uint32{1e9}, make([]byte, 10)), "payload"},
		{"gzip: 1e9 bytes claimed, 10 sent", gz(t, raw(0x08, 1, []uint32{1e9}, make([]byte, 10))), "payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = Read(bytes.NewReader(tt.in), "huge.idx") })
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Read error = %v, want a *FormatError on field %q", err, tt.field)
			}
			if n > limit {
				t.Errorf("Read allocated %d bytes, want < %d", n, limit)
			}
		})
	}
}

// files holds one valid File of each type and some edge shapes.
var files = []struct {
	name string
	f    File
}{
	{"uint8 images", File{DType: Uint8, Dims: []int{2, 2, 3}, Data: valid[16:]}},
	{"uint8 labels", File{DType: Uint8, Dims: []int{5}, Data: []byte{9, 0, 0, 3, 0}}},
	{"int8", File{DType: Int8, Dims: []int{3}, Data: []byte{0x80, 0x7f, 0xff}}},
	{"int16", File{DType: Int16, Dims: []int{2, 1}, Data: []byte{0x12, 0x34, 0xff, 0xfe}}},
	{"int32", File{DType: Int32, Dims: []int{1, 2}, Data: []byte{0, 0, 0, 1, 0x80, 0, 0, 0}}},
	{"float32", File{DType: Float32, Dims: []int{1}, Data: []byte{0x3f, 0x80, 0, 0}}},
	{"float64", File{DType: Float64, Dims: []int{1, 1, 1, 1}, Data: []byte{0x3f, 0xf0, 0, 0, 0, 0, 0, 0}}},
	{"empty", File{DType: Uint8, Dims: []int{0, 28, 28}, Data: []byte{}}},
	{"zero with huge dim", File{DType: Float64, Dims: []int{0, 0xffffffff}, Data: []byte{}}},
	{"rank 8", File{DType: Uint8, Dims: []int{1, 2, 1, 1, 1, 1, 1, 2}, Data: []byte{1, 2, 3, 4}}},
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range files {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, &tt.f); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if got, want := buf.Len(), 4+4*len(tt.f.Dims)+len(tt.f.Data); got != want {
				t.Errorf("Write wrote %d bytes, want %d", got, want)
			}
			got, err := Read(&buf, "buffer")
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			checkEqual(t, got, &tt.f)

			// Files, plain and compressed. The compressed one has no .gz
			// suffix: Read must detect gzip by its magic bytes.
			for _, compress := range []bool{false, true} {
				path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
				if err := WriteFile(path, &tt.f, compress); err != nil {
					t.Fatalf("WriteFile(compress=%v): %v", compress, err)
				}
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if isGz := bytes.HasPrefix(b, []byte{0x1f, 0x8b}); isGz != compress {
					t.Errorf("WriteFile(compress=%v) wrote gzip=%v", compress, isGz)
				}
				got, err := ReadFile(path)
				if err != nil {
					t.Fatalf("ReadFile(compress=%v): %v", compress, err)
				}
				checkEqual(t, got, &tt.f)
			}
		})
	}
}

func checkEqual(t *testing.T, got, want *File) {
	t.Helper()
	if got.DType != want.DType || !slices.Equal(got.Dims, want.Dims) || !bytes.Equal(got.Data, want.Data) {
		t.Errorf("got %v %v %x, want %v %v %x", got.DType, got.Dims, got.Data, want.DType, want.Dims, want.Data)
	}
}

func TestWriteInvalid(t *testing.T) {
	tests := []struct {
		name  string
		f     File
		field string
	}{
		{"bad dtype", File{DType: 0x07, Dims: []int{1}, Data: []byte{1}}, "dtype"},
		{"rank 0", File{DType: Uint8, Data: []byte{1}}, "rank"},
		{"rank 9", File{DType: Uint8, Dims: []int{1, 1, 1, 1, 1, 1, 1, 1, 1}, Data: []byte{1}}, "rank"},
		{"negative dim", File{DType: Uint8, Dims: []int{2, -1}}, "dim 1"},
		{"dim over uint32", File{DType: Uint8, Dims: []int{1 << 32}}, "dim 0"},
		{"short data", File{DType: Int16, Dims: []int{2}, Data: []byte{1, 2, 3}}, "payload"},
		{"long data", File{DType: Uint8, Dims: []int{2}, Data: []byte{1, 2, 3}}, "payload"},
		{"too large", File{DType: Float64, Dims: []int{1 << 20, 1 << 20}}, "dims"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, &tt.f)
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Field != tt.field {
				t.Fatalf("Write error = %v, want a *FormatError on field %q", err, tt.field)
			}
			if buf.Len() != 0 {
				t.Errorf("Write wrote %d bytes before failing", buf.Len())
			}

			dir := t.TempDir()
			path := filepath.Join(dir, "out.idx")
			err = WriteFile(path, &tt.f, false)
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(err.Error(), path) {
				t.Fatalf("WriteFile error = %v, want a *FormatError on field %q naming %s", err, tt.field, path)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("WriteFile left %v behind", ents)
			}
		})
	}
}

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "labels.gz")
	for _, data := range [][]byte{{1, 2, 3}, {4, 5}} {
		f := &File{DType: Uint8, Dims: []int{len(data)}, Data: data}
		if err := WriteFile(path, f, true); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, got, f)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "labels.gz" {
		t.Errorf("directory holds %v, want only labels.gz", ents)
	}
	if fi, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	// A file replaced keeps its permissions, as WriteFile's doc says.
	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, &File{DType: Uint8, Dims: []int{1}, Data: []byte{9}}, false); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("replaced file: mode %v, %v; want its 0600 kept", fi.Mode().Perm(), err)
		}
	}

	err = WriteFile(filepath.Join(dir, "missing", "x"), &File{DType: Uint8, Dims: []int{1}, Data: []byte{1}}, false)
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("WriteFile into a missing directory: error %v, want one naming the path", err)
	}
}

func TestReadFileMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope")
	_, err := ReadFile(path)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadFile error = %v, want ErrNotExist naming %s", err, path)
	}
	// As ReadFile's doc says: an open error is os.Open's, not a format
	// error; a file that opens but is not IDX gives a *FormatError.
	var pe *fs.PathError
	var fe *FormatError
	if !errors.As(err, &pe) || errors.As(err, &fe) {
		t.Errorf("ReadFile error = %v (%T), want an *fs.PathError and no *FormatError", err, err)
	}
	if err := os.WriteFile(path, []byte("not idx"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); !errors.As(err, &fe) || fe.Name != path || fe.Field != "magic" {
		t.Errorf("ReadFile error = %v (%T), want a *FormatError on the magic of %s", err, err, path)
	}
}

func TestUint8(t *testing.T) {
	f := &File{DType: Uint8, Dims: []int{2}, Data: []byte{7, 8}}
	if got, err := f.Uint8(); err != nil || !bytes.Equal(got, []byte{7, 8}) {
		t.Errorf("Uint8() = %v, %v, want [7 8], nil", got, err)
	}
	f.DType = Int8
	if _, err := f.Uint8(); err == nil || !strings.Contains(err.Error(), "int8, want uint8") {
		t.Errorf("Uint8() on int8 data: error %v", err)
	}
}

func TestDType(t *testing.T) {
	tests := []struct {
		d    DType
		size int
		str  string
	}{
		{Uint8, 1, "uint8"},
		{Int8, 1, "int8"},
		{Int16, 2, "int16"},
		{Int32, 4, "int32"},
		{Float32, 4, "float32"},
		{Float64, 8, "float64"},
		{0x0a, 0, "DType(0x0a)"},
		{0, 0, "DType(0x00)"},
	}
	for _, tt := range tests {
		if got := tt.d.Size(); got != tt.size {
			t.Errorf("%v.Size() = %d, want %d", tt.d, got, tt.size)
		}
		if got := tt.d.String(); got != tt.str {
			t.Errorf("DType(%#x).String() = %q, want %q", byte(tt.d), got, tt.str)
		}
	}
}

func TestLen(t *testing.T) {
	for _, tt := range files {
		if got, want := tt.f.Len(), len(tt.f.Data)/tt.f.DType.Size(); got != want {
			t.Errorf("%s: Len() = %d, want %d", tt.name, got, want)
		}
	}
}

// FuzzRead checks that Read never panics on any input, and that whatever it
// accepts survives Write and Read unchanged. Plain inputs must re-encode to
// exactly the bytes read, since IDX has one encoding per array.
func FuzzRead(f *testing.F) {
	f.Add(valid)
	f.Add(gz(f, valid))
	for _, tt := range files {
		var buf bytes.Buffer
		if err := Write(&buf, &tt.f); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 8})
	f.Add(raw(0x07, 1, []uint32{1}, []byte{7}))
	f.Add(raw(0x08, 0, nil, nil))
	f.Add(raw(0x08, 9, nil, nil))
	f.Add(raw(0x08, 3, []uint32{1 << 31, 28, 28}, nil))
	f.Add(raw(0x08, 3, []uint32{0xffffffff, 0xffffffff, 0xffffffff}, nil))
	f.Add(raw(0x08, 1, []uint32{1e9}, make([]byte, 10)))
	f.Add(append(bytes.Clone(valid), 0))
	f.Add(valid[:len(valid)-1])
	f.Add(gz(f, append(bytes.Clone(valid), 1)))

	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := Read(bytes.NewReader(in), "fuzz")
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FormatError", err, err)
			}
			return
		}
		if len(got.Data) != got.Len()*got.DType.Size() {
			t.Fatalf("Read returned %d bytes for %v of %v", len(got.Data), got.Dims, got.DType)
		}
		var buf bytes.Buffer
		if err := Write(&buf, got); err != nil {
			t.Fatalf("Write of a File that Read accepted: %v", err)
		}
		if !bytes.HasPrefix(in, []byte{0x1f, 0x8b}) && !bytes.Equal(buf.Bytes(), in) {
			t.Fatalf("re-encoding changed the bytes:\n in  %x\n out %x", in, buf.Bytes())
		}
		again, err := Read(&buf, "rewritten")
		if err != nil {
			t.Fatalf("Read of rewritten data: %v", err)
		}
		checkEqual(t, again, got)
	})
}

// TestReadFileBoundsPayloadByFileSize: ReadFile refuses, before reading
// the payload, a header that claims more than the file can hold — exactly
// the rest of a plain file, at most 1032 times a gzip file — and
// ReadFileLimit a payload over the caller's cap.
func TestReadFileBoundsPayloadByFileSize(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// 256 MiB of zeros behind a header that says so: a real gzip bomb.
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestSpeed)
	zw.Write(raw(0x08, 3, []uint32{1 << 18, 32, 32}, nil))
	zero := make([]byte, 1<<20)
	for range 1 << 8 {
		zw.Write(zero)
	}
	zw.Close()
	tests := []struct {
		name, path string
		max        int
		msg        string
	}{
		{"plain, 1e9 claimed", write("plain", raw(0x08, 1, []uint32{1e9}, make([]byte, 10))), MaxPayload, "need a 1000000000-byte payload, but the file holds 10 bytes after its 8-byte header"},
		{"plain, too long", write("long", raw(0x08, 1, []uint32{3}, make([]byte, 4))), MaxPayload, "need a 3-byte payload, but the file holds 4 bytes"},
		{"gzip, 1e9 claimed", write("small.gz", gz(t, raw(0x08, 1, []uint32{1e9}, make([]byte, 10)))), MaxPayload, "more than a"},
		{"gzip bomb over the caller's cap", write("bomb.gz", bomb.Bytes()), 64 << 20, "over the 67108864-byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = ReadFileLimit(tt.path, tt.max) })
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Field != "dims" || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("error %v, want a dims error naming %s and saying %q", err, tt.path, tt.msg)
			}
			if n > 1<<20 {
				t.Errorf("allocated %d bytes, want under 1 MiB", n)
			}
		})
	}
	// A valid file still reads, plain and compressed, and ReadLimit caps
	// a stream.
	for _, p := range []string{write("ok", valid), write("ok.gz", gz(t, valid))} {
		if f, err := ReadFileLimit(p, 12); err != nil || len(f.Data) != 12 {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := ReadLimit(bytes.NewReader(valid), "stream", 11); err == nil || !strings.Contains(err.Error(), "over the 11-byte limit") {
		t.Errorf("ReadLimit under the payload: %v", err)
	}
}
