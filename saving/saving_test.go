package saving

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/safetensors"
)

var threeClasses = []string{"left", "middle", "right"}

func TestRoundTripMLP(t *testing.T) {
	m := trained(t)
	meta := Meta{ClassNames: threeClasses, Preprocessing: &Preprocessing{Rescale: 1.0 / 255, Polarity: PolarityLightOnDark}}
	b := saved(t, m, meta)
	got, gotMeta, err := loadBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotMeta, meta) {
		t.Errorf("meta %+v, want %+v", gotMeta, meta)
	}
	sameBits(t, m, got)
	x, y := synthetic(40, 6, 6, 9)
	samePredictions(t, m, got, x)

	// The compile config and the optimizer state came back: one more
	// step from each gives the same weights.
	if got.Optimizer().Name() != "Adam" || got.Loss().Name() != "sparse_categorical_crossentropy" || len(got.Metrics()) != 1 {
		t.Fatalf("compiled with %s, %s, %d metrics", got.Optimizer().Name(), got.Loss().Name(), len(got.Metrics()))
	}
	if a, b := m.Optimizer().(*optimizers.AdamOptimizer).Iterations(), got.Optimizer().(*optimizers.AdamOptimizer).Iterations(); a != b || a != 8 {
		t.Fatalf("iterations %d and %d, want 8", a, b)
	}
	// (Fit, not TrainOnBatch: Fit reseeds the dropout layer.)
	for _, model := range []*tailor.Model{m, got} {
		if _, err := model.Fit(context.Background(), ds(x, y), tailor.FitOptions{BatchSize: 16, Seed: 4, Verbose: tailor.Silent}); err != nil {
			t.Fatal(err)
		}
	}
	sameBits(t, m, got)

	// Saving is deterministic.
	if !bytes.Equal(saved(t, m, meta), saved(t, m, meta)) {
		t.Error("two saves of one model differ")
	}
}

func TestRoundTripCNN(t *testing.T) {
	for name, build := range map[string]func(uint64) *tailor.Model{"cnn": smallCNN, "gap": gapCNN} {
		t.Run(name, func(t *testing.T) {
			m := build(5)
			// The gap model trains with label smoothing, which its copy
			// must keep for the continued training below to match.
			loss := losses.SparseCategoricalCrossentropyLoss{}
			if name == "gap" {
				loss.LabelSmoothing = 0.1
			}
			if err := m.Compile(optimizers.Adam(), loss, metrics.Accuracy()); err != nil {
				t.Fatal(err)
			}
			x, y := synthetic(48, 8, 8, 2)
			if name == "gap" {
				x.Shape = append(x.Shape, 1)
			}
			if _, err := m.Fit(context.Background(), ds(x, y), tailor.FitOptions{Epochs: 1, BatchSize: 16, Seed: 1, Verbose: tailor.Silent}); err != nil {
				t.Fatal(err)
			}
			got, _, err := loadBytes(saved(t, m, Meta{}))
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range m.Layers() {
				if !reflect.DeepEqual(l.Config(), got.Layers()[i].Config()) {
					t.Errorf("layer %d: config %v, want %v", i, got.Layers()[i].Config(), l.Config())
				}
			}
			sameBits(t, m, got)
			samePredictions(t, m, got, x)
			if got.Loss() != m.Loss() {
				t.Errorf("loaded loss %#v, want %#v", got.Loss(), m.Loss())
			}
			for _, model := range []*tailor.Model{m, got} {
				if _, err := model.Fit(context.Background(), ds(x, y), tailor.FitOptions{BatchSize: 16, Seed: 4, Verbose: tailor.Silent}); err != nil {
					t.Fatal(err)
				}
			}
			sameBits(t, m, got)
		})
	}
}

// TestWeightsEntryIsSafetensors checks the archive: stored entries, the
// weights in safetensors under layer/parameter names, a readable config.
func TestWeightsEntryIsSafetensors(t *testing.T) {
	m := trained(t)
	b := saved(t, m, Meta{})
	names, content := entries(t, b)
	if want := []string{"config.json", "model.safetensors", "optimizer.safetensors"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	// Stored uncompressed: the safetensors bytes appear verbatim.
	if !bytes.Contains(b, content["model.safetensors"]) {
		t.Error("model.safetensors is not stored verbatim")
	}
	f, err := safetensors.Read(bytes.NewReader(content["model.safetensors"]), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tt := range f.Tensors {
		got = append(got, tt.Name)
	}
	if want := []string{"dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tensors %v, want %v", got, want)
	}
	if k := f.Tensor("dense/kernel"); !reflect.DeepEqual(k.Shape, []int{36, 16}) || !reflect.DeepEqual(k.Data, m.Params()[0].Value.Data) {
		t.Error("dense/kernel differs from the model's")
	}
	o, err := safetensors.Read(bytes.NewReader(content["optimizer.safetensors"]), safetensors.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if o.Metadata["iterations"] != "8" || o.Tensor("m/dense/kernel") == nil || o.Tensor("v/dense_1/bias") == nil {
		t.Errorf("optimizer state %v", o.Metadata)
	}
	var cfg map[string]any
	if err := json.Unmarshal(content["config.json"], &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg["format"] != "tailor.model" || cfg["format_version"] != 1.0 {
		t.Errorf("config %v", cfg)
	}
}

func TestSaveAndLoadPath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.tailor")
	m := trained(t)
	if err := os.WriteFile(path, []byte("an older file"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, m, FashionMNIST(threeClasses)); err != nil {
		t.Fatal(err)
	}
	got, meta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, m, got)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fromReader, _, err := LoadReader(f); err != nil {
		t.Fatal(err)
	} else {
		sameBits(t, m, fromReader)
	}
	if meta.Preprocessing.Polarity != PolarityLightOnDark {
		t.Errorf("meta %+v", meta)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 {
		t.Errorf("the directory holds %d files, want only the model (no temporary left)", len(files))
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want the replaced file's 0600 kept", st.Mode())
	}
	fresh := filepath.Join(dir, "fresh.tailor")
	if err := Save(fresh, m, Meta{}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(fresh); st.Mode().Perm() != 0o644 {
		t.Errorf("a new file has mode %v, want 0644", st.Mode())
	}
	os.Remove(fresh)
	// A failed save leaves the old file alone.
	bad := smallMLP(1) // not built
	if err := Save(path, bad, Meta{}); err == nil {
		t.Fatal("saved an unbuilt model")
	}
	if _, _, err := Load(path); err != nil {
		t.Fatalf("the old file was damaged: %v", err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 1 {
		t.Errorf("a failed save left %d files", len(files))
	}
	if _, _, err := Load(filepath.Join(dir, "missing.tailor")); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing file: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func TestSaveWeights(t *testing.T) {
	m := trained(t)
	path := filepath.Join(t.TempDir(), "model.weights.safetensors")
	if err := SaveWeights(path, m); err != nil {
		t.Fatal(err)
	}
	fresh := smallMLP(99)
	if err := LoadWeights(path, fresh); err != nil {
		t.Fatal(err)
	}
	sameBits(t, m, fresh)

	// A model of another shape is refused and left unchanged.
	other := smallCNN(1)
	other.Build(8, 8)
	before := other.Params()[0].Value.Clone()
	err := LoadWeights(path, other)
	if err == nil || !strings.Contains(err.Error(), "no weight conv2d/kernel") {
		t.Fatalf("error %v", err)
	}
	if !reflect.DeepEqual(before.Data, other.Params()[0].Value.Data) {
		t.Error("a failed LoadWeights changed the model")
	}
}

func TestSaveErrors(t *testing.T) {
	m := trained(t)
	if err := SaveTo(new(bytes.Buffer), m, Meta{ClassNames: []string{"a", "b"}}); err == nil || !strings.Contains(err.Error(), "2 class names") {
		t.Errorf("error %v", err)
	}
	if err := SaveTo(new(bytes.Buffer), smallMLP(1), Meta{}); err == nil || !strings.Contains(err.Error(), "not built") {
		t.Errorf("error %v", err)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	m := trained(t)
	dir := filepath.Join(t.TempDir(), "ckpt")
	hist := &tailor.History{Epochs: []int{0, 1}, History: map[string][]float64{"loss": {1, 0.5}, "val_loss": {2, nanValue()}}, Seconds: []float64{0.1, 0.2}}
	ck := &Checkpoint{
		Model: m, Meta: Meta{ClassNames: threeClasses},
		Fit:       FitConfig{Epochs: 5, BatchSize: 16, Seed: 3, ValidationSplit: 0.25},
		Progress:  tailor.Progress{Epoch: 2, Step: 1, Seen: 16, LossSum: 12.5, Metrics: [][]float64{{9, 16}}},
		History:   hist,
		Callbacks: map[string]json.RawMessage{"early_stopping": json.RawMessage(`{"wait":1}`)},
	}
	if err := SaveCheckpoint(dir, ck); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	sameBits(t, m, got.Model)
	if !reflect.DeepEqual(got.Fit, ck.Fit) || !reflect.DeepEqual(got.Progress, ck.Progress) || string(got.Callbacks["early_stopping"]) != `{"wait":1}` {
		t.Errorf("got %+v", got)
	}
	if got.History.History["val_loss"][1] == got.History.History["val_loss"][1] || got.History.History["loss"][1] != 0.5 {
		t.Errorf("history %v", got.History.History)
	}
	o := got.FitOptions()
	if o.Epochs != 5 || o.BatchSize != 16 || o.Seed != 3 || o.ValidationSplit != 0.25 || o.Resume == nil || o.Resume.Step != 1 {
		t.Errorf("fit options %+v", o)
	}
	// A checkpoint is a model file too.
	if _, _, err := Load(filepath.Join(dir, CheckpointFile)); err != nil {
		t.Error(err)
	}
	// A model file is not a checkpoint.
	if err := Save(filepath.Join(dir, CheckpointFile), m, Meta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCheckpoint(dir); err == nil || !strings.Contains(err.Error(), "not a checkpoint") {
		t.Errorf("error %v", err)
	}
	if _, err := LoadCheckpoint(t.TempDir()); !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("empty directory: %v", err)
	}
}

func nanValue() float64 {
	var zero float64
	return zero / zero
}

// TestHistoryAndTrainingRoundTrip: a model file keeps the history and the
// training record it was saved with, NaN included, and refuses a history
// whose lengths disagree.
func TestHistoryAndTrainingRoundTrip(t *testing.T) {
	m := trained(t)
	meta := FashionMNIST(threeClasses)
	meta.History = &tailor.History{Epochs: []int{0, 1}, History: map[string][]float64{"loss": {0.9, 0.5}, "val_loss": {math.NaN(), 0.6}}, Seconds: []float64{1.5, 1.25}}
	meta.Training = &Training{Seconds: 2.75, Settings: []Setting{{"recipe", "mlp"}, {"epochs", "2"}}}
	var b bytes.Buffer
	if err := SaveTo(&b, m, meta); err != nil {
		t.Fatal(err)
	}
	_, got, err := LoadFrom(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	h := got.History
	if h == nil || !slices.Equal(h.Epochs, []int{0, 1}) || !slices.Equal(h.History["loss"], []float64{0.9, 0.5}) ||
		!math.IsNaN(h.History["val_loss"][0]) || h.History["val_loss"][1] != 0.6 || !slices.Equal(h.Seconds, []float64{1.5, 1.25}) {
		t.Errorf("history %+v", h)
	}
	if !reflect.DeepEqual(got.Training, meta.Training) {
		t.Errorf("training %+v, want %+v", got.Training, meta.Training)
	}
	meta.History.History["accuracy"] = []float64{0.5}
	if err := SaveTo(&bytes.Buffer{}, m, meta); err == nil || !strings.Contains(err.Error(), "history of 2 epochs has 1 values of accuracy") {
		t.Errorf("saving an inconsistent history: %v", err)
	}
	delete(meta.History.History, "accuracy")
	for _, tc := range []struct {
		epochs  []int
		seconds []float64
		want    string
	}{
		{[]int{0, 1e15}, []float64{1, 1}, ""}, // numbers need not be consecutive
		{[]int{-1, 0}, []float64{1, 1}, "epoch 1 is numbered -1"},
		{[]int{1, 1}, []float64{1, 1}, "epoch 2 is numbered 1: want numbers from 0 up, in increasing order"},
		{[]int{3, 2}, []float64{1, 1}, "epoch 2 is numbered 2"},
		{[]int{0, 1}, []float64{1, -2}, "epoch 2 took -2 seconds"},
		{[]int{0, 1}, []float64{math.Inf(1), 1}, "epoch 1 took +Inf seconds"},
	} {
		meta.History.Epochs, meta.History.Seconds = tc.epochs, tc.seconds
		err := SaveTo(&bytes.Buffer{}, m, meta)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("history of epochs %v, seconds %v: %v, want %q", tc.epochs, tc.seconds, err, tc.want)
		}
	}
}
