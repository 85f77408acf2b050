package tailor_test

import (
	"context"
	"slices"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
)

// TestFusedReluSameBits trains a model in which a Conv2D(relu) feeds a
// MaxPooling2D or a BatchNormalization, whose backward passes layers.Fuse
// joins, and the same model with the ReLU as a layer of its own between
// them, which nothing fuses: the weights must agree bit for bit after
// every epoch, on the 2×2 pooling's vector loop (16 channels), the general
// one (3×3 windows) and batch normalisation's.
func TestFusedReluSameBits(t *testing.T) {
	x, labels := stripes(300, 4)
	train, err := datasets.WithLabels(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	build := func(fused bool, after func() layers.Layer) *tailor.Model {
		conv := func(filters int, relu bool) []layers.Layer {
			act := activations.Linear
			if relu && fused {
				act = activations.ReLU
			}
			ls := []layers.Layer{layers.Conv2D(filters, [2]int{3, 3}, layers.Conv2DOptions{Padding: layers.Same, Activation: act})}
			if relu && !fused {
				ls = append(ls, layers.Activation(activations.ReLU))
			}
			return ls
		}
		ls := []layers.Layer{layers.Reshape(12, 12, 1)}
		ls = append(ls, conv(16, true)...)
		ls = append(ls, after())
		ls = append(ls, conv(16, true)...)
		ls = append(ls, layers.MaxPooling2D([2]int{2, 2}), layers.Flatten(), layers.Dense(4, activations.Softmax))
		m := tailor.Sequential(ls...)
		if err := m.SetSeed(3); err != nil {
			t.Fatal(err)
		}
		if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for name, after := range map[string]func() layers.Layer{
		"2×2 pooling": func() layers.Layer { return layers.MaxPooling2D([2]int{2, 2}) },
		"3×3 pooling": func() layers.Layer { return layers.MaxPooling2D([2]int{3, 3}) },
		"batch norm":  func() layers.Layer { return layers.BatchNormalization() },
	} {
		fused, apart := build(true, after), build(false, after)
		for epoch := range 3 {
			for _, m := range []*tailor.Model{fused, apart} {
				if _, err := m.Fit(context.Background(), train, tailor.FitOptions{BatchSize: 32, Seed: uint64(epoch), Verbose: tailor.Silent}); err != nil {
					t.Fatal(err)
				}
			}
			a, _ := fused.Weights().Trainable()
			b, _ := apart.Weights().Trainable()
			if !slices.Equal(a, b) {
				t.Fatalf("%s, epoch %d: the fused model's weights differ from the unfused one's", name, epoch)
			}
		}
		if _, scores, err := fused.Evaluate(context.Background(), train, tailor.EvaluateOptions{}); err != nil || scores["accuracy"] < 0.5 {
			t.Errorf("%s: the model did not learn (accuracy %v, %v)", name, scores["accuracy"], err)
		}
	}
}
