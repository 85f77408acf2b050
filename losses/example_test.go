package losses_test

import (
	"fmt"

	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/tensor"
)

func ExampleSparseCategoricalCrossentropy() {
	probs, _ := tensor.FromSlice([]float32{
		0.7, 0.2, 0.1,
		0.1, 0.1, 0.8,
	}, 2, 3)
	labels, _ := tensor.FromSlice([]float32{0, 2}, 2)
	loss := losses.SparseCategoricalCrossentropy()
	if err := loss.CheckTargets(labels, probs.Shape); err != nil {
		fmt.Println(err)
	}
	sum := loss.Compute(probs, labels, nil)
	fmt.Printf("mean loss %.4f = (-log 0.7 - log 0.8)/2\n", sum/2)
	// Output: mean loss 0.2899 = (-log 0.7 - log 0.8)/2
}
