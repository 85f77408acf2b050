// Package hostile writes the hostile inputs that Tailor's tests and
// scripts/hostile-inputs.sh feed to the loaders: images whose headers ask
// for far more memory than their few kilobytes suggest, and zip archives
// whose entries inflate to gigabytes. Everything is streamed, so writing a
// file costs little memory however large what it describes.
package hostile

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"io"
)

// PNG colour types.
const (
	Gray      = 0
	RGB       = 2
	Paletted  = 3
	GrayAlpha = 4
	RGBA      = 6
)

// PNG writes a width×height PNG of the given colour type and bit depth,
// each row's bytes (width × channels × depth/8, or width/8·depth for
// paletted images) filled by row (which may leave them zero). With
// interlaced set, the header says Adam7 but the data is written as rows
// in order: the file's header is what matters to a loader that checks it
// before decoding, and decoding it fails.
func PNG(w io.Writer, width, height int, colorType, depth byte, interlaced bool, row func(y int, b []byte)) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(width))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(height))
	ihdr[8], ihdr[9] = depth, colorType
	if interlaced {
		ihdr[12] = 1
	}
	chunk(bw, "IHDR", ihdr[:])
	if colorType == Paletted {
		chunk(bw, "PLTE", []byte{0, 0, 0, 255, 255, 255})
	}
	channels := map[byte]int{Gray: 1, RGB: 3, Paletted: 1, GrayAlpha: 2, RGBA: 4}[colorType]
	rowBytes := (width*channels*int(depth) + 7) / 8
	idat := &chunkWriter{w: bw}
	zw, _ := zlib.NewWriterLevel(idat, zlib.BestSpeed)
	buf := make([]byte, 1+rowBytes) // filter byte 0, then the row
	for y := range height {
		clear(buf)
		if row != nil {
			row(y, buf[1:])
		}
		if _, err := zw.Write(buf); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	idat.flush()
	chunk(bw, "IEND", nil)
	return bw.Flush()
}

// chunk writes one PNG chunk: length, type, data, CRC of type and data.
func chunk(w io.Writer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	crc := crc32.NewIEEE()
	io.WriteString(crc, typ)
	crc.Write(data)
	io.WriteString(w, typ)
	w.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}

// chunkWriter cuts a stream into IDAT chunks of up to 1 MiB.
type chunkWriter struct {
	w   io.Writer
	buf []byte
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for len(c.buf) >= 1<<20 {
		chunk(c.w, "IDAT", c.buf[:1<<20])
		c.buf = append(c.buf[:0], c.buf[1<<20:]...)
	}
	return len(p), nil
}

func (c *chunkWriter) flush() {
	if len(c.buf) > 0 {
		chunk(c.w, "IDAT", c.buf)
		c.buf = c.buf[:0]
	}
}

// Entry is one member of a zip archive that Zip writes.
type Entry struct {
	Name string
	// Method is zip.Store or zip.Deflate.
	Method uint16
	// Write produces the entry's content.
	Write func(io.Writer) error
}

// Bytes returns an Entry.Write that writes b.
func Bytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}

// Repeat returns an Entry.Write that writes prefix, then n bytes c.
func Repeat(prefix []byte, c byte, n int64) func(io.Writer) error {
	return func(w io.Writer) error {
		if _, err := w.Write(prefix); err != nil {
			return err
		}
		block := make([]byte, 1<<20)
		for i := range block {
			block[i] = c
		}
		for n > 0 {
			k := min(n, int64(len(block)))
			if _, err := w.Write(block[:k]); err != nil {
				return err
			}
			n -= k
		}
		return nil
	}
}

// Zip writes the entries as a zip archive with correct sizes and
// checksums, deflating at the fastest level (which packs a gigabyte of one
// byte into 1.3 MB in under a second).
func Zip(w io.Writer, entries ...Entry) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	for _, e := range entries {
		ew, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: e.Method})
		if err != nil {
			return err
		}
		if err := e.Write(ew); err != nil {
			return err
		}
	}
	return zw.Close()
}
