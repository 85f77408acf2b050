package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/plots"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// evaluateReport is what evaluate --json writes.
type evaluateReport struct {
	Model       string  `json:"model"`
	Split       string  `json:"split"`
	FlipAverage bool    `json:"flip_average"`
	Loss        float64 `json:"loss"`
	Accuracy    float64 `json:"accuracy"`
	// ClassNames names the classes, indexed as PerClassAccuracy and the
	// confusion matrix's rows and columns are.
	ClassNames       []string   `json:"class_names"`
	PerClassAccuracy accuracies `json:"per_class_accuracy"`
	// Confusion[i][j] counts examples of class i predicted as j.
	Confusion [][]int `json:"confusion_matrix"`
}

func runEvaluate(ctx context.Context, e *env, args []string) error {
	if withCSV(args) {
		return runEvaluateTable(ctx, e, args)
	}
	fs := newFlags(e, "evaluate", "MODEL.tailor [--split test|train] [--flip-average] [--json FILE] [--plots DIR] [--data DIR]\n       tailor evaluate MODEL.tailor --csv ROWS.csv [--json FILE] [--plots DIR]   a table's model, on labelled rows")
	split := fs.String("split", "test", "the split to evaluate on: test or train")
	flip := fs.Bool("flip-average", false, "average each image's prediction with its mirror's (test-time augmentation)")
	jsonPath := fs.String("json", "", "write the figures as JSON to this file")
	plotsDir := fs.String("plots", "", "write the confusion matrix, per-class accuracy, predictions and mistakes as PNG and SVG into this directory")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files")
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(fs, "want exactly one model file")
	}
	if *split != "test" && *split != "train" {
		return usageError(fs, fmt.Sprintf("--split %q: want test or train", *split))
	}
	if err := checkRunOutputs(*plotsDir, append(pos, fashionFiles(*dir)...), output{"--json", *jsonPath}); err != nil {
		return err
	}
	model, meta, err := saving.Load(pos[0])
	if err != nil {
		return err
	}
	if err := needFashionMNIST(pos[0], meta, "evaluate"); err != nil {
		return err
	}
	if err := fitsFashionMNIST(pos[0], model); err != nil {
		return err
	}
	train, test, err := loadData(ctx, e, *dir)
	if err != nil {
		return err
	}
	d := test
	if *split == "train" {
		d = train
	}
	x, y := images(d, 1.0/255)
	// Loading checked the model's activations for batches of this size.
	loss, scores, err := model.Evaluate(ctx, dataset(x, y), tailor.EvaluateOptions{FlipAverage: *flip})
	if err != nil {
		return err
	}
	classes, err := model.PredictClasses(ctx, x, tailor.PredictOptions{FlipAverage: *flip})
	if err != nil {
		return err
	}
	names := classNames(meta)
	rep := evaluateReport{Model: pos[0], Split: *split, FlipAverage: *flip, Loss: loss, Accuracy: scores["accuracy"], ClassNames: names,
		PerClassAccuracy: perClassAccuracy(d.Labels, classes, len(names)), Confusion: confusion(d.Labels, classes, len(names))}
	w := e.stdout
	how := ""
	if *flip {
		how = ", each averaged with its mirror"
	}
	fmt.Fprintf(w, "%s on the %s split (%d images%s): loss %.4f, accuracy %.4f\n\n", pos[0], *split, d.N, how, loss, rep.Accuracy)
	printPerClass(w, *split, rep.PerClassAccuracy, names)
	fmt.Fprintln(w)
	printConfusion(w, rep.Confusion, names)
	if *plotsDir != "" {
		if err := evaluationFigures(ctx, w, *plotsDir, model, x, d.Labels, names, tailor.PredictOptions{FlipAverage: *flip}); err != nil {
			return err
		}
	}
	if *jsonPath != "" {
		return writeJSON(*jsonPath, rep)
	}
	return nil
}

// printConfusion prints the matrix with true classes as rows.
func printConfusion(w io.Writer, m [][]int, names []string) {
	fmt.Fprintln(w, "Confusion matrix (rows: true class, columns: predicted class):")
	fmt.Fprintf(w, "%-14s", "")
	for j := range m {
		fmt.Fprintf(w, "%6d", j)
	}
	fmt.Fprintln(w)
	for i, row := range m {
		fmt.Fprintf(w, "%d %-12s", i, names[i])
		for _, c := range row {
			fmt.Fprintf(w, "%6d", c)
		}
		fmt.Fprintln(w)
	}
}

// classNames returns the model file's class names, or Fashion-MNIST's.
func classNames(meta saving.Meta) []string {
	if len(meta.ClassNames) > 0 {
		return meta.ClassNames
	}
	return fashionmnist.ClassNames()
}

// prediction is one input's top classes, as predict prints and --json writes.
type prediction struct {
	Input string      `json:"input"`
	Label *int        `json:"label,omitempty"`
	Top   []classProb `json:"top"`
}

type classProb struct {
	Class       int     `json:"class"`
	Name        string  `json:"name"`
	Probability float64 `json:"probability"`
}

func runPredict(ctx context.Context, e *env, args []string) error {
	if withCSV(args) {
		return runPredictTable(ctx, e, args)
	}
	fs := newFlags(e, "predict", "MODEL.tailor (--index N [--split test|train] | IMAGE.png|jpg ...) [--invert auto|never|always] [--flip-average] [--top 3] [--json FILE] [--plot FILE] [--data DIR]\n       tailor predict MODEL.tailor --csv ROWS.csv [--json FILE]   a table's model, on rows")
	flip := fs.Bool("flip-average", false, "average each image's prediction with its mirror's (test-time augmentation)")
	index := fs.Int("index", -1, "predict dataset image N instead of image files")
	split := fs.String("split", "test", "the split --index reads: test or train")
	invert := fs.String("invert", "auto", "image polarity: auto (make the article light on a dark background, as in Fashion-MNIST), never or always")
	top := fs.Int("top", 3, "how many classes to show per input (at most the number of classes)")
	jsonPath := fs.String("json", "", "write the predictions as JSON to this file")
	plotPath := fs.String("plot", "", "draw the first input and its probabilities (plot_image + plot_value_array) to this .png or .svg file")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files")
	pos, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageError(fs, "want a model file")
	}
	if flagSet(fs, "index") && *index < 0 {
		return usageError(fs, fmt.Sprintf("--index %d: want an image number from 0", *index))
	}
	if (*index >= 0) == (len(pos) > 1) {
		return usageError(fs, "want either --index N or image files")
	}
	if err := positive(fs, "top"); err != nil {
		return err
	}
	if *split != "test" && *split != "train" {
		return usageError(fs, fmt.Sprintf("--split %q: want test or train", *split))
	}
	switch {
	case flagSet(fs, "split") && *index < 0:
		return usageError(fs, "--split applies with --index N, not to image files")
	case flagSet(fs, "invert") && *index >= 0:
		return usageError(fs, "--invert applies to image files, not to --index N")
	}
	opts := preprocessing.ImageOptions{}
	switch *invert {
	case "auto":
	case "never":
		opts.Invert = preprocessing.InvertNever
	case "always":
		opts.Invert = preprocessing.InvertAlways
	default:
		return usageError(fs, fmt.Sprintf("--invert %q: want auto, never or always", *invert))
	}
	reads := pos
	if *index >= 0 {
		reads = append(reads, fashionFiles(*dir)...)
	}
	if err := checkRunOutputs("", reads, output{"--json", *jsonPath}, output{"--plot", *plotPath}); err != nil {
		return err
	}
	if *plotPath != "" {
		if _, err := plots.FormatOf(*plotPath); err != nil {
			return fmt.Errorf("--plot: %w", err)
		}
	}
	model, meta, err := saving.Load(pos[0])
	if err != nil {
		return err
	}
	if err := needFashionMNIST(pos[0], meta, "predict"); err != nil {
		return err
	}
	folder := meta.Preprocessing != nil && meta.Preprocessing.ColorMode != "" // trained on an image folder
	if folder && *index >= 0 {
		return fmt.Errorf("%s was trained on an image folder: give it image files, not --index", pos[0])
	}
	if folder && flagSet(fs, "invert") {
		return fmt.Errorf("--invert: %s was trained on an image folder, whose images are read as they are, in its colour mode", pos[0])
	}
	var x *tensor.Tensor
	var inputs []string
	var labels []int
	if *index >= 0 {
		if err := fitsFashionMNIST(pos[0], model); err != nil {
			return err
		}
		train, test, err := loadData(ctx, e, *dir)
		if err != nil {
			return err
		}
		d := test
		if *split == "train" {
			d = train
		}
		if *index >= d.N {
			return fmt.Errorf("--index %d: the %s split has images 0 to %d", *index, *split, d.N-1)
		}
		all, _ := images(d, 1.0/255)
		x = all.Slice(*index, *index+1)
		inputs = []string{fmt.Sprintf("%s image %d", *split, *index)}
		labels = []int{int(d.Labels[*index])}
	} else {
		inputs = pos[1:]
		if folder {
			x, err = folderImages(inputs, meta.Preprocessing, model.InputShape())
		} else {
			x, err = preprocessing.LoadImages(inputs, opts)
		}
		if err != nil {
			return err
		}
	}
	probs, err := model.Predict(ctx, x, tailor.PredictOptions{FlipAverage: *flip})
	if err != nil {
		return err
	}
	names := classNames(meta)
	preds := make([]prediction, len(inputs))
	for i := range preds {
		preds[i] = prediction{Input: inputs[i], Top: topClasses(probs.Row(i), names, *top)}
		if labels != nil {
			preds[i].Label = &labels[i]
		}
		printTop(e.stdout, preds[i], names)
	}
	if *plotPath != "" {
		if err := predictionPlot(e.stdout, *plotPath, grayRows(x), probs, labels, 0, names); err != nil {
			return err
		}
	}
	if *jsonPath != "" {
		return writeJSON(*jsonPath, preds)
	}
	return nil
}

// topClasses returns the k most probable classes (all of them when there
// are fewer), most probable first; a class without a name is called by its
// number.
func topClasses(p []float32, names []string, k int) []classProb {
	top := tensor.TopK(p, k)
	out := make([]classProb, 0, len(top))
	for _, c := range top {
		name := fmt.Sprint(c)
		if c < len(names) {
			name = names[c]
		}
		out = append(out, classProb{Class: c, Name: name, Probability: float64(p[c])})
	}
	return out
}

func printTop(w io.Writer, p prediction, names []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", p.Input)
	if p.Label != nil {
		fmt.Fprintf(&b, " (label %d, %s)", *p.Label, names[*p.Label])
	}
	b.WriteString(":\n")
	for _, c := range p.Top {
		fmt.Fprintf(&b, "  %d %-12s %.4f\n", c.Class, c.Name, c.Probability)
	}
	io.WriteString(w, b.String())
}
