package saving_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/saving"
)

// Save a compiled model with its class names and load it back, compiled
// and ready to predict or to go on training.
func Example() {
	model := models.MLP()
	model.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy())

	dir, _ := os.MkdirTemp("", "tailor")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.tailor")
	if err := saving.Save(path, model, saving.FashionMNIST(fashionmnist.ClassNames())); err != nil {
		fmt.Println(err)
		return
	}

	loaded, meta, err := saving.Load(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	trainable, _ := loaded.CountParams()
	fmt.Println(len(loaded.Layers()), "layers,", trainable, "weights,", loaded.Optimizer().Name())
	fmt.Println(meta.ClassNames[0], "…", meta.ClassNames[9])
	// Output:
	// 3 layers, 101770 weights, Adam
	// T-shirt/top … Ankle boot
}
