package callbacks

import "github.com/tailor-ml/tailor"

// Lambda is a callback made of plain functions, as Keras's LambdaCallback
// is; the functions left nil do nothing.
//
//	print := &callbacks.Lambda{EpochEnd: func(m *tailor.Model, epoch int, logs tailor.Logs) error {
//		fmt.Println(epoch, logs["loss"])
//		return nil
//	}}
type Lambda struct {
	TrainBegin func(m *tailor.Model) error
	EpochBegin func(m *tailor.Model, epoch int) error
	BatchEnd   func(m *tailor.Model, epoch, batch int, loss float64) error
	EpochEnd   func(m *tailor.Model, epoch int, logs tailor.Logs) error
	TrainEnd   func(m *tailor.Model, logs tailor.Logs) error
}

// OnTrainBegin calls TrainBegin.
func (l *Lambda) OnTrainBegin(m *tailor.Model) error {
	if l.TrainBegin == nil {
		return nil
	}
	return l.TrainBegin(m)
}

// OnEpochBegin calls EpochBegin.
func (l *Lambda) OnEpochBegin(m *tailor.Model, epoch int) error {
	if l.EpochBegin == nil {
		return nil
	}
	return l.EpochBegin(m, epoch)
}

// OnBatchEnd calls BatchEnd.
func (l *Lambda) OnBatchEnd(m *tailor.Model, epoch, batch int, loss float64) error {
	if l.BatchEnd == nil {
		return nil
	}
	return l.BatchEnd(m, epoch, batch, loss)
}

// OnEpochEnd calls EpochEnd.
func (l *Lambda) OnEpochEnd(m *tailor.Model, epoch int, logs tailor.Logs) error {
	if l.EpochEnd == nil {
		return nil
	}
	return l.EpochEnd(m, epoch, logs)
}

// OnTrainEnd calls TrainEnd.
func (l *Lambda) OnTrainEnd(m *tailor.Model, logs tailor.Logs) error {
	if l.TrainEnd == nil {
		return nil
	}
	return l.TrainEnd(m, logs)
}
