package preprocessing

import (
	"bufio"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"io"
)

// DecodedBytes estimates, from its header, the memory the standard
// decoder allocates for an image of the format image.DecodeConfig named
// ("png", "jpeg", "gif", "bmp") and the config it read: what LoadImage
// checks against MaxDecodedBytes before decoding (see MaxDecodedBytes),
// for loaders of other images to check the same way. open gives the file
// from its start. Where the header cannot be read as expected the
// estimate is the worst case for the format, so that the limit still
// holds.
func DecodedBytes(format string, cfg image.Config, open func() io.Reader) int64 {
	return decodedBytes(format, cfg, open)
}

// decodedBytes is DecodedBytes: bytes per pixel of the colour model the
// decoder returns (twice that for an interlaced PNG), or a JPEG's planes.
func decodedBytes(format string, cfg image.Config, open func() io.Reader) int64 {
	w, h := int64(cfg.Width), int64(cfg.Height)
	if format == "jpeg" {
		return jpegBytes(w, h, open())
	}
	interlaced, transparent := true, true
	if format == "png" {
		interlaced, transparent = pngHeader(open())
	}
	var bpp int64
	switch cfg.ColorModel {
	case color.GrayModel:
		bpp = 1
		if format == "png" && transparent {
			bpp = 4 // a transparent gray level: image/png returns NRGBA
		}
	case color.Gray16Model:
		bpp = 2
		if format == "png" && transparent {
			bpp = 8 // NRGBA64
		}
	case color.RGBAModel, color.NRGBAModel:
		bpp = 4
	default: // 16-bit colour; also anything unexpected
		bpp = 8
		if _, ok := cfg.ColorModel.(color.Palette); ok {
			bpp = 1
		}
	}
	n := w * h * bpp
	if format == "png" && interlaced {
		n *= 2 // each pass's image, then the whole
	}
	return n + 2*(w*bpp+1) // the current and previous rows
}

// pngHeader reports whether the PNG's header (IHDR, which the format puts
// first) asks for Adam7 interlacing, and whether a tRNS chunk precedes its
// image data, with which image/png returns a grayscale image as NRGBA (4
// bytes a pixel, 8 at 16 bits) rather than Gray; each true when the
// chunks cannot be read.
func pngHeader(r io.Reader) (interlaced, transparent bool) {
	var b [33]byte // the signature, and IHDR with its length, type and CRC
	if _, err := io.ReadFull(r, b[:]); err != nil || string(b[12:16]) != "IHDR" {
		return true, true
	}
	interlaced = b[28] != 0
	for {
		var c [8]byte
		if _, err := io.ReadFull(r, c[:]); err != nil {
			return interlaced, true
		}
		switch string(c[4:]) {
		case "tRNS":
			return interlaced, true
		case "IDAT", "IEND":
			return interlaced, false
		}
		// Another chunk (PLTE, gAMA, text): its data and CRC.
		n := int64(binary.BigEndian.Uint32(c[:4])) + 4
		if k, err := io.CopyN(io.Discard, r, n); k != n || err != nil {
			return interlaced, true
		}
	}
}

// jpegBytes estimates what image/jpeg allocates for a w×h image: each
// component's plane, rounded up to whole MCUs at its sampling; the CMYK
// result of a four-component image, and the RGBA result of a
// three-component one it takes for RGB rather than YCbCr; and for a
// progressive image the coefficients of every block, 64 int32s per 64
// samples.
func jpegBytes(w, h int64, r io.Reader) int64 {
	br := bufio.NewReader(r)
	var info jpegInfo
	err := info.scan(br, true)
	comps := info.comps
	if err != nil || len(comps) == 0 {
		// The worst the decoder does: four full planes, the CMYK
		// result and progressive coefficients.
		return w * h * (4 + 4 + 16)
	}
	hmax, vmax := int64(1), int64(1)
	for _, c := range comps {
		hmax, vmax = max(hmax, int64(c.h)), max(vmax, int64(c.v))
	}
	mxx, myy := (w+8*hmax-1)/(8*hmax), (h+8*vmax-1)/(8*vmax)
	var samples int64
	for _, c := range comps {
		samples += (mxx * 8 * int64(c.h)) * (myy * 8 * int64(c.v))
	}
	n := samples
	if progressive := info.progressive; progressive {
		n += 4 * samples
	}
	switch len(comps) {
	case 4:
		n += 4 * w * h
	case 3:
		// The decoder decides on RGB from the APP0 and APP14 segments
		// it has read by the end of the file. They come before the
		// frame in files that have them; where the RGBA result would
		// take the estimate over MaxDecodedBytes, the rest of the file
		// is read for them too.
		rgb := info.rgb()
		if !rgb && n+4*w*h > MaxDecodedBytes {
			if err := info.scan(br, false); err != nil && err != io.EOF {
				return w * h * (4 + 4 + 16)
			}
			rgb = info.rgb()
		}
		if rgb {
			n += 4 * w * h
		}
	}
	return n
}

// jpegComp is one component's id and sampling factors.
type jpegComp struct {
	id   byte
	h, v int
}

// jpegInfo is what jpegBytes reads of a JPEG's markers: the frame header
// (SOFn), and the APP0 (JFIF) and APP14 (Adobe) segments that decide, as
// image/jpeg reads them, whether three components are RGB.
type jpegInfo struct {
	progressive    bool
	comps          []jpegComp
	jfif, adobe    bool
	adobeTransform byte
}

// rgb reports whether image/jpeg would take the three components for RGB
// and convert them to an RGBA image (its decoder.isRGB).
func (j *jpegInfo) rgb() bool {
	switch {
	case j.jfif:
		return false
	case j.adobe && j.adobeTransform == 0:
		return true
	}
	return len(j.comps) == 3 && j.comps[0].id == 'R' && j.comps[1].id == 'G' && j.comps[2].id == 'B'
}

var errNoFrame = errors.New("jpeg: no frame header")

// scan reads the JPEG's markers from br: with frame set, from the start
// of the file up to its frame header (SOFn), an error when a scan or the
// end comes first; otherwise on to the end of the file (EOI), through the
// scans' data, whose bytes the decoder skips the same way.
func (j *jpegInfo) scan(br *bufio.Reader, frame bool) error {
	if frame {
		var soi [2]byte
		if _, err := io.ReadFull(br, soi[:]); err != nil || soi != [2]byte{0xff, 0xd8} {
			return errNoFrame
		}
	}
	for {
		// Skip to the next 0xff: bytes that are not a marker, which
		// the decoder would skip too, or a scan's data.
		for {
			_, err := br.ReadSlice(0xff)
			if err == nil {
				break
			}
			if err != bufio.ErrBufferFull {
				return err
			}
		}
		m := byte(0xff)
		var err error
		for m == 0xff { // fill bytes
			if m, err = br.ReadByte(); err != nil {
				return err
			}
		}
		switch {
		case m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd7):
			continue // no segment follows
		case m == 0xd9: // end of image
			if frame {
				return errNoFrame
			}
			return nil
		case m == 0xda && frame: // start of scan
			return errNoFrame
		}
		var lb [2]byte
		if _, err := io.ReadFull(br, lb[:]); err != nil {
			return err
		}
		n := int64(binary.BigEndian.Uint16(lb[:])) - 2
		if n < 0 {
			return errNoFrame
		}
		isFrame := m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc
		if isFrame && frame || m == 0xe0 || m == 0xee {
			seg := make([]byte, n) // at most 64 KiB
			if _, err := io.ReadFull(br, seg); err != nil {
				return err
			}
			switch {
			case m == 0xe0 && n >= 5:
				j.jfif = string(seg[:5]) == "JFIF\x00"
			case m == 0xee && n >= 12 && string(seg[:5]) == "Adobe":
				j.adobe, j.adobeTransform = true, seg[11]
			case isFrame:
				if len(seg) < 6 || len(seg) < 6+3*int(seg[5]) {
					return errNoFrame
				}
				for i := range int(seg[5]) {
					hv := seg[6+3*i+1]
					j.comps = append(j.comps, jpegComp{id: seg[6+3*i], h: max(int(hv>>4), 1), v: max(int(hv&15), 1)})
				}
				j.progressive = m == 0xc2 || m == 0xc6 || m == 0xca || m == 0xce
				return nil
			}
			continue
		}
		if _, err := io.CopyN(io.Discard, br, n); err != nil {
			return err
		}
	}
}
