package imagefolder_test

import (
	"fmt"
	"log"

	"github.com/tailor-ml/tailor/datasets/imagefolder"
)

func ExampleLoad() {
	// flowers/daisy/*.jpg, flowers/roses/*.jpg, ...: 80 % to train on, 20 %
	// to validate with, as image_dataset_from_directory(validation_split=0.2,
	// subset="both", seed=1, image_size=(180, 180)).
	train, val, err := imagefolder.Load("flowers", imagefolder.Options{
		Height: 180, Width: 180, ValidationSplit: 0.2, Seed: 1,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Found %d files belonging to %d classes (%d other files skipped).\n",
		train.Len()+val.Len(), len(train.ClassNames), train.Skipped)
}
