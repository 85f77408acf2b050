package preprocessing

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
)

func closeTo(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

func TestResizeBilinear(t *testing.T) {
	// tf.image.resize([[0, 10], [20, 30]], (4, 4)) samples at −¼, ¼, ¾, 1¼
	// along each axis (clamped): columns 0, 2.5, 7.5, 10, rows 0, 5, 15, 20.
	src := []float32{0, 10, 20, 30}
	got, err := Resize(src, 2, 2, 1, 4, 4, Bilinear)
	if err != nil {
		t.Fatal(err)
	}
	var want []float32
	for _, r := range []float32{0, 5, 15, 20} {
		for _, c := range []float32{0, 2.5, 7.5, 10} {
			want = append(want, r+c)
		}
	}
	closeTo(t, "2×2 → 4×4", got, want, 1e-6)
	// Halving samples between each pair: the means of 2×2 blocks.
	big := make([]float32, 16*2)
	for i := range 16 {
		big[2*i], big[2*i+1] = float32(i), float32(100+i)
	}
	got, _ = Resize(big, 4, 4, 2, 2, 2, Bilinear)
	closeTo(t, "4×4 → 2×2, two channels", got, []float32{2.5, 102.5, 4.5, 104.5, 10.5, 110.5, 12.5, 112.5}, 1e-6)
	// Area gives the same block means; nearest takes pixels (1, 1), (1, 3),
	// (3, 1), (3, 3).
	got, _ = Resize(big, 4, 4, 2, 2, 2, Area)
	closeTo(t, "area", got, []float32{2.5, 102.5, 4.5, 104.5, 10.5, 110.5, 12.5, 112.5}, 1e-5)
	got, _ = Resize(big, 4, 4, 2, 2, 2, Nearest)
	closeTo(t, "nearest", got, []float32{5, 105, 7, 107, 13, 113, 15, 115}, 0)
	got, _ = Resize(src, 2, 2, 1, 2, 2, Bilinear)
	closeTo(t, "same size", got, src, 0)
}

func TestResizeErrors(t *testing.T) {
	for _, tt := range []struct {
		src             []float32
		h, w, c, nh, nw int
		interp          Interpolation
		want            string
	}{
		{make([]float32, 3), 2, 2, 1, 4, 4, Bilinear, "3 values for a 2×2 image"},
		{make([]float32, 4), 2, 2, 1, 0, 4, Bilinear, "target size 0×4"},
		{make([]float32, 4), 2, 2, 1, 100000, 100000, Bilinear, "target size 100000×100000"},
		{make([]float32, 4), 2, 2, 1, 4, 4, "lanczos3", `interpolation "lanczos3"`},
	} {
		if _, err := Resize(tt.src, tt.h, tt.w, tt.c, tt.nh, tt.nw, tt.interp); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}

func TestImageToArray(t *testing.T) {
	n := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	n.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 255})
	n.SetNRGBA(1, 0, color.NRGBA{10, 20, 30, 40}) // translucent: kept un-premultiplied
	got, h, w, err := ImageToArray(n, 3)
	if err != nil || h != 1 || w != 2 {
		t.Fatal(h, w, err)
	}
	closeTo(t, "rgb", got, []float32{255, 0, 0, 10, 20, 30}, 0)
	got, _, _, _ = ImageToArray(n, 1)
	closeTo(t, "luma", got, []float32{0.299 * 255, 0.299*10 + 0.587*20 + 0.114*30}, 1e-4)
	got, _, _, _ = ImageToArray(n, 4)
	closeTo(t, "rgba", got, []float32{255, 0, 0, 255, 10, 20, 30, 40}, 0)

	// A premultiplied RGBA image gives the same colours back.
	r := image.NewRGBA(image.Rect(0, 0, 1, 1))
	r.Set(0, 0, color.NRGBA{200, 100, 50, 255})
	got, _, _, _ = ImageToArray(r, 3)
	closeTo(t, "from RGBA", got, []float32{200, 100, 50}, 0)

	g := image.NewGray(image.Rect(0, 0, 2, 2))
	g.Pix = []uint8{0, 50, 100, 250}
	got, _, _, _ = ImageToArray(g, 3)
	closeTo(t, "gray as rgb", got, []float32{0, 0, 0, 50, 50, 50, 100, 100, 100, 250, 250, 250}, 0)

	y := image.NewYCbCr(image.Rect(0, 0, 2, 1), image.YCbCrSubsampleRatio444)
	y.Y = []uint8{16, 235}
	for i := range y.Cb {
		y.Cb[i], y.Cr[i] = 128, 128
	}
	got, _, _, _ = ImageToArray(y, 1)
	closeTo(t, "JPEG's Y plane", got, []float32{16, 235}, 0)
	got, _, _, _ = ImageToArray(y, 3)
	closeTo(t, "YCbCr as rgb", got, []float32{16, 16, 16, 235, 235, 235}, 0)

	if _, _, _, err := ImageToArray(g, 2); err == nil {
		t.Error("2 channels accepted")
	}
	if _, _, _, err := ImageToArray(image.NewGray(image.Rect(0, 0, 0, 5)), 1); err == nil {
		t.Error("an empty image accepted")
	}
}

// TestResizeImageMatchesResize: ResizeImage, which converts an image a
// row at a time, and Resize, of ImageToArray's array, both give exactly
// the values of resizeRef (each interpolation over the whole array), for
// every interpolation, shrinking and enlarging, for the image types the
// decoders return (sub-images too, whose origin is not 0, 0).
func TestResizeImageMatchesResize(t *testing.T) {
	const w, h = 37, 23
	gray := image.NewGray(image.Rect(0, 0, w, h))
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	ycc := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	pal := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.NRGBA{200, 30, 90, 255}, color.NRGBA{10, 250, 120, 128}})
	for y := range h {
		for x := range w {
			v := uint8((x*37 + y*101 + x*y) % 256)
			gray.Pix[gray.PixOffset(x, y)] = v
			nrgba.SetNRGBA(x, y, color.NRGBA{v, 255 - v, uint8(x * 7), uint8(128 + y)})
			ycc.Y[ycc.YOffset(x, y)] = v
			ycc.Cb[ycc.COffset(x, y)] = uint8(x * 5)
			ycc.Cr[ycc.COffset(x, y)] = uint8(255 - y*9)
			pal.SetColorIndex(x, y, v%3)
		}
	}
	imgs := map[string]image.Image{
		"gray": gray, "nrgba": nrgba, "ycbcr": ycc, "paletted": pal,
		"gray sub-image":  gray.SubImage(image.Rect(3, 2, 30, 21)),
		"ycbcr sub-image": ycc.SubImage(image.Rect(5, 1, 36, 20)),
	}
	for name, img := range imgs {
		for _, c := range []int{1, 3, 4} {
			pix, ih, iw, err := ImageToArray(img, c)
			if err != nil {
				t.Fatal(err)
			}
			for _, interp := range []Interpolation{Bilinear, Nearest, Area} {
				for _, size := range [][2]int{{8, 11}, {ih, iw}, {50, 61}, {ih, 5}, {1, 1}} {
					want := pix
					if size != [2]int{ih, iw} {
						want = resizeRef(pix, ih, iw, c, size[0], size[1], interp)
					}
					fromArray, err := Resize(pix, ih, iw, c, size[0], size[1], interp)
					if err != nil {
						t.Fatal(err)
					}
					fromImage, err := ResizeImage(img, c, size[0], size[1], interp)
					if err != nil {
						t.Fatal(err)
					}
					for what, got := range map[string][]float32{"Resize": fromArray, "ResizeImage": fromImage} {
						if len(got) != len(want) {
							t.Fatalf("%s of %s, %d channels, %s to %v: %d values, want %d", what, name, c, interp, size, len(got), len(want))
						}
						for i := range want {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s of %s, %d channels, %s to %v: value %d is %v, want %v", what, name, c, interp, size, i, got[i], want[i])
							}
						}
					}
				}
			}
		}
	}
	for _, bad := range []struct {
		c, nh, nw int
		interp    Interpolation
	}{{2, 4, 4, Bilinear}, {3, 0, 4, Bilinear}, {3, 4, 4, "bicubic"}} {
		if _, err := ResizeImage(gray, bad.c, bad.nh, bad.nw, bad.interp); err == nil {
			t.Errorf("ResizeImage(%d channels, %d×%d, %q) gave no error", bad.c, bad.nh, bad.nw, bad.interp)
		}
	}
}

// resizeRef is Resize's oracle: each interpolation over the whole array,
// as it was written before Resize and ResizeImage shared resizeRows.
func resizeRef(src []float32, h, w, c, nh, nw int, interp Interpolation) []float32 {
	switch interp {
	case Nearest:
		return nearestRef(src, h, w, c, nh, nw)
	case Area:
		return areaRef(src, h, w, c, nh, nw)
	}
	return bilinearRef(src, h, w, c, nh, nw)
}

// bilinearRef is Bilinear over the whole array.
func bilinearRef(src []float32, h, w, c, nh, nw int) []float32 {
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

// nearestRef is Nearest over the whole array.
func nearestRef(src []float32, h, w, c, nh, nw int) []float32 {
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

// areaRef resizes each channel with the box filter of image.go, whole
// planes at a time.
func areaRef(src []float32, h, w, c, nh, nw int) []float32 {
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
