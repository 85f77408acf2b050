package saving_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/config"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/params"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// scaleLayer is a layer defined outside Tailor, as a user would write
// one: y = x ⊙ s, one trainable scale per feature, starting at initial.
type scaleLayer struct {
	name    string
	initial float64
	scale   *params.Param
}

type scaleState struct {
	x       *tensor.Tensor
	out, dx tensor.Tensor
}

func (l *scaleLayer) Type() string        { return "TestScale" }
func (l *scaleLayer) Name() string        { return l.name }
func (l *scaleLayer) SetName(name string) { l.name = name }

func (l *scaleLayer) Build(in tensor.Shape, w *params.Builder) (tensor.Shape, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("test_scale: input %v, want (features,)", in)
	}
	v := float32(l.initial)
	l.scale = w.Add("scale", func(s []float32, _ tensor.Shape, _ *rand.Rand) {
		for i := range s {
			s[i] = v
		}
	}, true, in[0])
	return in, nil
}

func (l *scaleLayer) NewState() layers.State { return &scaleState{} }

func (l *scaleLayer) Forward(s layers.State, x *tensor.Tensor, _ bool) *tensor.Tensor {
	st := s.(*scaleState)
	st.x = x
	st.out.Resize(x.Shape...)
	n := len(l.scale.Value.Data)
	for i, v := range x.Data {
		st.out.Data[i] = v * l.scale.Value.Data[i%n]
	}
	return &st.out
}

func (l *scaleLayer) Backward(s layers.State, dy *tensor.Tensor, needInputGrad bool) *tensor.Tensor {
	st := s.(*scaleState)
	g, n := l.scale.Grad.Data, len(l.scale.Value.Data)
	clear(g)
	for i, d := range dy.Data {
		g[i%n] += d * st.x.Data[i] // y = x·s, so ds = Σ_batch dy·x and dx = dy·s
	}
	if !needInputGrad {
		return nil
	}
	st.dx.Resize(dy.Shape...)
	for i, d := range dy.Data {
		st.dx.Data[i] = d * l.scale.Value.Data[i%n]
	}
	return &st.dx
}

func (l *scaleLayer) Params() []*params.Param { return []*params.Param{l.scale} }
func (l *scaleLayer) Config() map[string]any {
	return map[string]any{"name": l.name, "initial": l.initial}
}

// signSGD is an optimizer defined outside Tailor: w −= lr·sign(g).
type signSGD struct{ lr float64 }

func (o *signSGD) Name() string               { return "TestSignSGD" }
func (o *signSGD) LearningRate() float64      { return o.lr }
func (o *signSGD) SetLearningRate(lr float64) { o.lr = lr }
func (o *signSGD) Config() map[string]any     { return map[string]any{"learning_rate": o.lr} }
func (o *signSGD) Apply(w *params.Arena) {
	values, grads := w.Trainable()
	for i, g := range grads {
		switch {
		case g > 0:
			values[i] -= float32(o.lr)
		case g < 0:
			values[i] += float32(o.lr)
		}
	}
}

func init() {
	layers.Register("TestScale", func(c *config.Reader) (layers.Layer, error) {
		return &scaleLayer{initial: c.Float("initial", 1)}, nil
	})
	optimizers.Register("TestSignSGD", func(c *config.Reader) (optimizers.Optimizer, error) {
		lr := c.Float("learning_rate", 0.01)
		if !(lr > 0) {
			return nil, fmt.Errorf("learning_rate %v, want > 0", lr)
		}
		return &signSGD{lr: lr}, nil
	})
}

// TestRegisteredClassesRoundTrip trains a model with a layer and an
// optimizer registered by this test, saves it, loads it and checks that
// the loaded model predicts the same and trains on identically.
func TestRegisteredClassesRoundTrip(t *testing.T) {
	ctx := context.Background()
	x, labels := blobs4(300)
	train, err := datasets.WithLabels(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	build := func() *tailor.Model {
		m := tailor.Sequential(layers.Dense(8, activations.ReLU), &scaleLayer{initial: 0.5}, layers.Dense(3, activations.Softmax))
		if err := m.Compile(&signSGD{lr: 0.01}, losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := build()
	opts := tailor.FitOptions{Epochs: 3, Seed: 2, Verbose: tailor.Silent}
	h, err := m.Fit(ctx, train, opts)
	if err != nil {
		t.Fatal(err)
	}
	if acc := h.History["accuracy"][2]; acc < 0.9 {
		t.Fatalf("accuracy %v: the test model did not train", acc)
	}
	var file bytes.Buffer
	if err := saving.SaveTo(&file, m, saving.Meta{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"class_name": "TestScale"`, `"class_name": "TestSignSGD"`} {
		if !strings.Contains(configJSON(t, file.Bytes()), want) {
			t.Errorf("config.json lacks %s", want)
		}
	}
	loaded, _, err := saving.LoadFrom(bytes.NewReader(file.Bytes()), int64(file.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := loaded.Layers()[1].(*scaleLayer); !ok {
		t.Fatalf("layer 1 loaded as %T", loaded.Layers()[1])
	}
	if o, ok := loaded.Optimizer().(*signSGD); !ok || o.lr != 0.01 {
		t.Fatalf("optimizer loaded as %#v", loaded.Optimizer())
	}
	p1, _ := m.Predict(ctx, x, tailor.PredictOptions{})
	p2, _ := loaded.Predict(ctx, x, tailor.PredictOptions{})
	if !slices.Equal(p1.Data, p2.Data) {
		t.Error("the loaded model predicts differently")
	}
	opts.Epochs, opts.InitialEpoch = 4, 3
	for _, model := range []*tailor.Model{m, loaded} {
		if _, err := model.Fit(ctx, train, opts); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(m.Weights().Values(), loaded.Weights().Values()) {
		t.Error("the original and the loaded model trained on to different weights")
	}
}

// TestUnregisteredLayer: a layer whose type is not registered cannot be
// saved, and a file naming an unknown type cannot be loaded.
func TestUnregisteredLayer(t *testing.T) {
	m := tailor.Sequential(layers.Dense(2, ""), &unregistered{scaleLayer{initial: 1}})
	if err := m.Build(3); err != nil {
		t.Fatal(err)
	}
	err := saving.SaveTo(&bytes.Buffer{}, m, saving.Meta{})
	if err == nil || !strings.Contains(err.Error(), `unknown layer type "TestUnregistered"`) || !strings.Contains(err.Error(), "layers.Register") {
		t.Errorf("saving an unregistered layer: %v", err)
	}
	if _, err := layers.FromConfig("TestUnregistered", map[string]any{}); err == nil || !strings.Contains(err.Error(), "TestScale") {
		t.Errorf("FromConfig of an unknown type: %v, want the registered types listed", err)
	}
}

type unregistered struct{ scaleLayer }

func (*unregistered) Type() string { return "TestUnregistered" }

// blobs4 returns n examples of 4 features in 3 classes around 2·e_k.
func blobs4(n int) (*tensor.Tensor, []uint8) {
	rng := rand.New(rand.NewPCG(7, 7))
	x, labels := tensor.New(n, 4), make([]uint8, n)
	for i := range labels {
		k := rng.IntN(3)
		labels[i] = uint8(k)
		row := x.Row(i)
		for j := range row {
			row[j] = float32(0.3 * rng.NormFloat64())
		}
		row[k] += 2
	}
	return x, labels
}

// configJSON returns the config.json entry of a model file.
func configJSON(t *testing.T, file []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "config.json" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	t.Fatal("no config.json")
	return ""
}
