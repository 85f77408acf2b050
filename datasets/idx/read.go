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
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, &FormatError{Name: name, Field: "header", Msg: "read failed", Err: err}
	}
	var src io.Reader = br
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &FormatError{Name: name, Field: "gzip", Msg: "bad gzip header", Err: err}
		}
		defer zr.Close()
		src = zr
	}
	return decode(src, name)
}

// ReadFile reads the IDX file at path, plain or gzip-compressed, as Read does.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	defer fh.Close()
	return Read(fh, path)
}

// decode reads an uncompressed IDX stream.
func decode(r io.Reader, name string) (*File, error) {
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
// most four times the bytes it delivered, and a genuine payload is copied
// only a quarter of the way.
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
