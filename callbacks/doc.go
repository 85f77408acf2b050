// Package callbacks holds Keras's training callbacks for tailor.Model.Fit:
// EarlyStopping, ModelCheckpoint, CSVLogger, ReduceLROnPlateau,
// LearningRateScheduler and BackupAndRestore, and Lambda for callbacks of
// your own made of plain functions. Keras's History callback is Fit's
// return value, *tailor.History.
//
// Each constructor takes the arguments that matter most and returns a
// callback whose exported fields hold the rest, set to Keras's defaults:
//
//	stop := callbacks.EarlyStopping("val_loss", 3)
//	stop.RestoreBestWeights = true
//	history, err := model.Fit(ctx, train, tailor.FitOptions{
//		Epochs: 50, ValidationSplit: 0.1,
//		Callbacks: []tailor.Callback{stop, callbacks.CSVLogger("training.csv")},
//	})
//
// To write a callback of your own, embed tailor.NopCallback in a struct and
// define the methods you need, or fill a Lambda.
//
// Callbacks that decide from what they have seen (EarlyStopping,
// ReduceLROnPlateau, ModelCheckpoint with SaveBestOnly) implement Stateful,
// so that BackupAndRestore can save their state with a checkpoint and an
// interrupted run resumes exactly as it would have gone on; so does
// CSVLogger, whose file resumes where the checkpoint was taken.
package callbacks
