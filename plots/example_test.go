package plots_test

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/tailor-ml/tailor/plots"
)

func ExampleImshow() {
	// A 28×28 horizontal gradient of raw pixel values 0..255.
	img := plots.Image{H: 28, W: 28, Pixels: make([]float32, 28*28)}
	for i := range img.Pixels {
		img.Pixels[i] = float32(i%28) * 255 / 27
	}
	var buf bytes.Buffer
	if err := plots.Imshow(&buf, img, plots.ImshowOptions{Title: "Ankle boot"}); err != nil {
		fmt.Println(err)
		return
	}
	m, err := png.Decode(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Bounds())
	// Output: (0,0)-(640,480)
}

func ExampleGrid() {
	imgs := make([]plots.Image, 25)
	labels := make([]string, 25)
	for i := range imgs {
		imgs[i] = plots.Image{H: 28, W: 28, Pixels: make([]float32, 28*28)}
		labels[i] = "Ankle boot"
	}
	var buf bytes.Buffer
	if err := plots.Grid(&buf, imgs, labels, 5); err != nil {
		fmt.Println(err)
		return
	}
	cfg, _ := png.DecodeConfig(&buf)
	fmt.Println(cfg.Width, cfg.Height)
	// Output: 1000 1000
}
