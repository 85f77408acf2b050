package tailor_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/tensor"
)

// The TensorFlow tutorial in Go, as the README shows it. It has no
// Output line, so go test compiles it without running it: the
// integration test trains the same model on the real data.
func Example() {
	ctx := context.Background()
	// README begin
	train, test, err := fashionmnist.LoadData(ctx, fashionmnist.Options{})
	if err != nil {
		log.Fatal(err)
	}
	trainImages, _ := tensor.FromUint8(train.Images, 1.0/255, train.N, 28, 28)
	testImages, _ := tensor.FromUint8(test.Images, 1.0/255, test.N, 28, 28)
	trainSet, _ := datasets.WithLabels(trainImages, train.Labels)
	testSet, _ := datasets.WithLabels(testImages, test.Labels)

	model := tailor.Sequential(
		layers.Flatten(28, 28),
		layers.Dense(128, activations.ReLU),
		layers.Dense(10, activations.Softmax),
	)
	model.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy())
	model.Summary(os.Stdout)
	history, err := model.Fit(ctx, trainSet, tailor.FitOptions{Epochs: 10})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("train accuracy:", history.History["accuracy"][9])
	testLoss, scores, err := model.Evaluate(ctx, testSet, tailor.EvaluateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("test loss:", testLoss, "test accuracy:", scores["accuracy"])
	predictions, err := model.Predict(ctx, testImages, tailor.PredictOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tensor.Argmax(predictions.Row(0))) // 9: Ankle boot
	// README end
}

// TestReadmeSnippet keeps the README's Go snippet identical to Example's
// body, which the compiler checks.
func TestReadmeSnippet(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)## The tutorial in Go\n\n```go\n(.*?)```").FindSubmatch(readme)
	body := regexp.MustCompile(`(?s)// README begin\n(.*?)\t// README end`).FindSubmatch(src)
	if block == nil || body == nil {
		t.Fatal("the README's snippet or Example's markers are missing")
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(body[1]), "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if want := strings.Join(lines, "\n") + "\n"; string(block[1]) != want {
		t.Errorf("README.md's Go snippet differs from Example in example_test.go; it should read:\n%s", want)
	}
}
