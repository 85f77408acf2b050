package callbacks

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/internal/pyrepr"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// data is n examples of 4×4 images in two classes: bright left half or
// bright right half.
func data(n int, seed uint64) (x, y *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 2))
	x, y = tensor.New(n, 4, 4), tensor.New(n)
	for i := range n {
		c := rng.IntN(2)
		y.Data[i] = float32(c)
		for j := range 16 {
			v := 0.3 * rng.Float32()
			if (j%4)/2 == c {
				v += 0.6
			}
			x.Data[i*16+j] = v
		}
	}
	return x, y
}

func model(t testing.TB, seed uint64) *tailor.Model {
	t.Helper()
	m := tailor.Sequential(layers.Flatten(4, 4), layers.Dense(8, activations.ReLU), layers.Dropout(0.1), layers.Dense(2, activations.Softmax))
	m.SetSeed(seed)
	if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	return m
}

func weights(m *tailor.Model) []floats { return weightsOf(m) }

func sameWeights(t *testing.T, a []floats, m *tailor.Model) {
	t.Helper()
	for i, p := range m.Params() {
		for j, v := range p.Value.Data {
			if math.Float32bits(v) != math.Float32bits(a[i][j]) {
				t.Fatalf("weight %d differs at %d", i, j)
			}
		}
	}
}

// feed runs early stopping through epochs whose monitored figure takes
// the given values, as Fit would, and returns the epoch it stopped at, or
// -1.
func feed(t *testing.T, cb *EarlyStoppingCallback, m *tailor.Model, values ...float64) int {
	t.Helper()
	if err := cb.OnTrainBegin(m); err != nil {
		t.Fatal(err)
	}
	for epoch, v := range values {
		if err := cb.OnEpochEnd(m, epoch, tailor.Logs{cb.Monitor: v, "loss": 1}); err != nil {
			t.Fatal(err)
		}
		if cb.StoppedEpoch() > 0 {
			return epoch
		}
	}
	return -1
}

func TestEarlyStoppingScripted(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cb       *EarlyStoppingCallback
		values   []float64
		stopAt   int
		bestEpoc int
	}{
		{"patience 0 stops at the first non-improvement", EarlyStopping("val_loss", 0), []float64{3, 2, 2.5, 1}, 2, 1},
		{"patience 2", EarlyStopping("val_loss", 2), []float64{3, 2, 2.5, 2.1, 1}, 3, 1},
		{"improvement resets", EarlyStopping("val_loss", 2), []float64{3, 2, 2.5, 1.9, 2, 2}, 5, 3},
		{"min delta", &EarlyStoppingCallback{Monitor: "val_loss", Patience: 1, MinDelta: 0.5}, []float64{3, 2.7, 2.6}, 1, 0},
		{"accuracy is maximised", EarlyStopping("val_accuracy", 1), []float64{0.5, 0.6, 0.55, 0.7}, 2, 1},
		{"mode min on accuracy", &EarlyStoppingCallback{Monitor: "val_accuracy", Patience: 1, Mode: "min"}, []float64{0.5, 0.6}, 1, 0},
		// Keras's Precision and Recall improve upwards: "auto" maximises them.
		{"precision is maximised", EarlyStopping("val_precision", 1), []float64{0.5, 0.6, 0.55, 0.7}, 2, 1},
		{"recall is maximised", EarlyStopping("recall", 1), []float64{0.5, 0.6, 0.55, 0.7}, 2, 1},
		{"never stops", EarlyStopping("val_loss", 1), []float64{5, 4, 3, 2}, -1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := model(t, 1)
			if got := feed(t, tc.cb, m, tc.values...); got != tc.stopAt {
				t.Errorf("stopped after epoch %d, want %d", got, tc.stopAt)
			}
			if tc.cb.BestEpoch() != tc.bestEpoc {
				t.Errorf("best epoch %d, want %d", tc.cb.BestEpoch(), tc.bestEpoc)
			}
		})
	}
}

// TestEarlyStoppingFit: with RestoreBestWeights, the best epoch's weights
// are put back when training ends, whether early stopping stopped it or
// it ran all its epochs, as Keras 3's on_train_end does (tf.keras 2
// restored only on stopping).
func TestEarlyStoppingFit(t *testing.T) {
	x, y := data(64, 1)
	for _, tc := range []struct {
		name             string
		patience, epochs int
		stoppedEpoch     int
		log              string
	}{
		{"stopped", 2, 10, 2, "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 1.\n"},
		{"ran every epoch", 10, 3, 0, "Restoring model weights from the end of the best epoch: 1.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := model(t, 3)
			stop := EarlyStopping("loss", tc.patience)
			stop.MinDelta = 100 // nothing after the first epoch improves
			stop.RestoreBestWeights = true
			var log bytes.Buffer
			stop.Log = &log
			var afterFirst []floats
			keep := &Lambda{EpochEnd: func(m *tailor.Model, epoch int, _ tailor.Logs) error {
				if epoch == 0 {
					afterFirst = weights(m)
				}
				return nil
			}}
			h, err := m.Fit(context.Background(), ds(x, y), tailor.FitOptions{Epochs: tc.epochs, BatchSize: 16, Verbose: tailor.Silent, Callbacks: []tailor.Callback{keep, stop}})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(h.Epochs, []int{0, 1, 2}) || stop.StoppedEpoch() != tc.stoppedEpoch {
				t.Fatalf("ran epochs %v, stopped at %d", h.Epochs, stop.StoppedEpoch())
			}
			sameWeights(t, afterFirst, m)
			if log.String() != tc.log {
				t.Errorf("log %q, want %q", log.String(), tc.log)
			}
		})
	}

	// A figure that is not there is an error that says what is.
	_, err := model(t, 3).Fit(context.Background(), ds(x, y), tailor.FitOptions{Verbose: tailor.Silent, Callbacks: []tailor.Callback{EarlyStopping("val_loss", 1)}})
	if err == nil || !strings.Contains(err.Error(), `"val_loss" is not among the figures [accuracy loss] (validation figures need ValidationSplit or ValidationData)`) {
		t.Errorf("error %v", err)
	}
}

// TestEarlyStoppingRestoresAfterEMA: with an optimizer that keeps a moving
// average of the weights, Fit hands the average over when training ends;
// early stopping's best weights, asked for with RestoreBestWeights, are
// restored after that, as Keras 3 restores them in on_train_end, instead
// of being overwritten by the average.
func TestEarlyStoppingRestoresAfterEMA(t *testing.T) {
	x, y := data(64, 1)
	m := tailor.Sequential(layers.Flatten(4, 4), layers.Dense(8, activations.ReLU), layers.Dense(2, activations.Softmax))
	m.SetSeed(2)
	opt := optimizers.Adam()
	if err := opt.UseEMA(0.9, 0); err != nil {
		t.Fatal(err)
	}
	if err := m.Compile(opt, losses.SparseCategoricalCrossentropy()); err != nil {
		t.Fatal(err)
	}
	stop := EarlyStopping("loss", 0)
	stop.MinDelta = 100 // nothing after the first epoch improves
	stop.RestoreBestWeights = true
	var afterFirst []floats
	keep := &Lambda{EpochEnd: func(m *tailor.Model, epoch int, _ tailor.Logs) error {
		if epoch == 0 {
			afterFirst = weights(m)
		}
		return nil
	}}
	h, err := m.Fit(context.Background(), ds(x, y), tailor.FitOptions{Epochs: 10, BatchSize: 16, Verbose: tailor.Silent, Callbacks: []tailor.Callback{keep, stop}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h.Epochs, []int{0, 1}) || stop.StoppedEpoch() != 1 {
		t.Fatalf("ran epochs %v, stopped at %d", h.Epochs, stop.StoppedEpoch())
	}
	sameWeights(t, afterFirst, m)
}

// TestRateCallbacksRefuseASchedule: ReduceLROnPlateau and
// LearningRateScheduler set a fixed rate, which would silently replace an
// optimizer's CosineDecay; as Keras refuses to set the rate of an
// optimizer built with a schedule, Fit fails before training, naming it.
func TestRateCallbacksRefuseASchedule(t *testing.T) {
	x, y := data(32, 3)
	for _, cb := range []tailor.Callback{
		ReduceLROnPlateau("loss", 0.5, 0),
		LearningRateScheduler(func(_ int, lr float64) float64 { return lr / 2 }),
	} {
		m := tailor.Sequential(layers.Flatten(4, 4), layers.Dense(2, activations.Softmax))
		opt := optimizers.Adam()
		opt.SetSchedule(optimizers.CosineDecay(1e-3, 100))
		if err := m.Compile(opt, losses.SparseCategoricalCrossentropy()); err != nil {
			t.Fatal(err)
		}
		before := weights(m)
		_, err := m.Fit(context.Background(), ds(x, y), tailor.FitOptions{Epochs: 3, BatchSize: 16, Verbose: tailor.Silent, Callbacks: []tailor.Callback{cb}})
		if err == nil || !strings.Contains(err.Error(), "CosineDecay schedule") {
			t.Errorf("%T: Fit error %v, want one naming the schedule", cb, err)
		}
		if opt.Schedule() == nil {
			t.Errorf("%T replaced the schedule", cb)
		}
		sameWeights(t, before, m)
	}
}

func TestReduceLROnPlateau(t *testing.T) {
	m := model(t, 1)
	r := ReduceLROnPlateau("val_loss", 0.5, 2)
	r.Cooldown = 2
	r.MinLR = 0.0002
	if err := r.OnTrainBegin(m); err != nil {
		t.Fatal(err)
	}
	var lrs []float64
	for epoch, v := range []float64{1, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.8} {
		if err := r.OnEpochEnd(m, epoch, tailor.Logs{"val_loss": v}); err != nil {
			t.Fatal(err)
		}
		lrs = append(lrs, m.Optimizer().LearningRate())
	}
	// Two epochs without improvement halve the rate; a cooldown of two
	// epochs follows, the second of which already counts, as in Keras;
	// the floor holds at 0.0002.
	want := []float64{0.001, 0.001, 0.001, 0.0005, 0.0005, 0.0005, 0.00025, 0.00025, 0.00025, 0.00025}
	for i := range want {
		if math.Abs(lrs[i]-want[i]) > 1e-12 {
			t.Fatalf("rates %v, want %v", lrs, want)
		}
	}
	if err := r.OnEpochEnd(m, 10, tailor.Logs{"val_loss": 0.9}); err != nil {
		t.Fatal(err)
	}
	r.OnEpochEnd(m, 11, tailor.Logs{"val_loss": 0.9})
	if lr := m.Optimizer().LearningRate(); lr != 0.0002 {
		t.Errorf("rate %v, want the floor 0.0002", lr)
	}
	if err := ReduceLROnPlateau("val_loss", 2, 1).OnTrainBegin(m); err == nil {
		t.Error("factor 2 accepted")
	}
}

// TestMonitorAutoNeedsADirection: mode "auto" minimises losses and
// maximises accuracies, precision and recall, as Keras 3 does, and refuses
// a figure whose direction it cannot tell (a custom "val_f1" was once
// minimised, the wrong way for a score), which "min" or "max" settles.
func TestMonitorAutoNeedsADirection(t *testing.T) {
	for _, tc := range []struct {
		name, mode string
		max        bool
		err        string
	}{
		{"val_loss", "auto", false, ""},
		{"val_sparse_categorical_crossentropy_loss", "", false, ""},
		{"val_accuracy", "auto", true, ""},
		{"top_5_accuracy", "auto", true, ""},
		{"val_precision", "", true, ""},
		{"val_f1", "auto", false, `mode auto cannot tell whether "val_f1" improves upwards or downwards`},
		{"mean_absolute_error", "", false, `"mean_absolute_error" improves upwards or downwards`},
		{"val_f1", "max", true, ""},
		{"mean_absolute_error", "min", false, ""},
	} {
		m, err := newMonitor(tc.name, tc.mode, 0)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s, mode %q: error %v, want %q", tc.name, tc.mode, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%s, mode %q: %v", tc.name, tc.mode, err)
		case tc.err == "" && m.max != tc.max:
			t.Errorf("%s, mode %q: maximised %v, want %v", tc.name, tc.mode, m.max, tc.max)
		}
	}
}

func TestReduceLROnPlateauFit(t *testing.T) {
	x, y := data(64, 2)
	m := model(t, 1)
	r := ReduceLROnPlateau("loss", 0.1, 1)
	r.MinDelta = 100
	var lrs []float64
	rec := &Lambda{EpochBegin: func(m *tailor.Model, _ int) error {
		lrs = append(lrs, m.Optimizer().LearningRate())
		return nil
	}}
	if _, err := m.Fit(context.Background(), ds(x, y), tailor.FitOptions{Epochs: 4, BatchSize: 16, Verbose: tailor.Silent, Callbacks: []tailor.Callback{rec, r}}); err != nil {
		t.Fatal(err)
	}
	want := []float64{1e-3, 1e-3, 1e-4, 1e-5}
	for i := range want {
		if math.Abs(lrs[i]-want[i]) > 1e-15 {
			t.Fatalf("rates %v, want %v", lrs, want)
		}
	}
}

func TestLearningRateScheduler(t *testing.T) {
	x, y := data(32, 3)
	m := model(t, 1)
	var lrs []float64
	sched := LearningRateScheduler(func(epoch int, lr float64) float64 {
		if epoch < 1 {
			return lr
		}
		return lr * 0.5
	})
	rec := &Lambda{BatchEnd: func(m *tailor.Model, _, batch int, _ float64) error {
		if batch == 0 {
			lrs = append(lrs, m.Optimizer().LearningRate())
		}
		return nil
	}}
	if _, err := m.Fit(context.Background(), ds(x, y), tailor.FitOptions{Epochs: 3, BatchSize: 16, Verbose: tailor.Silent, Callbacks: []tailor.Callback{sched, rec}}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lrs, []float64{0.001, 0.0005, 0.00025}) {
		t.Errorf("rates %v", lrs)
	}
	for _, v := range []float64{math.NaN(), -1e-3, math.Inf(1)} {
		bad := LearningRateScheduler(func(int, float64) float64 { return v })
		if _, err := m.Fit(context.Background(), ds(x, y), tailor.FitOptions{Verbose: tailor.Silent, Callbacks: []tailor.Callback{bad}}); err == nil {
			t.Errorf("a rate of %v was accepted", v)
		}
	}
	// A warm-up from 0, as Keras allows: the first epoch leaves the
	// weights where they were.
	before := weights(m)
	warm := LearningRateScheduler(func(epoch int, _ float64) float64 { return 1e-3 * float64(epoch) })
	stay := &Lambda{EpochEnd: func(m *tailor.Model, epoch int, _ tailor.Logs) error {
		if epoch == 0 {
			sameWeights(t, before, m)
		}
		return nil
	}}
	if _, err := m.Fit(context.Background(), ds(x, y), tailor.FitOptions{Epochs: 2, BatchSize: 16, Verbose: tailor.Silent, Callbacks: []tailor.Callback{warm, stay}}); err != nil {
		t.Errorf("a schedule starting from 0: %v", err)
	}
	if lr := m.Optimizer().LearningRate(); lr != 1e-3 {
		t.Errorf("rate %v after the warm-up's second epoch, want 0.001", lr)
	}
}

func TestModelCheckpoint(t *testing.T) {
	dir := t.TempDir()
	m := model(t, 1)
	c := ModelCheckpoint(filepath.Join(dir, "best-{epoch:02d}-{val_loss:.2f}.tailor"))
	c.SaveBestOnly = true
	if err := c.OnTrainBegin(m); err != nil {
		t.Fatal(err)
	}
	for epoch, v := range []float64{0.9, 0.7, 0.8, 0.6} {
		if err := c.OnEpochEnd(m, epoch, tailor.Logs{"val_loss": v, "loss": 1}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		names = append(names, f.Name())
	}
	if want := []string{"best-01-0.90.tailor", "best-02-0.70.tailor", "best-04-0.60.tailor"}; !reflect.DeepEqual(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}

	// Every epoch, weights only, into one file; the last one is the model.
	x, y := data(32, 4)
	path := filepath.Join(dir, "last.safetensors")
	w := ModelCheckpoint(path)
	w.SaveWeightsOnly = true
	if _, err := m.Fit(context.Background(), ds(x, y), tailor.FitOptions{Epochs: 2, BatchSize: 16, Verbose: tailor.Silent, Callbacks: []tailor.Callback{w}}); err != nil {
		t.Fatal(err)
	}
	other := model(t, 9)
	if err := saving.LoadWeights(path, other); err != nil {
		t.Fatal(err)
	}
	sameWeights(t, weights(m), other)
}

func TestFormatPath(t *testing.T) {
	logs := tailor.Logs{"val_loss": 0.123456, "accuracy": 0.5, "lr": 0.0123456789}
	for _, tc := range []struct{ path, want string }{
		{"m.tailor", "m.tailor"},
		{"m-{epoch}.tailor", "m-3.tailor"},
		{"m-{epoch:03d}-{val_loss:.3f}.tailor", "m-003-0.123.tailor"},
		{"m-{accuracy}.tailor", "m-0.5.tailor"},
		// Python's g, e and f default to six digits of precision.
		{"m-{lr:g}-{lr:e}-{lr:f}-{lr:10g}.tailor", "m-0.0123457-1.234568e-02-0.012346- 0.0123457.tailor"},
	} {
		got, err := formatPath(tc.path, 2, logs)
		if err != nil || got != tc.want {
			t.Errorf("formatPath(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
	for _, bad := range []string{"m-{val_acc}.tailor", "m-{epoch:.2f}", "m-{loss:!r}", "m-{val_loss:d}"} {
		if _, err := formatPath(bad, 0, logs); err == nil {
			t.Errorf("formatPath(%q) succeeded", bad)
		}
	}
}

func TestCSVLogger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.csv")
	x, y := data(40, 5)
	m := model(t, 1)
	opts := tailor.FitOptions{Epochs: 2, BatchSize: 16, ValidationSplit: 0.2, Verbose: tailor.Silent, Callbacks: []tailor.Callback{CSVLogger(path)}}
	h, err := m.Fit(context.Background(), ds(x, y), opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || lines[0] != "epoch,accuracy,loss,val_accuracy,val_loss" {
		t.Fatalf("csv\n%s", b)
	}
	if want := "1," + pyrepr.Float(h.History["accuracy"][1]) + "," + pyrepr.Float(h.History["loss"][1]); !strings.HasPrefix(lines[2], want) {
		t.Errorf("row %q, want it to start %q", lines[2], want)
	}
	// Appending continues the file without a second header; not
	// appending starts it afresh.
	c := CSVLogger(path)
	c.Append = true
	opts.Callbacks = []tailor.Callback{c}
	opts.Epochs = 1
	m.Fit(context.Background(), ds(x, y), opts)
	if b, _ := os.ReadFile(path); strings.Count(string(b), "\n") != 4 || strings.Count(string(b), "epoch") != 1 {
		t.Errorf("appended csv\n%s", b)
	}
	opts.Callbacks = []tailor.Callback{CSVLogger(path)}
	m.Fit(context.Background(), ds(x, y), opts)
	if b, _ := os.ReadFile(path); strings.Count(string(b), "\n") != 2 {
		t.Errorf("fresh csv\n%s", b)
	}
}

func TestPyFloat(t *testing.T) {
	tenth := 0.1
	for v, want := range map[float64]string{
		0: "0.0", 1: "1.0", 0.5: "0.5", 123456: "123456.0", tenth + 0.2: "0.30000000000000004",
		1e-5: "1e-05", 0.0001: "0.0001", 1.5e16: "1.5e+16", 1e100: "1e+100", -2.5e-7: "-2.5e-07",
		math.Inf(1): "inf", math.Inf(-1): "-inf",
	} {
		if got := pyrepr.Float(v); got != want {
			t.Errorf("pyrepr.Float(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestBackupAndRestore interrupts training that uses EarlyStopping,
// ReduceLROnPlateau and LearningRateScheduler, resumes it from the
// checkpoint with fresh callbacks, and checks that it ends exactly as an
// uninterrupted run does: weights, history and when it stopped.
func TestBackupAndRestore(t *testing.T) {
	x, y := data(60, 6)
	opts := tailor.FitOptions{Epochs: 12, BatchSize: 16, Seed: 8, ValidationSplit: 0.25, Verbose: tailor.Silent}
	callbacksFor := func() (*EarlyStoppingCallback, *ReduceLROnPlateauCallback, *LearningRateSchedulerCallback) {
		stop := EarlyStopping("val_loss", 3)
		stop.MinDelta = 0.01
		stop.RestoreBestWeights = true
		reduce := ReduceLROnPlateau("loss", 0.5, 1)
		reduce.MinDelta = 0.05
		sched := LearningRateScheduler(func(epoch int, lr float64) float64 { return lr * 0.97 })
		return stop, reduce, sched
	}

	want := model(t, 4)
	stop, reduce, sched := callbacksFor()
	o := opts
	o.Callbacks = []tailor.Callback{sched, reduce, stop}
	wantHist, err := want.Fit(context.Background(), ds(x, y), o)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	m := model(t, 4)
	interrupts := [][2]int{{1, 1}, {1, 2}, {3, 0}, {4, 2}}
	for i := 0; ; i++ {
		stop, reduce, sched := callbacksFor()
		backup := BackupAndRestore(dir, opts, saving.Meta{ClassNames: []string{"left", "right"}}, stop, reduce)
		o := opts
		if i > 0 {
			var err error
			if m, o, err = backup.Restore(); err != nil {
				t.Fatal(err)
			}
			o.Verbose = tailor.Silent
		}
		ctx, cancel := context.WithCancel(context.Background())
		cbs := []tailor.Callback{sched, reduce, stop}
		if i < len(interrupts) {
			at := interrupts[i]
			cbs = append(cbs, &Lambda{BatchEnd: func(_ *tailor.Model, epoch, batch int, _ float64) error {
				if epoch == at[0] && batch == at[1] {
					cancel()
				}
				return nil
			}})
		}
		o.Callbacks = append(cbs, backup)
		_, err := m.Fit(ctx, ds(x, y), o)
		cancel()
		if i == len(interrupts) {
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, saving.CheckpointFile)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the checkpoint outlived training: %v", err)
			}
			if stop.StoppedEpoch() == 0 {
				t.Error("early stopping never fired; the test wants it to")
			}
			h := backup.History()
			if !reflect.DeepEqual(h.Epochs, wantHist.Epochs) || !reflect.DeepEqual(h.History, wantHist.History) {
				t.Errorf("history\n%v\nwant\n%v", h.History, wantHist.History)
			}
			break
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupt %d: %v", i, err)
		}
		if err := backup.Save(m); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range want.Params() {
		for j, v := range p.Value.Data {
			if math.Float32bits(v) != math.Float32bits(m.Params()[i].Value.Data[j]) {
				t.Fatalf("weight %d differs at %d after resuming", i, j)
			}
		}
	}
	if want.Optimizer().LearningRate() != m.Optimizer().LearningRate() {
		t.Errorf("learning rate %v, want %v", m.Optimizer().LearningRate(), want.Optimizer().LearningRate())
	}

	// No checkpoint: Restore says so.
	if _, _, err := BackupAndRestore(t.TempDir(), opts, saving.Meta{}).Restore(); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("restore from nothing: %v", err)
	}
}

// TestBackupKeepAndRemove: with Keep, the checkpoint of a completed run
// outlives Fit, so that a crash before the model is saved loses nothing,
// and resuming from it trains no further; Remove deletes it. A temporary
// file that a killed checkpoint write left is gone after the next write.
func TestBackupKeepAndRemove(t *testing.T) {
	x, y := data(40, 3)
	opts := tailor.FitOptions{Epochs: 2, BatchSize: 16, Seed: 2, Verbose: tailor.Silent}
	dir := t.TempDir()
	stale := filepath.Join(dir, "."+saving.CheckpointFile+".tmp-2718281828")
	if err := os.WriteFile(stale, []byte("half a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := model(t, 1)
	backup := BackupAndRestore(dir, opts, saving.Meta{})
	backup.Keep = true
	o := opts
	o.Callbacks = []tailor.Callback{backup}
	if err := fitFor(m, x, y, o); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the killed write's temporary file survived the next checkpoint: %v", err)
	}
	restored, ro, err := BackupAndRestore(dir, opts, saving.Meta{}).Restore()
	if err != nil {
		t.Fatalf("the completed run's checkpoint: %v", err)
	}
	if ro.Resume.Epoch != 2 || ro.Resume.Step != 0 {
		t.Errorf("the checkpoint resumes at %+v, want the end of epoch 2", ro.Resume)
	}
	ro.Verbose = tailor.Silent
	if err := fitFor(restored, x, y, ro); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		for j, v := range p.Value.Data {
			if math.Float32bits(v) != math.Float32bits(restored.Params()[i].Value.Data[j]) {
				t.Fatalf("resuming a completed run changed weight %d at %d", i, j)
			}
		}
	}
	os.WriteFile(stale, nil, 0o644)
	if err := backup.Remove(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Remove left %v", entries)
	}
	if err := backup.Remove(); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}

// fitFor trains m on x and y: the one place this file's new tests call Fit.
func fitFor(m *tailor.Model, x, y *tensor.Tensor, o tailor.FitOptions) error {
	_, err := m.Fit(context.Background(), ds(x, y), o)
	return err
}

// A CSV logger tracked by BackupAndRestore resumes its file where the
// checkpoint was taken: a run stopped after the logger wrote an epoch's
// row but before that epoch's checkpoint (killed or failing in between)
// trains that epoch again, and its row is written once, the file then
// the uninterrupted run's.
func TestCSVLoggerResumesWithCheckpoint(t *testing.T) {
	x, y := data(40, 5)
	opts := tailor.FitOptions{Epochs: 3, BatchSize: 16, Seed: 2, ValidationSplit: 0.2, Verbose: tailor.Silent}
	dir := t.TempDir()
	wantPath, path := filepath.Join(dir, "want.csv"), filepath.Join(dir, "log.csv")
	o := opts
	o.Callbacks = []tailor.Callback{CSVLogger(wantPath)}
	if _, err := model(t, 3).Fit(context.Background(), ds(x, y), o); err != nil {
		t.Fatal(err)
	}
	csv := CSVLogger(path)
	backup := BackupAndRestore(filepath.Join(dir, "ck"), opts, saving.Meta{}, csv)
	failed := errors.New("the checkpoint could not be written")
	o.Callbacks = []tailor.Callback{csv, &Lambda{EpochEnd: func(_ *tailor.Model, epoch int, _ tailor.Logs) error {
		if epoch == 1 {
			return failed // after epoch 1's row, before its checkpoint
		}
		return nil
	}}, backup}
	if _, err := model(t, 3).Fit(context.Background(), ds(x, y), o); !errors.Is(err, failed) {
		t.Fatalf("Fit: %v, want the failure", err)
	}
	csv = CSVLogger(path)
	backup = BackupAndRestore(filepath.Join(dir, "ck"), opts, saving.Meta{}, csv)
	m, ro, err := backup.Restore()
	if err != nil {
		t.Fatal(err)
	}
	ro.Verbose = tailor.Silent
	ro.Callbacks = []tailor.Callback{csv, backup}
	if _, err := m.Fit(context.Background(), ds(x, y), ro); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want, _ := os.ReadFile(wantPath)
	if string(got) != string(want) || len(want) == 0 {
		t.Errorf("resumed csv\n%s\nwant the uninterrupted run's\n%s", got, want)
	}
}
