package saving

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/internal/jsoncount"
)

// CheckpointFile is the name of the checkpoint inside a checkpoint
// directory. It is a model file with training.json added, so Load reads it
// too.
const CheckpointFile = "checkpoint.tailor"

// FitConfig is the part of tailor.FitOptions a checkpoint keeps: what must
// stay the same for training to resume exactly.
type FitConfig struct {
	Epochs          int     `json:"epochs"`
	BatchSize       int     `json:"batch_size"`
	Seed            uint64  `json:"seed"`
	NoShuffle       bool    `json:"no_shuffle,omitempty"`
	ValidationSplit float64 `json:"validation_split,omitempty"`
	// ClassWeight is FitOptions.ClassWeight: it weighs every step's
	// gradient, so a resumed run needs it to end where an uninterrupted
	// one would.
	ClassWeight map[int]float64 `json:"class_weight,omitempty"`
}

// FitConfigOf returns the options' FitConfig, with Fit's defaults for
// zero values.
func FitConfigOf(o tailor.FitOptions) FitConfig {
	c := FitConfig{Epochs: o.Epochs, BatchSize: o.BatchSize, Seed: o.Seed, NoShuffle: o.NoShuffle, ValidationSplit: o.ValidationSplit, ClassWeight: maps.Clone(o.ClassWeight)}
	if c.Epochs == 0 {
		c.Epochs = 1
	}
	if c.BatchSize == 0 {
		c.BatchSize = 32
	}
	return c
}

// Apply sets the options' fields that c holds.
func (c FitConfig) Apply(o *tailor.FitOptions) {
	o.Epochs, o.BatchSize, o.Seed, o.NoShuffle, o.ValidationSplit = c.Epochs, c.BatchSize, c.Seed, c.NoShuffle, c.ValidationSplit
	o.ClassWeight = maps.Clone(c.ClassWeight)
}

// Checkpoint is everything training needs to go on exactly where it
// stopped: the model with its weights and optimizer state, how Fit was
// called, how far it got, the history so far and the state of the
// callbacks that keep one.
type Checkpoint struct {
	Model *tailor.Model
	Meta  Meta
	Fit   FitConfig
	// Progress is where to resume (tailor.Model.Progress).
	Progress tailor.Progress
	// History holds the epochs finished so far; nil for none.
	History *tailor.History
	// Callbacks holds the state of stateful callbacks by a key of the
	// caller's choosing (package callbacks uses it).
	Callbacks map[string]json.RawMessage
}

// FitOptions returns Fit's options for resuming: ck.Fit's fields and
// Resume set to ck.Progress. Add the data-independent rest (callbacks,
// verbosity) before calling Fit.
func (ck *Checkpoint) FitOptions() tailor.FitOptions {
	var o tailor.FitOptions
	ck.Fit.Apply(&o)
	p := ck.Progress
	o.Resume = &p
	return o
}

// trainingJSON is training.json.
type trainingJSON struct {
	Fit       FitConfig                  `json:"fit"`
	Progress  tailor.Progress            `json:"progress"`
	History   historyJSON                `json:"history"`
	Callbacks map[string]json.RawMessage `json:"callbacks,omitempty"`
}

// historyJSON is a tailor.History as training.json and config.json keep
// it, NaN and infinities as null.
type historyJSON struct {
	Epochs  []int                  `json:"epochs"`
	History map[string][]jsonFloat `json:"history"`
	Seconds []jsonFloat            `json:"seconds"`
}

// historyOf converts h (nil for none) for JSON.
func historyOf(h *tailor.History) historyJSON {
	hj := historyJSON{History: map[string][]jsonFloat{}}
	if h == nil {
		return hj
	}
	hj.Epochs = h.Epochs
	for k, vs := range h.History {
		for _, v := range vs {
			hj.History[k] = append(hj.History[k], jsonFloat(v))
		}
	}
	for _, sec := range h.Seconds {
		hj.Seconds = append(hj.Seconds, jsonFloat(sec))
	}
	return hj
}

// history converts back, nil when no epoch was recorded.
func (hj historyJSON) history() *tailor.History {
	if len(hj.Epochs) == 0 {
		return nil
	}
	h := &tailor.History{Epochs: hj.Epochs, History: map[string][]float64{}}
	for k, vs := range hj.History {
		for _, v := range vs {
			h.History[k] = append(h.History[k], float64(v))
		}
	}
	for _, sec := range hj.Seconds {
		h.Seconds = append(h.Seconds, float64(sec))
	}
	return h
}

// check requires epochs numbered from 0 up, in order (Fit's, a resumed
// run's going on from the checkpoint's), one value of every figure, and
// one time, of no less than 0 seconds, per epoch.
func (hj historyJSON) check() error {
	for i, e := range hj.Epochs {
		if e < 0 || i > 0 && e <= hj.Epochs[i-1] {
			return fmt.Errorf("history's epoch %d is numbered %d: want numbers from 0 up, in increasing order", i+1, e)
		}
	}
	if len(hj.Seconds) != 0 && len(hj.Seconds) != len(hj.Epochs) {
		return fmt.Errorf("history of %d epochs has %d times", len(hj.Epochs), len(hj.Seconds))
	}
	for i, sec := range hj.Seconds {
		if !(sec >= 0) || math.IsInf(float64(sec), 0) {
			return fmt.Errorf("history's epoch %d took %v seconds: want a finite time of no less than 0", i+1, float64(sec))
		}
	}
	for _, k := range sortedKeys(hj.History) { // the same error every run
		if vs := hj.History[k]; len(vs) != len(hj.Epochs) {
			return fmt.Errorf("history of %d epochs has %d values of %s", len(hj.Epochs), len(vs), k)
		}
	}
	return nil
}

// jsonFloat is a float64 that encodes NaN and infinities, which JSON
// lacks, as null (read back as NaN).
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jsonFloat(math.NaN())
		return nil
	}
	// b is one JSON value, checked by the decoder: a number parses as
	// Go parses it, anything else fails.
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", b)
	}
	*f = jsonFloat(v)
	return nil
}

// SaveCheckpoint writes the checkpoint to dir/checkpoint.tailor, creating
// dir if needed, atomically: a crash leaves the previous checkpoint whole.
func SaveCheckpoint(dir string, ck *Checkpoint) error {
	if ck.Model == nil {
		return errors.New("saving: checkpoint without a model")
	}
	tj := trainingJSON{Fit: ck.Fit, Progress: ck.Progress, History: historyOf(ck.History), Callbacks: ck.Callbacks}
	training, err := json.MarshalIndent(tj, "", "  ")
	if err != nil {
		return fmt.Errorf("saving the checkpoint: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("saving the checkpoint: %w", err)
	}
	return atomicfile.Write(filepath.Join(dir, CheckpointFile), func(w io.Writer) error {
		return writeArchive(w, ck.Model, ck.Meta, append(training, '\n'))
	})
}

// LoadCheckpoint reads dir/checkpoint.tailor. When there is none, the
// error satisfies errors.Is(err, fs.ErrNotExist).
func LoadCheckpoint(dir string) (*Checkpoint, error) {
	path := filepath.Join(dir, CheckpointFile)
	c, err := readFile(path, true)
	if err != nil {
		return nil, err
	}
	if c.training == nil {
		return nil, fmt.Errorf("loading: %s is a model file, not a checkpoint: it has no training.json", path)
	}
	tj, err := parseTraining(c.training)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	// Training keeps about three times the outputs of a batch: the
	// forward outputs, the input gradients and what backward caches.
	if need := 3 * 4 * c.activations * int64(tj.Fit.BatchSize); need > MaxTrainingActivationBytes {
		return nil, fmt.Errorf("loading training.json: batches of %d examples would take %.1f GiB of activations to train this model, more than the limit of %d GiB (saving.MaxTrainingActivationBytes) (%s)",
			tj.Fit.BatchSize, float64(need)/(1<<30), MaxTrainingActivationBytes>>30, path)
	}
	if c.model.Optimizer() == nil {
		return nil, errors.New("loading training.json: the checkpoint's model is not compiled")
	}
	if p := tj.Progress; p.Metrics != nil && len(p.Metrics) != len(c.model.Metrics()) {
		return nil, fmt.Errorf("loading training.json: %d metric states for %d metrics", len(p.Metrics), len(c.model.Metrics()))
	}
	for k, raw := range tj.Callbacks {
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, fmt.Errorf("loading training.json: callback %q: %w", k, err)
		}
		tj.Callbacks[k] = buf.Bytes()
	}
	ck := &Checkpoint{Model: c.model, Meta: c.meta, Fit: tj.Fit, Progress: tj.Progress, History: tj.History.history(), Callbacks: tj.Callbacks}
	return ck, nil
}

// Sanity bounds on training.json's fit options.
const (
	maxEpochs = 1 << 20
	maxBatch  = 1 << 24
)

// maxTrainingNumbers caps the numbers training.json (and config.json) may
// hold, counted before it is decoded: each costs a float64 and more once
// decoded. A run's history takes a few numbers per epoch.
const maxTrainingNumbers = 1 << 20

// maxJSONValues caps the other values training.json and config.json may
// hold, counted before decoding too, an array or an object as four (it
// costs about four times what a string does): three bytes such as "" or {}
// cost 100 to 150 bytes decoded, so 16 MiB of them would take 860 MB. The
// rest of the file (the strings' contents, such as a callback's base64
// weights) costs about its size. A model's config takes a few values per
// layer and per column of a table, a category name each.
const maxJSONValues = 1 << 21

// countValues counts the JSON values in b: numbers, and the others:
// strings (object keys included), true, false and null one each, arrays and
// objects four each.
func countValues(b []byte) (numbers, others int) {
	c := jsoncount.Count(b)
	return c.Numbers, c.Strings + c.Literals + 4*c.Containers
}

// decodeEntry decodes the JSON entry name, b, into v: at most
// maxTrainingNumbers numbers and maxJSONValues other values (counted
// first: they cost far more decoded than their bytes do), no unknown
// fields, nothing after the object; with useNumber, numbers in untyped
// values as json.Number.
func decodeEntry(name string, b []byte, v any, useNumber bool) error {
	numbers, others := countValues(b)
	if numbers > maxTrainingNumbers {
		return fmt.Errorf("loading %s: %d numbers, more than the limit of %d", name, numbers, maxTrainingNumbers)
	}
	if others > maxJSONValues {
		return fmt.Errorf("loading %s: %d strings, lists, objects and literals (a list or an object counting as 4), more than the limit of %d", name, others, maxJSONValues)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if useNumber {
		dec.UseNumber()
	}
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("loading %s: %w", name, err)
	}
	if dec.More() {
		return fmt.Errorf("loading %s: data after the JSON object", name)
	}
	return nil
}

// parseTraining decodes and checks training.json.
func parseTraining(b []byte) (*trainingJSON, error) {
	var tj trainingJSON
	if err := decodeEntry(trainingEntry, b, &tj, false); err != nil {
		return nil, err
	}
	f, p, h := tj.Fit, tj.Progress, tj.History
	switch {
	case f.Epochs < 0 || f.Epochs > maxEpochs || f.BatchSize <= 0 || f.BatchSize > maxBatch || !(f.ValidationSplit >= 0 && f.ValidationSplit < 1):
		return nil, fmt.Errorf("loading training.json: fit options %+v", f)
	case p.Epoch < 0 || p.Step < 0 || p.Seen < 0 || math.IsNaN(p.LossSum) || math.IsInf(p.LossSum, 0):
		return nil, fmt.Errorf("loading training.json: progress %+v", p)
	}
	if err := h.check(); err != nil {
		return nil, fmt.Errorf("loading training.json: %w", err)
	}
	for _, c := range slices.Sorted(maps.Keys(f.ClassWeight)) { // the same error every run
		w := f.ClassWeight[c]
		if c < 0 || !(w >= 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("loading training.json: fit options: class_weight %v for class %d, want a class ≥ 0 and a finite weight ≥ 0", w, c)
		}
	}
	for _, s := range p.Metrics {
		if len(s) > 64 {
			return nil, errors.New("loading training.json: metric state too long")
		}
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("loading training.json: metric state %v", s)
			}
		}
	}
	return &tj, nil
}
