package metrics_test

import (
	"fmt"

	"github.com/tailor-ml/tailor/metrics"
)

func ExampleAccuracyScore() {
	testLabels := []uint8{9, 2, 1, 1, 6}
	predicted := []int{9, 2, 1, 0, 6}
	acc, err := metrics.AccuracyScore(testLabels, predicted)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("accuracy:", acc)
	// Output: accuracy: 0.8
}
