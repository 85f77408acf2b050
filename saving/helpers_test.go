package saving

import (
	"archive/zip"
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/tensor"
)

// synthetic returns n examples of shape (h, w) in three classes, the class
// deciding which third of the image is bright, plus noise.
func synthetic(n, h, w int, seed uint64) (x, y *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x, y = tensor.New(n, h, w), tensor.New(n)
	for i := range n {
		c := rng.IntN(3)
		y.Data[i] = float32(c)
		img := x.Data[i*h*w : (i+1)*h*w]
		for r := range h {
			for col := range w {
				v := 0.2 * rng.Float32()
				if col*3/w == c {
					v += 0.7
				}
				img[r*w+col] = v
			}
		}
	}
	return x, y
}

// smallMLP is the tutorial's MLP, shrunk to 6×6 inputs and three classes.
func smallMLP(seed uint64) *tailor.Model {
	m := tailor.Sequential(
		layers.Flatten(6, 6),
		layers.Dense(16, activations.ReLU),
		layers.Dropout(0.2),
		layers.Dense(3, activations.Softmax),
	)
	m.SetSeed(seed)
	return m
}

// smallCNN uses every layer type FromConfig knows.
func smallCNN(seed uint64) *tailor.Model {
	m := tailor.Sequential(
		layers.RandomFlip(layers.Horizontal),
		layers.RandomTranslation(0.1, 0.2, layers.TranslationOptions{FillMode: layers.FillConstant, FillValue: 0.5}),
		layers.Reshape(8, 8, 1),
		layers.Conv2D(4, [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same, Activation: activations.ReLU}),
		layers.BatchNormalization(layers.BatchNormOptions{Momentum: 0.9}),
		layers.MaxPooling2D([2]int{2, 2}),
		layers.Conv2D(6, [2]int{3, 3}, layers.Conv2DOptions{Strides: [2]int{1, 1}, NoBias: true}),
		layers.AveragePooling2D([2]int{2, 2}, layers.PoolOptions{Padding: layers.Same}),
		layers.Flatten(),
		layers.Dropout(0.25),
		layers.Dense(8, activations.Tanh),
		layers.Dense(3, activations.Softmax),
	)
	m.SetSeed(seed)
	return m
}

// gapCNN ends in global average pooling.
func gapCNN(seed uint64) *tailor.Model {
	m := tailor.Sequential(
		layers.Conv2D(5, [2]int{3, 3}, layers.Conv2DOptions{Activation: activations.ReLU, InputShape: []int{8, 8, 1}}),
		layers.GlobalAveragePooling2D(),
		layers.Dense(3, activations.Softmax),
	)
	m.SetSeed(seed)
	return m
}

func compileAdam(t testing.TB, m *tailor.Model) {
	t.Helper()
	if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
}

// trained returns the small MLP after two epochs of Adam on synthetic data.
func trained(t testing.TB) *tailor.Model {
	t.Helper()
	m := smallMLP(7)
	compileAdam(t, m)
	x, y := synthetic(64, 6, 6, 1)
	if _, err := m.Fit(context.Background(), ds(x, y), tailor.FitOptions{Epochs: 2, BatchSize: 16, Seed: 3, Verbose: tailor.Silent}); err != nil {
		t.Fatal(err)
	}
	return m
}

// saved returns the model file's bytes.
func saved(t testing.TB, m *tailor.Model, meta Meta) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := SaveTo(&buf, m, meta); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func loadBytes(b []byte) (*tailor.Model, Meta, error) {
	return LoadFrom(bytes.NewReader(b), int64(len(b)))
}

// entries returns a model file's entries by name, in order.
func entries(t testing.TB, b []byte) (names []string, content map[string][]byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	content = map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		names = append(names, f.Name)
		content[f.Name] = buf.Bytes()
	}
	return names, content
}

// archive zips entries (name, content pairs) with correct checksums.
func archive(kv ...any) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < len(kv); i += 2 {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: kv[i].(string), Method: zip.Store})
		w.Write(kv[i+1].([]byte))
	}
	zw.Close()
	return buf.Bytes()
}

// sameBits reports whether two models' weights are bit for bit equal.
func sameBits(t testing.TB, a, b *tailor.Model) {
	t.Helper()
	pa, pb := a.Params(), b.Params()
	if len(pa) != len(pb) {
		t.Fatalf("%d parameters against %d", len(pa), len(pb))
	}
	for i := range pa {
		for j, v := range pa[i].Value.Data {
			if math.Float32bits(v) != math.Float32bits(pb[i].Value.Data[j]) {
				t.Fatalf("parameter %d (%s) differs at %d: %v against %v", i, pa[i].Name, j, v, pb[i].Value.Data[j])
			}
		}
	}
}

func samePredictions(t testing.TB, a, b *tailor.Model, x *tensor.Tensor) {
	t.Helper()
	pa, err := a.Predict(context.Background(), x, tailor.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := b.Predict(context.Background(), x, tailor.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range pa.Data {
		if math.Float32bits(v) != math.Float32bits(pb.Data[i]) {
			t.Fatalf("prediction %d differs: %v against %v", i, v, pb.Data[i])
		}
	}
}
