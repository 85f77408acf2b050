package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/callbacks"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/cifar10"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/internal/pyrepr"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/report"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// trainReport is what --json writes.
type trainReport struct {
	Model     string `json:"model"`
	Seed      uint64 `json:"seed"`
	BatchSize int    `json:"batch_size"`
	// Precision is the convolutions' policy (float32 or mixed_bfloat16),
	// and why it was chosen when the model asked for auto.
	Precision string `json:"precision"`
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
	TestAccuracyFlipAverage *float64   `json:"test_accuracy_flip_average,omitempty"`
	PerClassAccuracy        accuracies `json:"per_class_accuracy"`
	TrainSeconds            float64    `json:"train_seconds"`
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
// unless --out, --json, --report, --plots, --data, --flip-average or
// --checkpoint-every are given again. Paths are absolute, so that a run
// resumes from any directory.
type runSettings struct {
	Model      string `json:"model"`
	TrainLimit int    `json:"train_limit"`
	// TrainExamples counts the images the run trains on (before
	// --validation-split), which a resumed run must find again: a
	// checkpoint taken between epochs would go on over any number of
	// them. 0 in settings from before it was recorded.
	TrainExamples int    `json:"train_examples,omitempty"`
	Out           string `json:"out,omitempty"`
	JSON          string `json:"json,omitempty"`
	Report        string `json:"report,omitempty"`
	Plots         string `json:"plots,omitempty"`
	FlipAverage   bool   `json:"flip_average,omitempty"`
	Data          string `json:"data,omitempty"`
	// CheckpointEvery is --checkpoint-every, which a resumed run keeps
	// unless it is given again.
	CheckpointEvery int `json:"checkpoint_every,omitempty"`
	// DType is "auto" when the convolutions asked for it (--dtype auto),
	// so that a resumed run says, as the uninterrupted one does, why it
	// resolved as it did: the checkpoint's layers hold only the outcome.
	DType layers.DType `json:"dtype,omitempty"`
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
	f, err := parseTrainFlags(e, args)
	if err != nil {
		return err
	}
	r, err := newTrainRun(e, f)
	if err != nil {
		return err
	}
	defer r.close()
	if err := r.load(ctx); err != nil {
		return err
	}
	hist, seconds, err := r.fit(ctx)
	if err != nil {
		return err
	}
	return r.results(ctx, hist, seconds)
}

// trainFlags are tailor train's flags for the Fashion-MNIST models.
type trainFlags struct {
	fs                                         *flag.FlagSet
	name, jsonPath, outPath, reportPath, plots string
	ckptDir, resume, dir, dtype                string
	epochs, batch, limit, every                int
	seed                                       uint64
	valSplit                                   float64
	overwrite, quiet, flip                     bool
}

// parseTrainFlags reads and checks the flags.
func parseTrainFlags(e *env, args []string) (*trainFlags, error) {
	fs := newFlags(e, "train", "[--model mlp] [--epochs 10] [--batch-size 32] [--seed 1] [--train-limit N] [--json FILE] [--out FILE] [--plots DIR] [--report FILE] [--checkpoint-dir DIR [--overwrite] | --resume DIR] [--data DIR]")
	f := &trainFlags{fs: fs}
	fs.StringVar(&f.name, "model", "mlp", "the model: one of "+joinNames())
	fs.IntVar(&f.epochs, "epochs", 0, "passes over the training data (default: the model's recipe, 10 for mlp)")
	fs.IntVar(&f.batch, "batch-size", 0, "examples per training step (default: the model's recipe, 32 for mlp)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the initial weights and the shuffling")
	fs.IntVar(&f.limit, "train-limit", 0, "train on the first N training images only (0: all)")
	fs.Float64Var(&f.valSplit, "validation-split", 0, "hold out this last fraction of the training data for validation")
	fs.StringVar(&f.jsonPath, "json", "", "write the figures as JSON to this file")
	fs.StringVar(&f.outPath, "out", "", "save the trained model to this file (e.g. model.tailor)")
	fs.StringVar(&f.reportPath, "report", "", "write an HTML report of the run (curves, test metrics, confusion matrix, mistakes) to this file")
	fs.StringVar(&f.plots, "plots", "", "write the figures (learning curves, confusion matrix, per-class accuracy, predictions, mistakes) as PNG and SVG into this directory")
	fs.StringVar(&f.ckptDir, "checkpoint-dir", "", "keep a checkpoint here after every epoch and on SIGINT/SIGTERM, until the results are written")
	fs.BoolVar(&f.overwrite, "overwrite", false, "with --checkpoint-dir: discard an unfinished run found there and start afresh")
	fs.IntVar(&f.every, "checkpoint-every", 0, "also checkpoint every N batches (0: per epoch and on interrupt only)")
	fs.StringVar(&f.resume, "resume", "", "resume the unfinished run whose checkpoint is in this directory, writing the results where it was asked to")
	fs.StringVar(&f.dir, "data", "", "directory holding the Fashion-MNIST IDX files")
	fs.BoolVar(&f.quiet, "quiet", false, "print no progress bar or epoch lines: the model's summary and the results only")
	fs.StringVar(&f.dtype, "dtype", "", "the convolutions' precision: float32, mixed_bfloat16, or auto (mixed_bfloat16 where this CPU makes it faster); default: the model's (mixed_bfloat16 for best)")
	fs.BoolVar(&f.flip, "flip-average", false, "also report the test accuracy with each image's prediction averaged with its mirror's (default: the model's recipe; on for best)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := positive(fs, "epochs", "batch-size"); err != nil {
		return nil, err
	}
	switch {
	case f.limit < 0 || f.every < 0:
		return nil, usageError(fs, fmt.Sprintf("--train-limit %d and --checkpoint-every %d must not be negative", f.limit, f.every))
	case !(f.valSplit >= 0 && f.valSplit < 1):
		return nil, usageError(fs, fmt.Sprintf("--validation-split %v: want a fraction in [0, 1)", f.valSplit))
	case f.resume != "" && f.ckptDir != "" && filepath.Clean(f.resume) != filepath.Clean(f.ckptDir):
		return nil, usageError(fs, fmt.Sprintf("--resume %s and --checkpoint-dir %s: a resumed run keeps its checkpoint where it was", f.resume, f.ckptDir))
	case f.overwrite && (f.ckptDir == "" || f.resume != ""):
		return nil, usageError(fs, "--overwrite applies to a new run's --checkpoint-dir DIR")
	case f.every > 0 && f.ckptDir == "" && f.resume == "":
		return nil, usageError(fs, "--checkpoint-every applies with --checkpoint-dir DIR or --resume DIR")
	}
	if _, err := models.TrainingRecipe(f.name); err != nil && f.resume == "" {
		return nil, usageError(fs, fmt.Sprintf("--model %q: want one of %s", f.name, joinNames()))
	}
	switch layers.DType(f.dtype) {
	case "", layers.Float32, layers.MixedBFloat16, layers.Auto:
	default:
		return nil, usageError(fs, fmt.Sprintf("--dtype %q: want float32, mixed_bfloat16 or auto", f.dtype))
	}
	if f.resume != "" {
		f.ckptDir = f.resume
		for _, name := range []string{"model", "train-limit", "batch-size", "seed", "validation-split", "dtype"} {
			if flagSet(fs, name) {
				return nil, usageError(fs, fmt.Sprintf("--%s with --resume: a resumed run keeps the settings it started with (only --epochs, --out, --json, --report, --plots, --data, --flip-average, --checkpoint-every and --quiet apply)", name))
			}
		}
	}
	return f, nil
}

// trainRun is one run of tailor train on Fashion-MNIST: its settings, the
// checkpoint it keeps, the model and data, and what an interrupt keeps as
// the run goes on.
type trainRun struct {
	e        *env
	f        *trainFlags
	settings runSettings
	recipe   models.Recipe
	opts     tailor.FitOptions
	meta     saving.Meta
	model    *tailor.Model
	backup   *callbacks.BackupAndRestoreCallback
	kept     string // what an interrupt keeps, for its message
	unlock   func() // releases the checkpoint directory (lockCheckpointDir)

	askedDType layers.DType // layers.Auto when the convolutions asked for it

	train        datasets.Dataset // the training images, scaled as they are gathered
	testX, testY *tensor.Tensor
	testLabels   []uint8
}

// newTrainRun settles the run's settings — those recorded beside a
// checkpoint when resuming, less what the flags give again — checks that
// its outputs can be written, and prepares the Fit options and the
// checkpoint; when resuming it reads the checkpoint, before any data. A
// checkpoint directory that exists is locked first, until close.
func newTrainRun(e *env, f *trainFlags) (_ *trainRun, err error) {
	r := &trainRun{e: e, f: f, kept: "nothing was written"}
	defer func() {
		if err != nil {
			r.close()
		}
	}()
	if st, err := os.Stat(f.ckptDir); f.ckptDir != "" && err == nil && st.IsDir() { // else locked once made (load)
		if err := r.lockCheckpointDir(); err != nil {
			return nil, err
		}
	}
	if err := r.settle(); err != nil {
		return nil, err
	}
	if r.recipe, err = models.TrainingRecipe(r.settings.Model); err != nil {
		return nil, err
	}
	if err := checkOutputs(r.settings, f.ckptDir, r.dataFiles()); err != nil {
		return nil, err
	}
	if f.overwrite { // only once the new run's outputs are known to be writable
		for _, name := range []string{saving.CheckpointFile, settingsFile} {
			if err := atomicfile.Remove(filepath.Join(f.ckptDir, name)); err != nil {
				return nil, fmt.Errorf("--overwrite: %w", err)
			}
		}
	}
	if f.resume != "" {
		r.kept = fmt.Sprintf("the checkpoint in %s is unchanged: continue with tailor train --resume %s", f.resume, f.resume)
	}
	if !flagSet(f.fs, "epochs") {
		f.epochs = r.recipe.Epochs
	}
	if !flagSet(f.fs, "batch-size") {
		f.batch = r.recipe.BatchSize
	}
	if f.resume == "" && !flagSet(f.fs, "flip-average") {
		r.settings.FlipAverage = r.recipe.FlipAverage
	}
	r.opts = tailor.FitOptions{Epochs: f.epochs, BatchSize: f.batch, Seed: f.seed, ValidationSplit: f.valSplit, Out: e.stdout}
	if f.quiet {
		r.opts.Verbose = tailor.Silent
	}
	r.meta = saving.FashionMNIST(fashionmnist.ClassNames())
	if r.recipe.Dataset == models.CIFAR10 {
		r.meta = saving.Meta{ClassNames: cifar10.ClassNames(), Preprocessing: &saving.Preprocessing{Rescale: 1.0 / 255}}
	}
	if f.ckptDir == "" {
		return r, nil
	}
	r.backup = callbacks.BackupAndRestore(f.ckptDir, r.opts, r.meta)
	r.backup.SaveEvery = r.settings.CheckpointEvery
	r.backup.Keep = true // the checkpoint goes only once the results are written
	if f.resume == "" {
		return r, nil
	}
	model, restored, err := r.backup.Restore()
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return nil, fmt.Errorf("--resume %s: the run stopped before its first checkpoint; start it afresh with --checkpoint-dir %s --overwrite", f.resume, f.resume)
		}
		return nil, fmt.Errorf("--resume %s: %w", f.resume, err)
	}
	if err := sameModel(model, r.settings.Model); err != nil {
		return nil, fmt.Errorf("--resume %s: %s holds a model of layers %v, not the %s %s names: the checkpoint is another run's (%v); start afresh with --checkpoint-dir %s --overwrite",
			f.resume, filepath.Join(f.resume, saving.CheckpointFile), layerTypes(model), r.settings.Model, filepath.Join(f.resume, settingsFile), err, f.resume)
	}
	restored.Out, restored.Verbose = r.opts.Out, r.opts.Verbose
	if flagSet(f.fs, "epochs") && f.epochs != restored.Epochs { // train longer (or shorter) than first asked
		if err := resumedEpochs(model, restored, f.epochs); err != nil {
			return nil, usageError(f.fs, fmt.Sprintf("--epochs %d with --resume %s: %v", f.epochs, f.resume, err))
		}
		restored.Epochs, r.backup.Fit.Epochs = f.epochs, f.epochs
	}
	r.model, r.opts = model, restored
	return r, nil
}

// lockCheckpointDir takes the checkpoint directory for this run alone:
// two runs writing one checkpoint would each replace the other's, and
// each say it was kept.
func (r *trainRun) lockCheckpointDir() error {
	flag := "--checkpoint-dir"
	if r.f.resume != "" {
		flag = "--resume"
	}
	unlock, err := atomicfile.LockDir(r.f.ckptDir)
	if errors.Is(err, atomicfile.ErrLocked) {
		return fmt.Errorf("%s %s is in use by another process (a tailor train running there): wait for it to end, or use another directory", flag, r.f.ckptDir)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", flag, r.f.ckptDir, err)
	}
	r.unlock = unlock
	return nil
}

// close releases the checkpoint directory.
func (r *trainRun) close() {
	if r.unlock != nil {
		r.unlock()
		r.unlock = nil
	}
}

// sameModel checks that model, restored from a checkpoint, is the model
// called name: the same layers, of the same output shapes and weights.
func sameModel(model *tailor.Model, name string) error {
	want, err := models.New(name)
	if err != nil {
		return err
	}
	if err := want.Build(model.InputShape()...); err != nil {
		return err
	}
	got, wanted := model.Layers(), want.Layers()
	if len(got) != len(wanted) {
		return fmt.Errorf("%d layers, want %d", len(got), len(wanted))
	}
	for i, l := range got {
		if l.Type() != wanted[i].Type() || !model.LayerOutputShape(i).Equal(want.LayerOutputShape(i)) {
			return fmt.Errorf("layer %d is a %s of output %v, want a %s of output %v", i, l.Type(), model.LayerOutputShape(i), wanted[i].Type(), want.LayerOutputShape(i))
		}
	}
	if g, w := len(model.Weights().Values()), len(want.Weights().Values()); g != w {
		return fmt.Errorf("%d weights, want %d", g, w)
	}
	return nil
}

// layerTypes lists a model's layers by type, for messages.
func layerTypes(model *tailor.Model) string {
	types := make([]string, len(model.Layers()))
	for i, l := range model.Layers() {
		types[i] = l.Type()
	}
	return strings.Join(types, ", ")
}

// resumedEpochs checks that a resumed run can train for epochs instead of
// the opts.Epochs it started with: no fewer than it has finished or
// begun (as many as it has finished ends it there), and only
// with a constant learning rate, since a schedule was built over the
// steps of the epochs first asked for (cosine decay would reach 0 there
// and train the extra epochs at a rate of 0).
func resumedEpochs(model *tailor.Model, opts tailor.FitOptions, epochs int) error {
	if p := opts.Resume; p != nil {
		done := p.Epoch // the epochs finished, and the one under way
		if p.Step > 0 {
			done++
		}
		if epochs < done {
			return fmt.Errorf("the checkpoint is at epoch %d, step %d: want --epochs %d or more", p.Epoch+1, p.Step, max(done, 1))
		}
	}
	if s, ok := model.Optimizer().(interface {
		Schedule() optimizers.LearningRateSchedule
	}); ok && s.Schedule() != nil {
		return fmt.Errorf("its learning rate follows a schedule over the %d epochs it started with, which a resumed run keeps: leave out --epochs, or start a new run", opts.Epochs)
	}
	return nil
}

// settle sets the run's settings from the flags, or, when resuming, from
// those the run recorded, overridden by the output flags given again; a
// new run's checkpoint directory must not hold an unfinished run unless
// --overwrite says to discard it.
func (r *trainRun) settle() error {
	f := r.f
	s := runSettings{Model: f.name, TrainLimit: f.limit, FlipAverage: f.flip, CheckpointEvery: f.every}
	for _, p := range []struct {
		to   *string
		flag string
	}{{&s.Out, f.outPath}, {&s.JSON, f.jsonPath}, {&s.Report, f.reportPath}, {&s.Plots, f.plots}, {&s.Data, f.dir}} {
		var err error
		if *p.to, err = absPath(p.flag); err != nil {
			return err
		}
	}
	if f.resume == "" {
		if f.ckptDir != "" {
			if what := unfinishedRun(f.ckptDir); what != "" && !f.overwrite {
				return fmt.Errorf("--checkpoint-dir %s holds an unfinished run (%s): continue it with tailor train --resume %s, or discard it and start afresh with --overwrite", f.ckptDir, what, f.ckptDir)
			}
		}
		r.settings = s
		return nil
	}
	var rec runSettings
	if err := readJSON(filepath.Join(f.resume, settingsFile), &rec); err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return fmt.Errorf("--resume %s: no unfinished run there (no %s)", f.resume, settingsFile)
		}
		return fmt.Errorf("--resume %s: %w", f.resume, err)
	}
	for _, o := range []struct {
		flag          string
		given, stored *string
	}{{"out", &s.Out, &rec.Out}, {"json", &s.JSON, &rec.JSON}, {"report", &s.Report, &rec.Report}, {"plots", &s.Plots, &rec.Plots}, {"data", &s.Data, &rec.Data}} {
		if flagSet(f.fs, o.flag) {
			*o.stored = *o.given
		}
	}
	if flagSet(f.fs, "flip-average") {
		rec.FlipAverage = s.FlipAverage
	}
	if flagSet(f.fs, "checkpoint-every") {
		rec.CheckpointEvery = s.CheckpointEvery
	}
	if rec.CheckpointEvery < 0 {
		return fmt.Errorf("--resume %s: %s: checkpoint_every %d, want 0 (per epoch) or more", f.resume, filepath.Join(f.resume, settingsFile), rec.CheckpointEvery)
	}
	if rec.TrainLimit < 0 {
		return fmt.Errorf("--resume %s: %s: train_limit %d, want 0 (all) or more", f.resume, filepath.Join(f.resume, settingsFile), rec.TrainLimit)
	}
	if rec.DType != "" && rec.DType != layers.Auto {
		return fmt.Errorf("--resume %s: %s: dtype %q, want \"auto\" or none", f.resume, filepath.Join(f.resume, settingsFile), rec.DType)
	}
	r.settings, r.askedDType = rec, rec.DType
	return nil
}

// load reads the data and, for a new run, builds and compiles the model
// and records the run's settings beside its checkpoint.
func (r *trainRun) load(ctx context.Context) error {
	var err error
	if r.recipe.Dataset == models.CIFAR10 {
		err = r.loadCIFAR10(ctx)
	} else {
		err = r.loadFashionMNIST(ctx)
	}
	if err != nil {
		if ctx.Err() != nil {
			return interrupted("while loading the data; " + r.kept)
		}
		return err
	}
	switch l, n := r.settings.TrainLimit, r.train.Len(); {
	case l > n:
		return fmt.Errorf("--train-limit %d: the training set has only %d images", l, n)
	case l > 0:
		if r.train, err = datasets.Slice(r.train, 0, l); err != nil {
			return err
		}
	}
	f := r.f
	if n := r.settings.TrainExamples; f.resume != "" && n != 0 && n != r.train.Len() {
		return fmt.Errorf("--resume %s: %s: the run trains on %d images (train_examples), but train_limit %d of the training set gives %d: the data is not the run's; start afresh with --checkpoint-dir %s --overwrite",
			f.resume, filepath.Join(f.resume, settingsFile), n, r.settings.TrainLimit, r.train.Len(), f.resume)
	}
	if f.resume != "" {
		fmt.Fprintf(r.e.stdout, "Resuming %s from %s at epoch %d, step %d\n", r.settings.Model, f.resume, r.opts.Resume.Epoch+1, r.opts.Resume.Step)
	} else {
		trainN := int(float64(r.train.Len()) * (1 - f.valSplit)) // as Fit splits off validation data
		if r.model, r.askedDType, err = compiledAs(r.settings.Model, f.seed, models.Steps(f.epochs, trainN, f.batch), layers.DType(f.dtype)); err != nil {
			return err
		}
		r.settings.DType, r.settings.TrainExamples = r.askedDType, r.train.Len()
		if r.backup != nil {
			if err := os.MkdirAll(f.ckptDir, 0o755); err != nil {
				return fmt.Errorf("--checkpoint-dir %s: %w", f.ckptDir, err)
			}
			if r.unlock == nil { // made by this run, or by another since settle looked
				if err := r.lockCheckpointDir(); err != nil {
					return err
				}
				if what := unfinishedRun(f.ckptDir); what != "" {
					return fmt.Errorf("--checkpoint-dir %s holds an unfinished run (%s), started while this one loaded its data: continue it with tailor train --resume %s, or discard it and start afresh with --overwrite", f.ckptDir, what, f.ckptDir)
				}
			}
			if err := writeJSON(filepath.Join(f.ckptDir, settingsFile), r.settings); err != nil {
				return err
			}
		}
	}
	if r.backup != nil {
		r.opts.Callbacks = append(r.opts.Callbacks, r.backup)
	}
	return nil
}

// labeledBytes is images kept as bytes, scaled by 1/255 as they are
// gathered (datasets.FromBytes: the values tensor.FromUint8 gives), with
// their labels.
func labeledBytes(pixels, labels []uint8, shape ...int) (datasets.Dataset, error) {
	x, err := datasets.FromBytes(pixels, 1.0/255, shape...)
	if err != nil {
		return nil, err
	}
	return datasets.WithLabels(x, labels)
}

// loadFashionMNIST reads Fashion-MNIST's images, scaled to [0, 1].
func (r *trainRun) loadFashionMNIST(ctx context.Context) error {
	trainSet, testSet, err := loadData(ctx, r.e, r.settings.Data)
	if err != nil {
		return err
	}
	if r.train, err = labeledBytes(trainSet.Images, trainSet.Labels, trainSet.N, trainSet.Rows, trainSet.Cols); err != nil {
		return err
	}
	r.testX, r.testY = images(testSet, 1.0/255)
	r.testLabels = testSet.Labels
	return nil
}

// loadCIFAR10 reads CIFAR-10's colour images, scaled to [0, 1], from
// --data or CIFAR-10's search path (downloading it into the cache when
// no --data is given).
func (r *trainRun) loadCIFAR10(ctx context.Context) error {
	train, test, err := cifar10.LoadData(ctx, cifar10.Options{
		Dir:  r.settings.Data,
		Logf: func(format string, args ...any) { fmt.Fprintf(r.e.stderr, format+"\n", args...) },
	})
	if err != nil {
		return err
	}
	if r.train, err = labeledBytes(train.Images, train.Labels, train.N, cifar10.Height, cifar10.Width, cifar10.Channels); err != nil {
		return err
	}
	if r.testX, err = test.Tensor(1.0 / 255); err != nil {
		return err
	}
	if r.testY, err = tensor.FromUint8(test.Labels, 1, test.N); err != nil {
		return err
	}
	r.testLabels = test.Labels
	return nil
}

// fit trains the model, keeping a checkpoint on an interrupt, and returns
// the whole run's history (the epochs before a resume too) and the
// training time (a resumed run's counting the epochs finished before).
func (r *trainRun) fit(ctx context.Context) (*tailor.History, float64, error) {
	if err := r.model.Summary(r.e.stdout); err != nil {
		return nil, 0, err
	}
	fmt.Fprintf(r.e.stdout, "Precision: %s\n", r.precision())
	before := 0.0
	if r.backup != nil {
		for _, s := range r.backup.History().Seconds {
			before += s
		}
	}
	start := time.Now()
	hist, err := r.model.Fit(ctx, r.train, r.opts)
	if errors.Is(err, context.Canceled) {
		if r.backup == nil {
			return nil, 0, interrupted("nothing was saved (use --checkpoint-dir DIR to keep a checkpoint)")
		}
		if err := r.backup.Save(r.model); err != nil {
			return nil, 0, fmt.Errorf("interrupted, and the checkpoint could not be written: %w; %s", err, r.checkpointKept())
		}
		p := r.model.Progress()
		return nil, 0, interrupted(fmt.Sprintf("at epoch %d, step %d: the checkpoint is written to %s; continue with tailor train --resume %s", p.Epoch+1, p.Step, r.f.ckptDir, r.f.ckptDir))
	}
	if err != nil {
		if r.backup != nil { // a checkpoint that could not be written, say
			return nil, 0, fmt.Errorf("%w; %s", err, r.checkpointKept())
		}
		return nil, 0, err
	}
	seconds := before + time.Since(start).Seconds()
	if r.backup != nil {
		hist = r.backup.History()
	}
	return hist, seconds, nil
}

// checkpointKept says, for a run whose training failed, what its
// checkpoint directory keeps: the checkpoint last written (atomically, so
// whole), or none.
func (r *trainRun) checkpointKept() string {
	dir := r.f.ckptDir
	if _, err := os.Lstat(filepath.Join(dir, saving.CheckpointFile)); err == nil {
		return fmt.Sprintf("the last checkpoint written to %s is kept: continue with tailor train --resume %s", dir, dir)
	}
	return fmt.Sprintf("no checkpoint was written to %s: start afresh with tailor train --checkpoint-dir %s --overwrite", dir, dir)
}

// results writes what the run was asked for — the model, the test
// figures, the plots, the report, the JSON — and only then removes the
// checkpoint: until all are written it stays, and resuming from it writes
// them again.
func (r *trainRun) results(ctx context.Context, hist *tailor.History, seconds float64) error {
	out, ckpt, s := r.e.stdout, r.f.ckptDir, r.settings
	r.kept = "the trained model was not saved"
	if r.backup != nil {
		r.kept = fmt.Sprintf("training is complete and the checkpoint in %s is kept: tailor train --resume %s writes the results", ckpt, ckpt)
	}
	failed := func(err error) error {
		if ctx.Err() != nil {
			return interrupted(r.kept)
		}
		if r.backup != nil {
			return fmt.Errorf("%w; %s", err, r.kept)
		}
		return err
	}
	settings := append(trainSettings(s.Model, r.opts, r.train.Len(), r.recipe), report.Setting{Name: "precision", Value: r.precision()})
	r.meta.History = hist
	r.meta.Training = &saving.Training{Seconds: seconds}
	for _, st := range settings {
		r.meta.Training.Settings = append(r.meta.Training.Settings, saving.Setting(st))
	}
	if err := r.save(); err != nil {
		return failed(err)
	}
	test, err := r.test(ctx)
	if err != nil {
		return failed(err)
	}
	if s.Plots != "" {
		if err := trainingFigures(out, s.Plots, hist); err != nil {
			return failed(err)
		}
		if err := evaluationFigures(ctx, out, s.Plots, r.model, r.testX, r.testLabels, r.meta.ClassNames, tailor.PredictOptions{}); err != nil {
			return failed(err)
		}
	}
	if s.Report != "" {
		run := modelRun{path: s.Out, model: r.model, meta: r.meta, history: hist, trainingSeconds: seconds, settings: settings}
		if err := writeReport(ctx, out, s.Report, run, r.testX, r.testY, r.testLabels, galleryMistakes, tailor.PredictOptions{}); err != nil {
			return failed(err)
		}
	}
	if s.JSON != "" {
		if err := writeJSON(s.JSON, r.report(hist, seconds, test)); err != nil {
			return failed(err)
		}
		fmt.Fprintf(out, "Wrote the figures to %s\n", s.JSON)
	}
	if r.backup == nil {
		return nil
	}
	if err := r.backup.Remove(); err != nil {
		return err
	}
	if err := atomicfile.Remove(filepath.Join(ckpt, settingsFile)); err != nil {
		return err
	}
	fmt.Fprintf(out, "The run is complete: removed its checkpoint from %s\n", ckpt)
	return nil
}

// precision describes the convolutions' precision, and why when the
// model asked for auto.
func (r *trainRun) precision() string {
	policy, why := precision(r.model, r.askedDType)
	if why != "" {
		return policy + " (" + why + ")"
	}
	return policy
}

// save writes the model file, when --out asks for one.
func (r *trainRun) save() error {
	out, ckpt, path := r.e.stdout, r.f.ckptDir, r.settings.Out
	if path == "" {
		fmt.Fprintln(out, "No --out: the trained model is not saved")
		return nil
	}
	if err := saving.Save(path, r.model, r.meta); err != nil {
		return err
	}
	fmt.Fprintf(out, "Saved the model to %s\n", path)
	r.kept = "the model is saved in " + path
	if r.backup != nil {
		r.kept = fmt.Sprintf("the model is saved in %s, and the checkpoint in %s is kept: tailor train --resume %s writes the rest", path, ckpt, ckpt)
	}
	return nil
}

// testScores are the trained model's figures on the test images.
type testScores struct {
	loss, accuracy float64
	flipAccuracy   *float64 // with flip averaging, when asked for
	perClass       []float64
}

// test scores the model on the test images and prints the tutorial's
// look at its predictions.
func (r *trainRun) test(ctx context.Context) (*testScores, error) {
	out, model, test := r.e.stdout, r.model, dataset(r.testX, r.testY)
	loss, scores, err := model.Evaluate(ctx, test, tailor.EvaluateOptions{Verbose: tailor.OneLinePerEpoch, Out: out})
	if err != nil {
		return nil, err
	}
	t := &testScores{loss: loss, accuracy: scores["accuracy"]}
	fmt.Fprintf(out, "\nTest accuracy: %.4f\n", t.accuracy)
	if r.settings.FlipAverage {
		_, flipScores, err := model.Evaluate(ctx, test, tailor.EvaluateOptions{FlipAverage: true})
		if err != nil {
			return nil, err
		}
		acc := flipScores["accuracy"]
		t.flipAccuracy = &acc
		fmt.Fprintf(out, "Test accuracy with flip averaging (each image's prediction averaged with its mirror's): %.4f\n", acc)
	}
	probs, err := model.Predict(ctx, r.testX, tailor.PredictOptions{})
	if err != nil {
		return nil, err
	}
	classes := probs.Argmax()
	score, err := metrics.AccuracyScore(r.testLabels, classes)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "accuracy_score(test_labels, predicted classes): %.4f\n", score)
	names := r.meta.ClassNames
	t.perClass = perClassAccuracy(r.testLabels, classes, len(names))
	printPerClass(out, "test", t.perClass, names)
	for _, i := range []int{0, 1} {
		printPrediction(out, probs, r.testLabels, names, i)
	}
	return t, nil
}

// report is what --json writes.
func (r *trainRun) report(hist *tailor.History, seconds float64, t *testScores) trainReport {
	n := r.train.Len()
	trained := n
	if r.opts.ValidationSplit > 0 {
		trained = int(float64(n) * (1 - r.opts.ValidationSplit)) // as Fit splits
	}
	rep := trainReport{
		Model: r.settings.Model, Seed: r.opts.Seed, BatchSize: r.opts.BatchSize, Precision: r.precision(), TrainExamples: trained, ValidationExamples: n - trained,
		TrainAccuracy: last(hist.History["accuracy"]), TestLoss: t.loss, TestAccuracy: t.accuracy,
		TestAccuracyFlipAverage: t.flipAccuracy, PerClassAccuracy: t.perClass, TrainSeconds: seconds,
	}
	for i, ep := range hist.Epochs {
		rep.Epochs = append(rep.Epochs, epochReport{Epoch: ep + 1, Loss: hist.History["loss"][i], Accuracy: hist.History["accuracy"][i],
			ValLoss: at(hist.History["val_loss"], i), ValAccuracy: at(hist.History["val_accuracy"], i), Seconds: hist.Seconds[i]})
	}
	if n := len(hist.Epochs); n > 0 {
		rep.ValLoss, rep.ValAccuracy = at(hist.History["val_loss"], n-1), at(hist.History["val_accuracy"], n-1)
	}
	return rep
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
// paths are not devices or directories nor the checkpoint's own files nor
// any of inputs, the data files the run reads, and the checkpoint
// directory can be created and written. It creates nothing: the
// checkpoint directory is made once the data is read.
func checkOutputs(s runSettings, ckptDir string, inputs []string) error {
	outs := []output{{"--out", s.Out}, {"--json", s.JSON}, {"--report", s.Report}}
	if ckptDir != "" {
		if err := checkDir(ckptDir); err != nil {
			return fmt.Errorf("--checkpoint-dir %s: %w", ckptDir, err)
		}
		abs, err := filepath.Abs(ckptDir)
		if err != nil {
			return fmt.Errorf("--checkpoint-dir %s: %w", ckptDir, err)
		}
		for _, o := range outs {
			for _, f := range []string{saving.CheckpointFile, settingsFile} {
				if o.path != "" && samePath(o.path, filepath.Join(abs, f)) {
					return fmt.Errorf("%s %s: a file of --checkpoint-dir %s, which the run replaces and removes once it is complete: write it elsewhere", o.flag, o.path, ckptDir)
				}
			}
		}
		if st, err := os.Stat(ckptDir); err == nil && st.IsDir() { // else made once the data is read (load)
			for _, f := range []string{saving.CheckpointFile, settingsFile} {
				if err := atomicfile.Check(filepath.Join(ckptDir, f)); err != nil {
					return fmt.Errorf("--checkpoint-dir: %w", err)
				}
			}
		}
	}
	return checkRunOutputs(s.Plots, inputs, outs...)
}

// dataFiles lists the files the run may read its data from (see
// fashionFiles), which its outputs must not replace.
func (r *trainRun) dataFiles() []string {
	if r.recipe.Dataset != models.CIFAR10 {
		return fashionFiles(r.settings.Data)
	}
	dirs := []string{r.settings.Data}
	if r.settings.Data == "" { // as cifar10.LoadData searches
		cache, _ := cifar10.DefaultCacheDir()
		dirs = []string{os.Getenv(cifar10.EnvVar), cache}
	}
	var files []string
	for _, d := range dirs {
		if d != "" {
			files = append(files, filepath.Join(d, cifar10.ArchiveName))
		}
	}
	return files
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

// printPerClass prints each class's accuracy on the split named split
// ("test" or "train").
func printPerClass(w io.Writer, split string, acc []float64, names []string) {
	fmt.Fprintf(w, "Per-class %s accuracy:\n", split)
	for c, a := range acc {
		fmt.Fprintf(w, "  %d %-12s %s\n", c, names[c], formatAccuracy(a))
	}
}

// printPrediction prints the tutorial's look at one prediction: the
// probabilities, their argmax and the true label.
func printPrediction(w io.Writer, probs *tensor.Tensor, labels []uint8, names []string, i int) {
	p := probs.Row(i)
	best := tensor.Argmax(p)
	fmt.Fprintf(w, "\npredictions[%d]: %s\n", i, pyrepr.Float32Str(p)) // print("predictions[0]:", predictions[0])
	fmt.Fprintf(w, "np.argmax(predictions[%d]): %d (%s)\n", i, best, names[best])
	fmt.Fprintf(w, "test_labels[%d]: %d (%s)\n", i, labels[i], names[labels[i]])
}

// writeJSON writes v as indented JSON to path, atomically.
func writeJSON(path string, v any) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}
