package fashionmnist_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/tailor-ml/tailor/datasets/fashionmnist"
)

func ExampleLoadData() {
	train, test, err := fashionmnist.LoadData(context.Background(), fashionmnist.Options{
		Dir:  "", // the --data flag, if given
		Logf: log.Printf,
	})
	if err != nil {
		// The message lists the directories searched and how to get the data.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	names := fashionmnist.ClassNames()
	fmt.Printf("train: %d images of %dx%d, test: %d\n", train.N, train.Rows, train.Cols, test.N)
	fmt.Printf("first training image: %s\n", names[train.Labels[0]])
}

func ExampleClassNames() {
	for label, name := range fashionmnist.ClassNames()[:3] {
		fmt.Println(label, name)
	}
	// Output:
	// 0 T-shirt/top
	// 1 Trouser
	// 2 Pullover
}
