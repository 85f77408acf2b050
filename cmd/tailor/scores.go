package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/tensor"
)

// scores is how a classifier did on a labelled split, as evaluate and
// train print it and the figures and the report show it.
type scores struct {
	loss      float64        // set where the split was evaluated as well as predicted
	probs     *tensor.Tensor // (N, 1) sigmoid outputs or (N, classes) probabilities
	predicted []int
	accuracy  float64
	perClass  []float64 // NaN for a class with no examples
	confusion [][]int
}

// classLabel is the type of a split's labels: uint8 for images, int32 for
// tables.
type classLabel interface{ ~uint8 | ~int32 }

// newScores scores predicted against labels.
func newScores[L classLabel](probs *tensor.Tensor, predicted []int, labels []L, classes int) *scores {
	right := 0
	for i, l := range labels {
		if predicted[i] == int(l) {
			right++
		}
	}
	return &scores{
		probs:     probs,
		predicted: predicted,
		accuracy:  float64(right) / float64(max(len(labels), 1)),
		perClass:  perClassAccuracy(labels, predicted, classes),
		confusion: confusion(labels, predicted, classes),
	}
}

// scoreSplit predicts x and scores the most probable classes against
// labels.
func scoreSplit(ctx context.Context, model *tailor.Model, x *tensor.Tensor, labels []uint8, classes int, opts tailor.PredictOptions) (*scores, error) {
	probs, err := model.Predict(ctx, x, opts)
	if err != nil {
		return nil, err
	}
	return newScores(probs, probs.Argmax(), labels, classes), nil
}

// perClassAccuracy returns, for each class, the fraction of its examples
// predicted correctly: NaN for a class with none, whose accuracy is
// undefined (0 would read as every example wrong).
func perClassAccuracy[L classLabel](labels []L, predicted []int, classes int) []float64 {
	right, total := make([]int, classes), make([]int, classes)
	for i, l := range labels {
		total[l]++
		if predicted[i] == int(l) {
			right[l]++
		}
	}
	acc := make([]float64, classes)
	for c := range acc {
		acc[c] = math.NaN()
		if total[c] > 0 {
			acc[c] = float64(right[c]) / float64(total[c])
		}
	}
	return acc
}

// formatAccuracy writes a per-class accuracy to four places, or "n/a" for
// a class with no examples (NaN).
func formatAccuracy(a float64) string {
	if math.IsNaN(a) {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", a)
}

// accuracies is the per-class accuracies of a JSON report. JSON has no
// NaN, so a class with no examples is null there.
type accuracies []float64

// MarshalJSON writes the accuracies as an array of numbers, null for NaN.
func (a accuracies) MarshalJSON() ([]byte, error) {
	if a == nil {
		return []byte("null"), nil
	}
	vals := make([]*float64, len(a))
	for i := range a {
		if !math.IsNaN(a[i]) {
			vals[i] = &a[i]
		}
	}
	return json.Marshal(vals)
}

// confusion counts (true class, predicted class) pairs; a prediction
// outside the classes (a model with more outputs than names) is not
// counted.
func confusion[L classLabel](labels []L, predicted []int, classes int) [][]int {
	m := make([][]int, classes)
	for i := range m {
		m[i] = make([]int, classes)
	}
	for i, l := range labels {
		if p := predicted[i]; p < classes {
			m[l][p]++
		}
	}
	return m
}
