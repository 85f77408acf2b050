package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets/imagefolder"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// writeStripes writes n PNGs of stripes into dir/horizontal and
// dir/vertical: 24×24 pictures of random colours, stripe width and phase,
// so that a class is told by the direction of its stripes alone.
func writeStripes(t *testing.T, dir string, n int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	for _, class := range []string{"horizontal", "vertical"} {
		if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			img := image.NewNRGBA(image.Rect(0, 0, 24, 24))
			a := color.NRGBA{uint8(rng.IntN(80)), uint8(rng.IntN(80)), uint8(rng.IntN(80)), 255}
			b := color.NRGBA{uint8(175 + rng.IntN(80)), uint8(175 + rng.IntN(80)), uint8(175 + rng.IntN(80)), 255}
			width, phase := 3+rng.IntN(2), rng.IntN(8)
			for y := range 24 {
				for x := range 24 {
					k := y
					if class == "vertical" {
						k = x
					}
					c := a
					if (k+phase)/width%2 == 1 {
						c = b
					}
					img.Set(x, y, c)
				}
			}
			f, err := os.Create(filepath.Join(dir, class, fmt.Sprintf("%03d.png", i)))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	// A file that is not an image is skipped, as Keras skips it.
	if err := os.WriteFile(filepath.Join(dir, "horizontal", "notes.txt"), []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTrainImages trains the small CNN on a folder of generated PNGs in
// two classes, reports its validation accuracy, saves it, and predicts
// image files with the model's own size and colour mode.
func TestTrainImages(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "stripes")
	writeStripes(t, folder, 24, 1)
	model, jsonPath, page := filepath.Join(dir, "stripes.tailor"), filepath.Join(dir, "run.json"), filepath.Join(dir, "report.html")
	code, out, errOut := runCLI(t, "train", "--images", folder, "--image-size", "16,16", "--epochs", "12", "--batch-size", "8",
		"--validation-split", "0.25", "--seed", "3", "--quiet", "--out", model, "--json", jsonPath, "--report", page)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	for _, want := range []string{
		"48 images in 2 classes (horizontal, vertical), 1 other files skipped",
		"Images resized to 16×16, rgb", "36 for training, 12 for validation (seed 3)",
		"conv2d (Conv2D)             (None, 16, 16, 16)", "dense_1 (Dense)             (None, 2)",
		"Validation accuracy:", "1 vertical",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var rep dataReport
	readJSONTo(t, jsonPath, &rep)
	if rep.Model != "image-cnn" || rep.ValidationExamples != 12 || rep.ValidationAccuracy == nil || rep.TestAccuracy != nil ||
		len(rep.Epochs) != 12 || rep.Epochs[0].ValidationAccuracy == nil || !slices.Equal(rep.ClassNames, []string{"horizontal", "vertical"}) {
		t.Fatalf("report %+v", rep)
	}
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), "rgb, resized (bilinear) to 16×16") || !strings.Contains(string(b), "validation") {
		t.Errorf("train --report: %v; the page lacks the images' preparation or the validation metrics", err)
	}
	if *rep.ValidationAccuracy < 0.9 {
		t.Errorf("validation accuracy %.4f, want at least 0.9 on stripes", *rep.ValidationAccuracy)
	}

	m, meta, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if p := meta.Preprocessing; p == nil || p.ColorMode != saving.ColorRGB || p.Interpolation != "bilinear" || !m.InputShape().Equal(tensor.Shape{16, 16, 3}) {
		t.Fatalf("preprocessing %+v, input shape %v", meta.Preprocessing, m.InputShape())
	}

	// predict prepares a file exactly as the folder's training images were.
	file := filepath.Join(folder, "vertical", "005.png")
	x, err := folderImages([]string{file}, meta.Preprocessing, m.InputShape())
	if err != nil {
		t.Fatal(err)
	}
	all, _, err := imagefolder.Load(folder, imagefolder.Options{Height: 16, Width: 16, NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &tensor.Tensor{}
	if err := all.Gather(want, []int{slices.Index(all.Files, file)}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(x.Data, want.Data) {
		t.Error("predict prepares an image differently from the image folder")
	}
	code, out, errOut = runCLI(t, "predict", model, file, filepath.Join(folder, "horizontal", "007.png"), "--top", "1")
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "005.png:\n  1 vertical") || !strings.Contains(out, "007.png:\n  0 horizontal") {
		t.Errorf("predict:\n%s", out)
	}
	if code, _, errOut := runCLI(t, "predict", model, "--index", "0"); code != 1 || !strings.Contains(errOut, "trained on an image folder: give it image files") {
		t.Errorf("predict --index: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "evaluate", model); code != 1 || !strings.Contains(errOut, "was trained on an image folder") {
		t.Errorf("evaluate: exit %d, %q", code, errOut)
	}
	// --invert, which makes Fashion-MNIST-style inputs, was ignored for
	// an image folder's model
	if code, out, errOut := runCLI(t, "predict", model, file, "--invert", "always"); code != 1 || !strings.Contains(errOut, "--invert: "+model+" was trained on an image folder") || out != "" {
		t.Errorf("predict --invert always: exit %d, %q %q; want an error", code, out, errOut)
	}
	plot := filepath.Join(dir, "plot.png")
	if code, _, errOut := runCLI(t, "predict", model, file, "--plot", plot); code != 0 {
		t.Errorf("predict --plot: exit %d, %q", code, errOut)
	}
}

// TestTrainImagesDefaultSize: a model trained at the default image size,
// 256×256 (its CNN outputs 10 MB a picture, 2.4 GiB for a batch of 256),
// loads and predicts, in batches that fit the inference budget: the
// README's tailor train --images photos/ then tailor predict photos.tailor.
func TestTrainImagesDefaultSize(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "stripes")
	writeStripes(t, folder, 4, 2)
	model := filepath.Join(dir, "stripes.tailor")
	if code, out, errOut := runCLI(t, "train", "--images", folder, "--epochs", "1", "--batch-size", "4", "--seed", "1", "--quiet", "--out", model); code != 0 {
		t.Fatalf("train: exit %d: %s\n%s", code, errOut, out)
	}
	m, _, err := saving.Load(model)
	if err != nil {
		t.Fatalf("loading the model trained at 256×256: %v", err)
	}
	if b := m.DefaultBatchSize(false); !m.InputShape().Equal(tensor.Shape{256, 256, 3}) || b >= 256 || m.ActivationBytes(b) > tailor.MaxInferenceBytes {
		t.Fatalf("input %v, default batch %d of %d bytes an image", m.InputShape(), b, m.ActivationBytes(1))
	}
	t.Logf("default batch %d, %d bytes an image, %d for 256", m.DefaultBatchSize(false), m.ActivationBytes(1), m.ActivationBytes(256))
	files := []string{filepath.Join(folder, "vertical", "001.png"), filepath.Join(folder, "horizontal", "002.png")}
	code, out, errOut := runCLI(t, append([]string{"predict", model, "--top", "2"}, files...)...)
	if code != 0 || !strings.Contains(out, "001.png:\n") || !strings.Contains(out, "002.png:\n") || !strings.Contains(out, "horizontal") || !strings.Contains(out, "vertical") {
		t.Errorf("predict: exit %d, %q\n%s", code, errOut, out)
	}
}

// TestTrainImagesGrayscale: --color-mode grayscale gives a one-channel
// model, and a bad folder or size is a clear error.
func TestTrainImagesGrayscale(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "stripes")
	writeStripes(t, folder, 6, 2)
	model := filepath.Join(dir, "gray.tailor")
	code, out, errOut := runCLI(t, "train", "--images", folder, "--image-size", "8", "--color-mode", "grayscale", "--epochs", "1", "--quiet", "--out", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "(None, 8, 8, 16)") {
		t.Errorf("output:\n%s", out)
	}
	m, meta, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if !m.InputShape().Equal(tensor.Shape{8, 8, 1}) || meta.Preprocessing.ColorMode != saving.ColorGrayscale {
		t.Errorf("input %v, preprocessing %+v", m.InputShape(), meta.Preprocessing)
	}
	for _, tc := range []struct {
		args []string
		code int // 2: bad usage, as the Fashion-MNIST models' flags are
		want string
	}{
		{[]string{"--images", filepath.Join(dir, "nope")}, 1, "nope"},
		{[]string{"--images", folder, "--image-size", "2,2"}, 2, "--image-size \"2,2\": want height,width, each from 4 to 4096"},
		{[]string{"--images", folder, "--color-mode", "cmyk"}, 2, `--color-mode "cmyk"`},
		{[]string{"--images", folder, "--validation-split", "1"}, 2, "--validation-split 1"},
		{[]string{"--images", folder, "--epochs", "0"}, 2, "--epochs 0"},
	} {
		if code, _, errOut := runCLI(t, append([]string{"train", "--quiet"}, tc.args...)...); code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("tailor train %v: exit %d, %q; want exit %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}

func TestCNNBlocks(t *testing.T) {
	for _, tc := range []struct{ h, w, blocks int }{{4, 4, 1}, {8, 8, 1}, {16, 16, 1}, {17, 17, 1}, {18, 18, 2}, {32, 32, 2}, {64, 64, 3}, {180, 180, 5}, {256, 256, 5}, {512, 64, 3}} {
		if got := cnnBlocks(tc.h, tc.w); got != tc.blocks {
			t.Errorf("cnnBlocks(%d, %d) = %d, want %d", tc.h, tc.w, got, tc.blocks)
		}
		// Each block halves the map; none may leave it empty.
		m, err := imageCNN(tc.h, tc.w, 3, 2, 1, 0.001)
		if err != nil {
			t.Errorf("%d×%d: %v", tc.h, tc.w, err)
			continue
		}
		if out := m.OutputShape(); !out.Equal(tensor.Shape{2}) {
			t.Errorf("%d×%d: output %v", tc.h, tc.w, out)
		}
	}
}

// TestTrainImagesInterruptSaysWhatWasKept: SIGINT after the model is
// saved, while the validation images are scored, exits 130 naming the
// model file; it said "nothing was written".
func TestTrainImagesInterruptSaysWhatWasKept(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "stripes")
	writeStripes(t, folder, 6, 2)
	model := filepath.Join(dir, "m.tailor")
	modelKept := false
	for n := int64(0); n < 40; n++ {
		os.Remove(model)
		ctx := &stopAfter{Context: context.Background()}
		ctx.n.Store(n)
		code, _, errOut := runCtx(ctx, "train", "--images", folder, "--image-size", "8", "--epochs", "1", "--batch-size", "4", "--quiet", "--out", model)
		if code == 0 {
			break
		}
		_, err := os.Stat(model)
		if named := strings.Contains(errOut, "--out "+model); code != 130 || named != (err == nil) {
			t.Errorf("stopped after %d checks: exit %d, %q; model written: %v", n, code, errOut, err == nil)
		}
		modelKept = modelKept || err == nil
	}
	if !modelKept {
		t.Error("no interrupt came after the model was saved")
	}
}
