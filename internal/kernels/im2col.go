package kernels

import "fmt"

// ConvGeom is the geometry of a 2-D window (convolution kernel or pooling
// window) sliding over a batch of channels-last (NHWC) images: each image is
// H×W×C, the window KH×KW moves by SH rows and SW columns, the image is
// padded with PadTop rows above and PadLeft columns to its left (and as many
// below and to the right as the output needs), and the output is OH×OW.
type ConvGeom struct {
	H, W, C         int
	KH, KW          int
	SH, SW          int
	PadTop, PadLeft int
	OH, OW          int
}

// NewConvGeom returns the geometry of a kh×kw window with strides (sh, sw)
// over h×w×c images, padded as Keras pads: with same false ("valid") there
// is no padding and OH = ⌊(h−kh)/sh⌋+1; with same true OH = ⌈h/sh⌉ and the
// padding needed, max((OH−1)·sh+kh−h, 0), is split with the odd row at the
// bottom (likewise for columns). It returns an error when the window does not
// fit.
func NewConvGeom(h, w, c, kh, kw, sh, sw int, same bool) (ConvGeom, error) {
	g := ConvGeom{H: h, W: w, C: c, KH: kh, KW: kw, SH: sh, SW: sw}
	if h <= 0 || w <= 0 || c <= 0 || kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 {
		return g, fmt.Errorf("window %d×%d with strides %d×%d over %d×%d×%d images: every size must be positive", kh, kw, sh, sw, h, w, c)
	}
	if same {
		g.OH, g.OW = (h+sh-1)/sh, (w+sw-1)/sw
		g.PadTop = max((g.OH-1)*sh+kh-h, 0) / 2
		g.PadLeft = max((g.OW-1)*sw+kw-w, 0) / 2
		return g, nil
	}
	if kh > h || kw > w {
		return g, fmt.Errorf("window %d×%d does not fit in %d×%d images with valid padding", kh, kw, h, w)
	}
	g.OH, g.OW = (h-kh)/sh+1, (w-kw)/sw+1
	return g, nil
}

// InSize is the number of values in one input image, H·W·C.
func (g *ConvGeom) InSize() int { return g.H * g.W * g.C }

// PatchSize is the number of values under one window, KH·KW·C: the row
// length of im2col's matrix.
func (g *ConvGeom) PatchSize() int { return g.KH * g.KW * g.C }

// Pixels is the number of output positions per image, OH·OW.
func (g *ConvGeom) Pixels() int { return g.OH * g.OW }

// im2col unfolds the n images x (n, H, W, C) into cols, an (n·OH·OW) ×
// (KH·KW·C) matrix: row (b, oy, ox) holds the window whose top-left corner
// is at input row oy·SH−PadTop and column ox·SW−PadLeft, in (ki, kj, c)
// order, with zeros where it hangs over the border. A convolution with a
// (KH, KW, C, F) kernel is then the product cols · kernel, the kernel read
// as a (KH·KW·C) × F matrix. Conv runs it block by block on its workers.
func im2col[T float32 | uint16](cols, x []T, n int, g *ConvGeom) {
	k := g.PatchSize()
	rowLen := g.KW * g.C // one kernel row of a window, contiguous in x when inside
	_ = cols[n*g.Pixels()*k-1]
	_ = x[n*g.InSize()-1]
	if g.C == 1 && g.KW == 3 {
		im2col3(cols, x, n, g)
		return
	}
	if f, ok := any(cols).([]float32); ok && hasAVX512 && rowLen%16 == 0 {
		im2colAVX512(f, any(x).([]float32), n, g)
		return
	}
	r := 0
	for b := 0; b < n; b++ {
		img := x[b*g.InSize() : (b+1)*g.InSize()]
		for oy := 0; oy < g.OH; oy++ {
			for ox := 0; ox < g.OW; ox++ {
				im2colWindow(cols[r*k:r*k+k], img, oy, ox, g)
				r++
			}
		}
	}
}

// im2colWindow writes the window of output (oy, ox) of the image img into
// row, zero where it hangs over the border.
func im2colWindow[T float32 | uint16](row, img []T, oy, ox int, g *ConvGeom) {
	rowLen := g.KW * g.C
	iy0, ix0 := oy*g.SH-g.PadTop, ox*g.SW-g.PadLeft
	inside := ix0 >= 0 && ix0+g.KW <= g.W
	for ki := 0; ki < g.KH; ki++ {
		dst := row[ki*rowLen : ki*rowLen+rowLen]
		iy := iy0 + ki
		if iy < 0 || iy >= g.H {
			clear(dst)
			continue
		}
		src := img[iy*g.W*g.C:]
		if inside {
			copy(dst, src[ix0*g.C:ix0*g.C+rowLen])
			continue
		}
		for kj := 0; kj < g.KW; kj++ {
			d := dst[kj*g.C : kj*g.C+g.C]
			if ix := ix0 + kj; ix >= 0 && ix < g.W {
				copy(d, src[ix*g.C:ix*g.C+g.C])
			} else {
				clear(d)
			}
		}
	}
}

// im2colAVX512 is im2col for float32 images whose window rows (KW·C
// values) are whole vectors: the outputs whose windows lie inside the image
// horizontally are copied, a row of outputs at a time, by
// im2colRowAVX512 (which zero-fills the kernel rows above or below the
// image); the few at the left and right borders go through im2colWindow.
func im2colAVX512(cols, x []float32, n int, g *ConvGeom) {
	k, rowLen := g.PatchSize(), g.KW*g.C
	// the outputs ox0 ≤ ox < ox1 have their windows inside horizontally
	ox0 := min((g.PadLeft+g.SW-1)/g.SW, g.OW)
	ox1 := ox0
	if g.W >= g.KW {
		ox1 = max(min((g.W-g.KW+g.PadLeft)/g.SW+1, g.OW), ox0)
	}
	for b := 0; b < n; b++ {
		img := x[b*g.InSize() : (b+1)*g.InSize()]
		for oy := 0; oy < g.OH; oy++ {
			r := (b*g.OH + oy) * g.OW
			for ox := 0; ox < ox0; ox++ {
				im2colWindow(cols[(r+ox)*k:(r+ox+1)*k], img, oy, ox, g)
			}
			for ox := ox1; ox < g.OW; ox++ {
				im2colWindow(cols[(r+ox)*k:(r+ox+1)*k], img, oy, ox, g)
			}
			if ox1 == ox0 {
				continue
			}
			iy0 := oy*g.SH - g.PadTop
			k0, k1 := max(-iy0, 0), min(g.H-iy0, g.KH) // kernel rows inside the image
			src := 0                                   // the first window's first row inside
			if k1 > k0 {
				src = ((iy0+k0)*g.W + ox0*g.SW - g.PadLeft) * g.C
				_ = img[src+((ox1-ox0-1)*g.SW)*g.C+(k1-k0-1)*g.W*g.C+rowLen-1]
			} else {
				k0, k1 = 0, 0
			}
			_ = cols[(r+ox1)*k-1]
			im2colRowAVX512(&cols[(r+ox0)*k], &img[src], ox1-ox0, rowLen, g.SW*g.C, k0, k1, g.KH, g.W*g.C)
		}
	}
}

// col2im is the adjoint of im2col: it overwrites dx (n, H, W, C) with the
// sum, over every window, of the matching row of cols, dropping the entries
// that fell on the padding. It turns the gradient with respect to the
// unfolded matrix into the gradient with respect to the images.
func col2im(dx, cols []float32, n int, g *ConvGeom) {
	k := g.PatchSize()
	rowLen := g.KW * g.C
	_ = cols[n*g.Pixels()*k-1]
	dx = dx[:n*g.InSize()]
	clear(dx)
	r := 0
	for b := 0; b < n; b++ {
		img := dx[b*g.InSize() : (b+1)*g.InSize()]
		for oy := 0; oy < g.OH; oy++ {
			iy0 := oy*g.SH - g.PadTop
			for ox := 0; ox < g.OW; ox++ {
				ix0 := ox*g.SW - g.PadLeft
				row := cols[r*k : r*k+k]
				r++
				for ki := 0; ki < g.KH; ki++ {
					iy := iy0 + ki
					if iy < 0 || iy >= g.H {
						continue
					}
					src := row[ki*rowLen : ki*rowLen+rowLen]
					dst := img[iy*g.W*g.C : (iy+1)*g.W*g.C]
					if ix0 >= 0 && ix0+g.KW <= g.W {
						addTo(dst[ix0*g.C:ix0*g.C+rowLen], src)
						continue
					}
					for kj := 0; kj < g.KW; kj++ {
						if ix := ix0 + kj; ix >= 0 && ix < g.W {
							addTo(dst[ix*g.C:ix*g.C+g.C], src[kj*g.C:kj*g.C+g.C])
						}
					}
				}
			}
		}
	}
}

// im2col3 is im2col for one-channel images and windows three columns wide,
// the first layer of a CNN on grey images, where copying three values at a
// time through copy costs more than the copying.
func im2col3[T float32 | uint16](cols, x []T, n int, g *ConvGeom) {
	// The geometry in locals: the compiler cannot keep g's fields in
	// registers across the stores into cols.
	h, w, kh, k := g.H, g.W, g.KH, g.PatchSize()
	oh, ow, sh, sw, pt, pl := g.OH, g.OW, g.SH, g.SW, g.PadTop, g.PadLeft
	// the columns ox whose three taps all lie inside the row
	ox0 := min((pl+sw-1)/sw, ow)
	ox1 := max(min((w-3+pl)/sw+1, ow), ox0)
	if w < 3 {
		ox0, ox1 = ow, ow
	}
	for b := 0; b < n; b++ {
		img := x[b*h*w : (b+1)*h*w]
		for oy := 0; oy < oh; oy++ {
			out := cols[(b*oh+oy)*ow*k : (b*oh+oy+1)*ow*k]
			for ki := 0; ki < kh; ki++ {
				iy := oy*sh - pt + ki
				if iy < 0 || iy >= h {
					for ox := 0; ox < ow; ox++ {
						d := out[ox*k+ki*3 : ox*k+ki*3+3]
						d[0], d[1], d[2] = 0, 0, 0
					}
					continue
				}
				src := img[iy*w : iy*w+w]
				for ox := ox0; ox < ox1; ox++ {
					s := src[ox*sw-pl : ox*sw-pl+3]
					d := out[ox*k+ki*3 : ox*k+ki*3+3]
					d[0], d[1], d[2] = s[0], s[1], s[2]
				}
				border := func(ox int) {
					d := out[ox*k+ki*3 : ox*k+ki*3+3]
					for kj := range 3 {
						if ix := ox*sw - pl + kj; ix >= 0 && ix < w {
							d[kj] = src[ix]
						} else {
							d[kj] = 0
						}
					}
				}
				for ox := 0; ox < ox0; ox++ {
					border(ox)
				}
				for ox := ox1; ox < ow; ox++ {
					border(ox)
				}
			}
		}
	}
}

// RotateKernel sets dst, a (KH·KW·F) × C matrix, to the convolution kernel
// w (KH, KW, C, F) rotated by 180° with its channel axes swapped:
// dst[(i, j, f)][c] = w[KH−1−i, KW−1−j, c, f]. Convolving the output
// gradient of a stride-1 convolution with it gives the input gradient.
func RotateKernel(dst, w []float32, kh, kw, c, f int) {
	_ = dst[kh*kw*f*c-1]
	_ = w[kh*kw*c*f-1]
	for i := 0; i < kh; i++ {
		for j := 0; j < kw; j++ {
			src := w[((kh-1-i)*kw+(kw-1-j))*c*f:]
			out := dst[(i*kw+j)*f*c:]
			for ch := 0; ch < c; ch++ {
				for o := 0; o < f; o++ {
					out[o*c+ch] = src[ch*f+o]
				}
			}
		}
	}
}
