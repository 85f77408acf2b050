package idx

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// DType is the element type of an IDX file, stored in the third header byte.
type DType byte

// The element types defined by the IDX format.
const (
	Uint8   DType = 0x08 // unsigned byte
	Int8    DType = 0x09 // signed byte
	Int16   DType = 0x0B // big-endian int16
	Int32   DType = 0x0C // big-endian int32
	Float32 DType = 0x0D // big-endian IEEE 754 float32
	Float64 DType = 0x0E // big-endian IEEE 754 float64
)

// Size returns the size of one element in bytes, or 0 if d is not a DType
// defined by the format.
func (d DType) Size() int {
	switch d {
	case Uint8, Int8:
		return 1
	case Int16:
		return 2
	case Int32, Float32:
		return 4
	case Float64:
		return 8
	}
	return 0
}

// String returns the Go name of the element type, such as "uint8", or
// "DType(0x07)" for a byte that is not a defined type.
func (d DType) String() string {
	switch d {
	case Uint8:
		return "uint8"
	case Int8:
		return "int8"
	case Int16:
		return "int16"
	case Int32:
		return "int32"
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("DType(0x%02x)", byte(d))
}

// validDTypes is the text of error messages about a bad type byte.
const validDTypes = "0x08 (uint8), 0x09 (int8), 0x0b (int16), 0x0c (int32), 0x0d (float32) or 0x0e (float64)"

// Limits that Read and Write enforce.
const (
	// MaxRank is the largest number of dimensions accepted. Real IDX files
	// have rank 1 to 4.
	MaxRank = 8

	// MaxPayload is the largest payload, in bytes, accepted. Read checks a
	// header against it before allocating memory for the payload.
	MaxPayload = 1 << 30
)

// ErrTooLarge is wrapped by the FormatError returned for a header whose
// dimensions overflow or describe a payload over MaxPayload bytes.
var ErrTooLarge = errors.New("payload too large")

// A File is one IDX array: its element type, its shape and its payload.
type File struct {
	// DType is the element type.
	DType DType

	// Dims holds the size of each dimension, outermost first; there are
	// 1 to MaxRank of them.
	Dims []int

	// Data is the payload exactly as stored in the file: the elements in
	// row-major order, each big-endian. For Uint8 it is the values themselves.
	Data []byte
}

// Len returns the number of elements, the product of f.Dims.
func (f *File) Len() int {
	n := 1
	for _, d := range f.Dims {
		n *= d
	}
	return n
}

// Uint8 returns the payload as unsigned bytes. It reports an error if the
// element type is not Uint8. The result shares memory with f.Data.
func (f *File) Uint8() ([]uint8, error) {
	if f.DType != Uint8 {
		return nil, fmt.Errorf("idx: element type is %v, want uint8", f.DType)
	}
	return f.Data, nil
}

// A FormatError reports why Read rejected its input, or why Write refused
// a File.
type FormatError struct {
	Name  string // the name given to Read, or the path; empty for Write
	Field string // the part at fault: "header", "magic", "dtype", "rank", "dims", "dim 2", "payload", "gzip"
	Msg   string // what was found and what was expected
	Err   error  // an underlying error (I/O, decompression, ErrTooLarge), or nil
}

// Error returns "idx: name: field: message[: underlying error]".
func (e *FormatError) Error() string {
	s := "idx: "
	if e.Name != "" {
		s += e.Name + ": "
	}
	s += e.Field + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error, if any.
func (e *FormatError) Unwrap() error { return e.Err }

// payloadSize checks a shape and returns the payload size in bytes of an
// array of that shape with elements of elemSize bytes. It reports the field
// at fault in a FormatError (with an empty Name) when a dimension does not
// fit in an int or the payload overflows or exceeds MaxPayload.
func payloadSize(dims []uint64, elemSize int) (int, error) {
	var (
		n        uint64 = 1
		overflow bool
		zero     bool
	)
	for i, d := range dims {
		if d > math.MaxInt { // only possible where int is 32 bits
			return 0, &FormatError{Field: fmt.Sprintf("dim %d", i), Msg: fmt.Sprintf("%d does not fit in an int", d)}
		}
		if d == 0 {
			zero = true
		}
		hi, lo := bits.Mul64(n, d)
		if hi != 0 {
			overflow = true
		}
		n = lo
	}
	if zero {
		return 0, nil
	}
	hi, size := bits.Mul64(n, uint64(elemSize))
	if overflow || hi != 0 {
		return 0, &FormatError{Field: "dims", Msg: fmt.Sprintf("product of dimensions %v overflows", dims), Err: ErrTooLarge}
	}
	if size > MaxPayload {
		return 0, &FormatError{
			Field: "dims",
			Msg:   fmt.Sprintf("dimensions %v of %d-byte elements need a %d-byte payload, over the %d-byte limit", dims, elemSize, size, MaxPayload),
			Err:   ErrTooLarge,
		}
	}
	return int(size), nil
}
