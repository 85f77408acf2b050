package main

// tailor predict --csv, tailor evaluate --csv and tailor report --csv for
// models trained on a table, the preparation of image files for models
// trained on an image folder, and the checks that keep the Fashion-MNIST
// paths from reading the wrong kind of model.

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/datasets/imagefolder"
	"github.com/tailor-ml/tailor/datasets/tabular"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/plots"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/report"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// withCSV reports whether args give a --csv flag.
func withCSV(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); strings.HasPrefix(a, "-") && name == "csv" {
			return true
		}
	}
	return false
}

// needFashionMNIST returns an error saying how to use a model trained on
// a table or an image folder, for the commands that read Fashion-MNIST.
func needFashionMNIST(path string, meta saving.Meta, command string) error {
	switch {
	case meta.Tabular != nil:
		return fmt.Errorf("%s was trained on a table: give the rows to %s with --csv FILE", path, command)
	case meta.Preprocessing != nil && meta.Preprocessing.ColorMode != "":
		if command == "predict" {
			return nil
		}
		return fmt.Errorf("%s was trained on an image folder; tailor %s reads Fashion-MNIST's images: use tailor predict %s IMAGE..., or tailor train --images DIR --report FILE", path, command, path)
	}
	return nil
}

// fitsFashionMNIST checks that the model in path reads Fashion-MNIST's
// 28×28 images and scores its 10 classes, for the commands that give it
// those images (--index, evaluate, report).
func fitsFashionMNIST(path string, model *tailor.Model) error {
	in, out := model.InputShape(), model.OutputShape()
	if !slices.Equal(in, []int{28, 28}) && !slices.Equal(in, []int{28, 28, 1}) {
		return fmt.Errorf("%s reads inputs of shape %v, not Fashion-MNIST's 28×28 images", path, in)
	}
	if !slices.Equal(out, []int{fashionmnist.NumClasses}) {
		return fmt.Errorf("%s outputs %v, not Fashion-MNIST's %d classes", path, out, fashionmnist.NumClasses)
	}
	return nil
}

// tableModel loads a model file that must hold a table's pipeline.
func tableModel(path string) (*tailor.Model, saving.Meta, error) {
	model, meta, err := saving.Load(path)
	if err != nil {
		return nil, meta, err
	}
	if meta.Tabular == nil {
		return nil, meta, fmt.Errorf("%s was not trained on a table (it has no tabular preprocessing): --csv is for models from tailor train --csv or --dataset", path)
	}
	return model, meta, nil
}

// readRows reads the CSV file of rows for model's pipeline: the feature
// columns as the pipeline declares them, the target as categories when
// its classes were, the others (columns it dropped) as they come.
func readRows(path string, p *preprocessing.Pipeline) (*tabular.Table, error) {
	features := map[string]bool{}
	for _, f := range p.Features {
		features[f.Name] = true
	}
	opts := p.CSVOptions()
	// A target whose classes are not all numbers as numbers print ("01",
	// "1.0", "yes") was read as categories when training: read it so
	// again, or "01" would become the number 1.
	if tg := p.Target; tg != nil && !tg.Regression && slices.ContainsFunc(tg.Classes, func(c string) bool {
		v, err := strconv.ParseFloat(c, 64)
		return err != nil || strconv.FormatFloat(v, 'g', -1, 64) != c
	}) {
		opts.Kinds[tg.Name] = tabular.Categorical
	}
	// A feature column the file lacks is left to Transform, whose error
	// names it among the model's features; a target column it lacks is
	// no error until the target is asked for.
	if header, err := csvHeader(path, opts); err == nil {
		for name := range opts.Kinds {
			if !slices.Contains(header, name) {
				delete(opts.Kinds, name)
			}
		}
	}
	return readTable(path, opts, func(name string) bool { return !features[name] })
}

// csvHeader returns the column names of the CSV file at path, as
// tabular.ReadCSV names them under opts.
func csvHeader(path string, opts tabular.Options) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return tabular.ReadHeader(f, path, opts)
}

// tablePrediction is one row's prediction, as predict --csv prints it and
// --json writes it.
type tablePrediction struct {
	Line        int     `json:"line"`
	Class       int     `json:"class"`
	Name        string  `json:"name"`
	Probability float64 `json:"probability"`
	// PositiveProbability is, for a binary model, the probability of
	// class 1.
	PositiveProbability *float64 `json:"positive_probability,omitempty"`
}

// runPredictTable is tailor predict MODEL --csv ROWS.
func runPredictTable(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "predict", "MODEL.tailor --csv ROWS.csv [--json FILE]")
	csvPath := fs.String("csv", "", "the rows to predict, a CSV file with the model's feature columns (the target column may be absent)")
	jsonPath := fs.String("json", "", "write the predictions as JSON to this file")
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *csvPath == "" {
		return usageError(fs, "want one model file and --csv ROWS.csv")
	}
	if err := checkOutput("--json", *jsonPath, pos[0], *csvPath); err != nil {
		return err
	}
	model, meta, err := tableModel(pos[0])
	if err != nil {
		return err
	}
	p := meta.Tabular
	t, err := readRows(*csvPath, p)
	if err != nil {
		return err
	}
	x, err := p.Transform(t)
	if err != nil {
		return trainHint(err)
	}
	probs, err := model.Predict(ctx, x, tailor.PredictOptions{})
	if err != nil {
		return err
	}
	names := classNames(meta)
	classes := predictedClasses(probs)
	binary := probs.Shape[1] == 1
	preds := make([]tablePrediction, t.Rows())
	w := e.stdout
	header := fmt.Sprintf("%6s  %-16s %11s", "line", "predicted", "probability")
	if binary {
		header += fmt.Sprintf("  P(%s)", names[1])
	}
	fmt.Fprintln(w, header)
	for i := range preds {
		c := classes[i]
		pr := classProbabilities(probs, i, len(names))
		preds[i] = tablePrediction{Line: t.Line(i), Class: c, Name: names[c], Probability: float64(pr[c])}
		line := fmt.Sprintf("%6d  %-16s %11.4f", t.Line(i), fmt.Sprintf("%d %s", c, names[c]), pr[c])
		if binary {
			pos := float64(probs.Data[i])
			preds[i].PositiveProbability = &pos
			line += fmt.Sprintf("  %.4f", pos)
		}
		fmt.Fprintln(w, line)
	}
	if *jsonPath != "" {
		return writeJSON(*jsonPath, preds)
	}
	return nil
}

// runEvaluateTable is tailor evaluate MODEL --csv ROWS: the model's loss,
// accuracy and confusion matrix on labelled rows.
func runEvaluateTable(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "evaluate", "MODEL.tailor --csv ROWS.csv [--json FILE] [--plots DIR]")
	csvPath := fs.String("csv", "", "labelled rows, a CSV file with the model's feature columns and its target column")
	jsonPath := fs.String("json", "", "write the figures as JSON to this file")
	plotsDir := fs.String("plots", "", "write the confusion matrix and per-class accuracy as PNG and SVG into this directory")
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *csvPath == "" {
		return usageError(fs, "want one model file and --csv ROWS.csv")
	}
	if err := checkRunOutputs(*plotsDir, []string{pos[0], *csvPath}, output{"--json", *jsonPath}); err != nil {
		return err
	}
	_, meta, s, err := scoreTableFile(ctx, pos[0], *csvPath)
	if err != nil {
		return err
	}
	names := classNames(meta)
	w := e.stdout
	fmt.Fprintf(w, "%s on %s (%d rows)\n", pos[0], *csvPath, len(s.predicted))
	printScores(w, "", s, names)
	if *plotsDir != "" {
		if err := confusionFigures(w, *plotsDir, s, names); err != nil {
			return err
		}
	}
	if *jsonPath != "" {
		return writeJSON(*jsonPath, evaluateReport{Model: pos[0], Split: *csvPath, Loss: s.loss, Accuracy: s.accuracy, ClassNames: names, PerClassAccuracy: s.perClass, Confusion: s.confusion})
	}
	return nil
}

// scoreTableFile loads a table's model and scores it on the labelled rows
// of a CSV file.
func scoreTableFile(ctx context.Context, modelPath, csvPath string) (*tailor.Model, saving.Meta, *scores, error) {
	model, meta, err := tableModel(modelPath)
	if err != nil {
		return nil, meta, nil, err
	}
	p := meta.Tabular
	if p.Target == nil {
		return nil, meta, nil, fmt.Errorf("%s has no target column to score against", modelPath)
	}
	t, err := readRows(csvPath, p)
	if err != nil {
		return nil, meta, nil, err
	}
	x, labels, err := tableExamples(p, t)
	if err != nil {
		return nil, meta, nil, trainHint(err)
	}
	s, err := scoreClassifier(ctx, model, x, labels, len(classNames(meta)))
	if err != nil {
		return nil, meta, nil, err
	}
	return model, meta, s, nil
}

// runReportTable is tailor report MODEL -o FILE --csv ROWS.
func runReportTable(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", "MODEL.tailor -o report.html --csv ROWS.csv")
	out := fs.String("o", "", "the HTML file to write (required)")
	csvPath := fs.String("csv", "", "labelled rows to score the model on, a CSV file with its feature and target columns")
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" || *csvPath == "" {
		return usageError(fs, "want one model file, -o report.html and --csv ROWS.csv")
	}
	if err := checkOutput("-o", *out, pos[0], *csvPath); err != nil {
		return err
	}
	model, meta, s, err := scoreTableFile(ctx, pos[0], *csvPath)
	if err != nil {
		return err
	}
	run := modelRun{path: pos[0], model: model, meta: meta, history: savedHistory(meta), trainingSeconds: savedTrainingSeconds(meta), settings: savedRecipe(meta)}
	return writeTableReport(e.stdout, *out, run, filepath.Base(*csvPath), s)
}

// writeTableReport writes the report of a model scored on rows (or
// images) without the mistakes gallery, which draws Fashion-MNIST's
// pictures: the summary, the settings, the learning curves and, when s is
// not nil, the split's metrics and confusion matrix.
func writeTableReport(w io.Writer, path string, run modelRun, split string, s *scores) error {
	var summary strings.Builder
	if err := run.model.Summary(&summary); err != nil {
		return err
	}
	settings := fileSettings(run)
	if p := run.meta.Tabular; p != nil {
		settings = append(settings, report.Setting{Name: "preprocessing", Value: describePipeline(p)})
	}
	if p := run.meta.Preprocessing; p != nil && p.ColorMode != "" {
		in := run.model.InputShape()
		settings = append(settings, report.Setting{Name: "images", Value: fmt.Sprintf("%s, resized (%s) to %d×%d", p.ColorMode, p.Interpolation, in[0], in[1])})
	}
	title := "Training run (not saved)"
	if run.path != "" {
		title = filepath.Base(run.path)
	}
	r := report.Report{
		Title: title, Summary: summary.String(), Settings: append(settings, run.settings...),
		TrainingSeconds: run.trainingSeconds, History: run.history, ClassNames: classNames(run.meta),
	}
	if s != nil {
		r.Test = &report.Metrics{Split: split, Examples: len(s.predicted), Loss: s.loss, Accuracy: s.accuracy, PerClassAccuracy: s.perClass, Confusion: s.confusion}
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return report.Write(w, r) }); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	if s != nil {
		fmt.Fprintf(w, "wrote %s (%s: %s accuracy %.4f)\n", path, r.Title, split, s.accuracy)
	} else {
		fmt.Fprintf(w, "wrote %s (%s)\n", path, r.Title)
	}
	return nil
}

// confusionFigures writes the confusion matrix (counts, and normalised by
// row) and per-class accuracy of s into dir.
func confusionFigures(w io.Writer, dir string, s *scores, names []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--plots: %w", err)
	}
	fig, err := plots.ConfusionMatrix(s.confusion, names, plots.ConfusionOptions{})
	if err := saveFigure(w, dir, "confusion_matrix", fig, err); err != nil {
		return err
	}
	fig, err = plots.ConfusionMatrix(s.confusion, names, plots.ConfusionOptions{Normalize: true})
	if err := saveFigure(w, dir, "confusion_matrix_normalized", fig, err); err != nil {
		return err
	}
	fig, err = plots.PerClassAccuracy(s.perClass, names, s.accuracy)
	return saveFigure(w, dir, "per_class_accuracy", fig, err)
}

// folderImages prepares image files for a model trained on an image
// folder, exactly as datasets/imagefolder prepared its training images
// (imagefolder.ReadImage): decoded, converted to the colour mode, resized
// to the model's input height and width with the recorded interpolation,
// scaled.
func folderImages(paths []string, p *saving.Preprocessing, inputShape tensor.Shape) (*tensor.Tensor, error) {
	h, w, c := inputShape[0], inputShape[1], inputShape[2]
	out := tensor.New(len(paths), h, w, c)
	for i, path := range paths {
		pix, err := imagefolder.ReadImage(path, h, w, c, preprocessing.Interpolation(p.Interpolation), float32(p.Rescale))
		if err != nil {
			return nil, err
		}
		copy(out.Row(i), pix)
	}
	return out, nil
}

// grayRows returns RGB images (N, H, W, 3) as (N, H, W) luma (ITU-R 601),
// and (N, H, W, 1) images as (N, H, W), for the figures, which draw
// grayscale pictures.
func grayRows(x *tensor.Tensor) *tensor.Tensor {
	if len(x.Shape) != 4 {
		return x
	}
	n, h, w, c := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	g := tensor.New(n, h, w)
	for i := range n * h * w {
		px := x.Data[i*c : (i+1)*c]
		if c == 3 {
			g.Data[i] = 0.299*px[0] + 0.587*px[1] + 0.114*px[2]
		} else {
			g.Data[i] = px[0]
		}
	}
	return g
}
