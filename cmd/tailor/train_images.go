package main

// tailor train --images DIR: a small convolutional network on a folder of
// one's own images, one subfolder per class, as Keras's
// image_dataset_from_directory reads it (datasets/imagefolder), with a
// seeded validation split held out and scored after every epoch.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/imagefolder"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/report"
	"github.com/tailor-ml/tailor/saving"
)

// The image recipe, TensorFlow's image classification tutorial's (10
// epochs of batch 32 with Adam, a fifth of the images for validation).
const (
	imageEpochs          = 10
	imageBatchSize       = 32
	imageValidationSplit = 0.2
	imageModelName       = "image-cnn"
	// cacheBytes bounds the decoded images kept in memory between epochs.
	cacheBytes = 2 << 30
)

func runTrainImages(ctx context.Context, e *env, args []string) (err error) {
	var kept written
	defer kept.explain(ctx, &err)
	fs := newFlags(e, "train", "--images DIR [--image-size 256,256] [--color-mode rgb|grayscale] [--validation-split 0.2] [--epochs 10] [--batch-size 32] [--learning-rate 0.001] [--seed 1] [--out model.tailor] [--json FILE] [--plots DIR] [--report FILE] [--quiet]")
	dir := fs.String("images", "", "the folder of images: one subfolder per class (cats/, dogs/, ...), PNG, JPEG, GIF or BMP files in each")
	size := fs.String("image-size", "256,256", "height,width the images are resized to (bilinear), as Keras's image_size")
	colorMode := fs.String("color-mode", string(imagefolder.RGB), "rgb or grayscale, as Keras's color_mode")
	valSplit := fs.Float64("validation-split", imageValidationSplit, "the fraction of the images held out for validation (shuffled with --seed first)")
	epochs := fs.Int("epochs", imageEpochs, "passes over the training images")
	batch := fs.Int("batch-size", imageBatchSize, "images per training step")
	lr := fs.Float64("learning-rate", 0.001, "Adam's learning rate")
	seed := fs.Uint64("seed", 1, "seed of the validation split, the initial weights and the shuffling")
	outPath := fs.String("out", "", "save the trained model to this file (e.g. model.tailor)")
	jsonPath := fs.String("json", "", "write the figures as JSON to this file")
	plotsDir := fs.String("plots", "", "write the learning curves, the validation confusion matrix and per-class accuracy as PNG and SVG into this directory")
	reportPath := fs.String("report", "", "write an HTML report of the run to this file")
	quiet := fs.Bool("quiet", false, "print no progress bar or epoch lines: the model's summary and the results only")
	if err := parseOwnData(fs, args); err != nil {
		return err
	}
	h, w, err := parseSize(*size)
	if err != nil {
		return usageError(fs, fmt.Sprintf("--image-size %q: %v", *size, err))
	}
	mode := imagefolder.ColorMode(*colorMode)
	if mode != imagefolder.RGB && mode != imagefolder.Grayscale {
		return usageError(fs, fmt.Sprintf("--color-mode %q: want rgb or grayscale", *colorMode))
	}
	switch {
	case *dir == "":
		return usageError(fs, "--images DIR is required")
	case *epochs <= 0 || *batch <= 0:
		return usageError(fs, fmt.Sprintf("--epochs %d and --batch-size %d must be positive", *epochs, *batch))
	case !(*lr > 0) || math.IsInf(*lr, 0):
		return usageError(fs, fmt.Sprintf("--learning-rate %v must be positive", *lr))
	case !(*valSplit >= 0 && *valSplit < 1):
		return usageError(fs, fmt.Sprintf("--validation-split %v: want a fraction in [0, 1)", *valSplit))
	}
	if err := checkRunOutputs(*plotsDir, nil, output{"--out", *outPath}, output{"--json", *jsonPath}, output{"--report", *reportPath}); err != nil {
		return err
	}
	opts := imagefolder.Options{Height: h, Width: w, ColorMode: mode, ValidationSplit: *valSplit, Seed: *seed}
	train, val, err := imagefolder.Load(*dir, opts)
	if err != nil {
		return err
	}
	channels := train.ExampleShape()[2]
	if total := int64(train.Len()+valLen(val)) * int64(h*w*channels) * 4; total <= cacheBytes {
		opts.Cache = true // decode each image once, not once an epoch
		if train, val, err = imagefolder.Load(*dir, opts); err != nil {
			return err
		}
	}
	names := train.ClassNames
	out := e.stdout
	fmt.Fprintf(out, "%s: %d images in %d classes (%s), %d other files skipped\n", *dir, train.Len()+valLen(val), len(names), strings.Join(names, ", "), train.Skipped)
	fmt.Fprintf(out, "Images resized to %d×%d, %s, pixels scaled to [0, 1]; %d for training, %d for validation (seed %d)\n", h, w, mode, train.Len(), valLen(val), *seed)

	model, err := imageCNN(h, w, channels, len(names), *seed, *lr)
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	if err := model.Summary(out); err != nil {
		return err
	}
	fit := tailor.FitOptions{Epochs: *epochs, BatchSize: *batch, Seed: *seed, Out: out}
	if val != nil {
		fit.ValidationData = val
	}
	if *quiet {
		fit.Verbose = tailor.Silent
	}
	start := time.Now()
	hist, err := model.Fit(ctx, train, fit)
	if err != nil {
		return err
	}
	seconds := time.Since(start).Seconds()

	meta := saving.ImageFolder(names, string(mode), preprocessing.Bilinear, 1.0/255)
	meta.History = hist
	meta.Training = &saving.Training{Seconds: seconds}
	settings := []report.Setting{
		{Name: "recipe", Value: imageModelName + ": " + describeCNN(h, w, len(names))},
		{Name: "data", Value: *dir},
		{Name: "epochs", Value: fmt.Sprint(*epochs)},
		{Name: "batch size", Value: fmt.Sprint(*batch)},
		{Name: "learning rate", Value: fmt.Sprint(*lr)},
		{Name: "seed", Value: fmt.Sprint(*seed)},
		{Name: "training examples", Value: commas(train.Len())},
		{Name: "validation split", Value: fmt.Sprintf("%g: %s images", *valSplit, commas(valLen(val)))},
	}
	for _, s := range settings {
		meta.Training.Settings = append(meta.Training.Settings, saving.Setting(s))
	}
	if *outPath != "" {
		if err := saving.Save(*outPath, model, meta); err != nil {
			return err
		}
		kept.add("--out", *outPath)
		fmt.Fprintf(out, "Saved the model to %s\n", *outPath)
	}

	rep := dataReport{
		Model: imageModelName, Data: *dir, Seed: *seed, BatchSize: *batch, LearningRate: *lr,
		TrainExamples: train.Len(), Epochs: epochReports(hist), TrainAccuracy: last(hist.History["accuracy"]),
		ClassNames: names, TrainSeconds: seconds,
	}
	var s *scores
	if val != nil {
		if s, err = scoreClassifier(ctx, model, val, val.Labels, len(names)); err != nil {
			return err
		}
		printScores(out, "validation", s, names)
		rep.ValidationExamples, rep.ValidationLoss, rep.ValidationAccuracy = val.Len(), &s.loss, &s.accuracy
		rep.PerClassAccuracy, rep.Confusion = s.perClass, s.confusion
	} else {
		fmt.Fprintf(out, "\nTraining accuracy (last epoch): %.4f\n", rep.TrainAccuracy)
	}
	if *plotsDir != "" {
		if err := trainingFigures(out, *plotsDir, hist); err != nil {
			return err
		}
		if s != nil {
			if err := confusionFigures(out, *plotsDir, s, names); err != nil {
				return err
			}
		}
		kept.add("--plots", *plotsDir)
	}
	if *reportPath != "" {
		run := modelRun{path: *outPath, model: model, meta: meta, history: hist, trainingSeconds: seconds, settings: settings}
		if err := writeTableReport(out, *reportPath, run, "validation", s); err != nil {
			return err
		}
		kept.add("--report", *reportPath)
	}
	if *jsonPath != "" {
		return writeJSON(*jsonPath, rep)
	}
	return nil
}

func valLen(d *imagefolder.Dataset) int {
	if d == nil {
		return 0
	}
	return d.Len()
}

// parseSize reads "H,W" (or "N" for N×N).
func parseSize(s string) (h, w int, err error) {
	parts := strings.Split(s, ",")
	if len(parts) == 1 {
		parts = append(parts, parts[0])
	}
	if len(parts) != 2 {
		return 0, 0, errors.New("want height,width")
	}
	var v [2]int
	for i, p := range parts {
		if v[i], err = strconv.Atoi(strings.TrimSpace(p)); err != nil || v[i] < 4 || v[i] > 4096 {
			return 0, 0, errors.New("want height,width, each from 4 to 4096 pixels")
		}
	}
	return v[0], v[1], nil
}

// cnnBlocks is how many convolution blocks imageCNN gives images of
// h×w: each halves the map, and the blocks stop once the smaller side is
// down to 8 pixels or fewer (1 block for 16×16, 3 for 64×64, 5, the most,
// for 256×256).
func cnnBlocks(h, w int) int {
	side := min(h, w)
	b := 1
	for b < 5 && side>>b > 8 {
		b++
	}
	return b
}

// cnnFilters is the number of filters of block i: 16, 32, 64, then 128.
func cnnFilters(i int) int { return min(16<<i, 128) }

// imageCNN returns a small convolutional network for h×w images of
// channels channels in classes classes, compiled and built — the
// network of TensorFlow's image classification tutorial, with as many
// blocks as the image size calls for:
//
//	[Conv2D(16·2ⁱ ≤ 128, 3×3, same, relu) → MaxPooling2D(2×2)] × cnnBlocks(h, w) →
//	Dropout(0.2) → Flatten → Dense(128, relu) → Dense(classes, softmax)
//
// with sparse categorical cross-entropy and Adam (learning rate lr),
// weights initialised from seed. Pixels arrive scaled to [0, 1].
func imageCNN(h, w, channels, classes int, seed uint64, lr float64) (*tailor.Model, error) {
	var ls []layers.Layer
	for i := range cnnBlocks(h, w) {
		ls = append(ls,
			layers.Conv2D(cnnFilters(i), [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same, Activation: activations.ReLU}),
			layers.MaxPooling2D([2]int{2, 2}))
	}
	ls = append(ls, layers.Dropout(0.2), layers.Flatten(), layers.Dense(128, activations.ReLU), layers.Dense(classes, activations.Softmax))
	m := tailor.Sequential(ls...)
	if err := m.SetSeed(seed); err != nil {
		return nil, err
	}
	opt, err := optimizers.AdamWith(lr, 0.9, 0.999, 1e-7)
	if err != nil {
		return nil, err
	}
	if err := m.Compile(opt, losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		return nil, err
	}
	if err := m.Build(h, w, channels); err != nil {
		return nil, err
	}
	return m, nil
}

// describeCNN names imageCNN's layers in a line.
func describeCNN(h, w, classes int) string {
	var parts []string
	for i := range cnnBlocks(h, w) {
		parts = append(parts, fmt.Sprintf("Conv2D(%d, 3×3, relu) → MaxPooling2D", cnnFilters(i)))
	}
	return strings.Join(parts, " → ") + fmt.Sprintf(" → Dropout(0.2) → Flatten → Dense(128, relu) → Dense(%d, softmax), Adam", classes)
}

var _ datasets.Dataset = (*imagefolder.Dataset)(nil)
