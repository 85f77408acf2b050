package main

import (
	"context"
	"fmt"

	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/plots"
)

func runShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "show", "[--index N] [--split train|test] [--scaled] -o out.png|out.svg")
	index := fs.Int("index", 0, "which image to plot")
	split := fs.String("split", "train", "train or test")
	scaled := fs.Bool("scaled", false, "plot the pixels divided by 255, as after the tutorial's preprocessing")
	out := fs.String("o", "", "the .png or .svg file to write (required)")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageError(fs, "-o out.png is required")
	}
	if *split != "train" && *split != "test" {
		return usageError(fs, fmt.Sprintf("--split %q: want train or test", *split))
	}
	if *index < 0 {
		return usageError(fs, fmt.Sprintf("--index %d: want an image number from 0", *index))
	}
	if err := checkOutput("-o", *out); err != nil {
		return err
	}
	if _, err := plots.FormatOf(*out); err != nil {
		return usageError(fs, "-o: "+err.Error())
	}
	train, test, err := loadData(ctx, e, *dir)
	if err != nil {
		return err
	}
	d := train
	if *split == "test" {
		d = test
	}
	if *index >= d.N {
		return fmt.Errorf("--index %d: the %s split has images 0 to %d", *index, *split, d.N-1)
	}
	if err := saveImshow(*out, d, *index, *scaled); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s (%s image %d: %s)\n", *out, *split, *index, fashionmnist.ClassNames()[d.Labels[*index]])
	return nil
}

// saveImshow writes image i of d with a colour bar, titled with its class,
// as plt.imshow + plt.colorbar do, to path in the format its extension
// names (.png or .svg).
func saveImshow(path string, d *fashionmnist.Dataset, i int, scaled bool) error {
	px := d.Image(i)
	img := plots.Image{Pixels: make([]float32, len(px)), H: d.Rows, W: d.Cols}
	scale := float32(1)
	if scaled {
		scale = 1.0 / 255
	}
	for j, v := range px {
		img.Pixels[j] = float32(v) * scale
	}
	fig, err := plots.ImshowFigure(img, plots.ImshowOptions{Title: fashionmnist.ClassNames()[d.Labels[i]]})
	if err != nil {
		return err
	}
	return fig.Save(path)
}
