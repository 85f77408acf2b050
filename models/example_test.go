package models_test

import (
	"fmt"

	"github.com/tailor-ml/tailor/models"
)

func ExampleRefCNN() {
	m := models.RefCNN()
	if err := m.Build(); err != nil {
		panic(err)
	}
	trainable, frozen := m.CountParams()
	fmt.Println(m.InputShape(), "→", m.OutputShape(), trainable, frozen)
	// Output: (28, 28) → (10,) 421642 0
}

func ExampleCNN() {
	m := models.CNN()
	if err := m.Build(); err != nil {
		panic(err)
	}
	// the batch normalisations' moving statistics are weights, but not
	// trainable ones.
	trainable, frozen := m.CountParams()
	fmt.Println(trainable, frozen)
	// Output: 468202 384
}

func ExampleTrainingRecipe() {
	r, err := models.TrainingRecipe("cnn")
	if err != nil {
		panic(err)
	}
	steps := models.Steps(r.Epochs, 60000, r.BatchSize)
	opt := r.Optimizer(steps)
	fmt.Println(r.Epochs, r.BatchSize, steps, opt.Name(), opt.LearningRate())
	// Output: 5 32 9375 Adam 0.001
}
