package preprocessing

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/tensor"
)

// article draws a w×h image: background bg, and a centred rectangle of
// half the size in colour fg.
func article(w, h int, bg, fg color.Color) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := bg
			if x >= w/4 && x < w-w/4 && y >= h/4 && y < h-h/4 {
				c = fg
			}
			img.Set(x, y, c)
		}
	}
	return img
}

func at(t *tensor.Tensor, y, x int) float32 { return t.Data[y*t.Shape[1]+x] }

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestIdentity: a 28×28 gray image comes through exactly as the training
// images do, value/255.
func TestIdentity(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7 % 256)
	}
	img.Pix[0] = 0 // a dark border keeps InvertAuto from inverting
	got, err := LoadImage(bytes.NewReader(encodePNG(t, img)), ImageOptions{Invert: InvertNever})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := tensor.FromUint8(img.Pix, 1.0/255, 28, 28)
	for i := range want.Data {
		if got.Data[i] != want.Data[i] {
			t.Fatalf("pixel %d: %v, want %v", i, got.Data[i], want.Data[i])
		}
	}
	if !got.Shape.Equal(tensor.Shape{28, 28}) {
		t.Errorf("shape %v", got.Shape)
	}
}

// TestAreaAverage halves a 56×56 image: each output pixel is the mean of
// a 2×2 block.
func TestAreaAverage(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 56, 56))
	for y := range 56 {
		for x := range 56 {
			if (x+y)%2 == 0 && x > 10 && x < 46 && y > 10 && y < 46 {
				img.SetGray(x, y, color.Gray{200})
			}
		}
	}
	got, err := FromImage(img, ImageOptions{Invert: InvertNever})
	if err != nil {
		t.Fatal(err)
	}
	// Inside the checkerboard each 2×2 block holds two 200s: mean 100.
	if v := at(got, 14, 14); v != float32(100.0/255) {
		t.Errorf("centre %v, want 100/255", v)
	}
	if v := at(got, 0, 0); v != 0 {
		t.Errorf("corner %v, want 0", v)
	}
}

// TestPolarity: a dark article photographed on white is inverted to a
// light article on black; a Fashion-MNIST-like image is left alone; the
// flags override the guess.
func TestPolarity(t *testing.T) {
	white, dark := color.RGBA{250, 250, 250, 255}, color.RGBA{40, 60, 80, 255}
	onWhite := encodePNG(t, article(100, 100, white, dark))
	onBlack := encodePNG(t, article(100, 100, color.Black, color.White))
	for _, tc := range []struct {
		name           string
		file           []byte
		o              ImageOptions
		border, centre float32
	}{
		{"photo on white, auto", onWhite, ImageOptions{}, 5.0 / 255, 1 - 0.299*40/255 - 0.587*60/255 - 0.114*80/255},
		{"fashion-mnist-like, auto", onBlack, ImageOptions{}, 0, 1},
		{"photo on white, never", onWhite, ImageOptions{Invert: InvertNever}, 250.0 / 255, (0.299*40 + 0.587*60 + 0.114*80) / 255},
		{"fashion-mnist-like, always", onBlack, ImageOptions{Invert: InvertAlways}, 1, 0},
		{"dark on light wanted", onBlack, ImageOptions{DarkOnLight: true}, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoadImage(bytes.NewReader(tc.file), tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if b, c := at(got, 0, 0), at(got, 14, 14); math.Abs(float64(b-tc.border)) > 1.0/255 || math.Abs(float64(c-tc.centre)) > 1.0/255 {
				t.Errorf("border %v, centre %v; want %v, %v", b, c, tc.border, tc.centre)
			}
			for _, v := range got.Data {
				if v < 0 || v > 1 {
					t.Fatalf("value %v outside [0, 1]", v)
				}
			}
		})
	}
}

// TestJPEGAndPadding: a wide JPEG keeps its proportions, padded with its
// border colour, and its size is arbitrary.
func TestJPEGAndPadding(t *testing.T) {
	img := article(120, 60, color.White, color.Black)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	got, err := LoadImage(&buf, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// 120×60 padded to 120×120: rows 0–6 and 21–27 of the result are
	// padding (white, inverted to black); the article occupies the middle
	// half of the original, rows 10–17 after scaling.
	for _, y := range []int{0, 3, 24, 27} {
		if v := at(got, y, 14); v > 0.05 {
			t.Errorf("row %d: %v, want background", y, v)
		}
	}
	if v := at(got, 14, 14); v < 0.9 {
		t.Errorf("centre %v, want the article, light", v)
	}
}

func TestTransparency(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 28, 28))
	for y := 7; y < 21; y++ {
		for x := 7; x < 21; x++ {
			img.Set(x, y, color.NRGBA{0, 0, 0, 255}) // an opaque black article on nothing
		}
	}
	got, err := FromImage(img, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if at(got, 0, 0) != 0 || at(got, 14, 14) != 1 {
		t.Errorf("border %v, centre %v: transparency should read as white, then invert", at(got, 0, 0), at(got, 14, 14))
	}
}

func TestLoadImagesBatch(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, c := range []color.Color{color.White, color.Gray{128}} {
		p := dir + "/" + string(rune('a'+i)) + ".png"
		if err := writeFile(p, encodePNG(t, article(40, 40, color.Black, c))); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	batch, err := LoadImages(paths, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !batch.Shape.Equal(tensor.Shape{2, 28, 28}) {
		t.Fatalf("shape %v", batch.Shape)
	}
	if _, err := LoadImages([]string{dir + "/missing.png"}, ImageOptions{}); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestBadImages(t *testing.T) {
	// A PNG header claiming 100000×100000 pixels, with a valid checksum.
	small := encodePNG(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	huge := bytes.Clone(small)
	binary.BigEndian.PutUint32(huge[16:], 100000)
	binary.BigEndian.PutUint32(huge[20:], 100000)
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29]))
	for name, tc := range map[string]struct {
		file []byte
		want string
	}{
		"text":      {[]byte("not an image"), "not a PNG or JPEG"},
		"empty":     {nil, "not a PNG or JPEG"},
		"huge":      {huge, "want at most"},
		"truncated": {small[:len(small)-20], "decoding the png image"},
	} {
		_, err := LoadImage(bytes.NewReader(tc.file), ImageOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }
