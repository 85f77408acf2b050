// Package preprocessing turns image files into model inputs that look like
// the training data, as keras.utils.load_img and img_to_array do, with the
// extra step that photographs of clothes need to resemble Fashion-MNIST.
//
// LoadImage decodes a PNG or JPEG and then:
//
//  1. converts it to grayscale (ITU-R 601 luma, transparency composited
//     over white);
//  2. pads it to a square with the colour of its border, so the article
//     keeps its proportions;
//  3. resizes it to 28×28 by area averaging: each output pixel is the mean
//     of the input pixels it covers, which neither aliases when shrinking
//     nor invents detail when enlarging;
//  4. matches Fashion-MNIST's polarity, a light article on a black
//     background: with InvertAuto (the default) the image is inverted when
//     its border is lighter than its centre, as for a photograph on a white
//     table; InvertAlways and InvertNever override the guess;
//  5. rounds to bytes and scales by 1/255, exactly as the training images
//     were, so pixel values lie in [0, 1].
package preprocessing

import (
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

// Limits on what LoadImage decodes.
const (
	maxFileBytes = 64 << 20
	maxPixels    = 50_000_000
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
// Width) tensor prepared as the package documentation describes.
func LoadImage(r io.Reader, o ImageOptions) (*tensor.Tensor, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileBytes {
		return nil, fmt.Errorf("image larger than %d MiB", maxFileBytes>>20)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not a PNG or JPEG image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/cfg.Height {
		return nil, fmt.Errorf("%s image of %d×%d pixels: want at most %d pixels", format, cfg.Width, cfg.Height, maxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decoding the %s image: %w", format, err)
	}
	return FromImage(img, o)
}

// FromImage prepares a decoded image as LoadImage does.
func FromImage(img image.Image, o ImageOptions) (*tensor.Tensor, error) {
	o.defaults()
	if o.Height <= 0 || o.Width <= 0 || o.Height*o.Width > maxPixels {
		return nil, fmt.Errorf("target size %d×%d", o.Height, o.Width)
	}
	if o.Invert < InvertAuto || o.Invert > InvertAlways {
		return nil, errors.New("unknown Invert setting")
	}
	g, w, h := gray(img)
	if w == 0 || h == 0 {
		return nil, errors.New("empty image")
	}
	g, w, h = padSquare(g, w, h)
	// The square is resized to the target's proportions: square for 28×28.
	small := resize(g, w, h, o.Width, o.Height)

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

// gray returns the image's luma in [0, 1], row by row, transparency
// composited over white.
func gray(img image.Image) (g []float64, w, h int) {
	bounds := img.Bounds()
	w, h = bounds.Dx(), bounds.Dy()
	g = make([]float64, w*h)
	if gi, ok := img.(*image.Gray); ok {
		for y := range h {
			row := gi.Pix[y*gi.Stride : y*gi.Stride+w]
			for x, v := range row {
				g[y*w+x] = float64(v) / 255
			}
		}
		return g, w, h
	}
	for y := range h {
		for x := range w {
			r, gr, b, a := img.At(bounds.Min.X+x, bounds.Min.Y+y).RGBA()
			// RGBA is premultiplied: the colour's luma (ITU-R 601, as
			// color.GrayModel weighs it) plus white behind what is
			// transparent
			l := (0.299*float64(r) + 0.587*float64(gr) + 0.114*float64(b) + float64(0xffff-a)) / 0xffff
			g[y*w+x] = l
		}
	}
	return g, w, h
}

// padSquare centres the image on a square of its border's mean gray.
func padSquare(g []float64, w, h int) ([]float64, int, int) {
	if w == h {
		return g, w, h
	}
	var sum float64
	var n int
	for x := range w {
		sum += g[x] + g[(h-1)*w+x]
		n += 2
	}
	for y := range h {
		sum += g[y*w] + g[y*w+w-1]
		n += 2
	}
	fill := sum / float64(n)
	s := max(w, h)
	out := make([]float64, s*s)
	for i := range out {
		out[i] = fill
	}
	ox, oy := (s-w)/2, (s-h)/2
	for y := range h {
		copy(out[(oy+y)*s+ox:(oy+y)*s+ox+w], g[y*w:(y+1)*w])
	}
	return out, s, s
}

// resize scales a w×h image to nw×nh by area averaging, one axis at a
// time (the box filter is separable).
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
