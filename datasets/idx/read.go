package idx

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Chunk sizes for reading payloads; see readPayload.
const (
	firstChunk = 64 << 10
	maxChunk   = 4 << 20
)

// Read decodes one IDX array from r, decompressing it first if it starts
// with the gzip magic bytes 1f 8b. The name identifies the input in error
// messages; it is usually the file path.
//
// Read consumes r to its end: bytes after the payload are an error, as is
// a payload shorter than the header's dimensions require. Every error is a
// *FormatError.
func Read(r io.Reader, name string) (*File, error) {
	return read(r, name, MaxPayload, -1)
}

// ReadLimit is Read with payloads capped at maxPayload bytes (at most
// MaxPayload): a caller that knows how large its arrays are refuses larger
// ones from the header alone.
func ReadLimit(r io.Reader, name string, maxPayload int) (*File, error) {
	return read(r, name, min(maxPayload, MaxPayload), -1)
}

// ReadFile reads the IDX file at path, plain or gzip-compressed, as Read
// does. The file's size bounds the payload its header may claim before
// anything is read: a plain file must hold exactly the payload its header
// implies, and a gzip file at most maxInflation times its size.
//
// A file that cannot be opened gives os.Open's *fs.PathError (wrapped), so
// that errors.Is(err, fs.ErrNotExist) tells a missing file; every other
// error is a *FormatError, as Read's are.
func ReadFile(path string) (*File, error) {
	return ReadFileLimit(path, MaxPayload)
}

// ReadFileLimit is ReadFile with payloads capped at maxPayload bytes (at
// most MaxPayload).
func ReadFileLimit(path string, maxPayload int) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	defer fh.Close()
	size := int64(-1)
	if st, err := fh.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return read(fh, path, min(maxPayload, MaxPayload), size)
}

// maxInflation is deflate's largest expansion: 258 bytes from a 2-bit
// code gives 1032 to 1, which no gzip file exceeds.
const maxInflation = 1032

// read is Read with a payload cap and the size of the input in bytes, -1
// when unknown.
func read(r io.Reader, name string, maxPayload int, inputSize int64) (*File, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, &FormatError{Name: name, Field: "header", Msg: "read failed", Err: err}
	}
	var src io.Reader = br
	lim := limits{maxPayload: maxPayload, exact: inputSize}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &FormatError{Name: name, Field: "gzip", Msg: "bad gzip header", Err: err}
		}
		defer zr.Close()
		src = zr
		lim.exact = -1
		if inputSize >= 0 && inputSize < int64(maxPayload)/maxInflation {
			lim.maxPayload = int(inputSize) * maxInflation
			lim.gzipSize = inputSize
		}
	}
	return decode(src, name, lim)
}

// limits are what decode checks the header's payload size against.
type limits struct {
	maxPayload int
	// exact is the input's size when it is not compressed, else -1: the
	// header and the payload must fill it exactly.
	exact int64
	// gzipSize is the compressed input's size when it lowered maxPayload.
	gzipSize int64
}

// decode reads an uncompressed IDX stream.
func decode(r io.Reader, name string, lim limits) (*File, error) {
	var hdr [4]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return nil, &FormatError{Name: name, Field: "header", Msg: "empty input, want a 4-byte header"}
		}
		return nil, short(name, "header", n, len(hdr), err)
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, &FormatError{Name: name, Field: "magic", Msg: fmt.Sprintf("bytes 0-1 are 0x%02x 0x%02x, want 0x00 0x00", hdr[0], hdr[1])}
	}
	dt := DType(hdr[2])
	if dt.Size() == 0 {
		return nil, &FormatError{Name: name, Field: "dtype", Msg: fmt.Sprintf("byte 2 is 0x%02x, want %s", hdr[2], validDTypes)}
	}
	rank := int(hdr[3])
	if rank < 1 || rank > MaxRank {
		return nil, &FormatError{Name: name, Field: "rank", Msg: fmt.Sprintf("byte 3 is %d, want 1 to %d", rank, MaxRank)}
	}

	var raw [4 * MaxRank]byte
	if n, err := io.ReadFull(r, raw[:4*rank]); err != nil {
		return nil, short(name, "dims", n, 4*rank, err)
	}
	var dims [MaxRank]uint64
	for i := range rank {
		dims[i] = uint64(binary.BigEndian.Uint32(raw[4*i:]))
	}
	size, err := payloadSize(dims[:rank], dt.Size())
	if err != nil {
		err.(*FormatError).Name = name
		return nil, err
	}
	if hdr := int64(4 + 4*rank); lim.exact >= 0 && int64(size) != lim.exact-hdr {
		return nil, &FormatError{Name: name, Field: "dims", Msg: fmt.Sprintf("dimensions %v of %d-byte elements need a %d-byte payload, but the file holds %d bytes after its %d-byte header", dims[:rank], dt.Size(), size, max(lim.exact-hdr, 0), hdr)}
	}
	if size > lim.maxPayload {
		msg := fmt.Sprintf("dimensions %v of %d-byte elements need a %d-byte payload, over the %d-byte limit", dims[:rank], dt.Size(), size, lim.maxPayload)
		if lim.gzipSize > 0 {
			msg = fmt.Sprintf("dimensions %v of %d-byte elements need a %d-byte payload, more than a %d-byte gzip file can hold (deflate expands at most %d times)", dims[:rank], dt.Size(), size, lim.gzipSize, maxInflation)
		}
		return nil, &FormatError{Name: name, Field: "dims", Msg: msg, Err: ErrTooLarge}
	}

	data, n, err := readPayload(r, size)
	if err != nil {
		return nil, short(name, "payload", n, size, err)
	}
	// The stream must end here. For gzip input this read also makes the
	// decompressor verify the checksum.
	var extra [1]byte
	if n, err := io.ReadFull(r, extra[:]); n > 0 {
		return nil, &FormatError{Name: name, Field: "payload", Msg: fmt.Sprintf("trailing data after the %d-byte payload of dimensions %v", size, dims[:rank])}
	} else if !errors.Is(err, io.EOF) {
		return nil, &FormatError{Name: name, Field: "payload", Msg: "invalid end of stream", Err: err}
	}

	f := &File{DType: dt, Dims: make([]int, rank), Data: data}
	for i := range rank {
		f.Dims[i] = int(dims[i])
	}
	return f, nil
}

// readPayload reads exactly size bytes from r and returns them. On error
// it returns the number of bytes it read.
//
// It does not trust size: it reads into chunks, allocated as data arrives,
// until a quarter of size has come in, and only then allocates the whole
// buffer. A stream that delivers less than the header claims thus costs at
// most five times the bytes it delivered (the chunks, then a buffer of at
// most four times them), and a genuine payload is copied only a quarter of
// the way.
func readPayload(r io.Reader, size int) (data []byte, n int, err error) {
	var chunks [][]byte
	got := 0
	for chunk := firstChunk; size > firstChunk && got < size/4; chunk = min(2*chunk, maxChunk) {
		c := make([]byte, min(chunk, size-got))
		n, err := io.ReadFull(r, c)
		got += n
		if err != nil {
			return nil, got, err
		}
		chunks = append(chunks, c)
	}
	data = make([]byte, size)
	off := 0
	for _, c := range chunks {
		off += copy(data[off:], c)
	}
	n, err = io.ReadFull(r, data[off:])
	return data, off + n, err
}

// short builds the error for a read of want bytes that stopped after got.
func short(name, field string, got, want int, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &FormatError{Name: name, Field: field, Msg: fmt.Sprintf("truncated: got %d of %d bytes", got, want)}
	}
	return &FormatError{Name: name, Field: field, Msg: fmt.Sprintf("read failed after %d of %d bytes", got, want), Err: err}
}
