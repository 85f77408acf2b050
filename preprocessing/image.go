package preprocessing

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // register the decoders
	_ "image/png"
	"io"
	"math"
	"os"

	"github.com/tailor-ml/tailor/tensor"
)

// Invert says whether to invert an image's gray levels.
type Invert int

// The inversion choices.
const (
	// InvertAuto inverts when the border is lighter than the centre, so
	// that the result is light on dark (or dark on light with
	// ImageOptions.DarkOnLight).
	InvertAuto Invert = iota
	// InvertNever keeps the gray levels.
	InvertNever
	// InvertAlways inverts them.
	InvertAlways
)

// ImageOptions are LoadImage's settings; the zero value gives
// Fashion-MNIST's inputs.
type ImageOptions struct {
	// Height and Width of the result (28 when zero).
	Height, Width int
	// Invert chooses the polarity correction (InvertAuto by default).
	Invert Invert
	// DarkOnLight makes InvertAuto aim for a dark article on a light
	// background, for models trained on such images.
	DarkOnLight bool
	// Rescale multiplies the 0–255 gray levels (1/255 when zero).
	Rescale float32
}

// Limits on what LoadImage and FromImage accept, checked against the
// image's header before anything is decoded (docs/limits.md lists every
// limit Tailor applies).
const (
	// MaxFileBytes caps the size of an image file.
	MaxFileBytes = 64 << 20
	// MaxPixels caps an image's width times height.
	MaxPixels = 50_000_000
	// MaxSide caps an image's width and its height, JPEG's own limit:
	// preprocessing pads an image to a square of its longer side.
	MaxSide = 65_535
	// MaxDecodedBytes caps the memory the decoder would take for the
	// image, estimated from its header: bytes per pixel of the colour
	// model the decoder produces (NRGBA for a grayscale PNG with a tRNS
	// chunk), twice that for interlaced PNGs (the passes and the whole),
	// and for JPEGs each component's plane at its sampling, the CMYK
	// result of four-component files, the RGBA result of three-component
	// files the decoder takes for RGB, and the 32-bit coefficients
	// progressive files keep. A 12000×4000 RGB PNG (183 MiB)
	// or a 10000×5000 baseline JPEG passes; a 16-bit RGBA PNG of that
	// size does not. Preprocessing itself then uses memory proportional
	// to the longer side, not to the pixels.
	MaxDecodedBytes = 192 << 20
	// MaxTargetSide caps ImageOptions.Height and Width.
	MaxTargetSide = 4096
)

func (o *ImageOptions) defaults() {
	if o.Height == 0 {
		o.Height = 28
	}
	if o.Width == 0 {
		o.Width = 28
	}
	if o.Rescale == 0 {
		o.Rescale = 1.0 / 255
	}
}

// LoadImageFile reads the PNG or JPEG file at path as LoadImage does.
// Errors name the file.
func LoadImageFile(path string, o ImageOptions) (*tensor.Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := LoadImage(f, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// LoadImages reads several files into one batch of shape (N, Height,
// Width).
func LoadImages(paths []string, o ImageOptions) (*tensor.Tensor, error) {
	o.defaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	out := tensor.New(len(paths), o.Height, o.Width)
	for i, p := range paths {
		t, err := LoadImageFile(p, o)
		if err != nil {
			return nil, err
		}
		copy(out.Row(i), t.Data)
	}
	return out, nil
}

// LoadImage decodes a PNG or JPEG image and returns it as a (Height,
// Width) tensor prepared as the package documentation describes. The
// header is checked against MaxSide, MaxPixels and MaxDecodedBytes before
// the image is decoded. A reader that can seek and read at offsets (an
// *os.File) is read in place; any other is read into memory, at most
// MaxFileBytes of it.
func LoadImage(r io.Reader, o ImageOptions) (*tensor.Tensor, error) {
	open, err := reopener(r)
	if err != nil {
		return nil, err
	}
	cfg, format, err := image.DecodeConfig(bufio.NewReader(open()))
	if err != nil {
		return nil, fmt.Errorf("not a PNG or JPEG image: %w", err)
	}
	if format != "png" && format != "jpeg" {
		return nil, fmt.Errorf("a %s image: want PNG or JPEG", format)
	}
	if err := checkSize(format+" image", cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	if need := decodedBytes(format, cfg, open); need > MaxDecodedBytes {
		return nil, fmt.Errorf("decoding this %d×%d %s image would take about %d MiB, more than the limit of %d MiB",
			cfg.Width, cfg.Height, format, need>>20, MaxDecodedBytes>>20)
	}
	img, _, err := image.Decode(bufio.NewReader(open()))
	if err != nil {
		return nil, fmt.Errorf("decoding the %s image: %w", format, err)
	}
	return FromImage(img, o)
}

// reopener returns a function that gives r's content from its start each
// time it is called: sections of r when it can read at offsets, else
// readers over a copy of r in memory. Either way r holds at most
// MaxFileBytes.
func reopener(r io.Reader) (func() io.Reader, error) {
	type readerAtSeeker interface {
		io.ReaderAt
		io.Seeker
	}
	if rs, ok := r.(readerAtSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err == nil {
			var end int64
			if end, err = rs.Seek(0, io.SeekEnd); err == nil {
				if end-start > MaxFileBytes {
					return nil, fmt.Errorf("image file of %d bytes, more than the limit of %d MiB", end-start, MaxFileBytes>>20)
				}
				return func() io.Reader { return io.NewSectionReader(rs, start, end-start) }, nil
			}
		}
		// Not seekable after all (a pipe): read it.
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileBytes {
		return nil, fmt.Errorf("image larger than %d MiB", MaxFileBytes>>20)
	}
	return func() io.Reader { return bytes.NewReader(b) }, nil
}

// checkSize checks an image's dimensions against the limits.
func checkSize(what string, w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("%s of %d×%d pixels: want at least one pixel", what, w, h)
	case w > MaxSide || h > MaxSide:
		return fmt.Errorf("%s of %d×%d pixels: want at most %d pixels a side", what, w, h, MaxSide)
	case w > MaxPixels/h:
		return fmt.Errorf("%s of %d×%d pixels: want at most %d pixels", what, w, h, MaxPixels)
	}
	return nil
}

func (o *ImageOptions) check() error {
	if o.Height <= 0 || o.Width <= 0 || o.Height > MaxTargetSide || o.Width > MaxTargetSide {
		return fmt.Errorf("target size %d×%d: want 1 to %d pixels a side", o.Height, o.Width, MaxTargetSide)
	}
	if o.Invert < InvertAuto || o.Invert > InvertAlways {
		return errors.New("unknown Invert setting")
	}
	return nil
}

// FromImage prepares a decoded image as LoadImage does. The image must
// fit MaxSide and MaxPixels; the work takes memory proportional to its
// longer side.
func FromImage(img image.Image, o ImageOptions) (*tensor.Tensor, error) {
	o.defaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w == 0 || h == 0 {
		return nil, errors.New("empty image")
	}
	if err := checkSize("image", w, h); err != nil {
		return nil, err
	}
	// The image, padded to a square, is resized to the target's
	// proportions: square for 28×28.
	return quantize(resizePadded(grayReader(img), w, h, o.Width, o.Height), o)
}

// quantize turns the resized luma small (o.Height×o.Width, in [0, 1]) into
// the model's input: inverted as o.Invert decides, rounded to bytes as an
// 8-bit image would hold it, then scaled by o.Rescale.
func quantize(small []float64, o ImageOptions) (*tensor.Tensor, error) {
	invert := o.Invert == InvertAlways
	if o.Invert == InvertAuto {
		border, centre := borderAndCentre(small, o.Width, o.Height)
		invert = border > centre
		if o.DarkOnLight {
			invert = border < centre
		}
	}
	px := make([]uint8, len(small))
	for i, v := range small {
		if invert {
			v = 1 - v
		}
		px[i] = uint8(math.Round(min(max(v, 0), 1) * 255))
	}
	return tensor.FromUint8(px, o.Rescale, o.Height, o.Width)
}

// grayPixels reads an image's luma in [0, 1] (ITU-R 601, as
// color.GrayModel weighs it, transparency composited over white), a row
// or a pixel at a time, in coordinates relative to the image's origin.
type grayPixels struct {
	w  int
	at func(x, y int) float64
}

// row fills dst (the image's width) with row y.
func (g grayPixels) row(y int, dst []float64) {
	for x := range dst {
		dst[x] = g.at(x, y)
	}
}

// luma is the gray level of a colour's premultiplied 16-bit components
// plus white behind what is transparent.
func luma(r, g, b, a uint32) float64 {
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b) + float64(0xffff-a)) / 0xffff
}

// grayReader reads img without converting it whole: direct access for the
// types the PNG and JPEG decoders produce, At for any other.
func grayReader(img image.Image) grayPixels {
	min := img.Bounds().Min
	g := grayPixels{w: img.Bounds().Dx()}
	switch im := img.(type) {
	case *image.Gray:
		g.at = func(x, y int) float64 { return float64(im.Pix[im.PixOffset(min.X+x, min.Y+y)]) / 255 }
	case *image.Gray16:
		g.at = func(x, y int) float64 { return luma(im.Gray16At(min.X+x, min.Y+y).RGBA()) }
	case *image.RGBA:
		g.at = func(x, y int) float64 { return luma(im.RGBAAt(min.X+x, min.Y+y).RGBA()) }
	case *image.NRGBA:
		g.at = func(x, y int) float64 { return luma(im.NRGBAAt(min.X+x, min.Y+y).RGBA()) }
	case *image.RGBA64:
		g.at = func(x, y int) float64 { return luma(im.RGBA64At(min.X+x, min.Y+y).RGBA()) }
	case *image.NRGBA64:
		g.at = func(x, y int) float64 { return luma(im.NRGBA64At(min.X+x, min.Y+y).RGBA()) }
	case *image.YCbCr:
		g.at = func(x, y int) float64 { return luma(im.YCbCrAt(min.X+x, min.Y+y).RGBA()) }
	case *image.CMYK:
		g.at = func(x, y int) float64 { return luma(im.CMYKAt(min.X+x, min.Y+y).RGBA()) }
	default:
		g.at = func(x, y int) float64 { return luma(img.At(min.X+x, min.Y+y).RGBA()) }
	}
	return g
}

// borderMean is the mean gray of the image's one-pixel frame, each corner
// counted twice, which fills the padding.
func borderMean(g grayPixels, w, h int) float64 {
	top, bottom := make([]float64, w), make([]float64, w)
	g.row(0, top)
	g.row(h-1, bottom)
	var sum float64
	for x := range w {
		sum += top[x] + bottom[x]
	}
	for y := range h {
		sum += g.at(0, y) + g.at(w-1, y)
	}
	return sum / float64(2*w+2*h)
}

// resizePadded centres the w×h image on a square of its longer side,
// filled with the border's mean gray, and scales the square to nw×nh by
// area averaging, one axis at a time (the box filter is separable): each
// row of the square is resampled to nw values, and each output row sums
// the resampled rows it covers, weighted, in order. The square is never
// stored: one of its rows is, and the nw×nh sums.
func resizePadded(g grayPixels, w, h, nw, nh int) []float64 {
	s := max(w, h)
	ox, oy := (s-w)/2, (s-h)/2
	var fill float64
	if w != h {
		fill = borderMean(g, w, h)
	}
	wx, wy := areaWeights(s, nw), areaWeights(s, nh)
	row := make([]float64, s)
	tmp := make([]float64, nw)
	var fillTmp []float64 // the resampled padding row
	if h < s {
		for x := range row {
			row[x] = fill
		}
		fillTmp = make([]float64, nw)
		apply(fillTmp, row, wx)
	}
	out := make([]float64, nw*nh)
	lo := 0 // the first output row whose span has not ended
	for y := range s {
		t := fillTmp
		if iy := y - oy; iy >= 0 && iy < h {
			for x := range ox {
				row[x] = fill
			}
			g.row(iy, row[ox:ox+w])
			for x := ox + w; x < s; x++ {
				row[x] = fill
			}
			apply(tmp, row, wx)
			t = tmp
		}
		lo = addRow(out, t, y, lo, wy)
	}
	return out
}

// addRow adds t, row y of the first (along x) pass, into the output rows
// (out, len(t) values each) whose spans wy cover y, each by its weight,
// from lo, the first output row whose span had not ended; it returns the
// first whose span has not ended after y. Rows arrive in order, so each
// output row sums its inputs in order.
func addRow(out, t []float64, y, lo int, wy []span) int {
	nw := len(t)
	for i := lo; i < len(wy) && wy[i].first <= y; i++ {
		if k := y - wy[i].first; k < len(wy[i].weights) {
			wt := wy[i].weights[k]
			o := out[i*nw : (i+1)*nw]
			for j, v := range t {
				o[j] += wt * v
			}
		}
	}
	for lo < len(wy) && wy[lo].first+len(wy[lo].weights) <= y+1 {
		lo++
	}
	return lo
}

// resize scales a w×h image held in memory to nw×nh by area averaging,
// one axis at a time (the box filter is separable), as resizePadded does
// for a streamed one.
func resize(g []float64, w, h, nw, nh int) []float64 {
	// rows first: w → nw
	tmp := make([]float64, nw*h)
	wx := areaWeights(w, nw)
	for y := range h {
		apply(tmp[y*nw:(y+1)*nw], g[y*w:(y+1)*w], wx)
	}
	out := make([]float64, nw*nh)
	wy := areaWeights(h, nh)
	col := make([]float64, h)
	res := make([]float64, nh)
	for x := range nw {
		for y := range h {
			col[y] = tmp[y*nw+x]
		}
		apply(res, col, wy)
		for y := range nh {
			out[y*nw+x] = res[y]
		}
	}
	return out
}

// span is the input range one output sample averages, with the weight of
// each input (its overlap with the output's footprint).
type span struct {
	first   int
	weights []float64
}

// areaWeights maps n inputs to m outputs: output j covers the input
// interval [j·n/m, (j+1)·n/m), and each input counts by how much of it lies
// inside.
func areaWeights(n, m int) []span {
	spans := make([]span, m)
	scale := float64(n) / float64(m)
	for j := range spans {
		lo, hi := float64(j)*scale, float64(j+1)*scale
		first := int(math.Floor(lo))
		last := min(int(math.Ceil(hi)), n)
		ws := make([]float64, 0, last-first)
		var total float64
		for i := first; i < last; i++ {
			w := math.Min(hi, float64(i+1)) - math.Max(lo, float64(i))
			ws = append(ws, w)
			total += w
		}
		for i := range ws {
			ws[i] /= total
		}
		spans[j] = span{first, ws}
	}
	return spans
}

// apply resamples src into dst through spans.
func apply(dst, src []float64, spans []span) {
	for j, s := range spans {
		var v float64
		for k, w := range s.weights {
			v += w * src[s.first+k]
		}
		dst[j] = v
	}
}

// borderAndCentre returns the mean gray of the one-pixel frame and of the
// central half (in each direction) of a w×h image.
func borderAndCentre(g []float64, w, h int) (border, centre float64) {
	var bs, cs float64
	var bn, cn int
	for y := range h {
		for x := range w {
			v := g[y*w+x]
			if x == 0 || y == 0 || x == w-1 || y == h-1 {
				bs += v
				bn++
			}
			if x >= w/4 && x < w-w/4 && y >= h/4 && y < h-h/4 {
				cs += v
				cn++
			}
		}
	}
	return bs / float64(max(bn, 1)), cs / float64(max(cn, 1))
}
