package callbacks

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/saving"
)

// BackupAndRestoreCallback keeps a checkpoint of training in a directory —
// the model, its optimizer's state, how far Fit got, the history and the
// state of the tracked callbacks — so that an interrupted run resumes
// exactly, as Keras's BackupAndRestore does. The checkpoint is written
// atomically at the end of every epoch, every SaveEvery batches if set,
// and whenever Save is called.
//
// Resuming is explicit, because Fit's starting point is one of its
// options:
//
//	stop := callbacks.EarlyStopping("val_loss", 3)
//	opts := tailor.FitOptions{Epochs: 10, BatchSize: 32, Seed: 1}
//	backup := callbacks.BackupAndRestore(dir, opts, meta, stop)
//	model, o, err := backup.Restore()
//	switch {
//	case err == nil:
//		opts = o // the options the run started with, and where it stopped
//	case errors.Is(err, fs.ErrNotExist):
//		model = newModel() // no checkpoint: start afresh
//	default:
//		return err
//	}
//	opts.Callbacks = []tailor.Callback{stop, backup} // backup last
//	_, err = model.Fit(ctx, train, opts)
//	if errors.Is(err, context.Canceled) {
//		err = backup.Save(model) // stopped after a whole batch: keep it
//	}
//
// Fit stops after the batch under way when ctx is cancelled (on SIGINT,
// say); the checkpoint Save then writes resumes at the next batch, and the
// resumed run ends with weights bit for bit those of an uninterrupted one.
//
// By default the checkpoint is deleted when Fit completes, as Keras does;
// a crash between then and saving the trained model loses the run. To
// lose nothing, set Keep and call Remove once the model (and whatever else
// the run produces) is durably written:
//
//	backup.Keep = true
//	_, err = model.Fit(ctx, train, opts)
//	// ... handle err as above ...
//	if err := saving.Save(out, model, meta); err != nil {
//		return err // the checkpoint stays: resuming saves it again
//	}
//	return backup.Remove()
type BackupAndRestoreCallback struct {
	// Dir holds the checkpoint, saving.CheckpointFile.
	Dir string
	// Fit is how Fit is called, recorded so that Restore gives the same
	// options back. Set Fit.Epochs to train longer on resuming.
	Fit saving.FitConfig
	// Meta is recorded in the checkpoint.
	Meta saving.Meta
	// Track lists the callbacks whose state is saved and restored too.
	Track []Stateful
	// SaveEvery, when positive, also saves every SaveEvery batches.
	SaveEvery int
	// Keep keeps the checkpoint once training completes, for the caller
	// to Remove after writing the results; by default it is deleted then,
	// as Keras does.
	Keep bool

	history    *tailor.History
	epochStart time.Time
}

// BackupAndRestore returns a callback that keeps a checkpoint in dir for
// training with the given options and meta, and saves the state of the
// track callbacks with it. Put it last among Fit's callbacks, so that the
// others have seen each epoch before it is saved.
func BackupAndRestore(dir string, opts tailor.FitOptions, meta saving.Meta, track ...Stateful) *BackupAndRestoreCallback {
	return &BackupAndRestoreCallback{Dir: dir, Fit: saving.FitConfigOf(opts), Meta: meta, Track: track}
}

// Restore loads the checkpoint in Dir: it returns the model, compiled and
// with its optimizer's state, and the options to resume Fit with (those of
// the interrupted run, Resume set), and restores the tracked callbacks and
// the history. With no checkpoint the error satisfies
// errors.Is(err, fs.ErrNotExist).
func (b *BackupAndRestoreCallback) Restore() (*tailor.Model, tailor.FitOptions, error) {
	ck, err := saving.LoadCheckpoint(b.Dir)
	if err != nil {
		return nil, tailor.FitOptions{}, err
	}
	for i, cb := range b.Track {
		key := trackKey(i, cb)
		raw, ok := ck.Callbacks[key]
		if !ok {
			return nil, tailor.FitOptions{}, fmt.Errorf("backup and restore: the checkpoint has no state for callback %s", key)
		}
		if err := cb.SetState(raw); err != nil {
			return nil, tailor.FitOptions{}, fmt.Errorf("backup and restore: %w", err)
		}
	}
	if len(ck.Callbacks) != len(b.Track) {
		return nil, tailor.FitOptions{}, fmt.Errorf("backup and restore: the checkpoint has the state of %d callbacks, %d are tracked", len(ck.Callbacks), len(b.Track))
	}
	b.Fit, b.Meta, b.history = ck.Fit, ck.Meta, ck.History
	return ck.Model, ck.FitOptions(), nil
}

// History returns every finished epoch's figures, those before a restore
// included.
func (b *BackupAndRestoreCallback) History() *tailor.History {
	if b.history == nil {
		return &tailor.History{History: map[string][]float64{}}
	}
	return b.history
}

// Save writes the checkpoint for the model as it stands, at
// m.Progress().
func (b *BackupAndRestoreCallback) Save(m *tailor.Model) error {
	ck := &saving.Checkpoint{Model: m, Meta: b.Meta, Fit: b.Fit, Progress: m.Progress(), History: b.history, Callbacks: map[string]json.RawMessage{}}
	for i, cb := range b.Track {
		st, err := cb.State()
		if err != nil {
			return fmt.Errorf("backup and restore: %w", err)
		}
		ck.Callbacks[trackKey(i, cb)] = st
	}
	if err := saving.SaveCheckpoint(b.Dir, ck); err != nil {
		return fmt.Errorf("backup and restore: %w", err)
	}
	return nil
}

// trackKey names a tracked callback's state by position and type.
func trackKey(i int, cb Stateful) string { return fmt.Sprintf("%d:%T", i, cb) }

// OnTrainBegin starts the clock of the first epoch, which may be resumed
// part-way.
func (b *BackupAndRestoreCallback) OnTrainBegin(*tailor.Model) error {
	if b.Dir == "" {
		return errors.New("backup and restore: no directory")
	}
	b.epochStart = time.Now()
	return nil
}

// OnEpochBegin starts the epoch's clock.
func (b *BackupAndRestoreCallback) OnEpochBegin(*tailor.Model, int) error {
	b.epochStart = time.Now()
	return nil
}

// OnBatchEnd saves every SaveEvery batches.
func (b *BackupAndRestoreCallback) OnBatchEnd(m *tailor.Model, _, batch int, _ float64) error {
	if b.SaveEvery > 0 && (batch+1)%b.SaveEvery == 0 {
		return b.Save(m)
	}
	return nil
}

// OnEpochEnd records the epoch and saves.
func (b *BackupAndRestoreCallback) OnEpochEnd(m *tailor.Model, epoch int, logs tailor.Logs) error {
	h := b.History()
	h.Epochs = append(h.Epochs, epoch)
	for k, v := range logs {
		h.History[k] = append(h.History[k], v)
	}
	h.Seconds = append(h.Seconds, time.Since(b.epochStart).Seconds())
	b.history = h
	return b.Save(m)
}

// OnTrainEnd deletes the checkpoint, unless Keep is set: training is
// complete.
func (b *BackupAndRestoreCallback) OnTrainEnd(*tailor.Model, tailor.Logs) error {
	if b.Keep {
		return nil
	}
	return b.Remove()
}

// Remove deletes the checkpoint, and any temporary file a write killed
// half-way left beside it; a checkpoint already gone is not an error.
func (b *BackupAndRestoreCallback) Remove() error {
	if err := atomicfile.Remove(filepath.Join(b.Dir, saving.CheckpointFile)); err != nil {
		return fmt.Errorf("backup and restore: %w", err)
	}
	return nil
}
