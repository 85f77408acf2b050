package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
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
	Model     string `json:"model"`
	Seed      uint64 `json:"seed"`
	BatchSize int    `json:"batch_size"`
	// TrainExamples counts the examples trained on: the training images
	// (or --train-limit of them) less those held out by
	// --validation-split, which ValidationExamples counts.
	TrainExamples      int           `json:"train_examples"`
	ValidationExamples int           `json:"validation_examples,omitempty"`
	Epochs             []epochReport `json:"epochs"`
	TrainAccuracy      float64       `json:"train_accuracy"`
	// ValLoss and ValAccuracy are the last epoch's validation figures,
	// with --validation-split.
	ValLoss      *float64 `json:"val_loss,omitempty"`
	ValAccuracy  *float64 `json:"val_accuracy,omitempty"`
	TestLoss     float64  `json:"test_loss"`
	TestAccuracy float64  `json:"test_accuracy"`
	// TestAccuracyFlipAverage is the test accuracy with each image's
	// prediction averaged with its mirror's, when that was asked for.
	TestAccuracyFlipAverage *float64  `json:"test_accuracy_flip_average,omitempty"`
	PerClassAccuracy        []float64 `json:"per_class_accuracy"`
	TrainSeconds            float64   `json:"train_seconds"`
}

type epochReport struct {
	Epoch       int      `json:"epoch"`
	Loss        float64  `json:"loss"`
	Accuracy    float64  `json:"accuracy"`
	ValLoss     *float64 `json:"val_loss,omitempty"`
	ValAccuracy *float64 `json:"val_accuracy,omitempty"`
	Seconds     float64  `json:"seconds"`
}

func joinNames() string { return strings.Join(models.Names(), ", ") }

// runSettings are what a run records beside its checkpoint
// (--checkpoint-dir): the train flags a resumed run must share with the
// run it continues, and where the run's results go, which --resume uses
// unless --out, --json, --data or --flip-average are given again. Paths
// are absolute, so that a run resumes from any directory.
type runSettings struct {
	Model       string `json:"model"`
	TrainLimit  int    `json:"train_limit"`
	Out         string `json:"out,omitempty"`
	JSON        string `json:"json,omitempty"`
	Report      string `json:"report,omitempty"`
	Plots       string `json:"plots,omitempty"`
	FlipAverage bool   `json:"flip_average,omitempty"`
	Data        string `json:"data,omitempty"`
}

const settingsFile = "train-settings.json"

// absPath returns path made absolute, or "" for "".
func absPath(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	return filepath.Abs(path)
}

func runTrain(ctx context.Context, e *env, args []string) error {
	if run := trainOn(e, args); run != nil { // --csv, --dataset, --images: train_data.go
		return run(ctx, e, args)
	}
	fs := newFlags(e, "train", "[--model mlp] [--epochs 10] [--batch-size 32] [--seed 1] [--train-limit N] [--json FILE] [--out FILE] [--plots DIR] [--report FILE] [--checkpoint-dir DIR [--overwrite] | --resume DIR] [--data DIR]")
	name := fs.String("model", "mlp", "the model: one of "+joinNames())
	epochs := fs.Int("epochs", 0, "passes over the training data (default: the model's recipe, 10 for mlp)")
	batch := fs.Int("batch-size", 0, "examples per training step (default: the model's recipe, 32 for mlp)")
	seed := fs.Uint64("seed", 1, "seed of the initial weights and the shuffling")
	limit := fs.Int("train-limit", 0, "train on the first N training images only (0: all)")
	valSplit := fs.Float64("validation-split", 0, "hold out this last fraction of the training data for validation")
	jsonPath := fs.String("json", "", "write the figures as JSON to this file")
	outPath := fs.String("out", "", "save the trained model to this file (e.g. model.tailor)")
	reportPath := fs.String("report", "", "write an HTML report of the run (curves, test metrics, confusion matrix, mistakes) to this file")
	plotsDir := fs.String("plots", "", "write the figures (learning curves, confusion matrix, per-class accuracy, predictions, mistakes) as PNG and SVG into this directory")
	ckptDir := fs.String("checkpoint-dir", "", "keep a checkpoint here after every epoch and on SIGINT/SIGTERM, until the results are written")
	overwrite := fs.Bool("overwrite", false, "with --checkpoint-dir: discard an unfinished run found there and start afresh")
	every := fs.Int("checkpoint-every", 0, "also checkpoint every N batches (0: per epoch and on interrupt only)")
	resume := fs.String("resume", "", "resume the unfinished run whose checkpoint is in this directory, writing the results where it was asked to")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files")
	quiet := fs.Bool("quiet", false, "print no progress, only the results")
	flip := fs.Bool("flip-average", false, "also report the test accuracy with each image's prediction averaged with its mirror's (default: the model's recipe; on for best)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := positive(fs, "epochs", "batch-size"); err != nil {
		return err
	}
	switch {
	case *limit < 0 || *every < 0:
		return usageError(fs, fmt.Sprintf("--train-limit %d and --checkpoint-every %d must not be negative", *limit, *every))
	case !(*valSplit >= 0 && *valSplit < 1):
		return usageError(fs, fmt.Sprintf("--validation-split %v: want a fraction in [0, 1)", *valSplit))
	case *resume != "" && *ckptDir != "" && *resume != *ckptDir:
		return usageError(fs, fmt.Sprintf("--resume %s and --checkpoint-dir %s: a resumed run keeps its checkpoint where it was", *resume, *ckptDir))
	case *overwrite && (*ckptDir == "" || *resume != ""):
		return usageError(fs, "--overwrite applies to a new run's --checkpoint-dir DIR")
	}
	settings := runSettings{Model: *name, TrainLimit: *limit, FlipAverage: *flip}
	for _, p := range []struct {
		to   *string
		from string
	}{{&settings.Out, *outPath}, {&settings.JSON, *jsonPath}, {&settings.Report, *reportPath}, {&settings.Plots, *plotsDir}, {&settings.Data, *dir}} {
		var err error
		if *p.to, err = absPath(p.from); err != nil {
			return err
		}
	}
	if *resume != "" {
		*ckptDir = *resume
		for _, f := range []string{"model", "train-limit", "batch-size", "seed", "validation-split"} {
			if flagSet(fs, f) {
				return usageError(fs, fmt.Sprintf("--%s with --resume: a resumed run keeps the settings it started with (only --epochs, --out, --json, --report, --plots, --data, --flip-average, --checkpoint-every and --quiet apply)", f))
			}
		}
		var rec runSettings
		if err := readJSON(filepath.Join(*resume, settingsFile), &rec); err != nil {
			if errors.Is(err, iofs.ErrNotExist) {
				return fmt.Errorf("--resume %s: no unfinished run there (no %s)", *resume, settingsFile)
			}
			return fmt.Errorf("--resume %s: %w", *resume, err)
		}
		if flagSet(fs, "out") {
			rec.Out = settings.Out
		}
		if flagSet(fs, "json") {
			rec.JSON = settings.JSON
		}
		if flagSet(fs, "report") {
			rec.Report = settings.Report
		}
		if flagSet(fs, "plots") {
			rec.Plots = settings.Plots
		}
		if flagSet(fs, "data") {
			rec.Data = settings.Data
		}
		if flagSet(fs, "flip-average") {
			rec.FlipAverage = settings.FlipAverage
		}
		settings = rec
	} else if *ckptDir != "" {
		if what := unfinishedRun(*ckptDir); what != "" && !*overwrite {
			return fmt.Errorf("--checkpoint-dir %s holds an unfinished run (%s): continue it with tailor train --resume %s, or discard it and start afresh with --overwrite", *ckptDir, what, *ckptDir)
		}
	}
	if err := checkOutputs(settings, *ckptDir); err != nil {
		return err
	}
	if *overwrite { // only once the new run's outputs are known to be writable
		for _, f := range []string{saving.CheckpointFile, settingsFile} {
			if err := atomicfile.Remove(filepath.Join(*ckptDir, f)); err != nil {
				return fmt.Errorf("--overwrite: %w", err)
			}
		}
	}
	// What an interrupt keeps, as the run goes on.
	kept := "nothing was written"
	if *resume != "" {
		kept = fmt.Sprintf("the checkpoint in %s is unchanged: continue with tailor train --resume %s", *resume, *resume)
	}

	recipe, err := models.TrainingRecipe(settings.Model)
	if err != nil {
		return err
	}
	if !flagSet(fs, "epochs") {
		*epochs = recipe.Epochs
	}
	if !flagSet(fs, "batch-size") {
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
		// The checkpoint goes only once the results are written.
		backup.Keep = true
	}
	// A checkpoint is read, and checked, before the data.
	if *resume != "" {
		var restored tailor.FitOptions
		if model, restored, err = backup.Restore(); err != nil {
			if errors.Is(err, iofs.ErrNotExist) {
				return fmt.Errorf("--resume %s: the run stopped before its first checkpoint; start it afresh with --checkpoint-dir %s --overwrite", *resume, *resume)
			}
			return fmt.Errorf("--resume %s: %w", *resume, err)
		}
		restored.Out, restored.Verbose = opts.Out, opts.Verbose
		if flagSet(fs, "epochs") { // train longer (or shorter) than first asked
			restored.Epochs, backup.Fit.Epochs = *epochs, *epochs
		}
		opts = restored
	}

	trainSet, testSet, err := loadData(ctx, e, settings.Data)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted("while loading the data; " + kept)
		}
		return err
	}
	x, y := images(trainSet, 1.0/255)
	if settings.TrainLimit > 0 && settings.TrainLimit < x.Len() {
		x, y = x.Slice(0, settings.TrainLimit), y.Slice(0, settings.TrainLimit)
	}
	testX, testY := images(testSet, 1.0/255)

	if *resume != "" {
		fmt.Fprintf(e.stdout, "Resuming %s from %s at epoch %d, step %d\n", settings.Model, *resume, opts.Resume.Epoch+1, opts.Resume.Step)
	} else {
		trainN := int(float64(x.Len()) * (1 - *valSplit)) // as Fit splits off validation data
		if model, err = compiled(settings.Model, *seed, models.Steps(*epochs, trainN, *batch)); err != nil {
			return err
		}
		if backup != nil {
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
			return interrupted("nothing was saved (use --checkpoint-dir DIR to keep a checkpoint)")
		}
		if err := backup.Save(model); err != nil {
			return fmt.Errorf("interrupted, and the checkpoint could not be written: %w", err)
		}
		p := model.Progress()
		return interrupted(fmt.Sprintf("at epoch %d, step %d: the checkpoint is written to %s; continue with tailor train --resume %s", p.Epoch+1, p.Step, *ckptDir, *ckptDir))
	}
	if err != nil {
		return err
	}
	trainSeconds := time.Since(start).Seconds()
	if backup != nil {
		hist = backup.History() // the epochs before a resume too
	}

	// The results. Until all are written the checkpoint stays, and
	// resuming from it writes them again.
	kept = "the trained model was not saved"
	if backup != nil {
		kept = fmt.Sprintf("training is complete and the checkpoint in %s is kept: tailor train --resume %s writes the results", *ckptDir, *ckptDir)
	}
	meta.History = hist
	meta.Training = &saving.Training{Seconds: trainSeconds}
	for _, st := range trainSettings(settings.Model, opts, x.Len(), recipe) {
		meta.Training.Settings = append(meta.Training.Settings, saving.Setting(st))
	}
	failed := func(err error) error {
		if ctx.Err() != nil {
			return interrupted(kept)
		}
		if backup != nil {
			return fmt.Errorf("%w; %s", err, kept)
		}
		return err
	}
	if settings.Out == "" {
		fmt.Fprintln(out, "No --out: the trained model is not saved")
	} else {
		if err := saving.Save(settings.Out, model, meta); err != nil {
			return failed(err)
		}
		fmt.Fprintf(out, "Saved the model to %s\n", settings.Out)
		if backup == nil {
			kept = "the model is saved in " + settings.Out
		} else {
			kept = fmt.Sprintf("the model is saved in %s, and the checkpoint in %s is kept: tailor train --resume %s writes the rest", settings.Out, *ckptDir, *ckptDir)
		}
	}

	testLoss, scores, err := model.Evaluate(ctx, dataset(testX, testY), tailor.EvaluateOptions{Verbose: tailor.OneLinePerEpoch, Out: out})
	if err != nil {
		return failed(err)
	}
	fmt.Fprintf(out, "\nTest accuracy: %.4f\n", scores["accuracy"])
	var flipAccuracy *float64
	if settings.FlipAverage || recipe.FlipAverage {
		_, flipScores, err := model.Evaluate(ctx, dataset(testX, testY), tailor.EvaluateOptions{FlipAverage: true})
		if err != nil {
			return failed(err)
		}
		acc := flipScores["accuracy"]
		flipAccuracy = &acc
		fmt.Fprintf(out, "Test accuracy with flip averaging (each image's prediction averaged with its mirror's): %.4f\n", acc)
	}
	probs, err := model.Predict(ctx, testX, tailor.PredictOptions{})
	if err != nil {
		return failed(err)
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

	if settings.Plots != "" {
		if err := trainingFigures(out, settings.Plots, hist); err != nil {
			return failed(err)
		}
		if err := evaluationFigures(ctx, out, settings.Plots, model, testX, testSet.Labels, fashionmnist.ClassNames(), tailor.PredictOptions{}); err != nil {
			return failed(err)
		}
	}
	if settings.Report != "" {
		run := modelRun{path: settings.Out, model: model, meta: meta, history: hist, trainingSeconds: trainSeconds, settings: trainSettings(settings.Model, opts, x.Len(), recipe)}
		if err := writeReport(ctx, out, settings.Report, run, testX, testY, testSet.Labels, galleryMistakes, tailor.PredictOptions{}); err != nil {
			return failed(err)
		}
	}
	if settings.JSON != "" {
		trained := x.Len()
		if opts.ValidationSplit > 0 {
			trained = int(float64(x.Len()) * (1 - opts.ValidationSplit)) // as Fit splits
		}
		rep := trainReport{
			Model: settings.Model, Seed: opts.Seed, BatchSize: opts.BatchSize, TrainExamples: trained, ValidationExamples: x.Len() - trained,
			TrainAccuracy: last(hist.History["accuracy"]), TestLoss: testLoss, TestAccuracy: scores["accuracy"],
			TestAccuracyFlipAverage: flipAccuracy, PerClassAccuracy: perClass, TrainSeconds: trainSeconds,
		}
		for i, ep := range hist.Epochs {
			rep.Epochs = append(rep.Epochs, epochReport{Epoch: ep + 1, Loss: hist.History["loss"][i], Accuracy: hist.History["accuracy"][i],
				ValLoss: at(hist.History["val_loss"], i), ValAccuracy: at(hist.History["val_accuracy"], i), Seconds: hist.Seconds[i]})
		}
		if n := len(hist.Epochs); n > 0 {
			rep.ValLoss, rep.ValAccuracy = at(hist.History["val_loss"], n-1), at(hist.History["val_accuracy"], n-1)
		}
		if err := writeJSON(settings.JSON, rep); err != nil {
			return failed(err)
		}
		fmt.Fprintf(out, "Wrote the figures to %s\n", settings.JSON)
	}
	if backup != nil {
		if err := backup.Remove(); err != nil {
			return err
		}
		if err := atomicfile.Remove(filepath.Join(*ckptDir, settingsFile)); err != nil {
			return err
		}
		fmt.Fprintf(out, "The run is complete: removed its checkpoint from %s\n", *ckptDir)
	}
	return nil
}

// at returns a pointer to xs[i], or nil when xs is too short (no
// validation figures).
func at(xs []float64, i int) *float64 {
	if i >= len(xs) {
		return nil
	}
	v := xs[i]
	return &v
}

// unfinishedRun describes what of a run dir holds, "" for none.
func unfinishedRun(dir string) string {
	if _, err := os.Lstat(filepath.Join(dir, saving.CheckpointFile)); err == nil {
		return "its checkpoint " + saving.CheckpointFile
	}
	if _, err := os.Lstat(filepath.Join(dir, settingsFile)); err == nil {
		return "its " + settingsFile + ", from before its first checkpoint"
	}
	return ""
}

// checkOutputs checks, before any work, that the run's results can be
// written: --out's and --json's directories exist and accept files, the
// paths are not devices or directories, and the checkpoint directory can
// be created and written.
func checkOutputs(s runSettings, ckptDir string) error {
	if s.Out != "" && s.Out == s.JSON {
		return fmt.Errorf("--out and --json are both %s", s.Out)
	}
	if s.Plots != "" {
		if err := os.MkdirAll(s.Plots, 0o755); err != nil {
			return fmt.Errorf("--plots %s: %w", s.Plots, err)
		}
	}
	for _, o := range []struct{ flag, path string }{{"--out", s.Out}, {"--json", s.JSON}, {"--report", s.Report}, {"--plots", plotCheckPath(s.Plots)}} {
		if o.path == "" {
			continue
		}
		if err := atomicfile.Check(o.path); err != nil {
			return fmt.Errorf("%s: %w", o.flag, err)
		}
	}
	if ckptDir == "" {
		return nil
	}
	if err := os.MkdirAll(ckptDir, 0o755); err != nil {
		return fmt.Errorf("--checkpoint-dir %s: %w", ckptDir, err)
	}
	for _, f := range []string{saving.CheckpointFile, settingsFile} {
		if err := atomicfile.Check(filepath.Join(ckptDir, f)); err != nil {
			return fmt.Errorf("--checkpoint-dir: %w", err)
		}
	}
	return nil
}

// plotCheckPath is a file --plots will write, for checking that the
// directory accepts files; "" for no --plots.
func plotCheckPath(dir string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "loss.png")
}

// readJSON decodes the JSON file at path into v, refusing unknown fields.
func readJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	const limit = 1 << 20 // the files read are a few hundred bytes
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return err
	}
	if len(b) > limit {
		return fmt.Errorf("%s: more than %d bytes", path, limit)
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
