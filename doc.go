// Package tailor builds, trains and runs Keras-style neural networks in
// pure Go.
//
// The tutorial's model, step by step:
//
//	model := tailor.Sequential(
//		layers.Flatten(28, 28),
//		layers.Dense(128, activations.ReLU),
//		layers.Dense(10, activations.Softmax),
//	)
//	model.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy())
//	history, err := model.Fit(ctx, trainSet, tailor.FitOptions{Epochs: 10})
//	testLoss, scores, err := model.Evaluate(ctx, testSet, tailor.EvaluateOptions{})
//	probabilities, err := model.Predict(ctx, testImages, tailor.PredictOptions{})
//
// trainSet and testSet pair the images with their labels
// (datasets.WithLabels). Layers live in package layers, optimizers in
// optimizers, losses in losses, metrics in metrics and the data in
// datasets/fashionmnist, the same places Keras keeps them. ARCHITECTURE.md
// follows one training step through the code.
package tailor
