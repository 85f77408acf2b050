package preprocessing

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/color/palette"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/internal/hostile"
)

// randomImage returns a w×h image of the given kind with random pixels:
// random enough that any difference in how pixels are read or summed
// shows in the result.
func randomImage(kind string, w, h int, rng *rand.Rand) image.Image {
	r := image.Rect(0, 0, w, h)
	b := func() uint8 { return uint8(rng.IntN(256)) }
	switch kind {
	case "gray":
		img := image.NewGray(r)
		for i := range img.Pix {
			img.Pix[i] = b()
		}
		return img
	case "gray16":
		img := image.NewGray16(r)
		for i := range img.Pix {
			img.Pix[i] = b()
		}
		return img
	case "rgba":
		img := image.NewRGBA(r)
		for i := 0; i < len(img.Pix); i += 4 {
			a := b()
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = b()&a, b()&a, b()&a, a // premultiplied: ≤ alpha
		}
		return img
	case "nrgba":
		img := image.NewNRGBA(r)
		for i := range img.Pix {
			img.Pix[i] = b()
		}
		return img
	case "rgba64":
		img := image.NewRGBA64(r)
		for y := range h {
			for x := range w {
				a := uint16(rng.IntN(65536))
				img.SetRGBA64(x, y, color.RGBA64{uint16(rng.IntN(int(a) + 1)), uint16(rng.IntN(int(a) + 1)), uint16(rng.IntN(int(a) + 1)), a})
			}
		}
		return img
	case "nrgba64":
		img := image.NewNRGBA64(r)
		for i := range img.Pix {
			img.Pix[i] = b()
		}
		return img
	case "paletted":
		img := image.NewPaletted(r, palette.Plan9)
		for i := range img.Pix {
			img.Pix[i] = b()
		}
		return img
	case "ycbcr420", "ycbcr444":
		ratio := image.YCbCrSubsampleRatio420
		if kind == "ycbcr444" {
			ratio = image.YCbCrSubsampleRatio444
		}
		img := image.NewYCbCr(r, ratio)
		for _, p := range [][]uint8{img.Y, img.Cb, img.Cr} {
			for i := range p {
				p[i] = b()
			}
		}
		return img
	case "cmyk":
		img := image.NewCMYK(r)
		for i := range img.Pix {
			img.Pix[i] = b()
		}
		return img
	case "uniform": // not one of the decoders' types: read through At
		return image.NewUniform(color.NRGBA{b(), b(), b(), b()})
	}
	panic(kind)
}

// TestStreamingMatchesReference: the streaming FromImage gives, bit for
// bit, what the whole-image version gave, for every pixel type the
// decoders produce, shapes from 1×1 to 1×300 and targets that shrink and
// enlarge.
func TestStreamingMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []string{"gray", "gray16", "rgba", "nrgba", "rgba64", "nrgba64", "paletted", "ycbcr420", "ycbcr444", "cmyk"}
	sizes := [][2]int{{1, 1}, {28, 28}, {29, 31}, {100, 37}, {37, 100}, {1, 50}, {50, 1}, {7, 300}, {300, 7}, {56, 56}, {3, 2}}
	targets := []ImageOptions{{}, {Height: 10, Width: 20}, {Height: 64, Width: 64}, {Height: 5, Width: 3, Invert: InvertNever}}
	n := 0
	for _, kind := range kinds {
		for _, s := range sizes {
			img := randomImage(kind, s[0], s[1], rng)
			for _, o := range targets {
				got, err := FromImage(img, o)
				if err != nil {
					t.Fatal(err)
				}
				want, err := refFromImage(img, o)
				if err != nil {
					t.Fatal(err)
				}
				for i := range want.Data {
					if math.Float32bits(got.Data[i]) != math.Float32bits(want.Data[i]) {
						t.Fatalf("%s %d×%d to %d×%d: pixel %d is %v, the whole-image version gives %v", kind, s[0], s[1], o.Width, o.Height, i, got.Data[i], want.Data[i])
					}
				}
				n++
			}
		}
	}
	// An image whose bounds do not start at the origin reads as its copy
	// that does.
	whole := randomImage("gray", 60, 40, rng).(*image.Gray)
	sub := whole.SubImage(image.Rect(10, 5, 50, 35))
	moved := image.NewGray(image.Rect(0, 0, 40, 30))
	for y := range 30 {
		copy(moved.Pix[y*40:(y+1)*40], whole.Pix[(y+5)*whole.Stride+10:])
	}
	a, _ := FromImage(sub, ImageOptions{})
	b, _ := FromImage(moved, ImageOptions{})
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			t.Fatalf("a sub-image reads differently from its copy at pixel %d", i)
		}
	}
	// A generic image.Image comes through At.
	u := randomImage("uniform", 0, 0, rng)
	if _, err := FromImage(u, ImageOptions{}); err == nil || !strings.Contains(err.Error(), "at most 65535 pixels a side") {
		t.Errorf("an image.Uniform (bounds of ±10⁹): %v", err)
	}
	t.Logf("%d images compared", n)
}

// allocated returns the bytes f allocates, a bound on the memory it
// holds at any moment.
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func writeHostilePNG(t *testing.T, path string, w, h int, colorType, depth byte, interlaced bool, row func(int, []byte)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := hostile.PNG(f, w, h, colorType, depth, interlaced, row); err != nil {
		t.Fatal(err)
	}
}

// gradient fills a row with a pattern that varies along both axes, like
// an image rather than a constant.
func gradient(y int, b []byte) {
	for i := range b {
		b[i] = byte(i/97 + y/53)
	}
}

// TestHostileImages: images whose headers ask for much memory either load
// in memory bounded by a small multiple of the decoded image (and under
// 300 MB), or fail before decoding with an error naming the file.
func TestHostileImages(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and decodes images of up to 50 megapixels")
	}
	dir := t.TempDir()
	const budget = 300 << 20
	for _, tc := range []struct {
		name              string
		w, h              int
		colorType, depth  byte
		interlaced        bool
		row               func(int, []byte)
		want              string // "" for success
		decoded, maxAlloc uint64 // the decoded image's size; what loading may allocate
	}{
		// issue 14: a 48 KB file that used to ask for a 20 GB square
		{name: "50000x1000 gray", w: 50000, h: 1000, colorType: hostile.Gray, depth: 8, decoded: 50_000_000},
		{name: "50000x1000 RGB", w: 50000, h: 1000, colorType: hostile.RGB, depth: 8, decoded: 200_000_000},
		// issue 14: used to panic in makeslice without naming the file
		{name: "50000000x1 gray", w: 50_000_000, h: 1, colorType: hostile.Gray, depth: 8, want: "want at most 65535 pixels a side"},
		// issue 14: a real 12000×4000 photograph took 1.5 GB
		{name: "12000x4000 RGB", w: 12000, h: 4000, colorType: hostile.RGB, depth: 8, row: gradient, decoded: 192_000_000},
		{name: "12000x4000 16-bit RGBA", w: 12000, h: 4000, colorType: hostile.RGBA, depth: 16, want: "more than the limit of 192 MiB"},
		{name: "8000x6000 interlaced RGBA", w: 8000, h: 6000, colorType: hostile.RGBA, depth: 8, interlaced: true, want: "more than the limit of 192 MiB"},
		{name: "70000x10 gray", w: 70000, h: 10, colorType: hostile.Gray, depth: 8, want: "want at most 65535 pixels a side"},
		{name: "10000x10000 paletted", w: 10000, h: 10000, colorType: hostile.Paletted, depth: 1, want: "want at most 50000000 pixels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".png")
			writeHostilePNG(t, path, tc.w, tc.h, tc.colorType, tc.depth, tc.interlaced, tc.row)
			st, _ := os.Stat(path)
			var err error
			a := allocated(func() { _, err = LoadImageFile(path, ImageOptions{}) })
			t.Logf("%d-byte file: allocated %.1f MB, %v", st.Size(), float64(a)/1e6, err)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("LoadImageFile: %v", err)
				}
				if limit := min(2*tc.decoded+16<<20, budget); a > limit {
					t.Errorf("allocated %d bytes for a %d-byte decoded image, want at most %d", a, tc.decoded, limit)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want one naming %s and saying %q", err, path, tc.want)
			}
			if a > 1<<20 {
				t.Errorf("refusing the image allocated %d bytes, want under 1 MiB", a)
			}
		})
	}
}

// TestHostileJPEGs: a real 50-megapixel JPEG loads in memory close to
// its decoded planes; a header that makes the decoder keep progressive
// coefficients for as many pixels is refused before decoding.
func TestHostileJPEGs(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes and decodes a 50-megapixel JPEG")
	}
	dir := t.TempDir()
	photo := filepath.Join(dir, "photo.jpg")
	func() {
		img := image.NewYCbCr(image.Rect(0, 0, 10000, 5000), image.YCbCrSubsampleRatio420)
		for y := range 5000 {
			gradient(y, img.Y[y*img.YStride:(y+1)*img.YStride])
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = byte(i/1000), byte(i/3000)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(photo, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}()
	var err error
	a := allocated(func() { _, err = LoadImageFile(photo, ImageOptions{}) })
	st, _ := os.Stat(photo)
	t.Logf("10000×5000 4:2:0 JPEG of %d bytes: allocated %.1f MB", st.Size(), float64(a)/1e6)
	const planes = 10000*5000 + 2*5000*2500
	if err != nil || a > 2*planes+16<<20 {
		t.Errorf("loading: %v, allocated %d bytes for %d bytes of planes", err, a, planes)
	}

	// A small baseline JPEG whose frame header is rewritten to say
	// progressive and 10000×5000: the decoder would allocate 75 MB of
	// planes and 300 MB of coefficients.
	var small bytes.Buffer
	jpeg.Encode(&small, image.NewYCbCr(image.Rect(0, 0, 16, 16), image.YCbCrSubsampleRatio420), nil)
	b := small.Bytes()
	sof := bytes.Index(b, []byte{0xff, 0xc0})
	b[sof+1] = 0xc2
	b[sof+5], b[sof+6], b[sof+7], b[sof+8] = 5000>>8, 5000&255, 10000>>8, 10000&255
	prog := filepath.Join(dir, "progressive.jpg")
	os.WriteFile(prog, b, 0o644)
	a = allocated(func() { _, err = LoadImageFile(prog, ImageOptions{}) })
	if err == nil || !strings.Contains(err.Error(), "more than the limit of 192 MiB") || !strings.Contains(err.Error(), prog) {
		t.Errorf("a progressive 10000×5000 header: %v", err)
	}
	if a > 1<<20 {
		t.Errorf("refusing it allocated %d bytes", a)
	}
}

// TestDecodedBytes checks the estimate against what the decoders allocate
// for small images of each kind.
func TestDecodedBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		name string
		file func() []byte
	}{
		{"gray png", func() []byte { return encodePNG(t, randomImage("gray", 301, 203, rng)) }},
		{"rgb png", func() []byte {
			img := randomImage("rgba", 301, 203, rng).(*image.RGBA)
			for i := 3; i < len(img.Pix); i += 4 {
				img.Pix[i] = 255
			}
			return encodePNG(t, img)
		}},
		{"nrgba png", func() []byte { return encodePNG(t, randomImage("nrgba", 301, 203, rng)) }},
		{"16-bit png", func() []byte { return encodePNG(t, randomImage("nrgba64", 301, 203, rng)) }},
		{"paletted png", func() []byte { return encodePNG(t, randomImage("paletted", 301, 203, rng)) }},
		// Go's decoder returns a grayscale PNG with a tRNS chunk (a
		// transparent gray level) as NRGBA, or NRGBA64 at 16 bits.
		{"gray png with tRNS", func() []byte { return grayPNGWithTRNS(t, 301, 203, 8, false, gradient) }},
		{"16-bit gray png with tRNS", func() []byte { return grayPNGWithTRNS(t, 301, 203, 16, false, gradient) }},
		// An Adobe APP14 segment of transform 0 makes image/jpeg take
		// three components for RGB and convert them to RGBA.
		{"rgb jpeg", func() []byte {
			var b bytes.Buffer
			jpeg.Encode(&b, randomImage("ycbcr420", 301, 203, rng), nil)
			return slices.Concat(b.Bytes()[:2], adobeRGB, b.Bytes()[2:])
		}},
		{"gray jpeg", func() []byte {
			var b bytes.Buffer
			jpeg.Encode(&b, randomImage("gray", 301, 203, rng), nil)
			return b.Bytes()
		}},
		{"colour jpeg", func() []byte {
			var b bytes.Buffer
			jpeg.Encode(&b, randomImage("ycbcr420", 301, 203, rng), nil)
			return b.Bytes()
		}},
	}
	for _, tc := range cases {
		file := tc.file()
		cfg, format, err := image.DecodeConfig(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		est := decodedBytes(format, cfg, func() io.Reader { return bytes.NewReader(file) })
		a := allocated(func() { image.Decode(bytes.NewReader(file)) })
		// The estimate covers the image the decoder returns, most of what
		// it allocates: within a factor of two of it, and above the pixels.
		if float64(est) < 0.5*float64(a) || est > 2*int64(a)+1<<16 {
			t.Errorf("%s: estimated %d bytes, the decoder allocated %d", tc.name, est, a)
		}
		t.Logf("%s: estimated %d, allocated %d", tc.name, est, a)
	}
}

// grayPNGWithTRNS returns a w×h grayscale PNG of the bit depth whose
// tRNS chunk, after IHDR, makes gray level 0 transparent.
func grayPNGWithTRNS(t *testing.T, w, h int, depth byte, interlaced bool, row func(int, []byte)) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := hostile.PNG(&b, w, h, hostile.Gray, depth, interlaced, row); err != nil {
		t.Fatal(err)
	}
	png := b.Bytes()
	const afterIHDR = 8 + 4 + 4 + 13 + 4
	trns := []byte{0, 0, 0, 2, 't', 'R', 'N', 'S', 0, 0}
	trns = binary.BigEndian.AppendUint32(trns, crc32.ChecksumIEEE(trns[4:]))
	return slices.Concat(png[:afterIHDR], trns, png[afterIHDR:])
}

// TestTransparentGrayPNG: a grayscale PNG with a tRNS chunk decodes to 4
// bytes a pixel (8 at 16 bits), not the 1 (2) its colour type says, so
// that a 30-megapixel 1-bit interlaced one, 120 MB and its passes, is
// refused before decoding, as MaxDecodedBytes says, and a 7000×7000 8-bit
// one within the limit loads within twice its 196 MB.
func TestTransparentGrayPNG(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and decodes a 49-megapixel image")
	}
	dir := t.TempDir()
	big := filepath.Join(dir, "interlaced.png")
	os.WriteFile(big, grayPNGWithTRNS(t, 6000, 5000, 1, true, nil), 0o644)
	var err error
	a := allocated(func() { _, err = LoadImageFile(big, ImageOptions{}) })
	if err == nil || !strings.Contains(err.Error(), "more than the limit of 192 MiB") || !strings.Contains(err.Error(), big) {
		t.Errorf("error %v, want one naming %s and the limit of 192 MiB", err, big)
	}
	if a > 1<<20 {
		t.Errorf("refusing the image allocated %d bytes, want under 1 MiB", a)
	}
	ok := filepath.Join(dir, "ok.png")
	os.WriteFile(ok, grayPNGWithTRNS(t, 7000, 7000, 8, false, gradient), 0o644)
	a = allocated(func() { _, err = LoadImageFile(ok, ImageOptions{}) })
	if err != nil {
		t.Fatal(err)
	}
	const decoded = 4 * 7000 * 7000
	if a > 2*decoded+16<<20 {
		t.Errorf("allocated %d bytes for a %d-byte decoded image", a, decoded)
	}
}

// adobeRGB is an APP14 segment saying, with transform 0, that a JPEG's
// three components are RGB.
var adobeRGB = []byte{0xff, 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0}

// TestRGBJPEG: image/jpeg converts a JPEG it takes for RGB to an RGBA
// image on top of its planes, 5.5 bytes a pixel at 4:2:0 rather than 1.5,
// so that a 42-megapixel one, 231 MB decoded, is refused before decoding,
// as MaxDecodedBytes says, even with the segment that says so after the
// image data, where the decoder still reads it.
func TestRGBJPEG(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes a 42-megapixel JPEG")
	}
	img := image.NewYCbCr(image.Rect(0, 0, 7000, 6000), image.YCbCrSubsampleRatio420)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	plain := b.Bytes()
	end := len(plain) - 2 // EOI
	dir := t.TempDir()
	for name, file := range map[string][]byte{
		"header": slices.Concat(plain[:2], adobeRGB, plain[2:]),
		"tail":   slices.Concat(plain[:end], adobeRGB, plain[end:]),
	} {
		path := filepath.Join(dir, name+".jpg")
		os.WriteFile(path, file, 0o644)
		var err error
		a := allocated(func() { _, err = LoadImageFile(path, ImageOptions{}) })
		if err == nil || !strings.Contains(err.Error(), "more than the limit of 192 MiB") || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming %s and the limit of 192 MiB", name, err, path)
		}
		if limit := uint64(4*len(file) + 1<<20); a > limit {
			t.Errorf("%s: refusing the image allocated %d bytes, want under %d (the %d-byte file, read)", name, a, limit, len(file))
		}
	}
	// As YCbCr, its 63 MB of planes load.
	path := filepath.Join(dir, "ycbcr.jpg")
	os.WriteFile(path, plain, 0o644)
	if _, err := LoadImageFile(path, ImageOptions{}); err != nil {
		t.Fatal(err)
	}
}
