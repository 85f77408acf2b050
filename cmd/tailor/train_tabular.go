package main

// tailor train --csv FILE --target COLUMN and tailor train --dataset NAME:
// the companion tutorial's ANN on a table. The rows are split into a
// training and a test set first; the preprocessing (standard scaling of
// the numeric columns, one-hot encoding of the categorical ones) is
// fitted on the training rows only and saved inside the model file, so
// that tailor predict --csv applies it to new rows.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/datasets/sklearn"
	"github.com/tailor-ml/tailor/datasets/tabular"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/preprocessing"
	"github.com/tailor-ml/tailor/report"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/tensor"
)

// The tabular recipe: the companion tutorial's network and optimizer
// (Dense(6, relu) → Dense(6, relu) → the output, Adam with Keras's
// defaults, batches of 32), trained for tabularEpochs epochs. The
// tutorial trains its 8,000 customers for 100 epochs, 25,000 steps; the
// small tables of scikit-learn (120 to 455 training rows, 4 to 15 steps
// an epoch) need more epochs than that to converge at this learning rate
// — at 100 epochs iris's and wine's test accuracy still varies with the
// initial weights by up to 8 points — and 500 epochs (2,000 to 7,500
// steps) is where both Tailor's and scikit-learn's runs have settled; see
// the README's comparison with scikit-learn.
const (
	tabularEpochs       = 500
	tabularBatchSize    = 32
	tabularLearningRate = 0.001
	tabularHidden       = 6
	tabularModelName    = "tabular-ann"
	// maxNumericClasses bounds the classes of a numeric target: more
	// distinct numbers than that (or than half the rows, past 10) are a
	// quantity to predict, not classes.
	maxNumericClasses = 100
)

// tableSource is a table to train on and what to predict from it.
type tableSource struct {
	table  *tabular.Table
	target string
	// classes are the target's classes in label order.
	classes []string
	// name is the CSV file or the dataset, for messages and --json;
	// dataset is the sklearn dataset's name, empty for a CSV file; file
	// is the file read.
	name, dataset, file string
}

// splitRecord is what --save-split writes: the rows (0-based, in file
// order, the header not counted) of each set, so that another framework
// can train on exactly the same examples.
type splitRecord struct {
	Dataset    string  `json:"dataset,omitempty"`
	CSV        string  `json:"csv,omitempty"`
	Target     string  `json:"target"`
	Seed       uint64  `json:"seed"`
	TestSize   float64 `json:"test_size"`
	Stratified bool    `json:"stratified"`
	Train      []int   `json:"train"`
	Test       []int   `json:"test"`
}

func runTrainTable(ctx context.Context, e *env, args []string) (err error) {
	var w written
	defer w.explain(ctx, &err)
	f, err := parseTableFlags(e, args)
	if err != nil {
		return err
	}
	d, err := prepareTable(f, &w)
	if err != nil {
		return err
	}
	out := e.stdout
	describeTable(out, d.src, d.p, d.labels)
	how := fmt.Sprintf("seed %d", f.seed)
	if f.stratify {
		how = "stratified, " + how
	}
	if len(d.split.Test) > 0 {
		fmt.Fprintf(out, "Split: %d rows for training, %d for testing (%s)\n", len(d.split.Train), len(d.split.Test), how)
	} else {
		fmt.Fprintf(out, "Training on all %d rows (no test split)\n", len(d.split.Train))
	}
	model, err := tabularANN(d.xTrain.Shape[1], len(d.p.ClassNames()), f.seed, f.lr)
	if err != nil {
		return err
	}
	if f.initPath != "" {
		if err := saving.SaveWeights(f.initPath, model); err != nil {
			return err
		}
		w.add("--initial-weights", f.initPath)
	}
	fmt.Fprintln(out)
	if err := model.Summary(out); err != nil {
		return err
	}
	fit := tailor.FitOptions{Epochs: f.epochs, BatchSize: f.batch, Seed: f.seed, ValidationSplit: f.valSplit, Out: out}
	if f.quiet {
		fit.Verbose = tailor.Silent
	}
	trainDS, err := datasets.WithLabels(d.xTrain, d.yTrain)
	if err != nil {
		return err
	}
	start := time.Now()
	hist, err := model.Fit(ctx, trainDS, fit)
	if err != nil {
		return err
	}
	return tableResults(ctx, e, f, d, &w, model, fit, accuracyHistory(hist), time.Since(start).Seconds())
}

// tableFlags are tailor train's flags for a table.
type tableFlags struct {
	csvPath, dataset, dataDir, target      string
	outPath, jsonPath, splitPath, initPath string
	plotsDir, reportPath                   string
	testSplit, lr, valSplit                float64
	epochs, batch                          int
	seed                                   uint64
	stratify, quiet                        bool
	categorical                            []string
	opts                                   preprocessing.PipelineOptions
}

// parseTableFlags reads and checks the flags of tailor train --csv and
// --dataset.
func parseTableFlags(e *env, args []string) (*tableFlags, error) {
	fs := newFlags(e, "train", "(--csv FILE --target COLUMN | --dataset breast-cancer|iris|wine) [--test-split 0.2] [--stratify] [--drop COL,...] [--categorical COL,...] [--impute] [--handle-unknown error|ignore] [--scale numeric|all|none] [--epochs 500] [--batch-size 32] [--learning-rate 0.001] [--seed 1] [--out model.tailor] [--json FILE] [--save-split FILE] [--initial-weights FILE] [--plots DIR] [--report FILE] [--quiet]")
	f := &tableFlags{}
	fs.StringVar(&f.csvPath, "csv", "", "the CSV file to train on: a header line naming the columns, then one example per line")
	fs.StringVar(&f.dataset, "dataset", "", "train on one of scikit-learn's tables instead: "+strings.Join(sklearn.Names(), ", ")+" (Debian's python3-sklearn)")
	fs.StringVar(&f.dataDir, "sklearn-data", "", "directory of scikit-learn's CSV files (default: "+sklearn.DefaultDir+")")
	fs.StringVar(&f.target, "target", "", "the column to predict (with --csv; --dataset predicts the dataset's target)")
	fs.Float64Var(&f.testSplit, "test-split", 0.2, "hold out this fraction of the rows (or this many) for testing; 0 trains on all of them")
	fs.BoolVar(&f.stratify, "stratify", false, "split each class in the same proportions")
	drop := fs.String("drop", "", "comma-separated columns not to use as features (identifiers, names)")
	categorical := fs.String("categorical", "", "comma-separated columns of numbers to treat as categories (codes, zip codes)")
	impute := fs.Bool("impute", false, "fill missing values with the training rows' mean (numbers) or most frequent category, also at predict time; without it a missing value is an error")
	unknown := fs.String("handle-unknown", "error", "a category the training rows lack, at test or predict time: error, or ignore (one-hot encoded as all zeros)")
	scale := fs.String("scale", "numeric", "which features to standardise: numeric (the numeric columns), all (the one-hot ones too, as the companion tutorial does) or none")
	fs.IntVar(&f.epochs, "epochs", tabularEpochs, "passes over the training rows")
	fs.IntVar(&f.batch, "batch-size", tabularBatchSize, "rows per training step")
	fs.Float64Var(&f.lr, "learning-rate", tabularLearningRate, "Adam's learning rate")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the split, the initial weights and the shuffling")
	fs.Float64Var(&f.valSplit, "validation-split", 0, "also hold out this last fraction of the training rows and report on it after every epoch")
	fs.StringVar(&f.outPath, "out", "", "save the trained model, with its preprocessing, to this file (e.g. model.tailor)")
	fs.StringVar(&f.jsonPath, "json", "", "write the figures as JSON to this file")
	fs.StringVar(&f.splitPath, "save-split", "", "write the rows of the training and test sets as JSON to this file")
	fs.StringVar(&f.initPath, "initial-weights", "", "write the weights the model starts from, before training, to this safetensors file")
	fs.StringVar(&f.plotsDir, "plots", "", "write the learning curves, the confusion matrix and per-class accuracy as PNG and SVG into this directory")
	fs.StringVar(&f.reportPath, "report", "", "write an HTML report of the run to this file")
	fs.BoolVar(&f.quiet, "quiet", false, "print no progress bar or epoch lines: the model's summary and the results only")
	if err := parseOwnData(fs, args); err != nil {
		return nil, err
	}
	switch {
	case (f.csvPath == "") == (f.dataset == ""):
		return nil, usageError(fs, "want either --csv FILE or --dataset NAME")
	case f.csvPath != "" && f.target == "":
		return nil, usageError(fs, "--csv needs --target COLUMN, the column to predict")
	case f.dataset != "" && (f.target != "" || *drop != "" || *categorical != ""):
		return nil, usageError(fs, "--target, --drop and --categorical are for --csv; --dataset predicts the dataset's target from all its features")
	case f.epochs <= 0 || f.batch <= 0:
		return nil, usageError(fs, fmt.Sprintf("--epochs %d and --batch-size %d must be positive", f.epochs, f.batch))
	case !(f.lr > 0) || math.IsInf(f.lr, 0):
		return nil, usageError(fs, fmt.Sprintf("--learning-rate %v must be positive", f.lr))
	case !(f.testSplit >= 0) || math.IsInf(f.testSplit, 0):
		return nil, usageError(fs, fmt.Sprintf("--test-split %v: want a fraction in [0, 1) or a number of rows", f.testSplit))
	case f.testSplit == 0 && f.stratify:
		return nil, usageError(fs, "--stratify needs a test split (--test-split > 0)")
	case !(f.valSplit >= 0 && f.valSplit < 1):
		return nil, usageError(fs, fmt.Sprintf("--validation-split %v: want a fraction in [0, 1)", f.valSplit))
	}
	f.categorical = parseList(*categorical)
	f.opts = preprocessing.PipelineOptions{Drop: parseList(*drop), Impute: *impute}
	if slices.Contains(f.opts.Drop, f.target) {
		return nil, usageError(fs, fmt.Sprintf("--drop names %q, the --target column: the target is never a feature; drop only columns not to use as features", f.target))
	}
	switch preprocessing.ScaleMode(*scale) {
	case preprocessing.ScaleNumeric, preprocessing.ScaleAll, preprocessing.ScaleNone:
		f.opts.Scale = preprocessing.ScaleMode(*scale)
	default:
		return nil, usageError(fs, fmt.Sprintf("--scale %q: want numeric, all or none", *scale))
	}
	switch preprocessing.HandleUnknown(*unknown) {
	case preprocessing.UnknownError, preprocessing.UnknownIgnore:
		f.opts.HandleUnknown = preprocessing.HandleUnknown(*unknown)
	default:
		return nil, usageError(fs, fmt.Sprintf("--handle-unknown %q: want error or ignore", *unknown))
	}
	var inputs []string
	if f.csvPath != "" {
		inputs = []string{f.csvPath}
	}
	if err := f.checkOutputs(inputs...); err != nil {
		return nil, err
	}
	return f, nil
}

// checkOutputs checks the run's outputs (checkRunOutputs), none of which
// may be one of inputs, the files it reads.
func (f *tableFlags) checkOutputs(inputs ...string) error {
	return checkRunOutputs(f.plotsDir, inputs, output{"--out", f.outPath}, output{"--json", f.jsonPath}, output{"--report", f.reportPath},
		output{"--save-split", f.splitPath}, output{"--initial-weights", f.initPath})
}

// preparedTable is a table split into training and test rows, with the
// preprocessing fitted on the training rows and both sets transformed.
type preparedTable struct {
	src           *tableSource
	labels        []int
	split         splitRecord
	p             *preprocessing.Pipeline
	xTrain, xTest *tensor.Tensor // xTest nil without a test split
	yTrain, yTest []int32
}

// prepareTable reads the table, splits its rows, fits the preprocessing
// on the training rows alone and transforms both sets.
func prepareTable(f *tableFlags, w *written) (*preparedTable, error) {
	var src *tableSource
	var err error
	if f.dataset != "" {
		src, err = sklearnTable(f.dataset, f.dataDir)
	} else {
		src, err = csvTable(f.csvPath, f.target, f.opts.Drop, f.categorical)
	}
	if err != nil {
		return nil, err
	}
	if f.dataset != "" { // its file is known once found
		if err := f.checkOutputs(src.file); err != nil {
			return nil, err
		}
	}
	opts := f.opts
	opts.Target, opts.Classes = src.target, src.classes
	t := src.table
	d := &preparedTable{src: src}
	if d.labels, err = classLabels(t, src.target, src.classes); err != nil {
		return nil, err
	}
	d.split = splitRecord{Dataset: src.dataset, Target: src.target, Seed: f.seed, TestSize: f.testSplit, Stratified: f.stratify}
	if src.dataset == "" {
		d.split.CSV = src.name
	}
	if f.testSplit == 0 {
		d.split.Train = make([]int, t.Rows())
		for i := range d.split.Train {
			d.split.Train[i] = i
		}
	} else {
		so := preprocessing.SplitOptions{TestSize: f.testSplit, Seed: f.seed}
		if f.stratify {
			so.Stratify = d.labels
		}
		if d.split.Train, d.split.Test, err = preprocessing.TrainTestSplit(t.Rows(), so); err != nil {
			return nil, fmt.Errorf("--test-split %v: %w", f.testSplit, err)
		}
	}
	if err := checkMissing(t, src.target, opts); err != nil {
		return nil, err
	}
	trainRows, err := t.Take(d.split.Train)
	if err != nil {
		return nil, err
	}
	if d.p, err = preprocessing.FitPipeline(trainRows, opts); err != nil {
		if strings.Contains(err.Error(), "(PipelineOptions.Drop)") {
			err = fmt.Errorf("%w; on the command line, --drop the column", err)
		}
		return nil, err
	}
	if d.xTrain, d.yTrain, err = tableExamples(d.p, trainRows); err != nil {
		return nil, err
	}
	if len(d.split.Test) > 0 {
		testRows, err := t.Take(d.split.Test)
		if err != nil {
			return nil, err
		}
		if d.xTest, d.yTest, err = tableExamples(d.p, testRows); err != nil {
			return nil, fmt.Errorf("the test rows: %w", trainHint(err))
		}
	}
	if f.splitPath != "" {
		if err := writeJSON(f.splitPath, d.split); err != nil {
			return nil, err
		}
		w.add("--save-split", f.splitPath)
	}
	return d, nil
}

// tableResults saves the trained table model with its preprocessing,
// scores it on the test rows and writes the figures, report and JSON
// asked for.
func tableResults(ctx context.Context, e *env, f *tableFlags, d *preparedTable, w *written, model *tailor.Model, fit tailor.FitOptions, hist *tailor.History, seconds float64) error {
	out, names := e.stdout, d.p.ClassNames()
	rep := dataReport{
		Model: tabularModelName, Data: d.src.name, Target: d.src.target, Seed: f.seed, BatchSize: f.batch, LearningRate: f.lr,
		TrainExamples: len(d.yTrain), Epochs: epochReports(hist),
		TrainAccuracy: last(hist.History["accuracy"]), ClassNames: names, TrainSeconds: seconds,
	}
	if fit.ValidationSplit > 0 { // the examples trained on, as Fit splits
		rep.TrainExamples = int(float64(len(d.yTrain)) * (1 - fit.ValidationSplit))
	}
	meta := saving.Table(d.p)
	meta.History = hist
	meta.Training = &saving.Training{Seconds: seconds}
	settings := tableSettings(d.src, d.split, fit, f.lr, len(d.yTrain))
	for _, s := range settings {
		meta.Training.Settings = append(meta.Training.Settings, saving.Setting(s))
	}
	if f.outPath != "" {
		if err := saving.Save(f.outPath, model, meta); err != nil {
			return err
		}
		w.add("--out", f.outPath)
		fmt.Fprintf(out, "Saved the model and its preprocessing to %s\n", f.outPath)
	}
	var s *scores
	if d.xTest != nil {
		var err error
		if s, err = scoreClassifier(ctx, model, d.xTest, d.yTest, len(names)); err != nil {
			return err
		}
		printScores(out, "test", s, names)
		rep.TestExamples, rep.TestLoss, rep.TestAccuracy = len(d.yTest), &s.loss, &s.accuracy
		rep.PerClassAccuracy, rep.Confusion = s.perClass, s.confusion
	} else {
		fmt.Fprintf(out, "\nTraining accuracy (last epoch): %.4f\n", rep.TrainAccuracy)
	}
	if f.plotsDir != "" {
		if err := trainingFigures(out, f.plotsDir, hist); err != nil {
			return err
		}
		if s != nil {
			if err := confusionFigures(out, f.plotsDir, s, names); err != nil {
				return err
			}
		}
		w.add("--plots", f.plotsDir)
	}
	if f.reportPath != "" {
		run := modelRun{path: f.outPath, model: model, meta: meta, history: hist, trainingSeconds: seconds, settings: settings}
		if err := writeTableReport(out, f.reportPath, run, "test", s); err != nil {
			return err
		}
		w.add("--report", f.reportPath)
	}
	if f.jsonPath != "" {
		return writeJSON(f.jsonPath, rep)
	}
	return nil
}

// csvTable reads the CSV file at path to predict the target column from.
// Columns listed in categorical are read as categories; a column the
// model will not read whose values mix numbers and words is read as text
// rather than refused.
func csvTable(path, target string, drop, categorical []string) (*tableSource, error) {
	opts := tabular.Options{Missing: tabular.MissingKeep, Kinds: map[string]tabular.Kind{}}
	for _, c := range categorical {
		opts.Kinds[c] = tabular.Categorical
	}
	t, err := readTable(path, opts, func(name string) bool { return name == target || slices.Contains(drop, name) })
	if err != nil {
		return nil, err
	}
	c, err := t.Column(target)
	if err != nil {
		return nil, fmt.Errorf("--target: %w", err)
	}
	for _, d := range drop {
		if _, err := t.Column(d); err != nil {
			return nil, fmt.Errorf("--drop: %w", err)
		}
	}
	classes := targetClasses(c, t.Rows())
	if n := len(classes); c.Kind == tabular.Numeric && (n > maxNumericClasses || n > 10 && 2*n > t.Rows()) {
		return nil, fmt.Errorf("--target %q: %s: %d distinct numbers, which look like a quantity to predict rather than classes: tailor train classifies (declare the column --categorical if they are classes)", target, path, len(classes))
	}
	return &tableSource{table: t, target: target, classes: classes, name: path, file: path}, nil
}

// readTable reads the CSV file at path. When a column that spare
// accepts mixes numbers and words, it is declared categorical and the
// file read again.
func readTable(path string, opts tabular.Options, spare func(string) bool) (*tabular.Table, error) {
	if opts.Kinds == nil {
		opts.Kinds = map[string]tabular.Kind{}
	}
	for {
		t, err := tabular.ReadCSVFile(path, opts)
		var te *tabular.Error
		if err == nil || !errors.As(err, &te) || te.Column == 0 || te.Name == "" || !spare(te.Name) || opts.Kinds[te.Name] != tabular.Auto {
			return t, err
		}
		opts.Kinds[te.Name] = tabular.Categorical
	}
}

// targetClasses returns the distinct values of the target column, sorted
// as sklearn's LabelEncoder sorts them: numerically for numbers, by text
// otherwise. Missing values are left out (checkMissing reports them).
func targetClasses(c *tabular.Column, rows int) []string {
	if c.Kind == tabular.Numeric {
		var values []float64
		for _, v := range c.Numbers {
			if !math.IsNaN(v) {
				values = append(values, v)
			}
		}
		slices.Sort(values)
		var out []string
		for _, v := range slices.Compact(values) {
			out = append(out, numberClass(v))
		}
		return out
	}
	seen := map[string]bool{}
	var out []string
	for i := range rows {
		if !c.IsMissing(i) && !seen[c.Text(i)] {
			seen[c.Text(i)] = true
			out = append(out, c.Text(i))
		}
	}
	slices.Sort(out)
	return out
}

// numberClass names the class of a numeric target's value: its shortest
// text, 0 for -0, so that "1.0", "1e0" and "1" are the one class "1".
func numberClass(v float64) string {
	if v == 0 {
		v = 0 // -0 too
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// sklearnTable loads one of scikit-learn's datasets as a table: a column
// per feature, named as sklearn names them, and the class names in a
// column "target", the classes kept in sklearn's order (malignant is
// class 0 of breast-cancer, as in sklearn). Row i is the dataset's
// example i, so a split's row numbers are sklearn's indices.
func sklearnTable(name, dir string) (*tableSource, error) {
	d, err := sklearn.Load(name, sklearn.Options{Dir: dir})
	if err != nil {
		return nil, err
	}
	const target = "target"
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(append(slices.Clone(d.FeatureNames), target))
	row := make([]string, len(d.FeatureNames)+1)
	for i := range d.Target {
		for j, v := range d.Data.Row(i) {
			row[j] = strconv.FormatFloat(float64(v), 'g', -1, 32)
		}
		row[len(row)-1] = d.ClassNames[d.Target[i]]
		w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	t, err := tabular.ReadCSV(&b, d.File, tabular.Options{Kinds: map[string]tabular.Kind{target: tabular.Categorical}})
	if err != nil {
		return nil, err
	}
	return &tableSource{table: t, target: target, classes: d.ClassNames, name: d.Name, dataset: d.Name, file: d.File}, nil
}

// classLabels returns each row's class index among classes.
func classLabels(t *tabular.Table, target string, classes []string) ([]int, error) {
	ci := t.Index(target)
	c := t.Columns[ci]
	index := make(map[string]int, len(classes))
	for i, cl := range classes {
		index[cl] = i
	}
	labels := make([]int, t.Rows())
	for i := range labels {
		if c.IsMissing(i) {
			return nil, &tabular.Error{File: t.Name, Line: t.Line(i), Column: ci + 1, Name: c.Name, Err: errors.New("missing value in the target column: drop the row or give it a class")}
		}
		class := c.Text(i)
		if c.Kind == tabular.Numeric {
			class = numberClass(c.Numbers[i])
		}
		k, ok := index[class]
		if !ok {
			return nil, &tabular.Error{File: t.Name, Line: t.Line(i), Column: ci + 1, Name: c.Name, Err: fmt.Errorf("class %q is not among %q", c.Text(i), classes)}
		}
		labels[i] = k
	}
	if len(classes) < 2 {
		return nil, fmt.Errorf("%s: the target %q has %d class %q, want at least 2", t.Name, target, len(classes), classes)
	}
	return labels, nil
}

// checkMissing reports the first missing value of a feature column, by
// line and column, unless the pipeline imputes.
func checkMissing(t *tabular.Table, target string, opts preprocessing.PipelineOptions) error {
	if opts.Impute {
		return nil
	}
	for ci, c := range t.Columns {
		if c.Name == target || slices.Contains(opts.Drop, c.Name) || c.Missing == 0 {
			continue
		}
		for i := range t.Rows() {
			if c.IsMissing(i) {
				return &tabular.Error{File: t.Name, Line: t.Line(i), Column: ci + 1, Name: c.Name,
					Err: fmt.Errorf("missing value (%d in the column): train with --impute to fill missing values from the training rows, or --drop the column", c.Missing)}
			}
		}
	}
	return nil
}

// trainHint adds to a pipeline's error about an unknown category or a
// missing value the tailor train flag that allows it.
func trainHint(err error) error {
	var te *tabular.Error
	if !errors.As(err, &te) {
		return err
	}
	switch msg := te.Err.Error(); {
	case strings.HasPrefix(msg, "unknown category"):
		return fmt.Errorf("%w; on the command line, train with --handle-unknown ignore", err)
	case strings.HasPrefix(msg, "missing value"):
		return fmt.Errorf("%w; on the command line, train with --impute", err)
	}
	return err
}

// tableExamples returns the rows' features and class labels.
func tableExamples(p *preprocessing.Pipeline, t *tabular.Table) (*tensor.Tensor, []int32, error) {
	x, err := p.Transform(t)
	if err != nil {
		return nil, nil, err
	}
	y, err := p.Targets(t)
	if err != nil {
		return nil, nil, err
	}
	labels := make([]int32, len(y))
	for i, v := range y {
		labels[i] = int32(v)
	}
	return x, labels, nil
}

// tabularANN returns the companion tutorial's network for inputs of
// features features, compiled and built: Dense(6, relu) → Dense(6, relu)
// → Dense(1, sigmoid) with binary cross-entropy for two classes (the
// output is the probability of class 1), → Dense(classes, softmax) with
// sparse categorical cross-entropy for more; Adam with the learning rate
// lr and Keras's other defaults; weights initialised from seed.
func tabularANN(features, classes int, seed uint64, lr float64) (*tailor.Model, error) {
	var output layers.Layer = layers.Dense(classes, activations.Softmax)
	var loss losses.Loss = losses.SparseCategoricalCrossentropy()
	var metric metrics.Metric = metrics.Accuracy()
	if classes == 2 {
		output, loss, metric = layers.Dense(1, activations.Sigmoid), losses.BinaryCrossentropy(), metrics.BinaryAccuracy()
	}
	m := tailor.Sequential(
		layers.Dense(tabularHidden, activations.ReLU),
		layers.Dense(tabularHidden, activations.ReLU),
		output,
	)
	if err := m.SetSeed(seed); err != nil {
		return nil, err
	}
	opt, err := optimizers.AdamWith(lr, 0.9, 0.999, 1e-7)
	if err != nil {
		return nil, err
	}
	if err := m.Compile(opt, loss, metric); err != nil {
		return nil, err
	}
	if err := m.Build(features); err != nil {
		return nil, err
	}
	return m, nil
}

// describeTable prints what was read and how it is encoded.
func describeTable(w io.Writer, src *tableSource, p *preprocessing.Pipeline, labels []int) {
	t := src.table
	fmt.Fprintf(w, "%s: %d rows, %d columns\n", src.name, t.Rows(), len(t.Columns))
	fmt.Fprintf(w, "Features: %s\n", describePipeline(p))
	counts := make([]int, len(src.classes))
	for _, l := range labels {
		counts[l]++
	}
	parts := make([]string, len(src.classes))
	for i, c := range src.classes {
		parts[i] = fmt.Sprintf("%d %s (%d)", i, c, counts[i])
	}
	kind := "classes"
	if len(src.classes) == 2 {
		kind = "classes, a sigmoid's probability of class 1"
	}
	fmt.Fprintf(w, "Target %q: %d %s: %s\n", src.target, len(src.classes), kind, strings.Join(parts, ", "))
}

// describePipeline says in a line how the columns become features.
func describePipeline(p *preprocessing.Pipeline) string {
	var num, cat []string
	for _, f := range p.Features {
		if f.Kind == "numeric" {
			num = append(num, f.Name)
		} else {
			cat = append(cat, fmt.Sprintf("%s (%d)", f.Name, len(f.Categories)))
		}
	}
	s := fmt.Sprintf("%d columns → %d features: %d numeric", len(p.Features), len(p.FeatureNames()), len(num))
	switch p.Scale {
	case preprocessing.ScaleNumeric, preprocessing.ScaleAll:
		s += " standardised"
	}
	if len(cat) > 0 {
		s += fmt.Sprintf(", %d categorical one-hot encoded: %s", len(cat), strings.Join(cat, ", "))
		if p.Scale == preprocessing.ScaleAll {
			s += ", then standardised"
		}
	}
	return s
}

// tableSettings describes the run for the model file and the report.
func tableSettings(src *tableSource, split splitRecord, fit tailor.FitOptions, lr float64, examples int) []report.Setting {
	out := []report.Setting{
		{Name: "recipe", Value: fmt.Sprintf("%s: Dense(6, relu) → Dense(6, relu) → %s, Adam", tabularModelName, outputName(len(src.classes)))},
		{Name: "data", Value: src.name},
		{Name: "target", Value: src.target},
		{Name: "epochs", Value: fmt.Sprint(fit.Epochs)},
		{Name: "batch size", Value: fmt.Sprint(fit.BatchSize)},
		{Name: "learning rate", Value: fmt.Sprint(lr)},
		{Name: "seed", Value: fmt.Sprint(fit.Seed)},
		{Name: "training examples", Value: commas(examples)},
	}
	if len(split.Test) > 0 {
		how := ""
		if split.Stratified {
			how = ", stratified"
		}
		out = append(out, report.Setting{Name: "test split", Value: fmt.Sprintf("%g: %s rows%s", split.TestSize, commas(len(split.Test)), how)})
	}
	if fit.ValidationSplit > 0 {
		out = append(out, report.Setting{Name: "validation split", Value: fmt.Sprintf("the last %g of the training rows", fit.ValidationSplit)})
	}
	return out
}

func outputName(classes int) string {
	if classes == 2 {
		return "Dense(1, sigmoid), binary cross-entropy"
	}
	return fmt.Sprintf("Dense(%d, softmax), sparse categorical cross-entropy", classes)
}
