package safetensors

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// TestWriteFollowsTheSpec builds the expected file byte by byte from the
// format's description — an 8-byte little-endian header length, the JSON
// header padded with spaces to a multiple of 8, then the little-endian
// float32 data at the offsets the header gives — and compares.
func TestWriteFollowsTheSpec(t *testing.T) {
	tensors := []Tensor{
		{Name: "dense/kernel", Shape: []int{2, 1}, Data: []float32{1, -2}},
		{Name: "dense/bias", DType: "F32", Shape: []int{1}, Data: []float32{0.5}},
		{Name: "scalar", Shape: []int{}, Data: []float32{float32(math.Inf(-1))}},
		{Name: "empty", Shape: []int{0, 3}, Data: []float32{}},
	}
	var got bytes.Buffer
	if err := Write(&got, tensors, map[string]string{"format": "tailor"}); err != nil {
		t.Fatal(err)
	}

	header := `{"__metadata__":{"format":"tailor"},` +
		`"dense/kernel":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},` +
		`"dense/bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},` +
		`"scalar":{"dtype":"F32","shape":[],"data_offsets":[12,16]},` +
		`"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[16,16]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	var want []byte
	want = binary.LittleEndian.AppendUint64(want, uint64(len(header)))
	want = append(want, header...)
	want = append(want,
		0x00, 0x00, 0x80, 0x3f, // 1.0
		0x00, 0x00, 0x00, 0xc0, // -2.0
		0x00, 0x00, 0x00, 0x3f, // 0.5
		0x00, 0x00, 0x80, 0xff, // -Inf
	)
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("Write wrote\n%q\nwant\n%q", got.Bytes(), want)
	}
	if (8+len(header))%8 != 0 {
		t.Fatalf("the buffer starts at byte %d, not a multiple of 8", 8+len(header))
	}
	if n, err := Size(tensors, map[string]string{"format": "tailor"}); err != nil || n != int64(len(want)) {
		t.Fatalf("Size = %d, %v; want %d", n, err, len(want))
	}

	f, err := Read(bytes.NewReader(want), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Metadata, map[string]string{"format": "tailor"}) {
		t.Fatalf("metadata %v", f.Metadata)
	}
	for i, tt := range tensors {
		g := f.Tensors[i]
		if g.Name != tt.Name || g.DType != "F32" || !reflect.DeepEqual(g.Shape, tt.Shape) || !reflect.DeepEqual(g.Data, tt.Data) {
			t.Errorf("tensor %d read back as %+v, want %+v", i, g, tt)
		}
	}
}

// TestReadPythonFile reads a file laid out as Python's safetensors writes
// it (keys in another order than the data, its own padding) — the bytes of
// save_file({"b": [[1, 2], [3, 4]], "a": [7]}) with float32 arrays.
func TestReadPythonFile(t *testing.T) {
	header := `{"a":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"b":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`
	for len(header)%8 != 0 {
		header += " "
	}
	var file []byte
	file = binary.LittleEndian.AppendUint64(file, uint64(len(header)))
	file = append(file, header...)
	for _, v := range []float32{1, 2, 3, 4, 7} {
		file = binary.LittleEndian.AppendUint32(file, math.Float32bits(v))
	}
	f, err := Read(bytes.NewReader(file), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata != nil {
		t.Errorf("metadata %v, want nil", f.Metadata)
	}
	if b := f.Tensor("b"); b == nil || !reflect.DeepEqual(b.Data, []float32{1, 2, 3, 4}) || !reflect.DeepEqual(b.Shape, []int{2, 2}) {
		t.Errorf("b = %+v", b)
	}
	if a := f.Tensor("a"); a == nil || !reflect.DeepEqual(a.Data, []float32{7}) {
		t.Errorf("a = %+v", a)
	}
}

// TestRoundTripBits checks that every bit pattern, NaN payloads included,
// survives.
func TestRoundTripBits(t *testing.T) {
	data := []float32{0, float32(math.Copysign(0, -1)), math.Float32frombits(0x7fc00001), math.Float32frombits(0xffbfffff), math.MaxFloat32, math.SmallestNonzeroFloat32}
	var buf bytes.Buffer
	if err := Write(&buf, []Tensor{{Name: "x", Shape: []int{len(data)}, Data: data}}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Read(&buf, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range f.Tensors[0].Data {
		if math.Float32bits(v) != math.Float32bits(data[i]) {
			t.Errorf("element %d: %08x, want %08x", i, math.Float32bits(v), math.Float32bits(data[i]))
		}
	}
}

func TestWriteErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tensors []Tensor
		want    string
	}{
		{"duplicate", []Tensor{{Name: "a", Shape: []int{1}, Data: []float32{1}}, {Name: "a", Shape: []int{1}, Data: []float32{1}}}, "two tensors are named"},
		{"empty name", []Tensor{{Shape: []int{1}, Data: []float32{1}}}, "has no name"},
		{"reserved", []Tensor{{Name: "__metadata__", Shape: []int{1}, Data: []float32{1}}}, "reserved"},
		{"size", []Tensor{{Name: "a", Shape: []int{2}, Data: []float32{1}}}, "holds 2 elements but 1"},
		{"dtype", []Tensor{{Name: "a", DType: "F16", Shape: []int{1}, Data: []float32{1}}}, "only F32"},
		{"negative", []Tensor{{Name: "a", Shape: []int{-1}, Data: nil}}, "shape"},
		// Shapes Read refuses, which Write wrote: a product that wraps
		// around to the data's length, a dimension of 2³¹ or more, more
		// than 64 axes.
		{"overflowing shape", []Tensor{{Name: "a", Shape: []int{1 << 32, 1 << 32}, Data: nil}}, "dimension 4294967296 of shape [4294967296 4294967296] is more than 2147483647"},
		{"huge empty", []Tensor{{Name: "a", Shape: []int{0, 1 << 31}, Data: nil}}, "dimension 2147483648"},
		{"65 axes", []Tensor{{Name: "a", Shape: make([]int, 65), Data: nil}}, "65 axes, more than 64"},
	} {
		err := Write(new(bytes.Buffer), tc.tensors, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// file assembles a safetensors file from a header and a buffer.
func file(header string, data []byte) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

func TestReadRejects(t *testing.T) {
	four := make([]byte, 4)
	eight := make([]byte, 8)
	huge := binary.LittleEndian.AppendUint64(nil, 1<<62)
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"short length", []byte{1, 0, 0}, "truncated"},
		{"huge header length", append(huge, '{', '}'), "more than the limit"},
		// The reference's cap is 100,000,000 bytes, not 100 MiB: a
		// header one byte longer is refused before it is read.
		{"header over the reference's cap", binary.LittleEndian.AppendUint64(nil, 100_000_001), "100000001 bytes long, more than the limit of 100000000"},
		{"header past the end", file(`{}`, nil)[:9], "truncated"},
		{"not an object", file(`[1]`, nil), "does not start with '{'"},
		{"bad json", file(`{"a":`, nil), "invalid header"},
		{"trailing garbage", file(`{} x`, nil), "after the JSON object"},
		{"not utf-8", file("{\"\xff\":1}", nil), "UTF-8"},
		{"duplicate name", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "appears twice"},
		{"unknown dtype", file(`{"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}`, four), "unknown dtype"},
		{"other dtype", file(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, four), "reads only F32"},
		{"negative dim", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, four), "non-negative integers"},
		{"fractional dim", file(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, four), "non-negative integers"},
		{"missing key", file(`{"a":{"dtype":"F32","shape":[1]}}`, four), `want "dtype", "shape" and "data_offsets"`},
		{"duplicate key", file(`{"a":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}`, four), `"shape" appears twice`},
		{"dtype of 4 bits", file(`{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}`, []byte{0, 0}), "3 elements of F4 do not fill whole bytes"},
		{"newer dtype", file(`{"a":{"dtype":"F8_E8M0","shape":[4],"data_offsets":[0,4]}}`, four), "has dtype F8_E8M0; Tailor reads only F32"},
		{"complex dtype", file(`{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,4]}}`, four), "C64 of shape [1] takes 8 bytes"},
		{"size mismatch", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, four), "takes 8 bytes"},
		{"reversed offsets", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, four), "begin ≤ end"},
		{"hole", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "hole"},
		{"overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight), "overlaps"},
		{"overflowing shape", file(`{"a":{"dtype":"F32","shape":[4294967295,4294967295,4294967295],"data_offsets":[0,4]}}`, four), "too large"},
		{"truncated data", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, four), "truncated"},
		{"promises a terabyte", file(`{"a":{"dtype":"F32","shape":[262144,1048576],"data_offsets":[0,1099511627776]}}`, four), "truncated"},
		{"data after the end", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight), "after the last tensor"},
		{"metadata not strings", file(`{"__metadata__":{"a":1}}`, nil), "not a string"},
		{"metadata nested", file(`{"__metadata__":{"a":{"b":"c"}}}`, nil), "not a string"},
		{"entry not object", file(`{"a":[1]}`, nil), "where \"{\" was expected"},
		{"metadata a list", file(`{"__metadata__":["a"]}`, nil), "an object of strings"},
	} {
		_, err := Read(bytes.NewReader(tc.file), Limits{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestMaxData(t *testing.T) {
	var buf bytes.Buffer
	Write(&buf, []Tensor{{Name: "a", Shape: []int{4}, Data: make([]float32, 4)}}, nil)
	if _, err := Read(bytes.NewReader(buf.Bytes()), Limits{MaxData: 8}); err == nil || !strings.Contains(err.Error(), "limit of 8") {
		t.Fatalf("error %v", err)
	}
	if _, err := Read(bytes.NewReader(buf.Bytes()), Limits{MaxHeader: 8}); err == nil || !strings.Contains(err.Error(), "limit of 8") {
		t.Fatalf("error %v", err)
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, []Tensor{{Name: "a", Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}, {Name: "b", Shape: []int{1}, Data: []float32{5}}}, map[string]string{"k": "v"})
	f.Add(buf.Bytes())
	f.Add(file(`{}`, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Read(bytes.NewReader(b), Limits{})
		if err != nil {
			return
		}
		// Whatever reads must write back and read again the same.
		var out bytes.Buffer
		if err := Write(&out, got.Tensors, got.Metadata); err != nil {
			t.Fatalf("read %d tensors but could not write them: %v", len(got.Tensors), err)
		}
		again, err := Read(&out, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Tensors) != len(got.Tensors) {
			t.Fatal("round trip lost tensors")
		}
	})
}

func ExampleWrite() {
	var buf bytes.Buffer
	Write(&buf, []Tensor{{Name: "dense/bias", Shape: []int{2}, Data: []float32{0.5, -1}}}, nil)
	n := binary.LittleEndian.Uint64(buf.Bytes())
	fmt.Printf("%d-byte header: %q\n", n, buf.Bytes()[8:8+n])
	// Output:
	// 64-byte header: "{\"dense/bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} "
}

// TestReadMemory: a tensor costs about its own size to read when the
// input's size is known (MaxData), and under twice that in all when it is
// not (the result grows fourfold at a time as bytes arrive), however the
// reads arrive.
func TestReadMemory(t *testing.T) {
	const n = 8 << 20 // 32 MiB of float32s
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(i)
	}
	var file bytes.Buffer
	if err := Write(&file, []Tensor{{Name: "w", Shape: []int{n}, Data: data}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		lim   Limits
		bound float64 // times the tensor's bytes
	}{
		{"MaxData set", Limits{MaxData: int64(file.Len())}, 1.1},
		{"size unknown", Limits{}, 2.0},
	} {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f, err := Read(iotest.HalfReader(bytes.NewReader(file.Bytes())), tc.lim)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Tensors[0].Data; len(got) != n || got[n-1] != float32(n-1) || got[12345] != 12345 {
			t.Fatalf("%s: read back %d values", tc.name, len(got))
		}
		a := float64(after.TotalAlloc-before.TotalAlloc) / (4 * n)
		if a > tc.bound {
			t.Errorf("%s: reading allocated %.2f times the tensor, want at most %.1f", tc.name, a, tc.bound)
		}
		t.Logf("%s: %.2f times the tensor", tc.name, a)
	}
}

// A header whose "__metadata__" is null, as a writer that dumps a None
// metadata writes it, has no metadata: the reference implementation reads
// it as none, and Read refused the file.
func TestReadNullMetadata(t *testing.T) {
	header := `{"__metadata__":null,"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	f, err := Read(bytes.NewReader(file(header, []byte{0, 0, 0x80, 0x3f})), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata != nil || len(f.Tensors) != 1 || f.Tensors[0].Name != "a" || f.Tensors[0].Data[0] != 1 {
		t.Errorf("read %+v, want tensor a = [1] and no metadata", f)
	}
}

// A tensor's entry may hold keys besides dtype, shape and data_offsets:
// the reference implementation (TensorInfo, a serde struct that does not
// deny unknown fields) ignores them, so Python loads such a file, and Read
// refused it ("unknown key").
func TestReadIgnoresUnknownEntryKeys(t *testing.T) {
	header := `{"a":{"x":1,"dtype":"F32","extra":{"nested":[1,{"k":null}],"s":"v"},"shape":[2],"data_offsets":[0,8],"y":[]},` +
		`"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12],"dtype_hint":"F16"}}`
	data := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f} // 1, -2, 0.5
	f, err := Read(bytes.NewReader(file(header, data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != 2 || !reflect.DeepEqual(f.Tensor("a").Data, []float32{1, -2}) || !reflect.DeepEqual(f.Tensor("b").Data, []float32{0.5}) {
		t.Fatalf("read %+v, want a = [1 -2], b = [0.5]", f.Tensors)
	}
	// A malformed value under an unknown key is still malformed JSON.
	bad := `{"a":{"x":[1,,2],"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	if _, err := Read(bytes.NewReader(file(bad, data[:4])), Limits{}); err == nil || !strings.Contains(err.Error(), `tensor "a"`) {
		t.Errorf("error %v, want one naming tensor \"a\"", err)
	}
}

// The reference implementation reads a header padded with JSON whitespace
// before its '{' as well as after it (its test_whitespace_leading_padded_header:
// writers may pad there to align the data), and Read refused it.
func TestReadLeadingWhitespace(t *testing.T) {
	f, err := Read(bytes.NewReader([]byte("\x06\x00\x00\x00\x00\x00\x00\x00\x09\x0A{}\x0D\x20")), Limits{})
	if err != nil || len(f.Tensors) != 0 {
		t.Fatalf("read %+v, %v; want an empty file", f, err)
	}
	header := "      \n\t\r " + `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	f, err = Read(bytes.NewReader(file(header, []byte{0, 0, 0x80, 0x3f})), Limits{})
	if err != nil || len(f.Tensors) != 1 || f.Tensors[0].Data[0] != 1 {
		t.Fatalf("read %+v, %v; want a = [1]", f, err)
	}
	// Anything else before the object is still refused.
	for _, h := range []string{"\x00{}", "\v{}", "  [1]", "   "} {
		if _, err := Read(bytes.NewReader(file(h, nil)), Limits{}); err == nil || !strings.Contains(err.Error(), "does not start with '{'") {
			t.Errorf("header %q: error %v, want one saying it does not start with '{'", h, err)
		}
	}
}

// A header of a million zero-size tensors, or of metadata entries, is a few
// tens of megabytes that cost gigabytes and most of a minute to parse;
// MaxTensors and MaxMetadata refuse it at the first entry past them.
func TestMaxTensorsAndMetadata(t *testing.T) {
	three := file(`{"__metadata__":{"a":"1","b":"2","c":"3"},"x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"y":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"z":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}`, nil)
	if f, err := Read(bytes.NewReader(three), Limits{MaxTensors: 3, MaxMetadata: 3}); err != nil || len(f.Tensors) != 3 || len(f.Metadata) != 3 {
		t.Fatalf("at the limits: %+v, %v", f, err)
	}
	if _, err := Read(bytes.NewReader(three), Limits{MaxTensors: 2}); err == nil || !strings.Contains(err.Error(), `tensor "z": more than 2 tensors`) {
		t.Errorf("MaxTensors 2: error %v", err)
	}
	if _, err := Read(bytes.NewReader(three), Limits{MaxMetadata: 2}); err == nil || !strings.Contains(err.Error(), `__metadata__: "c": more than 2 entries`) {
		t.Errorf("MaxMetadata 2: error %v", err)
	}

	var h strings.Builder
	h.WriteString(`{"__metadata__":{`)
	for i := range 1 << 20 {
		if i > 0 {
			h.WriteByte(',')
		}
		fmt.Fprintf(&h, `"%x":""`, i)
	}
	h.WriteString(`}}`)
	b := file(h.String(), nil)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Read(bytes.NewReader(b), Limits{MaxMetadata: 16})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "more than 16 entries") {
		t.Fatalf("a million metadata entries: error %v", err)
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > 2*uint64(len(b))+1<<20 {
		t.Errorf("refusing a %d-byte header allocated %d bytes", len(b), a)
	}
}
