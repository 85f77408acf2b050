package idx

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/tailor-ml/tailor/internal/atomicfile"
)

// Write encodes f to w as an uncompressed IDX stream. It first checks that
// f is one Read would accept: a defined DType, 1 to MaxRank dimensions that
// each fit in a uint32, and len(f.Data) matching the dimensions. Invalid
// Files are reported as a *FormatError and nothing is written.
func Write(w io.Writer, f *File) error {
	return write(w, f, "")
}

func write(w io.Writer, f *File, name string) error {
	hdr, err := f.header(name)
	if err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("idx: writing %s header: %w", orStream(name), err)
	}
	if _, err := w.Write(f.Data); err != nil {
		return fmt.Errorf("idx: writing %s payload: %w", orStream(name), err)
	}
	return nil
}

func orStream(name string) string {
	if name == "" {
		return "stream"
	}
	return name
}

// header validates f and returns its encoded header.
func (f *File) header(name string) ([]byte, error) {
	if f.DType.Size() == 0 {
		return nil, &FormatError{Name: name, Field: "dtype", Msg: fmt.Sprintf("is %v, want %s", f.DType, validDTypes)}
	}
	rank := len(f.Dims)
	if rank < 1 || rank > MaxRank {
		return nil, &FormatError{Name: name, Field: "rank", Msg: fmt.Sprintf("%d dimensions, want 1 to %d", rank, MaxRank)}
	}
	hdr := make([]byte, 4+4*rank)
	hdr[2] = byte(f.DType)
	hdr[3] = byte(rank)
	dims := make([]uint64, rank)
	for i, d := range f.Dims {
		if d < 0 || uint64(d) > math.MaxUint32 {
			return nil, &FormatError{Name: name, Field: fmt.Sprintf("dim %d", i), Msg: fmt.Sprintf("is %d, want 0 to %d", d, uint32(math.MaxUint32))}
		}
		dims[i] = uint64(d)
		binary.BigEndian.PutUint32(hdr[4+4*i:], uint32(d))
	}
	size, err := payloadSize(dims, f.DType.Size())
	if err != nil {
		err.(*FormatError).Name = name
		return nil, err
	}
	if len(f.Data) != size {
		return nil, &FormatError{
			Name:  name,
			Field: "payload",
			Msg:   fmt.Sprintf("has %d bytes, dimensions %v of %v need %d", len(f.Data), f.Dims, f.DType, size),
		}
	}
	return hdr, nil
}

// WriteFile writes f to path, gzip-compressed if compress is set. It writes
// atomically: the data goes to a temporary file in the same directory, which
// is synced to disk and then renamed over path, so readers see either the
// old file or the complete new one. A file created has mode 0644; a file
// replaced keeps its permissions.
func WriteFile(path string, f *File, compress bool) error {
	if _, err := f.header(path); err != nil {
		return err
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		if !compress {
			return write(w, f, path)
		}
		zw := gzip.NewWriter(w)
		if err := write(zw, f, path); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("idx: %w", err)
	}
	return nil
}
