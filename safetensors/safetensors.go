// Package safetensors reads and writes the safetensors format, the
// pickle-free tensor container of Hugging Face, so that weights Tailor saves
// open in Python with safetensors.numpy.load_file and back.
//
// A file is
//
//	8 bytes     N, the header's length, a little-endian uint64
//	N bytes     the header: a UTF-8 JSON object, padded with spaces
//	            (readers take any JSON whitespace, before it too)
//	the rest    the byte buffer: every tensor's elements, little-endian,
//	            row-major, packed one after another
//
// The header maps each tensor's name to its dtype, shape and data_offsets
// [begin, end), offsets into the byte buffer (not the file); the optional
// key "__metadata__" maps strings to strings (null is read as none):
//
//	{"__metadata__":{"format":"tailor"},"dense/kernel":{"dtype":"F32","shape":[784,128],"data_offsets":[0,401408]}, ...}
//
// Read treats its input as hostile: the header's length is capped, every
// number is checked before it is used, the tensors must tile the buffer
// exactly (no holes, no overlap, nothing after the last), names must be
// unique, and nothing is allocated beyond what the input actually holds.
// Tailor's tensors are float32, so Read returns F32 tensors and names any
// other dtype in its error.
package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"
)

// DefaultMaxHeader is the default cap on the header's length, the one the
// reference implementation applies (its MAX_HEADER_SIZE, 100,000,000
// bytes: not 100 MiB), so that Read takes no header Python refuses.
const DefaultMaxHeader = 100_000_000

// Tensor is one named array. Data holds Shape's product of elements in
// row-major order.
type Tensor struct {
	Name string
	// DType is the element type; "" means "F32", the only one Tailor
	// stores.
	DType string
	Shape []int
	Data  []float32
}

// File is the content of a safetensors file.
type File struct {
	// Tensors in the order of their data in the byte buffer.
	Tensors []Tensor
	// Metadata is the header's "__metadata__", or nil.
	Metadata map[string]string
}

// Tensor returns the tensor of the given name, or nil.
func (f *File) Tensor(name string) *Tensor {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i]
		}
	}
	return nil
}

// Limits bound what Read accepts.
type Limits struct {
	// MaxHeader caps the header's length in bytes (default
	// DefaultMaxHeader).
	MaxHeader int64
	// MaxData caps the byte buffer's length (default: no cap beyond what
	// the input holds). Set it to the input's size when that is known (a
	// file, a stored zip entry): Read then allocates each tensor whole
	// rather than growing it as bytes arrive, which halves the memory a
	// large tensor takes on the way.
	MaxData int64
	// MaxTensors and MaxMetadata cap the tensors and the metadata's
	// entries (default: no cap but the header's length, as the reference
	// implementation has). Set them when the input's use bounds them: an
	// entry costs a few hundred bytes parsed, so that a header of the
	// default length can hold millions, for gigabytes and most of a
	// minute; with a cap, Read refuses the first entry past it.
	MaxTensors, MaxMetadata int
}

// maxAxes bounds a shape's axes (and the entries of any list in the
// header).
const maxAxes = 64

// maxOffset bounds data_offsets so that sizes fit an int64.
const maxOffset = 1 << 62

// dtypeBits are the element sizes, in bits, of the dtypes the reference
// implementation defines (its Dtype::bitsize), so that a file of any of
// them is told apart from a corrupt one.
var dtypeBits = map[string]uint64{
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"I64": 64, "U64": 64, "F64": 64, "C64": 64,
}

// Write writes the tensors, in the order given, and the metadata (nil for
// none) as a safetensors file. The header is padded with spaces so that the
// buffer starts at a multiple of 8 bytes, as the reference implementation
// pads it. Names must be unique and not empty; every tensor must be F32 and
// hold as many elements as its shape says, a shape Read takes (at most 64
// axes, each under 2³¹).
func Write(w io.Writer, tensors []Tensor, metadata map[string]string) error {
	header, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	bw.Write(n[:])
	bw.Write(header)
	var buf [4]byte
	for _, t := range tensors {
		for _, v := range t.Data {
			binary.LittleEndian.PutUint32(buf[:], math.Float32bits(v))
			if _, err := bw.Write(buf[:]); err != nil {
				return fmt.Errorf("safetensors: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// Size returns the number of bytes Write produces for the tensors and
// metadata.
func Size(tensors []Tensor, metadata map[string]string) (int64, error) {
	header, err := encodeHeader(tensors, metadata)
	if err != nil {
		return 0, err
	}
	n := int64(8 + len(header))
	for _, t := range tensors {
		n += 4 * int64(len(t.Data))
	}
	return n, nil
}

// encodeHeader returns the padded JSON header, keys in the order given with
// "__metadata__" (its keys sorted) first.
func encodeHeader(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if metadata != nil {
		b.WriteString(`"__metadata__":{`)
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if !utf8.ValidString(k) || !utf8.ValidString(metadata[k]) {
				return nil, fmt.Errorf("safetensors: metadata %q is not UTF-8", k)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(&b, k)
			b.WriteByte(':')
			writeString(&b, metadata[k])
		}
		b.WriteByte('}')
	}
	seen := make(map[string]bool, len(tensors))
	var offset uint64
	for i, t := range tensors {
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("safetensors: tensor %d has no name", i)
		case t.Name == "__metadata__":
			return nil, errors.New(`safetensors: "__metadata__" is reserved and cannot name a tensor`)
		case seen[t.Name]:
			return nil, fmt.Errorf("safetensors: two tensors are named %q", t.Name)
		case t.DType != "" && t.DType != "F32":
			return nil, fmt.Errorf("safetensors: tensor %q: dtype %q, only F32 can be written", t.Name, t.DType)
		case !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("safetensors: tensor name %q is not UTF-8", t.Name)
		}
		seen[t.Name] = true
		// The shape must be one Read takes: at most maxAxes axes, each
		// under 2³¹, their product not overflowing on the way.
		if len(t.Shape) > maxAxes {
			return nil, fmt.Errorf("safetensors: tensor %q has %d axes, more than %d", t.Name, len(t.Shape), maxAxes)
		}
		size := uint64(1)
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("safetensors: tensor %q has shape %v", t.Name, t.Shape)
			}
			if d > math.MaxInt32 {
				return nil, fmt.Errorf("safetensors: tensor %q: dimension %d of shape %v is more than %d", t.Name, d, t.Shape, math.MaxInt32)
			}
			hi, lo := bits.Mul64(size, uint64(d))
			if hi != 0 || lo > math.MaxInt64/4 {
				return nil, fmt.Errorf("safetensors: tensor %q: shape %v is too large", t.Name, t.Shape)
			}
			size = lo
		}
		if size != uint64(len(t.Data)) {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v holds %d elements but %d were given", t.Name, t.Shape, size, len(t.Data))
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		writeString(&b, t.Name)
		b.WriteString(`:{"dtype":"F32","shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := offset + 4*uint64(len(t.Data))
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

// writeString writes s as a JSON string.
func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // cannot fail for a string
	b.Truncate(b.Len() - 1) // Encode's newline
}

// entry is one tensor as the header describes it.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end uint64
}

// Read reads a safetensors file from r, checking it against the format and
// lim, and returns its tensors in buffer order. Every tensor must be F32.
// Nothing after the last tensor's data is allowed.
func Read(r io.Reader, lim Limits) (*File, error) {
	if lim.MaxHeader <= 0 {
		lim.MaxHeader = DefaultMaxHeader
	}
	var n [8]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, fmt.Errorf("safetensors: reading the header length: %w", truncated(err))
	}
	hlen := binary.LittleEndian.Uint64(n[:])
	if hlen > uint64(lim.MaxHeader) {
		return nil, fmt.Errorf("safetensors: the header is %d bytes long, more than the limit of %d: the file is corrupt or not safetensors", hlen, lim.MaxHeader)
	}
	header, err := readN(r, int64(hlen))
	if err != nil {
		return nil, fmt.Errorf("safetensors: reading the %d-byte header: %w", hlen, err)
	}
	entries, meta, err := parseHeader(header, lim)
	if err != nil {
		return nil, err
	}
	var size uint64
	if len(entries) > 0 {
		size = entries[len(entries)-1].end
	}
	if lim.MaxData > 0 && size > uint64(lim.MaxData) {
		return nil, fmt.Errorf("safetensors: the tensors take %d bytes, more than the limit of %d", size, lim.MaxData)
	}
	f := &File{Metadata: meta, Tensors: make([]Tensor, 0, len(entries))}
	for _, e := range entries {
		if e.dtype != "F32" {
			return nil, fmt.Errorf("safetensors: tensor %q has dtype %s; Tailor reads only F32", e.name, e.dtype)
		}
	}
	chunk := make([]byte, 64<<10)
	for _, e := range entries {
		// Without MaxData, readF32 grows its result as bytes arrive, so
		// a header that promises more than the input holds costs no more
		// than the input; with it, the cap bounds the allocation.
		data, err := readF32(r, int64(e.end-e.begin)/4, lim.MaxData > 0, chunk)
		if err != nil {
			return nil, fmt.Errorf("safetensors: reading tensor %q (bytes %d to %d of the buffer): %w", e.name, e.begin, e.end, err)
		}
		f.Tensors = append(f.Tensors, Tensor{Name: e.name, DType: "F32", Shape: e.shape, Data: data})
	}
	var extra [1]byte
	k, err := io.ReadFull(r, extra[:])
	if k != 0 {
		return nil, fmt.Errorf("safetensors: data continues after the last tensor's end, byte %d of the buffer", size)
	}
	if err != io.EOF { // a reader that checks what it read, as a zip entry does, says so at the end
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return f, nil
}

// readF32 reads n little-endian float32s through chunk. With whole set
// it allocates the result at once; otherwise it grows it fourfold at a
// time as bytes arrive, so that memory follows what r delivers (at most
// five times it, plus a megabyte) rather than what n claims.
func readF32(r io.Reader, n int64, whole bool, chunk []byte) ([]float32, error) {
	const step = 1 << 18 // elements
	var data []float32
	if whole {
		data = make([]float32, 0, n)
	} else {
		data = make([]float32, 0, min(n, step))
	}
	for int64(len(data)) < n {
		k := int(min(n-int64(len(data)), int64(len(chunk)/4)))
		if _, err := io.ReadFull(r, chunk[:4*k]); err != nil {
			return nil, truncated(err)
		}
		if len(data)+k > cap(data) {
			data = slices.Grow(data, int(min(n, 4*int64(cap(data))+step))-len(data))
		}
		for i := range k {
			data = append(data, math.Float32frombits(binary.LittleEndian.Uint32(chunk[4*i:])))
		}
	}
	return data, nil
}

// readN reads exactly n bytes, growing the buffer in steps so that memory
// follows what r delivers rather than what n claims.
func readN(r io.Reader, n int64) ([]byte, error) {
	const step = 1 << 20
	if n < 0 {
		return nil, errors.New("negative length")
	}
	buf := make([]byte, 0, min(n, step))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(n-int64(len(buf)), int64(len(buf))+step)))
		}
		k, err := r.Read(buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+k]
		if err != nil {
			if int64(len(buf)) == n {
				break
			}
			return nil, truncated(err)
		}
	}
	return buf, nil
}

func truncated(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("the file is truncated")
	}
	return err
}

// jsonSpace is JSON's whitespace, which may pad the header's object.
const jsonSpace = " \t\n\r"

// parseHeader decodes and checks the JSON header, returning the tensors
// sorted by offset.
func parseHeader(h []byte, lim Limits) ([]entry, map[string]string, error) {
	if !utf8.Valid(h) {
		return nil, nil, errors.New("safetensors: the header is not valid UTF-8")
	}
	// JSON whitespace may pad the object on either side: the reference
	// implementation reads it (a writer may pad to align the data).
	if start := bytes.TrimLeft(h, jsonSpace); len(start) == 0 || start[0] != '{' {
		return nil, nil, errors.New("safetensors: the header does not start with '{' (after any JSON whitespace)")
	}
	dec := json.NewDecoder(bytes.NewReader(h))
	dec.UseNumber()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("safetensors: invalid header at byte %d: %s", dec.InputOffset(), fmt.Sprintf(format, args...))
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, bad("%v", err)
	}
	var entries []entry
	var meta map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, bad("%v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, bad("found %v where a key was expected", tok)
		}
		if seen[name] {
			return nil, nil, bad("the key %q appears twice", name)
		}
		seen[name] = true
		if name == "__metadata__" {
			if meta, err = parseMetadata(dec, lim.MaxMetadata); err != nil {
				return nil, nil, bad("__metadata__: %v", err)
			}
			continue
		}
		if name == "" {
			return nil, nil, bad("a tensor has an empty name")
		}
		if lim.MaxTensors > 0 && len(entries) == lim.MaxTensors {
			return nil, nil, bad("tensor %q: more than %d tensors", name, lim.MaxTensors)
		}
		e, err := parseEntry(dec)
		if err != nil {
			return nil, nil, bad("tensor %q: %v", name, err)
		}
		e.name = name
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, nil, bad("%v", err)
	}
	// Only spaces (the padding) and other JSON whitespace may follow.
	if rest := bytes.TrimLeft(h[dec.InputOffset():], jsonSpace); len(rest) > 0 {
		return nil, nil, fmt.Errorf("safetensors: invalid header: %q after the JSON object", rest[0])
	}
	// The tensors must tile the buffer: sorted by offset, each begins
	// where the last ended, and each is exactly as long as its shape and
	// dtype say.
	sort.SliceStable(entries, func(i, j int) bool {
		if entries[i].begin != entries[j].begin {
			return entries[i].begin < entries[j].begin
		}
		return entries[i].end < entries[j].end
	})
	var at uint64
	for _, e := range entries {
		if e.begin != at {
			if e.begin < at {
				return nil, nil, fmt.Errorf("safetensors: tensor %q at bytes [%d, %d) overlaps the tensor before it, which ends at %d", e.name, e.begin, e.end, at)
			}
			return nil, nil, fmt.Errorf("safetensors: tensor %q begins at byte %d, leaving a hole after byte %d", e.name, e.begin, at)
		}
		elems := uint64(1)
		for _, d := range e.shape {
			hi, lo := bits.Mul64(elems, uint64(d))
			if hi != 0 {
				return nil, nil, fmt.Errorf("safetensors: tensor %q: shape %v is too large", e.name, e.shape)
			}
			elems = lo
		}
		hi, nbits := bits.Mul64(elems, dtypeBits[e.dtype])
		if hi != 0 {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: shape %v is too large", e.name, e.shape)
		}
		if nbits%8 != 0 {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %d elements of %s do not fill whole bytes", e.name, elems, e.dtype)
		}
		if want := nbits / 8; e.end-e.begin != want {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %s of shape %v takes %d bytes but data_offsets [%d, %d] give %d", e.name, e.dtype, e.shape, want, e.begin, e.end, e.end-e.begin)
		}
		at = e.end
	}
	return entries, meta, nil
}

// parseMetadata decodes a JSON object of strings, or null (no metadata),
// which the reference implementation reads as none; of at most
// maxEntries entries when maxEntries > 0.
func parseMetadata(dec *json.Decoder, maxEntries int) (map[string]string, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("found %v where an object of strings was expected", tok)
	}
	meta := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("found %v where a key was expected", tok)
		}
		if _, dup := meta[k]; dup {
			return nil, fmt.Errorf("the key %q appears twice", k)
		}
		if maxEntries > 0 && len(meta) == maxEntries {
			return nil, fmt.Errorf("%q: more than %d entries", k, maxEntries)
		}
		tok, err = dec.Token()
		if err != nil {
			return nil, err
		}
		v, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("the value of %q is not a string", k)
		}
		meta[k] = v
	}
	_, err = dec.Token()
	return meta, err
}

// parseEntry decodes {"dtype": ..., "shape": [...], "data_offsets": [b, e]},
// ignoring any other key as the reference implementation does.
func parseEntry(dec *json.Decoder) (entry, error) {
	var e entry
	if err := expectDelim(dec, '{'); err != nil {
		return e, err
	}
	var haveDType, haveShape, haveOffsets bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return e, err
		}
		k, ok := tok.(string)
		if !ok {
			return e, fmt.Errorf("found %v where a key was expected", tok)
		}
		switch k {
		case "dtype":
			if haveDType {
				return e, errors.New(`"dtype" appears twice`)
			}
			haveDType = true
			tok, err := dec.Token()
			if err != nil {
				return e, err
			}
			s, ok := tok.(string)
			if _, known := dtypeBits[s]; !ok || !known {
				return e, fmt.Errorf("unknown dtype %v", tok)
			}
			e.dtype = s
		case "shape":
			if haveShape {
				return e, errors.New(`"shape" appears twice`)
			}
			haveShape = true
			dims, err := uintArray(dec, "shape")
			if err != nil {
				return e, err
			}
			e.shape = make([]int, len(dims))
			for i, d := range dims {
				if d > math.MaxInt32 {
					return e, fmt.Errorf("dimension %d is too large", d)
				}
				e.shape[i] = int(d)
			}
		case "data_offsets":
			if haveOffsets {
				return e, errors.New(`"data_offsets" appears twice`)
			}
			haveOffsets = true
			offs, err := uintArray(dec, "data_offsets")
			if err != nil {
				return e, err
			}
			if len(offs) != 2 || offs[0] > offs[1] || offs[1] > maxOffset {
				return e, fmt.Errorf("data_offsets %v, want [begin, end] with begin ≤ end ≤ 2⁶²", offs)
			}
			e.begin, e.end = offs[0], offs[1]
		default:
			// The reference implementation ignores keys it does not
			// know, so Python loads such a file: skip the value.
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return e, fmt.Errorf("%q: %v", k, err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return e, err
	}
	if !haveDType || !haveShape || !haveOffsets {
		return e, errors.New(`want "dtype", "shape" and "data_offsets"`)
	}
	return e, nil
}

// uintArray decodes a JSON array of non-negative integers (at most
// maxAxes).
func uintArray(dec *json.Decoder, what string) ([]uint64, error) {
	if err := expectDelim(dec, '['); err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	var xs []uint64
	for dec.More() {
		if len(xs) == maxAxes {
			return nil, fmt.Errorf("%s has more than %d entries", what, maxAxes)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%s holds %v, want non-negative integers", what, tok)
		}
		x, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s holds %s, want non-negative integers", what, num)
		}
		xs = append(xs, x)
	}
	_, err := dec.Token()
	return xs, err
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("found %v where %q was expected", tok, string(want))
	}
	return nil
}
