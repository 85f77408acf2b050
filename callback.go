package tailor

// Callback is notified as Fit progresses. Embed NopCallback to implement
// only the methods you need. An error stops training and is returned by Fit.
// Epochs and batches count from 0. OnBatchEnd's loss is that batch's mean
// loss (Keras's on_train_batch_end logs hold the epoch's running mean
// instead, which Model.Progress gives as LossSum/Seen); OnEpochEnd's and
// OnTrainEnd's logs are the epoch's figures, validation's included (nil
// for OnTrainEnd when no epoch ran).
type Callback interface {
	OnTrainBegin(m *Model) error
	OnEpochBegin(m *Model, epoch int) error
	OnBatchEnd(m *Model, epoch, batch int, loss float64) error
	OnEpochEnd(m *Model, epoch int, logs Logs) error
	OnTrainEnd(m *Model, logs Logs) error
}

// NopCallback implements Callback doing nothing.
type NopCallback struct{}

// OnTrainBegin does nothing.
func (NopCallback) OnTrainBegin(*Model) error { return nil }

// OnEpochBegin does nothing.
func (NopCallback) OnEpochBegin(*Model, int) error { return nil }

// OnBatchEnd does nothing.
func (NopCallback) OnBatchEnd(*Model, int, int, float64) error { return nil }

// OnEpochEnd does nothing.
func (NopCallback) OnEpochEnd(*Model, int, Logs) error { return nil }

// OnTrainEnd does nothing.
func (NopCallback) OnTrainEnd(*Model, Logs) error { return nil }

// callbackList fans each of Fit's events out to the callbacks in order,
// stopping at the first error, as Keras's CallbackList does.
type callbackList []Callback

func (cl callbackList) trainBegin(m *Model) error {
	for _, cb := range cl {
		if err := cb.OnTrainBegin(m); err != nil {
			return err
		}
	}
	return nil
}

func (cl callbackList) epochBegin(m *Model, epoch int) error {
	for _, cb := range cl {
		if err := cb.OnEpochBegin(m, epoch); err != nil {
			return err
		}
	}
	return nil
}

func (cl callbackList) batchEnd(m *Model, epoch, batch int, loss float64) error {
	for _, cb := range cl {
		if err := cb.OnBatchEnd(m, epoch, batch, loss); err != nil {
			return err
		}
	}
	return nil
}

func (cl callbackList) epochEnd(m *Model, epoch int, logs Logs) error {
	for _, cb := range cl {
		if err := cb.OnEpochEnd(m, epoch, logs); err != nil {
			return err
		}
	}
	return nil
}

func (cl callbackList) trainEnd(m *Model, logs Logs) error {
	for _, cb := range cl {
		if err := cb.OnTrainEnd(m, logs); err != nil {
			return err
		}
	}
	return nil
}
