package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/plots"
	"github.com/tailor-ml/tailor/report"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

func runReport(ctx context.Context, e *env, args []string) error {
	if withCSV(args) {
		return runReportTable(ctx, e, args)
	}
	fs := newFlags(e, "report", "MODEL.tailor -o report.html [--mistakes 20] [--flip-average] [--data DIR]\n       tailor report MODEL.tailor -o report.html --csv ROWS.csv   a table's model, scored on labelled rows")
	out := fs.String("o", "", "the HTML file to write (required)")
	mistakes := fs.Int("mistakes", galleryMistakes, "how many of the most confident mistakes to show")
	flip := fs.Bool("flip-average", false, "score each test image with its prediction averaged with its mirror's")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files")
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, "want exactly one model file")
	}
	if *out == "" {
		return usageError(fs, "-o report.html is required")
	}
	if *mistakes < 0 {
		return usageError(fs, fmt.Sprintf("--mistakes %d must not be negative", *mistakes))
	}
	if err := checkOutput("-o", *out, append(pos, fashionFiles(*dir)...)...); err != nil {
		return err
	}
	model, meta, err := saving.Load(pos[0])
	if err != nil {
		return err
	}
	if err := needFashionMNIST(pos[0], meta, "report"); err != nil {
		return err
	}
	if err := fitsFashionMNIST(pos[0], model); err != nil {
		return err
	}
	_, test, err := loadData(ctx, e, *dir)
	if err != nil {
		return err
	}
	x, y := images(test, 1.0/255)
	run := modelRun{
		path: pos[0], model: model, meta: meta,
		history: savedHistory(meta), trainingSeconds: savedTrainingSeconds(meta), settings: savedRecipe(meta),
	}
	return writeReport(ctx, e.stdout, *out, run, x, y, test.Labels, *mistakes, tailor.PredictOptions{FlipAverage: *flip})
}

// writeReport scores run's model on the labelled images x and writes the
// report to path, atomically: tailor report, and tailor train --report for
// the run it has just made.
func writeReport(ctx context.Context, w io.Writer, path string, run modelRun, x, y *tensor.Tensor, labels []uint8, mistakes int, opts tailor.PredictOptions) error {
	r, err := buildReport(ctx, run, x, y, labels, mistakes, opts)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return report.Write(w, r) }); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	fmt.Fprintf(w, "wrote %s (%s: test accuracy %.4f)\n", path, r.Title, r.Test.Accuracy)
	return nil
}

// trainSettings are the settings of a training run, as train --report
// shows them.
func trainSettings(name string, opts tailor.FitOptions, examples int, recipe models.Recipe) []report.Setting {
	out := []report.Setting{
		{Name: "recipe", Value: name},
		{Name: "epochs", Value: fmt.Sprint(opts.Epochs)},
		{Name: "batch size", Value: fmt.Sprint(opts.BatchSize)},
		{Name: "seed", Value: fmt.Sprint(opts.Seed)},
		{Name: "training examples", Value: commas(examples)},
	}
	if opts.ValidationSplit > 0 {
		held := examples - int(float64(examples)*(1-opts.ValidationSplit)) // as Fit splits
		out[len(out)-1].Value = fmt.Sprintf("%s (%s less the validation split)", commas(examples-held), commas(examples))
		out = append(out, report.Setting{Name: "validation split", Value: fmt.Sprintf("the last %g: %s examples", opts.ValidationSplit, commas(held))})
	}
	if recipe.LabelSmoothing > 0 {
		out = append(out, report.Setting{Name: "label smoothing", Value: fmt.Sprint(recipe.LabelSmoothing)})
	}
	return out
}

// savedHistory is the training history the model file keeps, or nil.
func savedHistory(meta saving.Meta) *tailor.History { return meta.History }

// savedTrainingSeconds is the training wall time the model file keeps, or
// 0 when unknown.
func savedTrainingSeconds(meta saving.Meta) float64 {
	if meta.Training == nil {
		return 0
	}
	return meta.Training.Seconds
}

// savedRecipe is the recipe and settings the model file keeps, in the
// order the report shows them, or nil.
func savedRecipe(meta saving.Meta) []report.Setting {
	if meta.Training == nil {
		return nil
	}
	out := make([]report.Setting, len(meta.Training.Settings))
	for i, s := range meta.Training.Settings {
		out[i] = report.Setting(s)
	}
	return out
}

// modelRun is a trained model and what is known of its training.
type modelRun struct {
	path            string
	model           *tailor.Model
	meta            saving.Meta
	history         *tailor.History // nil when none was recorded
	trainingSeconds float64         // 0 when unknown
	settings        []report.Setting
}

// buildReport scores the model on the labelled images x (with y and
// labels their classes) and gathers everything report.Write shows.
func buildReport(ctx context.Context, run modelRun, x, y *tensor.Tensor, labels []uint8, mistakes int, opts tailor.PredictOptions) (report.Report, error) {
	names := classNames(run.meta)
	var summary strings.Builder
	if err := run.model.Summary(&summary); err != nil {
		return report.Report{}, err
	}
	loss, err := evaluateLoss(ctx, run.model, x, y, opts.FlipAverage)
	if err != nil {
		return report.Report{}, err
	}
	s, err := scoreSplit(ctx, run.model, x, labels, len(names), opts)
	if err != nil {
		return report.Report{}, err
	}
	idx, err := plots.MostConfidentMistakes(s.probs, labels, mistakes)
	if err != nil {
		return report.Report{}, err
	}
	var gallery []plots.Prediction
	for _, i := range idx {
		gallery = append(gallery, predictionOf(x, s.probs, labels, i))
	}
	split := "test"
	if opts.FlipAverage {
		split = "test (flip-averaged)"
	}
	title := "Training run (not saved)"
	if run.path != "" {
		title = filepath.Base(run.path)
	}
	return report.Report{
		Title:           title,
		Summary:         summary.String(),
		Settings:        append(fileSettings(run), run.settings...),
		TrainingSeconds: run.trainingSeconds,
		History:         run.history,
		Test: &report.Metrics{
			Split: split, Examples: len(labels), Loss: loss, Accuracy: s.accuracy,
			PerClassAccuracy: s.perClass, Confusion: s.confusion,
		},
		ClassNames: names,
		Mistakes:   gallery,
	}, nil
}

// fileSettings describes the model file: what every report can say.
func fileSettings(run modelRun) []report.Setting {
	trainable, frozen := run.model.CountParams()
	var out []report.Setting
	if run.path != "" {
		out = append(out, report.Setting{Name: "model file", Value: run.path})
	}
	out = append(out, []report.Setting{
		{Name: "model", Value: run.model.Name()},
		{Name: "parameters", Value: fmt.Sprintf("%s (%s trainable)", commas(trainable+frozen), commas(trainable))},
	}...)
	if opt := run.model.Optimizer(); opt != nil {
		out = append(out, report.Setting{Name: "optimizer", Value: opt.Name()})
	}
	out = append(out, []report.Setting{
		{Name: "classes", Value: strings.Join(classNames(run.meta), ", ")},
	}...)
	if p := run.meta.Preprocessing; p != nil {
		v := fmt.Sprintf("pixels × %g", p.Rescale)
		if inv := 1 / p.Rescale; p.Rescale > 0 && math.Abs(inv-math.Round(inv)) < 1e-6 {
			v = fmt.Sprintf("pixels × 1/%.0f", inv)
		}
		if p.Polarity != "" {
			v += ", " + strings.ReplaceAll(p.Polarity, "_", " ")
		}
		out = append(out, report.Setting{Name: "preprocessing", Value: v})
	}
	return out
}

// commas writes n as Keras's summary does: 101,770.
func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// evaluateLoss is the model's loss on x and y: the one place the report
// calls Model.Evaluate.
func evaluateLoss(ctx context.Context, model *tailor.Model, x, y *tensor.Tensor, flip bool) (float64, error) {
	loss, _, err := model.Evaluate(ctx, dataset(x, y), tailor.EvaluateOptions{FlipAverage: flip})
	return loss, err
}
