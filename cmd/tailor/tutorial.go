package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/internal/pyrepr"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/tensor"
)

// runTutorial is the Fashion-MNIST tutorial Tailor follows — load and
// explore the data, plot X_train[1] before and after scaling, train the
// Sequential MLP for 10 epochs, evaluate, predict, read the overfitting
// gap, then the tutorial's next steps — written against Tailor's public
// API only. Each step prints what the notebook's cell prints, after the
// Python it stands for; TensorFlow's own figures (the first 25 images, the
// verified predictions) follow.
func runTutorial(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "tutorial", "[--epochs 10] [--seed 1] [--out DIR] [--data DIR]")
	epochs := fs.Int("epochs", 10, "passes over the training data")
	seed := fs.Uint64("seed", 1, "seed of the initial weights and the shuffling")
	outDir := fs.String("out", ".", "directory for the tutorial's figures")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := positive(fs, "epochs"); err != nil {
		return err
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", *outDir, err)
	}
	if err := checkOutput("--out", filepath.Join(*outDir, "train_image_1.png")); err != nil {
		return err
	}
	err := tutorial(ctx, e, *epochs, *seed, *outDir, *dir)
	if err != nil && ctx.Err() != nil {
		return interrupted("the figures written so far are in " + *outDir)
	}
	return err
}

// tutorial runs the tutorial's steps, writing its figures into outDir.
func tutorial(ctx context.Context, e *env, epochs int, seed uint64, outDir, dataDir string) error {
	w := e.stdout
	step := func(title string) { fmt.Fprintf(w, "\n## %s\n\n", title) }
	// cell prints a notebook cell: its Python, then what it printed.
	cell := func(python string, out ...string) {
		fmt.Fprintf(w, ">>> %s\n", python)
		for _, o := range out {
			fmt.Fprintln(w, o)
		}
	}

	step("Load the Fashion-MNIST dataset")
	train, test, err := fashionmnist.LoadData(ctx, fashionmnist.Options{
		Dir:  dataDir,
		Logf: func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) },
	})
	if err != nil {
		return err
	}
	cell("(X_train, y_train), (X_test, y_test) = mnist.load_data()")

	step("Explore the data")
	raw, err := tensor.FromUint8(train.Images, 1, train.N, train.Rows, train.Cols)
	if err != nil {
		return err
	}
	cell("X_train.shape, y_train.shape", pyrepr.Tuple(pyrepr.Shape(raw.Shape), pyrepr.Shape([]int{len(train.Labels)})))
	cell("np.max(X_train)", fmt.Sprint(int(raw.Max())))
	cell("np.min(X_train)", fmt.Sprint(int(raw.Min())))
	cell("np.mean(X_train)", pyrepr.Float(raw.Mean()))
	cell("y_train", pyrepr.Int(train.Labels, "uint8"))
	classNames := fashionmnist.ClassNames()
	cell("class_names", pyrepr.Strings(classNames))

	step("Plot an image")
	cell("plt.figure(); plt.imshow(X_train[1]); plt.colorbar()")
	if err := imshowFigure(w, outDir, "train_image_1", raw, 1, classNames[train.Labels[1]]); err != nil {
		return err
	}
	cell("y_train[1]", fmt.Sprintf("%d  (%s)", train.Labels[1], classNames[train.Labels[1]]))

	step("Scale the pixels to [0, 1]")
	trainImages, err := tensor.FromUint8(train.Images, 1.0/255, train.N, train.Rows, train.Cols)
	if err != nil {
		return err
	}
	testImages, err := tensor.FromUint8(test.Images, 1.0/255, test.N, test.Rows, test.Cols)
	if err != nil {
		return err
	}
	cell("X_train = X_train/255.0")
	cell("X_test = X_test/255.0")
	cell("plt.figure(); plt.imshow(X_train[1]); plt.colorbar()")
	if err := imshowFigure(w, outDir, "train_image_1_scaled", trainImages, 1, classNames[train.Labels[1]]); err != nil {
		return err
	}
	cell("np.min(X_train), np.max(X_train)", pyrepr.Tuple(pyrepr.Float(float64(trainImages.Min())), pyrepr.Float(float64(trainImages.Max()))))
	trainSet, err := datasets.WithLabels(trainImages, train.Labels)
	if err != nil {
		return err
	}
	testSet, err := datasets.WithLabels(testImages, test.Labels)
	if err != nil {
		return err
	}

	step("Build the model")
	model := tailor.Sequential(
		layers.Flatten(28, 28),
		layers.Dense(128, activations.ReLU),
		layers.Dense(10, activations.Softmax),
	)
	if err := model.SetSeed(seed); err != nil {
		return err
	}
	cell("model = Sequential([Flatten(input_shape=(28, 28)), Dense(128, activation='relu'), Dense(10, activation='softmax')])")
	cell("model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])")
	if err := model.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		return err
	}
	cell("model.summary()")
	if err := model.Summary(w); err != nil {
		return err
	}

	step("Train the model")
	cell(fmt.Sprintf("model.fit(X_train, y_train, epochs=%d)", epochs))
	history, err := model.Fit(ctx, trainSet, tailor.FitOptions{Epochs: epochs, Seed: seed, Out: w})
	if err != nil {
		return err
	}
	trainAccuracy := last(history.History["accuracy"])

	step("Evaluate the model")
	cell("test_loss, test_acc = model.evaluate(X_test, y_test)")
	// Keras evaluates in batches of 32: 313 steps.
	_, scores, err := model.Evaluate(ctx, testSet, tailor.EvaluateOptions{BatchSize: 32, Verbose: tailor.OneLinePerEpoch, Out: w})
	if err != nil {
		return err
	}
	testAccuracy := scores["accuracy"]
	cell("print(test_acc)", pyrepr.Float(testAccuracy))

	step("Make predictions")
	predictions, err := model.Predict(ctx, testImages, tailor.PredictOptions{})
	if err != nil {
		return err
	}
	classes := predictions.Argmax() // predict_classes: the argmax of predict
	score, err := metrics.AccuracyScore(test.Labels, classes)
	if err != nil {
		return err
	}
	cell("y_pred = model.predict_classes(X_test)")
	cell("accuracy_score(y_test, y_pred)", pyrepr.Float(score))
	cell("y_pred", pyrepr.Int(classes, ""))
	cell("pred = model.predict(X_test)")
	cell("pred[0]", pyrepr.Float32(predictions.Row(0)))
	cell("np.argmax(pred[0])", fmt.Sprint(classes[0]))
	cell("np.argmax(pred[1])", fmt.Sprint(classes[1]))
	cell("y_test[0], y_test[1]", pyrepr.Tuple(fmt.Sprint(test.Labels[0]), fmt.Sprint(test.Labels[1])))

	step("Overfitting")
	overfitting(w, trainAccuracy, testAccuracy)

	step("Next steps")
	fmt.Fprint(w, nextSteps)

	step("TensorFlow's tutorial: the data's format and the verified predictions")
	if err := gridFigure(w, outDir, trainImages, train.Labels, classNames); err != nil {
		return err
	}
	img := testImages.Slice(1, 2) // (1, 28, 28): a batch of one, like np.expand_dims
	single, err := model.Predict(ctx, img, tailor.PredictOptions{})
	if err != nil {
		return err
	}
	return tutorialPredictionFigures(w, outDir, testImages, predictions, test.Labels, classNames, 1, single.Row(0))
}

// overfitting reads this run's gap between training and test accuracy as
// the tutorial does: a model that does better on the images it was trained
// on than on new ones has begun to memorise them.
func overfitting(w io.Writer, train, test float64) {
	gap := 100 * (train - test)
	fmt.Fprintf(w, "The model classified %.1f%% of the training images correctly in its last epoch, but %.1f%% of the\n", 100*train, 100*test)
	fmt.Fprintf(w, "10,000 test images it had never seen. ")
	switch {
	case gap > 0.5:
		fmt.Fprintf(w, "That gap of %.1f points is overfitting: the network has begun to\n", gap)
		fmt.Fprintln(w, "memorise details of its training images that do not carry over to new ones. More epochs would widen")
		fmt.Fprintln(w, "it; regularisation such as dropout narrows it.")
	default:
		fmt.Fprintf(w, "The gap is %.1f points: no sign of overfitting yet.\n", gap)
	}
}

// nextSteps are the tutorial's three next steps, each with the Tailor
// command that takes it.
const nextSteps = `1. Add one or two Dropout(0.3) layers between the Dense blocks to reduce the overfitting gap:
     tailor train --model mlp-dropout     (Dense(128) → Dropout(0.3) → Dense(10))
     tailor train --model mlp-dropout2    (two hidden layers, two Dropout(0.3))
2. Replace the Dense layers with convolutional blocks, a 2-D CNN, and move on to CIFAR-10:
     tailor train --model cnn             (Fashion-MNIST, about 93% in 5 epochs)
     tailor train --model cifar-cnn       (CIFAR-10's 32×32 colour images)
3. Build the same ANN from scratch on tabular data:
     tailor train --dataset breast-cancer
     tailor train --csv customers.csv --target Exited
`
