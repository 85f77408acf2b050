package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/tensor"
)

// loadData finds (or downloads) Fashion-MNIST, saying where on stderr.
func loadData(ctx context.Context, e *env, dir string) (train, test *fashionmnist.Dataset, err error) {
	if err := checkDataDir(dir); err != nil {
		return nil, nil, err
	}
	return fashionmnist.LoadData(ctx, fashionmnist.Options{
		Dir:  dir,
		Logf: func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) },
	})
}

// fashionFiles lists the Fashion-MNIST files a command given --data dir
// ("" for none) may read: the four IDX files, plain or gzipped, in each
// directory loadData searches. An output must be none of them: --out or
// --json naming one replaced the data with the results.
func fashionFiles(dir string) []string {
	var files []string
	for _, d := range (fashionmnist.Options{Dir: dir}).SearchPath() {
		for _, name := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
			files = append(files, filepath.Join(d, name), filepath.Join(d, name+".gz"))
		}
	}
	return files
}

// checkDataDir refuses a --data that is not a directory: an explicit
// --data that does not exist is a mistake, not a cue to look elsewhere.
// An empty dir (no --data) passes.
func checkDataDir(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("--data %s: no such directory", dir)
	case err != nil:
		return fmt.Errorf("--data: %w", err)
	case !st.IsDir():
		return fmt.Errorf("--data %s: not a directory", dir)
	}
	return nil
}

// checkOutput checks, before any work, that the file path names can be
// written and is none of inputs, the files the command reads (see
// atomicfile.Check); an empty path is not asked for.
func checkOutput(flag, path string, inputs ...string) error {
	if path == "" {
		return nil
	}
	if err := atomicfile.Check(path, inputs...); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return nil
}

// images returns a split's images as an (N, 28, 28) tensor multiplied by
// scale, and its labels as an (N,) tensor of class indices.
func images(d *fashionmnist.Dataset, scale float32) (x, y *tensor.Tensor) {
	x, err := tensor.FromUint8(d.Images, scale, d.N, d.Rows, d.Cols)
	if err != nil {
		panic(err) // LoadData has checked the sizes
	}
	y, err = tensor.FromUint8(d.Labels, 1, d.N)
	if err != nil {
		panic(err)
	}
	return x, y
}

// dataset pairs examples with their targets for Fit and Evaluate.
func dataset(x, y *tensor.Tensor) datasets.Dataset {
	ds, err := datasets.FromTensors(x, y)
	if err != nil {
		panic(err) // images returns as many labels as images
	}
	return ds
}

func runData(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "data", "[--data DIR]")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files (default: search, then download)")
	if err := parse(fs, args); err != nil {
		return err
	}
	train, test, err := loadData(ctx, e, *dir)
	if err != nil {
		return err
	}
	describe(e.stdout, "train", train)
	fmt.Fprintln(e.stdout)
	describe(e.stdout, "test", test)
	return nil
}

// describe prints what the tutorial's exploration step shows of a split.
func describe(w io.Writer, name string, d *fashionmnist.Dataset) {
	shape := tensor.Shape{d.N, d.Rows, d.Cols}
	fmt.Fprintf(w, "%s_images.shape: %v\n", name, shape)
	fmt.Fprintf(w, "%s_images.dtype: uint8\n", name)
	fmt.Fprintf(w, "%s_images min: %d  max: %d  mean: %s\n", name,
		tensor.Min(d.Images), tensor.Max(d.Images), strconv.FormatFloat(tensor.Mean(d.Images), 'g', -1, 64))
	fmt.Fprintf(w, "len(%s_labels): %d\n", name, len(d.Labels))
	fmt.Fprintf(w, "%s_labels: %s\n", name, abbreviate(d.Labels))
	counts := make([]int, len(fashionmnist.ClassNames()))
	for _, l := range d.Labels {
		counts[l]++
	}
	fmt.Fprintf(w, "%s label counts:\n", name)
	for i, c := range counts {
		fmt.Fprintf(w, "  %d %-12s %d\n", i, fashionmnist.ClassNames()[i], c)
	}
}

// abbreviate prints a label array as numpy does: [9 0 0 ... 3 0 5].
func abbreviate[T any](xs []T) string {
	parts := make([]string, 0, 7)
	if len(xs) <= 6 {
		for _, x := range xs {
			parts = append(parts, fmt.Sprint(x))
		}
	} else {
		for _, x := range xs[:3] {
			parts = append(parts, fmt.Sprint(x))
		}
		parts = append(parts, "...")
		for _, x := range xs[len(xs)-3:] {
			parts = append(parts, fmt.Sprint(x))
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}
