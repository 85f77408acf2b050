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
	put := func(i int, r, g, bl, a uint8) {
		p := pix[i*channels : i*channels+channels]
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
		for y := range height {
			for x, v := range m.Pix[y*m.Stride : y*m.Stride+width] {
				put(y*width+x, v, v, v, 255)
			}
		}
	case *image.YCbCr:
		for y := range height {
			for x := range width {
				yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
				if channels == 1 {
					pix[y*width+x] = float32(m.Y[yi])
					continue
				}
				r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				put(y*width+x, r, g, bl, 255)
			}
		}
	case *image.NRGBA:
		for y := range height {
			row := m.Pix[y*m.Stride : y*m.Stride+4*width]
			for x := range width {
				put(y*width+x, row[4*x], row[4*x+1], row[4*x+2], row[4*x+3])
			}
		}
	default:
		for y := range height {
			for x := range width {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				put(y*width+x, c.R, c.G, c.B, c.A)
			}
		}
	}
	return pix, height, width, nil
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
	switch interp {
	case Bilinear, "":
		return bilinear(src, h, w, c, nh, nw), nil
	case Nearest:
		return nearest(src, h, w, c, nh, nw), nil
	case Area:
		return area(src, h, w, c, nh, nw), nil
	}
	return nil, fmt.Errorf("resize: interpolation %q, want %q, %q or %q", interp, Bilinear, Nearest, Area)
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

func bilinear(src []float32, h, w, c, nh, nw int) []float32 {
	ylo, yhi, yf := lerpWeights(h, nh)
	xlo, xhi, xf := lerpWeights(w, nw)
	out := make([]float32, nh*nw*c)
	for y := range nh {
		top, bot := src[ylo[y]*w*c:], src[yhi[y]*w*c:]
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
	return out
}

func nearest(src []float32, h, w, c, nh, nw int) []float32 {
	idx := func(n, m, i int) int { return min(int(math.Floor((float64(i)+0.5)*float64(n)/float64(m))), n-1) }
	out := make([]float32, nh*nw*c)
	for y := range nh {
		sy := idx(h, nh, y)
		for x := range nw {
			sx := idx(w, nw, x)
			copy(out[(y*nw+x)*c:(y*nw+x)*c+c], src[(sy*w+sx)*c:(sy*w+sx)*c+c])
		}
	}
	return out
}

// area resizes each channel with the box filter of image.go.
func area(src []float32, h, w, c, nh, nw int) []float32 {
	out := make([]float32, nh*nw*c)
	plane := make([]float64, h*w)
	for k := range c {
		for i := range plane {
			plane[i] = float64(src[i*c+k])
		}
		for i, v := range resize(plane, w, h, nw, nh) {
			out[i*c+k] = float32(v)
		}
	}
	return out
}
