package onnx_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/onnx"
	"github.com/tailor-ml/tailor/tensor"
)

// layerCase is a small model that exercises some translations, with the
// input shape it is built for.
type layerCase struct {
	name  string
	in    []int
	model func(t *testing.T) *tailor.Model
}

func fromConfig(t *testing.T, typ string, cfg map[string]any) layers.Layer {
	t.Helper()
	l, err := layers.FromConfig(typ, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func conv(filters int, size [2]int, o layers.Conv2DOptions) layers.Layer {
	return layers.Conv2D(filters, size, o)
}

// layerCases cover every layer type and option the exporter translates:
// each padding with odd sizes and strides (Keras's same padding puts the odd
// row or column below or to the right), even kernels, one-channel images
// of shape (H, W), batch normalisation over images, features and other
// ranks, softmax over images and over a flattened channels-first tensor,
// Dense after Flatten with and without element-wise layers between, and the
// layers that vanish at inference, and a Reshape to one value per example
// (target shape ()).
var layerCases = []layerCase{
	{"dense", []int{4, 5}, func(t *testing.T) *tailor.Model {
		return tailor.Sequential(
			layers.Flatten(),
			layers.Dense(7, activations.Sigmoid),
			fromConfig(t, "Dense", map[string]any{"units": 6, "activation": "tanh", "use_bias": false}),
			layers.Dense(5, activations.Linear),
			layers.Activation(activations.Softmax),
		)
	}},
	{"conv-pool-padding", []int{9, 7}, func(t *testing.T) *tailor.Model {
		return tailor.Sequential(
			conv(3, [2]int{2, 2}, layers.Conv2DOptions{Padding: layers.Same, Activation: activations.ReLU}),
			conv(4, [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same, Strides: [2]int{2, 2}, Activation: activations.Tanh}),
			layers.AveragePooling2D([2]int{3, 3}, layers.PoolOptions{Strides: [2]int{2, 2}, Padding: layers.Same}),
			layers.MaxPooling2D([2]int{2, 2}, layers.PoolOptions{Strides: [2]int{1, 1}, Padding: layers.Same}),
			conv(5, [2]int{2, 1}, layers.Conv2DOptions{Strides: [2]int{1, 2}, NoBias: true}),
			layers.BatchNormalization(),
			layers.Activation(activations.ReLU),
			layers.Flatten(),
			layers.Dense(8, activations.ReLU),
			layers.Dropout(0.5),
			layers.Dense(3, activations.Softmax),
		)
	}},
	{"avg-pool-same-borders", []int{7, 8, 3}, func(t *testing.T) *tailor.Model {
		return tailor.Sequential(
			layers.AveragePooling2D([2]int{3, 3}, layers.PoolOptions{Padding: layers.Same}),
			layers.AveragePooling2D([2]int{2, 3}, layers.PoolOptions{Strides: [2]int{1, 1}, Padding: layers.Same}),
			layers.MaxPooling2D([2]int{3, 2}, layers.PoolOptions{Strides: [2]int{2, 1}}),
		)
	}},
	{"one-channel-pooling", []int{8, 6}, func(t *testing.T) *tailor.Model {
		return tailor.Sequential(
			layers.MaxPooling2D([2]int{2, 2}),
			layers.AveragePooling2D([2]int{3, 2}, layers.PoolOptions{Strides: [2]int{2, 1}, Padding: layers.Same}),
			layers.BatchNormalization(), // over the last axis of (H, W)
			layers.Reshape(-1, 2),
			layers.Activation(activations.Softmax),
		)
	}},
	{"global-pooling-softmax-images", []int{10, 9, 3}, func(t *testing.T) *tailor.Model {
		return tailor.Sequential(
			conv(4, [2]int{3, 3}, layers.Conv2DOptions{Activation: activations.Softmax}),
			layers.Activation(activations.Sigmoid),
			layers.GlobalAveragePooling2D(),
			layers.BatchNormalization(),
			layers.Dense(5, activations.Softmax),
		)
	}},
	{"flatten-then-softmax", []int{6, 6, 2}, func(t *testing.T) *tailor.Model {
		return tailor.Sequential(
			conv(3, [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same}),
			layers.Flatten(),
			layers.Activation(activations.ReLU), // element-wise: the (c, h, w) order stays
			layers.Dropout(0.2),
			layers.Dense(4, activations.ReLU),
			layers.Reshape(2, 2),
			layers.Activation(activations.Softmax),
		)
	}},
	{"flatten-softmax-output", []int{5, 4, 2}, func(t *testing.T) *tailor.Model {
		return tailor.Sequential(
			conv(3, [2]int{2, 2}, layers.Conv2DOptions{Strides: [2]int{2, 2}, Padding: layers.Same}),
			layers.Flatten(),
			layers.Activation(activations.Softmax), // needs Tailor's order back
		)
	}},
	{"reshape-augment-conv-output", []int{24}, func(t *testing.T) *tailor.Model {
		return tailor.Sequential(
			layers.Reshape(4, 3, 2),
			layers.RandomFlip(layers.HorizontalAndVertical),
			layers.RandomTranslation(0.2, 0.2),
			layers.RandomErasing(0.5),
			conv(3, [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same}),
			layers.BatchNormalization(),
			layers.Reshape(3, 4, 3),
			layers.BatchNormalization(),
			layers.MaxPooling2D([2]int{2, 2}, layers.PoolOptions{Padding: layers.Same}),
		)
	}},
	{"dropout-only", []int{3}, func(t *testing.T) *tailor.Model {
		return tailor.Sequential(layers.Dropout(0.5))
	}},
	{"reshape-to-scalar", []int{4}, func(t *testing.T) *tailor.Model {
		// one output per example, (N,) rather than (N, 1), as a regressor's.
		return tailor.Sequential(layers.Dense(1, activations.Linear), layers.Reshape())
	}},
}

// buildRandom builds the case's model with random weights, and random
// moving statistics in its batch normalisations, so that every parameter
// matters.
func buildRandom(t *testing.T, c layerCase, seed uint64) *tailor.Model {
	t.Helper()
	m := c.model(t)
	if err := m.SetSeed(seed); err != nil {
		t.Fatal(err)
	}
	if err := m.Build(c.in...); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	for _, l := range m.Layers() {
		for _, p := range l.Params() {
			for i := range p.Value.Data {
				switch p.Name {
				case "moving_variance":
					p.Value.Data[i] = float32(0.2 + rng.Float64())
				case "gamma":
					p.Value.Data[i] = float32(0.5 + rng.Float64())
				default:
					p.Value.Data[i] = float32(rng.NormFloat64() * 0.5)
				}
			}
		}
	}
	return m
}

// randomInput is a batch of n examples of the given shape, uniform in
// [−1, 2).
func randomInput(n int, shape []int, seed uint64) *tensor.Tensor {
	x := tensor.New(append([]int{n}, shape...)...)
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range x.Data {
		x.Data[i] = float32(3*rng.Float64() - 1)
	}
	return x
}

// closeEnough reports the largest difference between Tailor's and ONNX
// Runtime's outputs relative to max(1, |Tailor's|).
func maxRelDiff(want, got *tensor.Tensor) float64 {
	worst := 0.0
	for i, w := range want.Data {
		d := math.Abs(float64(w)-float64(got.Data[i])) / math.Max(1, math.Abs(float64(w)))
		if d > worst || math.IsNaN(d) {
			worst = d
			if math.IsNaN(d) {
				return math.Inf(1)
			}
		}
	}
	return worst
}

// TestLayersAgainstONNXRuntime runs every case through Tailor's Predict
// and through ONNX Runtime and compares the outputs, at opsets 13, 17
// (the default, also checked by onnx.checker) and 21.
func TestLayersAgainstONNXRuntime(t *testing.T) {
	node := needORT(t)
	ctx := context.Background()
	for _, c := range layerCases {
		for _, opset := range []int{onnx.MinOpset, onnx.DefaultOpset, onnx.MaxOpset} {
			t.Run(c.name+"/opset"+itoa(opset), func(t *testing.T) {
				m := buildRandom(t, c, 3)
				x := randomInput(37, c.in, 5)
				want, err := m.Predict(ctx, x, tailor.PredictOptions{})
				if err != nil {
					t.Fatal(err)
				}
				path := export(t, m, onnx.Options{Opset: opset})
				got, _ := runORT(t, node, path, x, m.OutputShape())
				d := maxRelDiff(want, got)
				if d > 1e-5 {
					t.Errorf("ONNX Runtime's output differs from Predict's by up to %.3g (relative to max(1, |y|)), want ≤ 1e-5", d)
				}
				t.Logf("largest difference %.3g (relative to max(1, |y|)), %d outputs", d, len(want.Data))
				if opset <= onnx.DefaultOpset {
					checkModel(t, path)
				}
			})
		}
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
