package preprocessing

import (
	"errors"
	"image"

	"github.com/tailor-ml/tailor/tensor"
)

// refFromImage is FromImage as it was before preprocessing streamed: the
// whole image converted to float64 gray, padded to a square in memory,
// then resized. It is the straightforward statement of what FromImage
// computes, which the streaming version must match bit for bit.
func refFromImage(img image.Image, o ImageOptions) (*tensor.Tensor, error) {
	o.defaults()
	g, w, h := refGray(img)
	if w == 0 || h == 0 {
		return nil, errors.New("empty image")
	}
	g, w, h = refPadSquare(g, w, h)
	return quantize(resize(g, w, h, o.Width, o.Height), o)
}

// refGray returns the image's luma in [0, 1], row by row, transparency
// composited over white.
func refGray(img image.Image) (g []float64, w, h int) {
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

// refPadSquare centres the image on a square of its border's mean gray.
func refPadSquare(g []float64, w, h int) ([]float64, int, int) {
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
