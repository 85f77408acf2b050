package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/plots"
	"github.com/tailor-ml/tailor/tensor"
)

// runTutorial is TensorFlow's "Basic classification: Classify images of
// clothing" from top to bottom, written against Tailor's public API only.
func runTutorial(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "tutorial", "[--epochs 10] [--seed 1] [--out DIR] [--data DIR]")
	epochs := fs.Int("epochs", 10, "passes over the training data")
	seed := fs.Uint64("seed", 1, "seed of the initial weights and the shuffling")
	outDir := fs.String("out", ".", "directory for the tutorial's figures")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := positive(fs, "epochs"); err != nil {
		return err
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", *outDir, err)
	}
	if err := checkOutput("--out", filepath.Join(*outDir, "train_image_0.png")); err != nil {
		return err
	}
	err := tutorial(ctx, e, *epochs, *seed, *outDir, *dir)
	if err != nil && ctx.Err() != nil {
		return interrupted("the figures written so far are in " + *outDir)
	}
	return err
}

// tutorial runs the tutorial's steps, writing its figures into outDir.
func tutorial(ctx context.Context, e *env, epochs int, seed uint64, outDir, dataDir string) error {
	w := e.stdout
	step := func(title string) { fmt.Fprintf(w, "\n## %s\n\n", title) }

	step("Import the Fashion MNIST dataset")
	train, test, err := fashionmnist.LoadData(ctx, fashionmnist.Options{
		Dir:  dataDir,
		Logf: func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) },
	})
	if err != nil {
		return err
	}
	classNames := fashionmnist.ClassNames()
	fmt.Fprintf(w, "class_names = %q\n", classNames)

	step("Explore the data")
	fmt.Fprintf(w, "train_images.shape: %v\n", tensor.Shape{train.N, train.Rows, train.Cols})
	fmt.Fprintf(w, "len(train_labels): %d\n", len(train.Labels))
	fmt.Fprintf(w, "train_labels: %s\n", abbreviate(train.Labels))
	fmt.Fprintf(w, "test_images.shape: %v\n", tensor.Shape{test.N, test.Rows, test.Cols})
	fmt.Fprintf(w, "len(test_labels): %d\n", len(test.Labels))

	step("Preprocess the data")
	raw, err := tensor.FromUint8(train.Images, 1, train.N, train.Rows, train.Cols)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "train_images: min %g, max %g, mean %s\n", raw.Min(), raw.Max(), strconv.FormatFloat(raw.Mean(), 'g', -1, 64))
	if err := figure(w, filepath.Join(outDir, "train_image_0.png"), raw, 0, classNames[train.Labels[0]]); err != nil {
		return err
	}
	trainImages, err := tensor.FromUint8(train.Images, 1.0/255, train.N, train.Rows, train.Cols)
	if err != nil {
		return err
	}
	testImages, err := tensor.FromUint8(test.Images, 1.0/255, test.N, test.Rows, test.Cols)
	if err != nil {
		return err
	}
	trainLabels, _ := tensor.FromUint8(train.Labels, 1, train.N)
	testLabels, _ := tensor.FromUint8(test.Labels, 1, test.N)
	fmt.Fprintf(w, "train_images / 255.0: min %g, max %g\n", trainImages.Min(), trainImages.Max())
	if err := figure(w, filepath.Join(outDir, "train_image_0_scaled.png"), trainImages, 0, classNames[train.Labels[0]]); err != nil {
		return err
	}
	if err := grid(w, filepath.Join(outDir, "train_images_25.png"), trainImages, train.Labels, classNames); err != nil {
		return err
	}

	step("Build the model")
	model := tailor.Sequential(
		layers.Flatten(28, 28),
		layers.Dense(128, activations.ReLU),
		layers.Dense(10, activations.Softmax),
	)
	if err := model.SetSeed(seed); err != nil {
		return err
	}
	if err := model.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		return err
	}
	if err := model.Summary(w); err != nil {
		return err
	}

	step("Train the model")
	if _, err := model.Fit(ctx, trainImages, trainLabels, tailor.FitOptions{Epochs: epochs, Seed: seed, Out: w}); err != nil {
		return err
	}

	step("Evaluate accuracy")
	_, scores, err := model.Evaluate(ctx, testImages, testLabels, tailor.EvaluateOptions{Verbose: tailor.OneLinePerEpoch, Out: w})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nTest accuracy: %.4f\n", scores["accuracy"])

	step("Make predictions")
	predictions, err := model.Predict(ctx, testImages, tailor.PredictOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "predictions[0]: %s\n", formatFloats(predictions.Row(0)))
	fmt.Fprintf(w, "np.argmax(predictions[0]): %d\n", tensor.Argmax(predictions.Row(0)))
	fmt.Fprintf(w, "test_labels[0]: %d\n", test.Labels[0])
	classes := predictions.Argmax()
	score, err := metrics.AccuracyScore(test.Labels, classes)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "accuracy_score(test_labels, np.argmax(predictions, axis=1)): %.4f\n", score)

	step("Use the trained model")
	img := testImages.Slice(1, 2) // (1, 28, 28): a batch of one, like np.expand_dims
	fmt.Fprintf(w, "img.shape: %v\n", img.Shape)
	single, err := model.Predict(ctx, img, tailor.PredictOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "predictions_single: %s\n", formatFloats(single.Row(0)))
	best := tensor.Argmax(single.Row(0))
	fmt.Fprintf(w, "np.argmax(predictions_single[0]): %d (%s; the label is %d, %s)\n", best, classNames[best], test.Labels[1], classNames[test.Labels[1]])
	return nil
}

// figure writes image i of x with a colour bar: plt.imshow + plt.colorbar.
func figure(w io.Writer, path string, x *tensor.Tensor, i int, title string) error {
	img := plots.Image{Pixels: x.Row(i), H: x.Shape[1], W: x.Shape[2]}
	if err := plots.SavePNG(path, func(out io.Writer) error {
		return plots.Imshow(out, img, plots.ImshowOptions{Title: title})
	}); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", path)
	return nil
}

// grid writes the first 25 images with their class names, as the tutorial
// does to check the data's format.
func grid(w io.Writer, path string, x *tensor.Tensor, labels []uint8, classNames []string) error {
	imgs := make([]plots.Image, 25)
	names := make([]string, 25)
	for i := range imgs {
		imgs[i] = plots.Image{Pixels: x.Row(i), H: x.Shape[1], W: x.Shape[2]}
		names[i] = classNames[labels[i]]
	}
	if err := plots.SavePNG(path, func(out io.Writer) error { return plots.Grid(out, imgs, names, 5) }); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", path)
	return nil
}
