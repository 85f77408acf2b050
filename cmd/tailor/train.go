package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/callbacks"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// trainReport is what --json writes.
type trainReport struct {
	Model         string        `json:"model"`
	Seed          uint64        `json:"seed"`
	BatchSize     int           `json:"batch_size"`
	TrainExamples int           `json:"train_examples"`
	Epochs        []epochReport `json:"epochs"`
	TrainAccuracy float64       `json:"train_accuracy"`
	TestLoss      float64       `json:"test_loss"`
	TestAccuracy  float64       `json:"test_accuracy"`
	// TestAccuracyFlipAverage is the test accuracy with each image's
	// prediction averaged with its mirror's, when that was asked for.
	TestAccuracyFlipAverage *float64  `json:"test_accuracy_flip_average,omitempty"`
	PerClassAccuracy        []float64 `json:"per_class_accuracy"`
	TrainSeconds            float64   `json:"train_seconds"`
}

type epochReport struct {
	Epoch    int     `json:"epoch"`
	Loss     float64 `json:"loss"`
	Accuracy float64 `json:"accuracy"`
	Seconds  float64 `json:"seconds"`
}

func joinNames() string { return strings.Join(models.Names(), ", ") }

// runSettings are the train flags that a resumed run must share with the
// run it continues; --checkpoint-dir keeps them beside the checkpoint.
type runSettings struct {
	Model      string `json:"model"`
	TrainLimit int    `json:"train_limit"`
}

const settingsFile = "train-settings.json"

// errInterrupted reports a run stopped by SIGINT or SIGTERM.
var errInterrupted = errors.New("interrupted")

func runTrain(ctx context.Context, e *env, args []string) error {
	if run := trainOn(e, args); run != nil { // --csv, --dataset, --images: train_data.go
		return run(ctx, e, args)
	}
	fs := newFlags(e, "train", "[--model mlp] [--epochs 10] [--batch-size 32] [--seed 1] [--train-limit N] [--json FILE] [--out FILE] [--checkpoint-dir DIR | --resume DIR] [--plots DIR] [--report FILE] [--data DIR]")
	name := fs.String("model", "mlp", "the model: one of "+joinNames())
	epochs := fs.Int("epochs", 0, "passes over the training data (default: the model's recipe, 10 for mlp)")
	batch := fs.Int("batch-size", 0, "examples per training step (default: the model's recipe, 32 for mlp)")
	seed := fs.Uint64("seed", 1, "seed of the initial weights and the shuffling")
	limit := fs.Int("train-limit", 0, "train on the first N training images only (0: all)")
	valSplit := fs.Float64("validation-split", 0, "hold out this last fraction of the training data for validation")
	jsonPath := fs.String("json", "", "write the figures as JSON to this file")
	outPath := fs.String("out", "", "save the trained model to this file (e.g. model.tailor)")
	ckptDir := fs.String("checkpoint-dir", "", "keep a checkpoint here after every epoch and on SIGINT/SIGTERM")
	every := fs.Int("checkpoint-every", 0, "also checkpoint every N batches (0: per epoch and on interrupt only)")
	resume := fs.String("resume", "", "resume the interrupted run whose checkpoint is in this directory")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files")
	quiet := fs.Bool("quiet", false, "print no progress, only the results")
	reportPath := fs.String("report", "", "write an HTML report of the run (curves, test metrics, confusion matrix, mistakes) to this file")
	plotsDir := fs.String("plots", "", "write the figures (learning curves, confusion matrix, per-class accuracy, predictions, mistakes) as PNG and SVG into this directory")
	flip := fs.Bool("flip-average", false, "also report the test accuracy with each image's prediction averaged with its mirror's (default: the model's recipe; on for best)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *epochs < 0 || *batch < 0 || *limit < 0 || *every < 0 {
		return fmt.Errorf("--epochs %d, --batch-size %d, --train-limit %d and --checkpoint-every %d must not be negative", *epochs, *batch, *limit, *every)
	}
	if *resume != "" && *ckptDir != "" && *resume != *ckptDir {
		return fmt.Errorf("--resume %s and --checkpoint-dir %s: a resumed run keeps its checkpoint where it was", *resume, *ckptDir)
	}
	settings := runSettings{Model: *name, TrainLimit: *limit}
	if *resume != "" {
		*ckptDir = *resume
		if err := readJSON(filepath.Join(*resume, settingsFile), &settings); err != nil {
			return fmt.Errorf("--resume %s: %w", *resume, err)
		}
	}

	trainSet, testSet, err := loadData(ctx, e, *dir)
	if err != nil {
		return err
	}
	x, y := images(trainSet, 1.0/255)
	if settings.TrainLimit > 0 && settings.TrainLimit < x.Len() {
		x, y = x.Slice(0, settings.TrainLimit), y.Slice(0, settings.TrainLimit)
	}
	testX, testY := images(testSet, 1.0/255)

	recipe, err := models.TrainingRecipe(settings.Model)
	if err != nil {
		return err
	}
	if *epochs == 0 {
		*epochs = recipe.Epochs
	}
	if *batch == 0 {
		*batch = recipe.BatchSize
	}
	opts := tailor.FitOptions{Epochs: *epochs, BatchSize: *batch, Seed: *seed, ValidationSplit: *valSplit, Out: e.stdout}
	if *quiet {
		opts.Verbose = tailor.Silent
	}
	meta := saving.FashionMNIST(fashionmnist.ClassNames())
	var model *tailor.Model
	var backup *callbacks.BackupAndRestoreCallback
	if *ckptDir != "" {
		backup = callbacks.BackupAndRestore(*ckptDir, opts, meta)
		backup.SaveEvery = *every
	}
	if *resume != "" {
		var restored tailor.FitOptions
		if model, restored, err = backup.Restore(); err != nil {
			return fmt.Errorf("--resume %s: %w", *resume, err)
		}
		restored.Out, restored.Verbose = opts.Out, opts.Verbose
		if flagSet(fs, "epochs") { // train longer (or shorter) than first asked
			restored.Epochs, backup.Fit.Epochs = *epochs, *epochs
		}
		opts = restored
		fmt.Fprintf(e.stdout, "Resuming %s from %s at epoch %d, step %d\n", settings.Model, *resume, opts.Resume.Epoch+1, opts.Resume.Step)
	} else {
		trainN := int(float64(x.Len()) * (1 - *valSplit)) // as Fit splits off validation data
		if model, err = compiled(settings.Model, *seed, models.Steps(*epochs, trainN, *batch)); err != nil {
			return err
		}
		if backup != nil {
			if err := os.MkdirAll(*ckptDir, 0o755); err != nil {
				return err
			}
			if err := writeJSON(filepath.Join(*ckptDir, settingsFile), settings); err != nil {
				return err
			}
		}
	}
	if backup != nil {
		opts.Callbacks = append(opts.Callbacks, backup)
	}

	out := e.stdout
	if err := model.Summary(out); err != nil {
		return err
	}
	start := time.Now()
	hist, err := model.Fit(ctx, dataset(x, y), opts)
	if errors.Is(err, context.Canceled) {
		if backup == nil {
			fmt.Fprintln(e.stderr, "\nInterrupted; nothing saved (use --checkpoint-dir DIR to keep a checkpoint).")
			return errInterrupted
		}
		if err := backup.Save(model); err != nil {
			return fmt.Errorf("interrupted, and the checkpoint could not be written: %w", err)
		}
		p := model.Progress()
		fmt.Fprintf(e.stderr, "\nInterrupted at epoch %d, step %d. Checkpoint written to %s; continue with: tailor train --resume %s\n", p.Epoch+1, p.Step, *ckptDir, *ckptDir)
		return errInterrupted
	}
	if err != nil {
		return err
	}
	trainSeconds := time.Since(start).Seconds()
	if backup != nil {
		hist = backup.History() // the epochs before a resume too
	}
	meta.History = hist
	meta.Training = &saving.Training{Seconds: trainSeconds}
	for _, st := range trainSettings(settings.Model, opts, x.Len(), recipe) {
		meta.Training.Settings = append(meta.Training.Settings, saving.Setting(st))
	}
	if *outPath != "" {
		if err := saving.Save(*outPath, model, meta); err != nil {
			return err
		}
		fmt.Fprintf(out, "Saved the model to %s\n", *outPath)
	}

	testLoss, scores, err := model.Evaluate(ctx, dataset(testX, testY), tailor.EvaluateOptions{Verbose: tailor.OneLinePerEpoch, Out: out})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nTest accuracy: %.4f\n", scores["accuracy"])
	var flipAccuracy *float64
	if *flip || recipe.FlipAverage {
		_, flipScores, err := model.Evaluate(ctx, dataset(testX, testY), tailor.EvaluateOptions{FlipAverage: true})
		if err != nil {
			return err
		}
		acc := flipScores["accuracy"]
		flipAccuracy = &acc
		fmt.Fprintf(out, "Test accuracy with flip averaging (each image's prediction averaged with its mirror's): %.4f\n", acc)
	}
	probs, err := model.Predict(ctx, testX, tailor.PredictOptions{})
	if err != nil {
		return err
	}
	classes := probs.Argmax()
	score, err := metrics.AccuracyScore(testSet.Labels, classes)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "accuracy_score(test_labels, predicted classes): %.4f\n", score)
	perClass := perClassAccuracy(testSet.Labels, classes)
	printPerClass(out, perClass)
	for _, i := range []int{0, 1} {
		printPrediction(out, probs, testSet.Labels, i)
	}

	if *plotsDir != "" {
		if err := trainingFigures(out, *plotsDir, hist); err != nil {
			return err
		}
		if err := evaluationFigures(ctx, out, *plotsDir, model, testX, testSet.Labels, fashionmnist.ClassNames(), tailor.PredictOptions{}); err != nil {
			return err
		}
	}

	if *reportPath != "" {
		run := modelRun{path: *outPath, model: model, meta: meta, history: hist, trainingSeconds: trainSeconds, settings: trainSettings(settings.Model, opts, x.Len(), recipe)}
		if err := writeReport(ctx, out, *reportPath, run, testX, testY, testSet.Labels, galleryMistakes, tailor.PredictOptions{}); err != nil {
			return err
		}
	}

	if *jsonPath != "" {
		rep := trainReport{
			Model: settings.Model, Seed: opts.Seed, BatchSize: opts.BatchSize, TrainExamples: x.Len(),
			TrainAccuracy: last(hist.History["accuracy"]), TestLoss: testLoss, TestAccuracy: scores["accuracy"],
			TestAccuracyFlipAverage: flipAccuracy, PerClassAccuracy: perClass, TrainSeconds: trainSeconds,
		}
		for i, ep := range hist.Epochs {
			rep.Epochs = append(rep.Epochs, epochReport{Epoch: ep + 1, Loss: hist.History["loss"][i], Accuracy: hist.History["accuracy"][i], Seconds: hist.Seconds[i]})
		}
		if err := writeJSON(*jsonPath, rep); err != nil {
			return err
		}
	}
	return nil
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// readJSON decodes the JSON file at path into v, refusing unknown fields.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func last(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	return xs[len(xs)-1]
}

// perClassAccuracy returns, for each class, the fraction of its examples
// predicted correctly.
func perClassAccuracy(labels []uint8, predicted []int) []float64 {
	n := len(fashionmnist.ClassNames())
	right, total := make([]int, n), make([]int, n)
	for i, l := range labels {
		total[l]++
		if predicted[i] == int(l) {
			right[l]++
		}
	}
	acc := make([]float64, n)
	for c := range acc {
		if total[c] > 0 {
			acc[c] = float64(right[c]) / float64(total[c])
		}
	}
	return acc
}

func printPerClass(w io.Writer, acc []float64) {
	fmt.Fprintln(w, "Per-class test accuracy:")
	for c, a := range acc {
		fmt.Fprintf(w, "  %d %-12s %.4f\n", c, fashionmnist.ClassNames()[c], a)
	}
}

// printPrediction prints the tutorial's look at one prediction: the
// probabilities, their argmax and the true label.
func printPrediction(w io.Writer, probs *tensor.Tensor, labels []uint8, i int) {
	p := probs.Row(i)
	names := fashionmnist.ClassNames()
	best := tensor.Argmax(p)
	fmt.Fprintf(w, "\npredictions[%d]: %s\n", i, formatFloats(p))
	fmt.Fprintf(w, "np.argmax(predictions[%d]): %d (%s)\n", i, best, names[best])
	fmt.Fprintf(w, "test_labels[%d]: %d (%s)\n", i, labels[i], names[labels[i]])
}

// formatFloats prints probabilities as numpy does in scientific mode.
func formatFloats(xs []float32) string {
	parts := make([]string, len(xs))
	for i, v := range xs {
		parts[i] = fmt.Sprintf("%.8e", v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// writeJSON writes v as indented JSON to path, atomically.
func writeJSON(path string, v any) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}
