package callbacks_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/callbacks"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/saving"
)

// Train with early stopping and a CSV log, keeping a checkpoint that an
// interrupted run (Ctrl-C) resumes from exactly.
func ExampleBackupAndRestore() {
	var train datasets.Dataset // the training images and labels, e.g. datasets.WithLabels(images, labels)
	dir := "checkpoints"

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	early := callbacks.EarlyStopping("val_loss", 3)
	early.RestoreBestWeights = true
	opts := tailor.FitOptions{Epochs: 20, BatchSize: 32, Seed: 1, ValidationSplit: 0.1}
	backup := callbacks.BackupAndRestore(dir, opts, saving.Meta{}, early)
	csv := callbacks.CSVLogger("training.csv")

	model, resumed, err := backup.Restore()
	switch {
	case err == nil:
		opts = resumed
		csv.Append = true
	case errors.Is(err, fs.ErrNotExist):
		model = models.MLP()
		model.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy())
	default:
		panic(err)
	}
	opts.Callbacks = []tailor.Callback{early, csv, backup}
	if _, err := model.Fit(ctx, train, opts); errors.Is(err, context.Canceled) {
		backup.Save(model) // stopped after a whole batch: resume from here next time
		return
	}
	saving.Save("model.tailor", model, saving.Meta{})
}
