package cifar10_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/tailor-ml/tailor/datasets/cifar10"
)

func ExampleLoadData() {
	train, test, err := cifar10.LoadData(context.Background(), cifar10.Options{Logf: log.Printf})
	if err != nil {
		// The message lists the directories searched and how to get the data.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	x, _ := train.Tensor(1.0 / 255) // (50000, 32, 32, 3), as Keras's x_train / 255
	fmt.Println(x.Shape, test.N, cifar10.ClassNames()[train.Labels[0]])
}
