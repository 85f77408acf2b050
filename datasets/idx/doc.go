// Package idx reads and writes IDX files, the simple array format in which
// MNIST and Fashion-MNIST are distributed.
//
// An IDX file is a header followed by a payload:
//
//	byte 0-1   0x00 0x00 (magic)
//	byte 2     element type (see DType)
//	byte 3     rank, the number of dimensions
//	then       rank big-endian uint32 dimension sizes, outermost first
//	then       the elements, row-major, each big-endian
//
// Files are often gzip-compressed (train-images-idx3-ubyte.gz). Read detects
// compression by the gzip magic bytes 1f 8b, whatever the file is called.
//
// Read treats its input as untrusted: it validates every header field, refuses
// payloads over MaxPayload (or the caller's lower cap, ReadLimit) before
// allocating anything for them, grows its buffer only as data actually
// arrives (so a lying header costs at most five times the bytes that came), and rejects truncated payloads
// and trailing bytes. ReadFile also checks the header against the file's
// size before reading on: a plain file must hold exactly the payload its
// header implies, a gzip file at most 1032 times its size. Every error names
// the input and the field at fault.
package idx
