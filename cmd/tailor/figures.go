package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/plots"
	"github.com/tailor-ml/tailor/tensor"
)

// The figures train --plots, evaluate --plots, predict --plot and the
// tutorial write. Each is written as NAME.png and NAME.svg (plots.SaveAll),
// atomically, and its paths are printed.

// gridPredictions and galleryMistakes are how many test images the
// predictions grid (the tutorial's 5×3) and the mistakes gallery show.
const (
	gridRows, gridCols = 5, 3
	galleryMistakes    = 20
	galleryCols        = 5
)

// saveFigure writes fig, as plots.SaveAll does, into dir as name.png and
// name.svg, and prints the paths on w.
func saveFigure(w io.Writer, dir, name string, fig *plots.Figure, err error) error {
	if err != nil {
		return fmt.Errorf("figure %s: %w", name, err)
	}
	paths, err := plots.SaveAll(dir, name, fig)
	for _, p := range paths {
		fmt.Fprintf(w, "wrote %s\n", p)
	}
	return err
}

// trainingFigures writes the learning curves of hist into dir: loss and
// accuracy, training against validation when Fit had validation data.
// tailor train --plots calls it after training.
func trainingFigures(w io.Writer, dir string, hist *tailor.History) error {
	if hist == nil || len(hist.Epochs) == 0 {
		return fmt.Errorf("--plots %s: no training history to draw", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--plots: %w", err)
	}
	for _, metric := range []string{"loss", "accuracy"} {
		if _, ok := hist.History[metric]; !ok {
			continue
		}
		fig, err := plots.LearningCurve(metric, hist.Epochs, hist.History)
		if errors.Is(err, plots.ErrNoFiniteValues) {
			fmt.Fprintf(w, "no %s curve: the history has no finite %s values to draw\n", metric, metric)
			continue
		}
		if err := saveFigure(w, dir, metric, fig, err); err != nil {
			return err
		}
	}
	return nil
}

// prediction is example i of x (an (N, H, W) tensor of images, or
// (N, H, W, C), drawn as its luma) with its predicted probabilities and
// true label, ready to draw.
func predictionOf(x *tensor.Tensor, probs *tensor.Tensor, labels []uint8, i int) plots.Prediction {
	label := -1
	if labels != nil {
		label = int(labels[i])
	}
	img := x.Slice(i, i+1)
	return plots.Prediction{
		Image:         plots.Image{Pixels: grayRows(img).Data, H: x.Shape[1], W: x.Shape[2]},
		Probabilities: probs.Row(i),
		Label:         label,
	}
}

// evaluationFigures writes into dir what a model makes of a labelled
// split: the confusion matrix (counts, and normalised by row), per-class
// accuracy, the tutorial's grid of the first 15 predictions, and the
// gallery of the most confident mistakes. tailor evaluate --plots and
// tailor train --plots call it with the test split.
func evaluationFigures(ctx context.Context, w io.Writer, dir string, model *tailor.Model, x *tensor.Tensor, labels []uint8, names []string, opts tailor.PredictOptions) error {
	s, err := scoreSplit(ctx, model, x, labels, len(names), opts)
	if err != nil {
		return err
	}
	return scoreFigures(w, dir, x, labels, names, s)
}

// scoreFigures writes evaluationFigures' figures from scores already
// computed.
func scoreFigures(w io.Writer, dir string, x *tensor.Tensor, labels []uint8, names []string, s *scores) error {
	if err := confusionFigures(w, dir, s, names); err != nil {
		return err
	}
	var grid []plots.Prediction
	for i := range min(gridRows*gridCols, len(labels)) {
		grid = append(grid, predictionOf(x, s.probs, labels, i))
	}
	fig, err := plots.PredictionGrid(grid, names, gridCols)
	if err := saveFigure(w, dir, "predictions_grid", fig, err); err != nil {
		return err
	}
	fig, err = mistakesFigure(x, labels, names, s)
	if fig == nil && err == nil {
		fmt.Fprintln(w, "no mistakes to draw")
		return nil
	}
	return saveFigure(w, dir, "mistakes", fig, err)
}

// mistakesFigure is the gallery of the most confident mistakes, or nil
// when the model made none.
func mistakesFigure(x *tensor.Tensor, labels []uint8, names []string, s *scores) (*plots.Figure, error) {
	idx, err := plots.MostConfidentMistakes(s.probs, labels, galleryMistakes)
	if err != nil || len(idx) == 0 {
		return nil, err
	}
	ps := make([]plots.Prediction, len(idx))
	for k, i := range idx {
		ps[k] = predictionOf(x, s.probs, labels, i)
	}
	return plots.Mistakes(ps, names, galleryCols)
}

// predictionPlot writes the tutorial's plot_image + plot_value_array
// figure of example i of x to path (.png or .svg): tailor predict --plot.
// labels are the inputs' true classes, nil when unknown (image files).
func predictionPlot(w io.Writer, path string, x, probs *tensor.Tensor, labels []int, i int, names []string) error {
	p := predictionOf(x, probs, nil, i)
	if labels != nil {
		p.Label = labels[i]
	}
	fig, err := plots.PredictionFigure(p, names)
	if err != nil {
		return err
	}
	if err := fig.Save(path); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %s\n", path)
	return nil
}

// imshowFigure writes image i of x (N, H, W) with a colour bar into dir
// as name.png and name.svg: plt.imshow(x[i]); plt.colorbar().
func imshowFigure(w io.Writer, dir, name string, x *tensor.Tensor, i int, title string) error {
	img := plots.Image{Pixels: x.Row(i), H: x.Shape[1], W: x.Shape[2]}
	fig, err := plots.ImshowFigure(img, plots.ImshowOptions{Title: title})
	return saveFigure(w, dir, name, fig, err)
}

// gridFigure writes the first 25 images of x with their class names into
// dir, as TensorFlow's tutorial checks the data's format.
func gridFigure(w io.Writer, dir string, x *tensor.Tensor, labels []uint8, names []string) error {
	n := min(25, x.Len())
	imgs, captions := make([]plots.Image, n), make([]string, n)
	for k := range n {
		imgs[k] = plots.Image{Pixels: x.Row(k), H: x.Shape[1], W: x.Shape[2]}
		captions[k] = names[labels[k]]
	}
	fig, err := plots.GridFigure(imgs, captions, 5)
	return saveFigure(w, dir, "train_images_25", fig, err)
}

// tutorialPredictionFigures writes the tutorial's "Verify predictions"
// figures into dir: test images 0 and 12 with their bar charts, the 5×3
// grid of the first 15, and the bar chart of the single image predicted at
// the end (single: its probabilities, with label its true class).
func tutorialPredictionFigures(w io.Writer, dir string, x, probs *tensor.Tensor, labels []uint8, names []string, singleIndex int, single []float32) error {
	for _, i := range []int{0, 12} {
		if i >= x.Len() {
			continue
		}
		fig, err := plots.PredictionFigure(predictionOf(x, probs, labels, i), names)
		if err := saveFigure(w, dir, fmt.Sprintf("prediction_%d", i), fig, err); err != nil {
			return err
		}
	}
	var grid []plots.Prediction
	for i := range min(gridRows*gridCols, x.Len()) {
		grid = append(grid, predictionOf(x, probs, labels, i))
	}
	fig, err := plots.PredictionGrid(grid, names, gridCols)
	if err := saveFigure(w, dir, "predictions_grid", fig, err); err != nil {
		return err
	}
	p := predictionOf(x, probs, labels, singleIndex)
	p.Probabilities = single
	fig, err = plots.ValueArray(p, names)
	return saveFigure(w, dir, "prediction_single", fig, err)
}
