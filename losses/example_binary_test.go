package losses_test

import (
	"fmt"

	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/tensor"
)

func ExampleBinaryCrossentropy() {
	// A Dense(1, sigmoid) output for two customers, and whether each left.
	probs, _ := tensor.FromSlice([]float32{0.9, 0.2}, 2, 1)
	exited, _ := tensor.FromSlice([]float32{1, 0}, 2)
	loss := losses.BinaryCrossentropy()
	if err := loss.CheckTargets(exited, probs.Shape); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("mean loss %.4f = (-log 0.9 - log 0.8)/2\n", loss.Compute(probs, exited, nil)/2)
	// Output: mean loss 0.1643 = (-log 0.9 - log 0.8)/2
}

func ExampleSparseCategoricalCrossentropyLoss_fromLogits() {
	// A linear Dense(3) output: the loss applies the softmax itself, so
	// even a logit of 10⁴ gives an exact loss.
	logits, _ := tensor.FromSlice([]float32{1e4, 0, -1e4}, 1, 3)
	label, _ := tensor.FromSlice([]float32{1}, 1)
	loss := losses.SparseCategoricalCrossentropyLoss{FromLogits: true}
	fmt.Println(loss.Compute(logits, label, nil))
	// Output: 10000
}
