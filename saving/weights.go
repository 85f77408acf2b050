package saving

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/safetensors"
	"github.com/tailor-ml/tailor/tensor"
)

// maxWeightsMeta bounds the metadata entries of a weights file LoadWeights
// reads: more than a model file's (maxEntryMeta), as a file another tool
// wrote may carry its own, but not the millions a header could hold.
const maxWeightsMeta = 1024

// SaveWeights writes the model's weights alone to a safetensors file at
// path, atomically, named layer/parameter ("dense/kernel"), as Keras's
// save_weights does. The model must be built.
func SaveWeights(path string, m *tailor.Model) error {
	return atomicfile.Write(path, func(w io.Writer) error { return SaveWeightsTo(w, m) })
}

// SaveWeightsTo writes the model's weights to w as safetensors.
func SaveWeightsTo(w io.Writer, m *tailor.Model) error {
	if !m.Built() {
		return errors.New("saving: the model is not built")
	}
	ts, err := weightTensors(m)
	if err != nil {
		return err
	}
	return safetensors.Write(w, ts, map[string]string{"format": "tailor"})
}

// LoadWeights sets the weights of m, which must have the architecture they
// were saved from, from the safetensors file at path. Every weight must be
// present with its shape and finite, and no other tensor may be; on error m
// is unchanged. An unbuilt model whose first layer declares the input
// shape is built first.
func LoadWeights(path string, m *tailor.Model) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("loading weights: %w", err)
	}
	defer f.Close()
	if err := LoadWeightsFrom(f, m); err != nil {
		return fmt.Errorf("%w (%s)", err, path)
	}
	return nil
}

// LoadWeightsFrom reads the weights from r, as LoadWeights does.
func LoadWeightsFrom(r io.Reader, m *tailor.Model) error {
	if !m.Built() {
		if err := m.Build(); err != nil {
			return fmt.Errorf("loading weights: %w", err)
		}
	}
	// The file should hold the model's weights: a header that claims far
	// more (four times, or a megabyte) is refused before anything is
	// allocated for it; within that, a mismatch is named weight by weight.
	want, err := weightTensors(m)
	if err != nil {
		return fmt.Errorf("loading weights: %w", err)
	}
	var size int64
	for _, t := range want {
		size += 4 * int64(len(t.Data))
	}
	// Nor may it hold more tensors than the model has weights (each
	// costs a few hundred bytes parsed), nor much metadata.
	f, err := safetensors.Read(r, safetensors.Limits{MaxData: max(4*size, 1<<20), MaxTensors: max(len(want), 1), MaxMetadata: maxWeightsMeta})
	if err != nil {
		return fmt.Errorf("loading weights: %w", err)
	}
	if err := setWeights(m, f); err != nil {
		return fmt.Errorf("loading weights: %w", err)
	}
	return nil
}

// weightTensors lists the model's weights as tensors named
// layer/parameter, sharing the model's memory.
func weightTensors(m *tailor.Model) ([]safetensors.Tensor, error) {
	var ts []safetensors.Tensor
	names := map[string]bool{}
	for _, l := range m.Layers() {
		if err := checkLayerName(l.Name(), names); err != nil {
			return nil, fmt.Errorf("saving: %w", err)
		}
		for _, p := range l.Params() {
			ts = append(ts, safetensors.Tensor{Name: l.Name() + "/" + p.Name, DType: "F32", Shape: p.Value.Shape, Data: p.Value.Data})
		}
	}
	return ts, nil
}

// setWeights copies the file's tensors into the model's weights after
// checking all of them: the same names, the same shapes, finite values.
func setWeights(m *tailor.Model, f *safetensors.File) error {
	byName := make(map[string]*safetensors.Tensor, len(f.Tensors))
	for i := range f.Tensors {
		byName[f.Tensors[i].Name] = &f.Tensors[i]
	}
	type pair struct {
		dst []float32
		src *safetensors.Tensor
	}
	var pairs []pair
	for _, l := range m.Layers() {
		for _, p := range l.Params() {
			name := l.Name() + "/" + p.Name
			t := byName[name]
			if t == nil {
				return fmt.Errorf("no weight %s (shape %v) in the file", name, p.Value.Shape)
			}
			delete(byName, name)
			if !p.Value.Shape.Equal(t.Shape) {
				return fmt.Errorf("weight %s has shape %v in the file but %v in the model", name, tensor.Shape(t.Shape), p.Value.Shape)
			}
			if i := nonFinite(t.Data); i >= 0 {
				return fmt.Errorf("weight %s holds %v at index %d: the file is damaged or training diverged", name, t.Data[i], i)
			}
			pairs = append(pairs, pair{p.Value.Data, t})
		}
	}
	if len(byName) > 0 { // the same error every run
		return fmt.Errorf("the file holds %s, which the model has no weight for", sortedKeys(byName)[0])
	}
	for _, p := range pairs {
		copy(p.dst, p.src.Data)
	}
	return nil
}

// nonFinite returns the index of the first NaN or infinity, or -1.
func nonFinite(xs []float32) int {
	for i, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}

// optimizerTensors lists the optimizer's per-weight buffers, named
// slot/layer/parameter ("m/dense/kernel"), and its step count as metadata.
func optimizerTensors(m *tailor.Model, opt optimizers.Stateful) ([]safetensors.Tensor, map[string]string) {
	st := opt.State(m.Weights())
	meta := map[string]string{"optimizer": opt.Name(), "iterations": strconv.FormatInt(st.Iterations, 10)}
	var ts []safetensors.Tensor
	for _, slot := range sortedKeys(st.Slots) {
		for _, p := range m.Params() {
			if vs, ok := st.Slots[slot][p.Path()]; ok {
				ts = append(ts, safetensors.Tensor{Name: slot + "/" + p.Path(), DType: "F32", Shape: p.Value.Shape, Data: vs})
			}
		}
	}
	return ts, meta
}

// maxIterations bounds the optimizer's step count read from a file: 2⁵³,
// the last count a float64 (Adam's t) holds exactly, and far more steps
// than any training takes. A count near the int64 limit would overflow at
// the next step, and Adam's bias correction would then turn every weight
// into NaN.
const maxIterations = 1 << 53

// setOptimizerState gives the compiled optimizer the state in f, whose
// tensors are named slot/layer/parameter.
func setOptimizerState(m *tailor.Model, f *safetensors.File) error {
	opt, ok := m.Optimizer().(optimizers.Stateful)
	if !ok {
		return fmt.Errorf("optimizer %s keeps no state", m.Optimizer().Name())
	}
	if name := f.Metadata["optimizer"]; name != opt.Name() {
		return fmt.Errorf("the state is for optimizer %q, the model compiles %s", name, opt.Name())
	}
	iters, err := strconv.ParseInt(f.Metadata["iterations"], 10, 64)
	if err != nil || iters < 0 || iters > maxIterations {
		return fmt.Errorf("iterations %q, want a count of at most %d", f.Metadata["iterations"], int64(maxIterations))
	}
	if len(f.Metadata) != 2 {
		return fmt.Errorf("metadata %v, want optimizer and iterations", f.Metadata)
	}
	st := optimizers.State{Iterations: iters, Slots: map[string]map[string][]float32{}}
	w := m.Weights()
	for i := range f.Tensors {
		t := &f.Tensors[i]
		slot, path, ok := strings.Cut(t.Name, "/")
		p, _ := w.Lookup(path)
		switch {
		case !ok || p == nil:
			return fmt.Errorf("the file holds %s, which matches no weight", t.Name)
		case !p.Value.Shape.Equal(t.Shape):
			return fmt.Errorf("%s has shape %v, the weight %v", t.Name, tensor.Shape(t.Shape), p.Value.Shape)
		}
		if j := nonFinite(t.Data); j >= 0 {
			return fmt.Errorf("%s holds %v at index %d", t.Name, t.Data[j], j)
		}
		if st.Slots[slot] == nil {
			st.Slots[slot] = map[string][]float32{}
		}
		st.Slots[slot][path] = t.Data
	}
	return opt.SetState(st, w)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
