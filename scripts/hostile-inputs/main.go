// Command hostile-inputs writes, into the directory it is given, the
// hostile files of issue 14 that scripts/hostile-inputs.sh feeds to
// tailor: images whose headers ask for gigabytes, model files whose
// entries inflate to gigabytes or whose layers would, a checkpoint holding
// 600 MB of JSON, and a data directory that lacks a file. Everything is
// streamed; writing them takes a few seconds and little memory.
package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/internal/hostile"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/saving"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hostile-inputs DIR")
		os.Exit(2)
	}
	if err := write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "hostile-inputs:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	gradient := func(y int, b []byte) {
		for i := range b {
			b[i] = byte(i/97 + y/53)
		}
	}
	pngs := []struct {
		name      string
		w, h      int
		colorType byte
		row       func(int, []byte)
	}{
		{"wide.png", 50000, 1000, hostile.Gray, nil}, // 48 KB
		{"wide-rgb.png", 50000, 1000, hostile.RGB, nil},
		{"line.png", 50_000_000, 1, hostile.Gray, nil},
		{"photo.png", 12000, 4000, hostile.RGB, gradient},
		{"small.png", 28, 28, hostile.Gray, nil},
	}
	for _, im := range pngs {
		if err := create(p(im.name), func(w io.Writer) error {
			return hostile.PNG(w, im.w, im.h, im.colorType, 8, false, im.row)
		}); err != nil {
			return err
		}
	}
	if err := create(p("photo.jpg"), func(w io.Writer) error {
		img := image.NewYCbCr(image.Rect(0, 0, 10000, 5000), image.YCbCrSubsampleRatio420)
		for y := range 5000 {
			gradient(y, img.Y[y*img.YStride:(y+1)*img.YStride])
		}
		return jpeg.Encode(w, img, &jpeg.Options{Quality: 90})
	}); err != nil {
		return err
	}

	// An untrained tutorial MLP, and hostile variants of its file.
	m, err := models.New("mlp")
	if err != nil {
		return err
	}
	recipe, _ := models.TrainingRecipe("mlp")
	if err := m.Compile(recipe.Optimizer(1), recipe.Loss(), metrics.Accuracy()); err != nil {
		return err
	}
	if !m.Built() {
		if err := m.Build(28, 28); err != nil {
			return err
		}
	}
	meta := saving.FashionMNIST(fashionmnist.ClassNames())
	if err := saving.Save(p("m.tailor"), m, meta); err != nil {
		return err
	}
	entries, err := storedEntries(p("m.tailor"))
	if err != nil {
		return err
	}
	head := `{"dense/kernel":{"dtype":"F32","shape":[536870912],"data_offsets":[0,2147483648]}}`
	for len(head)%8 != 0 {
		head += " "
	}
	st := append([]byte{byte(len(head)), byte(len(head) >> 8), 0, 0, 0, 0, 0, 0}, head...)
	with := func(extra ...hostile.Entry) []hostile.Entry {
		return append(append([]hostile.Entry{}, entries...), extra...)
	}
	archives := map[string][]hostile.Entry{
		// 2.4 MB, inflating to 2 GiB
		"bomb.tailor": {entries[0], {Name: "model.safetensors", Method: zip.Deflate, Write: hostile.Repeat(st, 0, 2<<30)}},
		// 1 GiB of spaces in 1.3 MB
		"spaces.tailor": with(hostile.Entry{Name: "training.json", Method: zip.Deflate, Write: hostile.Repeat(nil, ' ', 1<<30)}),
		// 64 MiB stored: the file is large, but Load does not read it
		"stored-training.tailor": with(hostile.Entry{Name: "training.json", Method: zip.Store, Write: hostile.Repeat(nil, ' ', 64<<20)}),
	}
	for name, es := range archives {
		if err := create(p(name), func(w io.Writer) error { return hostile.Zip(w, es...) }); err != nil {
			return err
		}
	}

	// Under 1 MB, 16,384 1×1 filters and 20 reshapes of their output: 1029
	// MiB of activations for one example.
	ls := []layers.Layer{layers.Reshape(28, 28, 1), layers.Conv2D(16384, [2]int{1, 1})}
	for range 20 {
		ls = append(ls, layers.Reshape(28, 28, 16384))
	}
	wide := tailor.Sequential(append(ls, layers.GlobalAveragePooling2D(), layers.Dense(10, activations.Softmax))...)
	if err := wide.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		return err
	}
	if err := wide.Build(28, 28); err != nil {
		return err
	}
	if err := saving.Save(p("wide.tailor"), wide, meta); err != nil {
		return err
	}

	// A checkpoint directory whose checkpoint holds 600 MB of valid JSON.
	ck := p("ck")
	if err := os.MkdirAll(ck, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(ck, "train-settings.json"), []byte(`{"model":"mlp","train_limit":0}`+"\n"), 0o644); err != nil {
		return err
	}
	history := func(w io.Writer) error {
		io.WriteString(w, `{"fit":{"epochs":2,"batch_size":32,"seed":1},"progress":{"epoch":0,"step":0,"seen":0,"loss_sum":0},"history":{"epochs":[],"seconds":[],"history":{"loss":[0`)
		block := []byte(strings.Repeat(",0", 1<<19))
		for range 600 {
			w.Write(block)
		}
		_, err := io.WriteString(w, `]}}}`)
		return err
	}
	if err := create(filepath.Join(ck, saving.CheckpointFile), func(w io.Writer) error {
		return hostile.Zip(w, with(hostile.Entry{Name: "training.json", Method: zip.Deflate, Write: history})...)
	}); err != nil {
		return err
	}

	// A data directory with one of the four files.
	data := p("partial-data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(data, "train-images-idx3-ubyte"), nil, 0o644)
}

func create(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// storedEntries returns a model file's entries, to be zipped again.
func storedEntries(path string) ([]hostile.Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, err
	}
	var es []hostile.Entry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		es = append(es, hostile.Entry{Name: f.Name, Method: zip.Store, Write: hostile.Bytes(content)})
	}
	return es, nil
}
