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
	"github.com/tailor-ml/tailor/datasets/tabular"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/saving"
)

// The companion tutorial's ANN on its customer table, as the README shows
// it. It has no Output line, so go test compiles it without running it
// (the table is the reader's): cmd/tailor's tests run the same steps on a
// table they write.
func Example_tabular() {
	ctx := context.Background()
	// README begin
	table, err := tabular.ReadCSVFile("Churn_Modelling.csv", tabular.Options{})
	if err != nil {
		log.Fatal(err)
	}
	train, test, err := preprocessing.TrainTestSplit(table.Rows(), preprocessing.SplitOptions{TestSize: 0.2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	trainRows, _ := table.Take(train)
	testRows, _ := table.Take(test)
	// Fitted on the training rows only: Geography and Gender one-hot
	// encoded, then every feature standardised, as the tutorial does.
	pipeline, err := preprocessing.FitPipeline(trainRows, preprocessing.PipelineOptions{
		Target: "Exited", Drop: []string{"RowNumber", "CustomerId", "Surname"},
	})
	if err != nil {
		log.Fatal(err)
	}
	trainSet, err := pipeline.Dataset(trainRows)
	if err != nil {
		log.Fatal(err)
	}
	testSet, err := pipeline.Dataset(testRows) // an unknown category is an error naming its line
	if err != nil {
		log.Fatal(err)
	}

	model := tailor.Sequential(
		layers.Dense(6, activations.ReLU),
		layers.Dense(6, activations.ReLU),
		layers.Dense(1, activations.Sigmoid),
	)
	model.Compile(optimizers.Adam(), losses.BinaryCrossentropy(), metrics.BinaryAccuracy())
	if _, err := model.Fit(ctx, trainSet, tailor.FitOptions{Epochs: 100, BatchSize: 32}); err != nil {
		log.Fatal(err)
	}
	_, scores, err := model.Evaluate(ctx, testSet, tailor.EvaluateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("test accuracy:", scores["binary_accuracy"])
	// The fitted pipeline travels inside the model file: tailor predict
	// churn.tailor --csv new.csv applies it to new rows.
	if err := saving.Save("churn.tailor", model, saving.Table(pipeline)); err != nil {
		log.Fatal(err)
	}
	// README end
}

// TestReadmeTabularSnippet keeps the README's tabular snippet identical
// to Example_tabular's body, which the compiler checks.
func TestReadmeTabularSnippet(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_tabular_test.go")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)### A table in Go\n\n```go\n(.*?)```").FindSubmatch(readme)
	body := regexp.MustCompile(`(?s)// README begin\n(.*?)\t// README end`).FindSubmatch(src)
	if block == nil || body == nil {
		t.Fatal("the README's snippet or Example_tabular's markers are missing")
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(body[1]), "\n"), "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if want := strings.Join(lines, "\n") + "\n"; string(block[1]) != want {
		t.Errorf("README.md's tabular snippet differs from Example_tabular in example_tabular_test.go; it should read:\n%s", want)
	}
}
