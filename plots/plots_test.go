package plots

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Colours of matplotlib's viridis at 0, 0.5 and 1.
var (
	viridisLo  = color.RGBA{0x44, 0x01, 0x54, 0xff}
	viridisMid = color.RGBA{0x21, 0x91, 0x8c, 0xff}
	viridisHi  = color.RGBA{0xfd, 0xe7, 0x25, 0xff}
	white      = color.RGBA{0xff, 0xff, 0xff, 0xff}
	black      = color.RGBA{0, 0, 0, 0xff}
)

func filled(h, w int, v float32) Image {
	img := Image{H: h, W: w, Pixels: make([]float32, h*w)}
	for i := range img.Pixels {
		img.Pixels[i] = v
	}
	return img
}

// halves is a 28×28 image whose top half is top and bottom half bottom.
func halves(top, bottom float32) Image {
	img := filled(28, 28, top)
	for i := 14 * 28; i < len(img.Pixels); i++ {
		img.Pixels[i] = bottom
	}
	return img
}

func render(t *testing.T, write func(io.Writer) error) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(&buf)
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	return m
}

func rgba(m image.Image, x, y int) color.RGBA {
	return color.RGBAModel.Convert(m.At(x, y)).(color.RGBA)
}

// near reports whether a and b differ by at most tol in each channel.
func near(a, b color.RGBA, tol uint8) bool {
	d := func(p, q uint8) bool { return p-q <= tol || q-p <= tol }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && a.A == b.A
}

// dark counts pixels in r darker than mid grey: text, ticks and frames.
func dark(m image.Image, r image.Rectangle) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := rgba(m, x, y)
			if int(c.R)+int(c.G)+int(c.B) < 3*128 {
				n++
			}
		}
	}
	return n
}

func TestColormaps(t *testing.T) {
	tests := []struct {
		name string
		cmap *Colormap
		t    float64
		want color.RGBA
	}{
		{"viridis 0", Viridis, 0, viridisLo},
		{"viridis 0.5", Viridis, 0.5, viridisMid},
		{"viridis 1", Viridis, 1, viridisHi},
		{"viridis below", Viridis, -3, viridisLo},
		{"viridis above", Viridis, 7, viridisHi},
		{"viridis NaN", Viridis, math.NaN(), color.RGBA{}},
		{"binary 0", Binary, 0, white},
		{"binary 1", Binary, 1, black},
		{"binary 0.5", Binary, 0.5, color.RGBA{127, 127, 127, 0xff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cmap.At(tt.t); got != tt.want {
				t.Errorf("%s.At(%v) = %v, want %v", tt.cmap.Name(), tt.t, got, tt.want)
			}
		})
	}
}

func TestImshowSize(t *testing.T) {
	tests := []struct {
		name         string
		img          Image
		opts         ImshowOptions
		wantW, wantH int
	}{
		{"default", filled(28, 28, 1), ImshowOptions{}, 640, 480},
		{"custom", filled(28, 28, 1), ImshowOptions{Width: 800, Height: 600}, 800, 600},
		{"width only", filled(28, 28, 1), ImshowOptions{Width: 1000}, 1000, 480},
		{"wide image", filled(10, 40, 1), ImshowOptions{Title: "wide"}, 640, 480},
		{"one pixel", filled(1, 1, 1), ImshowOptions{}, 640, 480},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := render(t, func(w io.Writer) error { return Imshow(w, tt.img, tt.opts) })
			if b := m.Bounds(); b.Dx() != tt.wantW || b.Dy() != tt.wantH {
				t.Errorf("size %v, want %d×%d", b.Size(), tt.wantW, tt.wantH)
			}
		})
	}
}

// In the default 640×480 figure a square image spans about x 107..477 and
// y 55..425, and the colour bar x 502..520, y 58..427.
func TestImshowColours(t *testing.T) {
	tests := []struct {
		name string
		img  Image
		opts ImshowOptions
		x, y int
		want color.RGBA
		tol  uint8 // the colour bar's rows sample the table unevenly
	}{
		{"min of range", filled(28, 28, 0), ImshowOptions{Min: 0, Max: 255}, 292, 240, viridisLo, 1},
		{"max of range", filled(28, 28, 255), ImshowOptions{Min: 0, Max: 255}, 292, 240, viridisHi, 1},
		{"middle of range", filled(28, 28, 0.5), ImshowOptions{Min: 0, Max: 1}, 292, 240, viridisMid, 1},
		{"below range clips", filled(28, 28, -10), ImshowOptions{Min: 0, Max: 255}, 292, 240, viridisLo, 1},
		{"above range clips", filled(28, 28, 300), ImshowOptions{Min: 0, Max: 255}, 292, 240, viridisHi, 1},
		{"autoscale min", halves(3, 9), ImshowOptions{}, 292, 150, viridisLo, 1},
		{"autoscale max", halves(3, 9), ImshowOptions{}, 292, 330, viridisHi, 1},
		{"constant image", filled(28, 28, 42), ImshowOptions{}, 292, 240, viridisLo, 1},
		{"binary colormap", halves(0, 1), ImshowOptions{Colormap: Binary}, 292, 330, black, 1},
		{"NaN is background", filled(28, 28, float32(math.NaN())), ImshowOptions{}, 292, 240, white, 1},
		{"colour bar top", filled(28, 28, 0), ImshowOptions{Max: 1}, 511, 62, viridisHi, 8},
		{"colour bar bottom", filled(28, 28, 0), ImshowOptions{Max: 1}, 511, 423, viridisLo, 8},
		{"colour bar middle", filled(28, 28, 0), ImshowOptions{Max: 1}, 511, 242, viridisMid, 8},
		{"left margin", filled(28, 28, 0), ImshowOptions{}, 20, 240, white, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := render(t, func(w io.Writer) error { return Imshow(w, tt.img, tt.opts) })
			if got := rgba(m, tt.x, tt.y); !near(got, tt.want, tt.tol) {
				t.Errorf("pixel (%d,%d) = %v, want %v", tt.x, tt.y, got, tt.want)
			}
		})
	}
}

// Nearest-neighbour sampling: a checkerboard shows only its two colours,
// never a blend, and each image pixel is a solid block.
func TestImshowNearestNeighbour(t *testing.T) {
	img := Image{H: 4, W: 4, Pixels: make([]float32, 16)}
	for i := range img.Pixels {
		img.Pixels[i] = float32((i/4 + i%4) % 2)
	}
	m := render(t, func(w io.Writer) error { return Imshow(w, img, ImshowOptions{}) })
	seen := map[color.RGBA]int{}
	for y := 70; y < 410; y++ {
		for x := 130; x < 460; x++ {
			seen[rgba(m, x, y)]++
		}
	}
	if len(seen) != 2 || seen[viridisLo] == 0 || seen[viridisHi] == 0 {
		t.Errorf("image area has colours %v, want only %v and %v", seen, viridisLo, viridisHi)
	}
	// Pixel (0,0) is 0 and pixel (0,1) is 1: left and right of x = 107+92.
	if got := rgba(m, 150, 100); got != viridisLo {
		t.Errorf("top-left block = %v, want %v", got, viridisLo)
	}
	if got := rgba(m, 250, 100); got != viridisHi {
		t.Errorf("next block = %v, want %v", got, viridisHi)
	}
}

// Ticks, their labels and the title put ink where matplotlib puts them.
func TestImshowDecorations(t *testing.T) {
	img := filled(28, 28, 0)
	plain := render(t, func(w io.Writer) error { return Imshow(w, img, ImshowOptions{}) })
	titled := render(t, func(w io.Writer) error { return Imshow(w, img, ImshowOptions{Title: "Ankle boot"}) })
	regions := []struct {
		name      string
		r         image.Rectangle
		m         image.Image
		wantInk   bool
		minPixels int
	}{
		{"x tick labels", image.Rect(100, 430, 480, 460), plain, true, 50},
		{"y tick labels", image.Rect(60, 50, 105, 430), plain, true, 50},
		{"colour bar tick labels", image.Rect(524, 50, 600, 440), plain, true, 50},
		{"no title", image.Rect(100, 20, 480, 53), plain, false, 0},
		{"title", image.Rect(100, 20, 480, 53), titled, true, 40},
		{"right margin", image.Rect(600, 0, 640, 480), titled, false, 0},
	}
	for _, rr := range regions {
		t.Run(rr.name, func(t *testing.T) {
			n := dark(rr.m, rr.r)
			if rr.wantInk && n < rr.minPixels {
				t.Errorf("%d dark pixels in %v, want at least %d", n, rr.r, rr.minPixels)
			}
			if !rr.wantInk && n != 0 {
				t.Errorf("%d dark pixels in %v, want none", n, rr.r)
			}
		})
	}
}

func TestAutoTicks(t *testing.T) {
	tests := []struct {
		name     string
		lo, hi   float64
		px       float64
		vertical bool
		want     []string
	}{
		{"28-pixel x axis", -0.5, 27.5, 370, false, []string{"0", "5", "10", "15", "20", "25"}},
		{"28-pixel y axis", -0.5, 27.5, 370, true, []string{"0", "5", "10", "15", "20", "25"}},
		{"raw colour bar", 0, 255, 370, true, []string{"0", "50", "100", "150", "200", "250"}},
		{"scaled colour bar", 0, 1, 370, true, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{"negative", -10, 10, 370, true, []string{"\u221210.0", "\u22127.5", "\u22125.0", "\u22122.5", "0.0", "2.5", "5.0", "7.5", "10.0"}},
		{"short axis", 0, 100, 40, false, []string{"0", "100"}},
		{"empty range", 1, 1, 370, true, nil},
		// The decimals follow the ticks' spacing, as ScalarFormatter's do
		// (with its offset or 1e-n folded into the labels): labels capped
		// at six decimals, or rounded to whole numbers around a million,
		// repeated the same number at different ticks.
		{"flat loss", 0.693147, 0.6931472, 370, true, []string{"0.693147000", "0.693147025", "0.693147050", "0.693147075", "0.693147100", "0.693147125", "0.693147150", "0.693147175", "0.693147200"}},
		{"tiny values", 1e-8, 3e-8, 370, true, []string{"0.0000000100", "0.0000000125", "0.0000000150", "0.0000000175", "0.0000000200", "0.0000000225", "0.0000000250", "0.0000000275", "0.0000000300"}},
		{"around a million", 1e6, 1e6 + 3, 370, true, []string{"1000000.0", "1000000.5", "1000001.0", "1000001.5", "1000002.0", "1000002.5", "1000003.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tickLabels(autoTicks(tt.lo, tt.hi, tt.px, tt.vertical))
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ticks %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGrid(t *testing.T) {
	var imgs []Image
	var labels []string
	for i := 0; i < 25; i++ {
		imgs = append(imgs, halves(0, 255))
		labels = append(labels, "Ankle boot")
	}
	m := render(t, func(w io.Writer) error { return Grid(w, imgs, labels, 5) })
	if b := m.Bounds(); b.Dx() != 1000 || b.Dy() != 1000 {
		t.Fatalf("size %v, want 1000×1000 (figsize 10×10 at 100 dpi)", b.Size())
	}
	// Cells are 133.6×132.8 pixels, 26.7 apart, from (125, 120).
	for _, cell := range []struct{ r, c int }{{0, 0}, {2, 3}, {4, 4}} {
		x := 125 + int(float64(cell.c)*160.3) + 66
		y := 120 + int(float64(cell.r)*159.4)
		if got := rgba(m, x, y+30); got != white {
			t.Errorf("cell %v: 0 pixel at (%d,%d) = %v, want white", cell, x, y+30, got)
		}
		if got := rgba(m, x, y+100); got != black {
			t.Errorf("cell %v: max pixel at (%d,%d) = %v, want black", cell, x, y+100, got)
		}
		if n := dark(m, image.Rect(x-50, y+134, x+50, y+155)); n < 30 {
			t.Errorf("cell %v: label below has %d dark pixels, want text", cell, n)
		}
	}

	small := render(t, func(w io.Writer) error { return Grid(w, imgs[:3], nil, 2) })
	if b := small.Bounds(); b.Dx() != 400 || b.Dy() != 400 {
		t.Errorf("3 images in 2 columns: size %v, want 400×400", b.Size())
	}
}

func TestErrors(t *testing.T) {
	ok := filled(28, 28, 1)
	tests := []struct {
		name  string
		write func(io.Writer) error
		want  string
	}{
		{"empty image", func(w io.Writer) error { return Imshow(w, Image{}, ImshowOptions{}) }, "must be positive"},
		{"pixel count", func(w io.Writer) error {
			return Imshow(w, Image{H: 28, W: 28, Pixels: make([]float32, 27)}, ImshowOptions{})
		}, "has 27 pixels, want 784"},
		{"min above max", func(w io.Writer) error { return Imshow(w, ok, ImshowOptions{Min: 2, Max: 1}) }, "exceeds Max"},
		{"NaN range", func(w io.Writer) error { return Imshow(w, ok, ImshowOptions{Max: math.NaN()}) }, "not finite"},
		{"negative size", func(w io.Writer) error { return Imshow(w, ok, ImshowOptions{Width: -1}) }, "negative"},
		{"too small", func(w io.Writer) error { return Imshow(w, ok, ImshowOptions{Width: 4, Height: 4}) }, "too small"},
		{"grid without images", func(w io.Writer) error { return Grid(w, nil, nil, 5) }, "no images"},
		{"grid without columns", func(w io.Writer) error { return Grid(w, []Image{ok}, nil, 0) }, "at least one column"},
		{"grid labels mismatch", func(w io.Writer) error { return Grid(w, []Image{ok, ok}, []string{"a"}, 5) }, "2 images but 1 labels"},
		{"grid bad image", func(w io.Writer) error { return Grid(w, []Image{ok, {H: 2, W: 2}}, nil, 5) }, "grid image 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := tt.write(&buf)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSavePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "fig.png")
	if err := SavePNG(path, func(w io.Writer) error { return Imshow(w, filled(28, 28, 1), ImshowOptions{}) }); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width != 640 || cfg.Height != 480 {
		t.Fatalf("saved file: %+v, %v; want a 640×480 PNG", cfg, err)
	}
	before, _ := os.ReadFile(path)

	// A failing write leaves the old file and no temporary behind.
	boom := errors.New("boom")
	err = SavePNG(path, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want it to wrap %v", err, boom)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("failed save changed the existing file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed save, want 1", len(entries))
	}
	if err := SavePNG(filepath.Join(dir, "missing", "x.png"), func(io.Writer) error { return nil }); err == nil {
		t.Error("saving into a missing directory succeeded")
	}
}
