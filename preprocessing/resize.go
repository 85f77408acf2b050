package preprocessing

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// This file turns decoded colour or grayscale images into arrays and
// resizes them as TensorFlow's tf.image.resize does (half-pixel centres,
// no antialiasing), for image_dataset_from_directory-style loaders.

// Interpolation is a resizing method, named as Keras names them.
type Interpolation string

// The interpolations.
const (
	// Bilinear interpolates between the four nearest pixels (Keras's
	// default for image_dataset_from_directory).
	Bilinear Interpolation = "bilinear"
	// Nearest takes the nearest pixel.
	Nearest Interpolation = "nearest"
	// Area averages the input pixels each output pixel covers (the box
	// filter LoadImage uses), best for shrinking.
	Area Interpolation = "area"
)

// ImageToArray returns the pixels of img as channels-last float32 values
// in [0, 255], row by row, as keras.utils.img_to_array does, and its
// height and width. With channels = 3 they are red, green and blue; 1
// gives the ITU-R 601 luma, 0.299·R + 0.587·G + 0.114·B (a JPEG's Y
// plane as it is stored); 4 adds alpha. Colours are un-premultiplied and,
// below 4 channels, alpha is dropped, as TensorFlow's decoders drop it.
func ImageToArray(img image.Image, channels int) (pix []float32, height, width int, err error) {
	if channels != 1 && channels != 3 && channels != 4 {
		return nil, 0, 0, fmt.Errorf("image to array: %d channels, want 1, 3 or 4", channels)
	}
	b := img.Bounds()
	width, height = b.Dx(), b.Dy()
	if width <= 0 || height <= 0 || width > MaxPixels/height {
		return nil, 0, 0, fmt.Errorf("image to array: an image of %d×%d pixels, want 1 to %d pixels", width, height, MaxPixels)
	}
	if need := int64(width) * int64(height) * int64(channels) * 4; need > MaxDecodedBytes {
		return nil, 0, 0, fmt.Errorf("image to array: a %d×%d image of %d channels needs %d bytes as float32, over the %d-byte limit", width, height, channels, need, int64(MaxDecodedBytes))
	}
	pix = make([]float32, width*height*channels)
	row := width * channels
	for y := range height {
		arrayRow(img, y, channels, pix[y*row:(y+1)*row])
	}
	return pix, height, width, nil
}

// arrayRow fills dst, width·channels values, with row y of img (relative
// to its origin) as ImageToArray converts it.
func arrayRow(img image.Image, y, channels int, dst []float32) {
	b := img.Bounds()
	width := b.Dx()
	put := func(x int, r, g, bl, a uint8) {
		p := dst[x*channels : x*channels+channels]
		switch channels {
		case 1:
			p[0] = float32(0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl))
		case 3:
			p[0], p[1], p[2] = float32(r), float32(g), float32(bl)
		case 4:
			p[0], p[1], p[2], p[3] = float32(r), float32(g), float32(bl), float32(a)
		}
	}
	switch m := img.(type) {
	case *image.Gray:
		for x, v := range m.Pix[y*m.Stride : y*m.Stride+width] {
			put(x, v, v, v, 255)
		}
	case *image.YCbCr:
		for x := range width {
			yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
			if channels == 1 {
				dst[x] = float32(m.Y[yi])
				continue
			}
			r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			put(x, r, g, bl, 255)
		}
	case *image.NRGBA:
		row := m.Pix[y*m.Stride : y*m.Stride+4*width]
		for x := range width {
			put(x, row[4*x], row[4*x+1], row[4*x+2], row[4*x+3])
		}
	default:
		for x := range width {
			c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
			put(x, c.R, c.G, c.B, c.A)
		}
	}
}

// Resize returns the h×w image src of c channels (channels-last) resized
// to nh×nw with the given interpolation. Bilinear and Nearest follow
// tf.image.resize: output pixel i samples the input at
// (i + ½)·(in/out) − ½, clamped to the image (Nearest rounds
// (i + ½)·(in/out) down). Area is LoadImage's box filter. An image already
// of the target size is copied unchanged.
func Resize(src []float32, h, w, c, nh, nw int, interp Interpolation) ([]float32, error) {
	if h <= 0 || w <= 0 || c <= 0 || len(src) != h*w*c {
		return nil, fmt.Errorf("resize: %d values for a %d×%d image of %d channels", len(src), h, w, c)
	}
	if nh <= 0 || nw <= 0 || nw > MaxPixels/nh {
		return nil, fmt.Errorf("resize: target size %d×%d, want 1 to %d pixels", nh, nw, MaxPixels)
	}
	if nh == h && nw == w {
		return append([]float32(nil), src...), nil
	}
	out, err := resizeRows(func(y, _ int) []float32 { return src[y*w*c : (y+1)*w*c] }, h, w, c, nh, nw, interp)
	if err != nil {
		return nil, fmt.Errorf("resize: %w", err)
	}
	return out, nil
}

// ResizeImage returns img as ImageToArray converts it, resized to nh×nw
// as Resize resizes it — the same values — but converts the image a row
// at a time, as the interpolation needs the rows, so that it never holds
// the image as float32 values: its memory is the output's and a few rows'
// (for Area, the output's sums in float64), whatever the image's size
// within MaxPixels. It is for loaders of image files, where a 24-megapixel
// photograph (288 MB as RGB float32) is an ordinary input.
func ResizeImage(img image.Image, channels, nh, nw int, interp Interpolation) ([]float32, error) {
	if channels != 1 && channels != 3 && channels != 4 {
		return nil, fmt.Errorf("resize image: %d channels, want 1, 3 or 4", channels)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || w > MaxPixels/h {
		return nil, fmt.Errorf("resize image: an image of %d×%d pixels, want 1 to %d pixels", w, h, MaxPixels)
	}
	if nh <= 0 || nw <= 0 || nw > MaxPixels/nh {
		return nil, fmt.Errorf("resize image: target size %d×%d, want 1 to %d pixels", nh, nw, MaxPixels)
	}
	c := channels
	out := make([]float32, nh*nw*c)
	if nh == h && nw == w {
		for y := range h {
			arrayRow(img, y, c, out[y*w*c:(y+1)*w*c])
		}
		return out, nil
	}
	out, err := resizeRows(newRowCache(img, c).get, h, w, c, nh, nw, interp)
	if err != nil {
		return nil, fmt.Errorf("resize image: %w", err)
	}
	return out, nil
}

// resizeRows resizes the h×w image of c channels whose rows row gives
// (keep: a row the caller still holds, which it may not overwrite) to
// nh×nw, asking for each row as the interpolation needs it: Resize's
// values, in Resize's order of operations.
func resizeRows(row func(y, keep int) []float32, h, w, c, nh, nw int, interp Interpolation) ([]float32, error) {
	out := make([]float32, nh*nw*c)
	switch interp {
	case Bilinear, "":
		ylo, yhi, yf := lerpWeights(h, nh)
		xlo, xhi, xf := lerpWeights(w, nw)
		for y := range nh {
			top := row(ylo[y], yhi[y])
			bot := row(yhi[y], ylo[y])
			for x := range nw {
				o := out[(y*nw+x)*c:]
				for k := range c {
					tl, tr := top[xlo[x]*c+k], top[xhi[x]*c+k]
					bl, br := bot[xlo[x]*c+k], bot[xhi[x]*c+k]
					t := tl + (tr-tl)*xf[x]
					b := bl + (br-bl)*xf[x]
					o[k] = t + (b-t)*yf[y]
				}
			}
		}
	case Nearest:
		idx := func(n, m, i int) int { return min(int(math.Floor((float64(i)+0.5)*float64(n)/float64(m))), n-1) }
		for y := range nh {
			row := row(idx(h, nh, y), -1)
			for x := range nw {
				sx := idx(w, nw, x)
				copy(out[(y*nw+x)*c:(y*nw+x)*c+c], row[sx*c:sx*c+c])
			}
		}
	case Area:
		// resize's two passes, with the second (along the columns)
		// accumulated as the rows arrive, in the same order, as
		// resizePadded accumulates: the same sums.
		wx, wy := areaWeights(w, nw), areaWeights(h, nh)
		sums := make([]float64, nh*nw*c) // channel-major, as area's planes
		plane := make([]float64, w)
		tmp := make([]float64, nw)
		lo := 0
		for y := range h {
			row, next := row(y, -1), lo
			for k := range c {
				for x := range plane {
					plane[x] = float64(row[x*c+k])
				}
				apply(tmp, plane, wx)
				next = addRow(sums[k*nh*nw:(k+1)*nh*nw], tmp, y, lo, wy)
			}
			lo = next
		}
		for k := range c {
			for i, v := range sums[k*nh*nw : (k+1)*nh*nw] {
				out[i*c+k] = float32(v)
			}
		}
	default:
		return nil, fmt.Errorf("interpolation %q, want %q, %q or %q", interp, Bilinear, Nearest, Area)
	}
	return out, nil
}

// rowCache holds the last two rows of an image that arrayRow converted.
type rowCache struct {
	img  image.Image
	c    int
	at   [2]int
	rows [2][]float32
}

func newRowCache(img image.Image, c int) *rowCache {
	w := img.Bounds().Dx()
	return &rowCache{img: img, c: c, at: [2]int{-1, -1}, rows: [2][]float32{make([]float32, w*c), make([]float32, w*c)}}
}

// get returns row y, converting it into the slot that does not hold row
// keep if it is not held.
func (r *rowCache) get(y, keep int) []float32 {
	for i := range r.at {
		if r.at[i] == y {
			return r.rows[i]
		}
	}
	i := 0
	if r.at[0] == keep {
		i = 1
	}
	arrayRow(r.img, y, r.c, r.rows[i])
	r.at[i] = y
	return r.rows[i]
}

// lerpWeights returns, for each of m outputs along an axis of n inputs,
// the two inputs it blends and the weight of the second, as TensorFlow's
// compute_interpolation_weights with half-pixel centres.
func lerpWeights(n, m int) (lo, hi []int, frac []float32) {
	lo, hi, frac = make([]int, m), make([]int, m), make([]float32, m)
	scale := float64(n) / float64(m)
	for i := range m {
		in := (float64(i)+0.5)*scale - 0.5
		f := math.Floor(in)
		lo[i] = max(int(f), 0)
		hi[i] = min(int(math.Ceil(in)), n-1)
		frac[i] = float32(in - f)
	}
	return lo, hi, frac
}
