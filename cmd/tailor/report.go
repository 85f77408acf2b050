package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/plots"
	"github.com/tailor-ml/tailor/report"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

func runReport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "report", "MODEL.tailor -o report.html [--mistakes 20] [--flip-average] [--data DIR]")
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
		return fmt.Errorf("--mistakes %d must not be negative", *mistakes)
	}
	model, meta, err := saving.Load(pos[0])
	if err != nil {
		return err
	}
	_, test, err := loadData(ctx, e, *dir)
	if err != nil {
		return err
	}
	x, y := images(test, 1.0/255)
	r, err := buildReport(ctx, modelRun{
		path: pos[0], model: model, meta: meta,
		history: savedHistory(meta), trainingSeconds: savedTrainingSeconds(meta), settings: savedRecipe(meta),
	}, x, y, test.Labels, *mistakes, tailor.PredictOptions{FlipAverage: *flip})
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, func(w io.Writer) error { return report.Write(w, r) }); err != nil {
		return fmt.Errorf("-o %s: %w", *out, err)
	}
	fmt.Fprintf(e.stdout, "wrote %s (%s: test accuracy %.4f)\n", *out, pos[0], r.Test.Accuracy)
	return nil
}

// What a model file keeps of its training. The model file does not keep
// its history, training time or recipe yet; these three are the one place
// where the report takes them from saving.Meta once it does.
//
// INTEGRATOR: when saving.Meta gains History *tailor.History and the
// training time and recipe (issue 16), return meta.History,
// meta's training seconds and the recipe's settings here.

// savedHistory is the training history the model file keeps, or nil.
func savedHistory(meta saving.Meta) *tailor.History { return nil }

// savedTrainingSeconds is the training wall time the model file keeps, or
// 0 when unknown.
func savedTrainingSeconds(meta saving.Meta) float64 { return 0 }

// savedRecipe is the recipe and settings the model file keeps, in the
// order the report shows them, or nil.
func savedRecipe(meta saving.Meta) []report.Setting { return nil }

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
	return report.Report{
		Title:           filepath.Base(run.path),
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
	out := []report.Setting{
		{Name: "model file", Value: run.path},
		{Name: "model", Value: run.model.Name()},
		{Name: "parameters", Value: fmt.Sprintf("%d (%d trainable)", trainable+frozen, trainable)},
		{Name: "classes", Value: strings.Join(classNames(run.meta), ", ")},
	}
	if p := run.meta.Preprocessing; p != nil {
		v := fmt.Sprintf("pixels × %g", p.Rescale)
		if p.Polarity != "" {
			v += ", " + strings.ReplaceAll(p.Polarity, "_", " ")
		}
		out = append(out, report.Setting{Name: "preprocessing", Value: v})
	}
	return out
}

// evaluateLoss is the model's loss on x and y: the one place the report
// calls Model.Evaluate.
func evaluateLoss(ctx context.Context, model *tailor.Model, x, y *tensor.Tensor, flip bool) (float64, error) {
	loss, _, err := model.Evaluate(ctx, x, y, tailor.EvaluateOptions{FlipAverage: flip})
	return loss, err
}
