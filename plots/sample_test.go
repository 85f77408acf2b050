package plots

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// ring is a 28×28 raw-pixel image (0..255) of a bright ring on a dark
// ground with a gradient across it, a stand-in for a Fashion-MNIST image.
func ring(phase float64) Image {
	img := Image{H: 28, W: 28, Pixels: make([]float32, 28*28)}
	for y := 0; y < 28; y++ {
		for x := 0; x < 28; x++ {
			r := math.Hypot(float64(x)-13.5, float64(y)-13.5)
			v := 255 * math.Exp(-(r-8-3*math.Sin(phase))*(r-8-3*math.Sin(phase))/8)
			v *= 0.5 + 0.5*float64(x)/27
			img.Pixels[y*28+x] = float32(math.Round(v))
		}
	}
	img.Pixels[0] = 0
	img.Pixels[27] = 255
	return img
}

// TestWriteSamples renders sample figures into $PLOTS_SAMPLE_DIR for a
// person to look at; it is skipped when the variable is unset.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("PLOTS_SAMPLE_DIR")
	if dir == "" {
		t.Skip("PLOTS_SAMPLE_DIR not set")
	}
	img := ring(0)
	scaled := Image{H: img.H, W: img.W, Pixels: make([]float32, len(img.Pixels))}
	for i, p := range img.Pixels {
		scaled.Pixels[i] = p / 255
	}
	names := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	var imgs []Image
	var labels []string
	for i := 0; i < 25; i++ {
		imgs = append(imgs, ring(float64(i)))
		labels = append(labels, names[i%10])
	}
	for name, write := range map[string]func(io.Writer) error{
		"plots-sample.png":        func(w io.Writer) error { return Imshow(w, img, ImshowOptions{Title: "Ankle boot"}) },
		"plots-sample-scaled.png": func(w io.Writer) error { return Imshow(w, scaled, ImshowOptions{Title: "Ankle boot"}) },
		"plots-wide.png": func(w io.Writer) error {
			wide := Image{H: 10, W: 40, Pixels: make([]float32, 400)}
			for i := range wide.Pixels {
				wide.Pixels[i] = float32(i%40) - 20
			}
			return Imshow(w, wide, ImshowOptions{Title: "Gradient −20..19"})
		},
		"plots-grid.png": func(w io.Writer) error { return Grid(w, imgs, labels, 5) },
	} {
		if err := SavePNG(filepath.Join(dir, name), write); err != nil {
			t.Fatal(err)
		}
	}
}
