package main

// This file is what tailor train --csv, --dataset and --images share:
// the dispatch from runTrain, the --json report, and scoring a classifier
// whose classes are named (a sigmoid's single output or a softmax's).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/plots"
	"github.com/tailor-ml/tailor/tensor"
)

// trainOn returns the train command for one's own data when args ask for
// it — --csv or --dataset (a table), --images (a folder of images) — or
// nil for the Fashion-MNIST models. For tailor train --help it also
// prints how to reach those modes' flags, and returns nil.
func trainOn(e *env, args []string) func(ctx context.Context, e *env, args []string) error {
	help := false
	for _, a := range args {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch name {
		case "csv", "dataset":
			return runTrainTable
		case "images":
			return runTrainImages
		case "h", "help":
			help = true
		}
	}
	if help {
		fmt.Fprintln(e.stderr, "Usage: tailor train --csv FILE --target COLUMN [flags]   a table, with the companion tutorial's ANN")
		fmt.Fprintln(e.stderr, "       tailor train --dataset breast-cancer|iris|wine [flags]   scikit-learn's tables")
		fmt.Fprintln(e.stderr, "       tailor train --images DIR [flags]   a folder of images, one subfolder per class")
		fmt.Fprintln(e.stderr, `(their flags: "tailor train --csv x --help", "tailor train --images x --help")`)
		fmt.Fprintln(e.stderr)
	}
	return nil
}

// parseOwnData parses the flags of a training on one's own table or
// images, which the Fashion-MNIST models' checkpoint flags are not: named
// here, they are a usage error that says so, where the flag package would
// only say they are not defined.
func parseOwnData(fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		switch name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "="); {
		case !strings.HasPrefix(a, "-"):
		case name == "checkpoint-dir" || name == "resume" || name == "checkpoint-every":
			return usageError(fs, fmt.Sprintf("--%s is for tailor train --model (Fashion-MNIST, CIFAR-10): a table's or an image folder's training keeps no checkpoint; run it again to start over", name))
		}
	}
	return parse(fs, args)
}

// output is a file a command writes, with the flag that names it.
type output struct{ flag, path string }

// written lists the outputs a run has written so far, for the line an
// interrupt prints (SIGINT exits saying what was kept).
type written []output

// add records that the file of flag, at path, is written.
func (w *written) add(flag, path string) { *w = append(*w, output{flag, path}) }

// explain, deferred by a run that returns *err, replaces an error that
// comes of an interrupt (ctx done) with the interrupt's, which says what
// was written.
func (w *written) explain(ctx context.Context, err *error) {
	if *err != nil && ctx.Err() != nil {
		*err = interrupted(w.kept())
	}
}

// kept says what an interrupt keeps.
func (w written) kept() string {
	if len(w) == 0 {
		return "nothing was written"
	}
	names := make([]string, len(w))
	for i, o := range w {
		names[i] = o.flag + " " + o.path
	}
	return "written so far: " + strings.Join(names, ", ")
}

// checkRunOutputs checks, before any work, that a run's results can be
// written: each file in outs, and the figures' directory plots (see
// checkDir; a file in it when it exists), none the same as another or as
// one of inputs, the files the run reads. It creates nothing: a command
// that fails later on its arguments leaves no empty directory behind.
func checkRunOutputs(plots string, inputs []string, outs ...output) error {
	if plots != "" {
		if err := checkDir(plots); err != nil {
			return fmt.Errorf("--plots %s: %w", plots, err)
		}
	}
	outs = append(outs, output{"--plots", plotCheckPath(plots)})
	for i, o := range outs {
		if o.path == "" {
			continue
		}
		for _, prev := range outs[:i] {
			switch {
			case prev.path == "" || !samePath(prev.path, o.path):
			case filepath.Clean(prev.path) == filepath.Clean(o.path):
				return fmt.Errorf("%s and %s are both %s", prev.flag, o.flag, o.path)
			default:
				return fmt.Errorf("%s %s and %s %s are one file", prev.flag, prev.path, o.flag, o.path)
			}
		}
		if err := checkOutput(o.flag, o.path, inputs...); err != nil {
			return err
		}
		for _, fig := range plotFigures {
			if p := filepath.Join(plots, fig); plots != "" && o.flag != "--plots" && samePath(o.path, p) {
				return fmt.Errorf("%s %s: a figure --plots %s writes, which would replace it: write it elsewhere", o.flag, o.path, plots)
			}
		}
	}
	return nil
}

// plotFigures are the files --plots writes (figures.go), which no other
// output may be.
var plotFigures = func() []string {
	var files []string
	for _, name := range []string{"loss", "accuracy", "confusion_matrix", "confusion_matrix_normalized", "per_class_accuracy", "predictions_grid", "mistakes"} {
		for _, f := range plots.Formats() {
			files = append(files, name+"."+string(f))
		}
	}
	return files
}()

// samePath reports whether writing a and b would write one file: the
// same path, relative or absolute, or one reached through symbolic links
// to the file or to a directory on the way, which a write follows.
func samePath(a, b string) bool {
	a, b = atomicfile.Target(a), atomicfile.Target(b)
	absA, err1 := filepath.Abs(a)
	absB, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && absA == absB {
		return true
	}
	if filepath.Base(a) != filepath.Base(b) {
		return false
	}
	da, err1 := os.Stat(filepath.Dir(a))
	db, err2 := os.Stat(filepath.Dir(b))
	return err1 == nil && err2 == nil && os.SameFile(da, db)
}

// plotCheckPath is a file --plots will write, for checking that the
// directory accepts it; "" for no --plots, or a directory not yet made.
func plotCheckPath(dir string) string {
	if dir == "" {
		return ""
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return ""
	}
	return filepath.Join(dir, "loss.png")
}

// checkDir checks that dir is a directory that accepts new files, or,
// when it does not exist yet, that it can be created where the results
// are written: its nearest existing ancestor is a directory that accepts
// new entries. It leaves nothing behind.
func checkDir(dir string) error {
	for p := dir; ; {
		st, err := os.Stat(p)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("%s is not a directory", p)
			}
			f, err := os.CreateTemp(p, ".tailor-check-*")
			if err != nil {
				return err
			}
			name := f.Name()
			f.Close()
			return os.Remove(name)
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) { // ENOTDIR: an ancestor is a file, said below
			return err
		}
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s is a symbolic link to nothing", p)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return err
		}
		p = parent
	}
}

// dataReport is what --json writes for a model trained on a table or an
// image folder: the fields of the Fashion-MNIST trainReport, with the test
// figures on the held-out split of a table and the validation figures on
// an image folder's validation split, and the class names and confusion
// matrix of that split.
type dataReport struct {
	Model string `json:"model"`
	// Data is the CSV file, dataset or image folder trained on; Target
	// the column predicted.
	Data          string            `json:"data"`
	Target        string            `json:"target,omitempty"`
	Seed          uint64            `json:"seed"`
	BatchSize     int               `json:"batch_size"`
	LearningRate  float64           `json:"learning_rate"`
	TrainExamples int               `json:"train_examples"`
	Epochs        []dataEpochReport `json:"epochs"`
	// TrainAccuracy is the last epoch's training accuracy, as Fit
	// reported it (averaged over the epoch's batches).
	TrainAccuracy      float64  `json:"train_accuracy"`
	TestExamples       int      `json:"test_examples,omitempty"`
	TestLoss           *float64 `json:"test_loss,omitempty"`
	TestAccuracy       *float64 `json:"test_accuracy,omitempty"`
	ValidationExamples int      `json:"validation_examples,omitempty"`
	ValidationLoss     *float64 `json:"validation_loss,omitempty"`
	ValidationAccuracy *float64 `json:"validation_accuracy,omitempty"`
	ClassNames         []string `json:"class_names"`
	// PerClassAccuracy and Confusion are on the test split (a table) or
	// the validation split (images); Confusion[i][j] counts examples of
	// class i predicted as j.
	PerClassAccuracy accuracies `json:"per_class_accuracy,omitempty"`
	Confusion        [][]int    `json:"confusion_matrix,omitempty"`
	TrainSeconds     float64    `json:"train_seconds"`
}

type dataEpochReport struct {
	Epoch              int      `json:"epoch"`
	Loss               float64  `json:"loss"`
	Accuracy           float64  `json:"accuracy"`
	ValidationLoss     *float64 `json:"val_loss,omitempty"`
	ValidationAccuracy *float64 `json:"val_accuracy,omitempty"`
	Seconds            float64  `json:"seconds"`
}

// accuracyHistory returns hist with a binary model's "binary_accuracy"
// (and "val_binary_accuracy") named "accuracy", as Keras names the metric
// compiled as "accuracy" whatever the loss, so that the report, the
// learning curves and --json find it.
func accuracyHistory(hist *tailor.History) *tailor.History {
	if hist == nil {
		return nil
	}
	out := &tailor.History{Epochs: hist.Epochs, Seconds: hist.Seconds, History: map[string][]float64{}}
	for k, v := range hist.History {
		switch k {
		case "binary_accuracy":
			k = "accuracy"
		case "val_binary_accuracy":
			k = "val_accuracy"
		}
		out.History[k] = v
	}
	return out
}

// epochReports lists hist's epochs for --json.
func epochReports(hist *tailor.History) []dataEpochReport {
	var out []dataEpochReport
	at := func(key string, i int) *float64 {
		if v, ok := hist.History[key]; ok && i < len(v) {
			return &v[i]
		}
		return nil
	}
	for i, ep := range hist.Epochs {
		r := dataEpochReport{Epoch: ep + 1, ValidationLoss: at("val_loss", i), ValidationAccuracy: at("val_accuracy", i)}
		if v := at("loss", i); v != nil {
			r.Loss = *v
		}
		if v := at("accuracy", i); v != nil {
			r.Accuracy = *v
		}
		if i < len(hist.Seconds) {
			r.Seconds = hist.Seconds[i]
		}
		out = append(out, r)
	}
	return out
}

// predictedClasses turns a model's outputs into classes: a single output
// is the probability of class 1 (a sigmoid), so above 0.5 is class 1, as
// metrics.BinaryAccuracy decides; otherwise the most probable class.
func predictedClasses(probs *tensor.Tensor) []int {
	if len(probs.Shape) == 2 && probs.Shape[1] == 1 {
		out := make([]int, probs.Shape[0])
		for i, p := range probs.Data {
			if p > 0.5 {
				out[i] = 1
			}
		}
		return out
	}
	return probs.Argmax()
}

// classProbabilities returns, for row i of a model's outputs, the
// probability of each of the classes: p and 1 − p for a sigmoid's single
// output p (class 0 first).
func classProbabilities(probs *tensor.Tensor, i, classes int) []float32 {
	row := probs.Row(i)
	if len(row) == 1 && classes == 2 {
		return []float32{1 - row[0], row[0]}
	}
	return row
}

// scoreClassifier evaluates model on x with labels and scores its
// predictions against them.
func scoreClassifier(ctx context.Context, model *tailor.Model, x datasets.Features, labels []int32, classes int) (*scores, error) {
	ds, err := datasets.WithLabels(x, labels)
	if err != nil {
		return nil, err
	}
	loss, _, err := model.Evaluate(ctx, ds, tailor.EvaluateOptions{})
	if err != nil {
		return nil, err
	}
	probs, err := model.Predict(ctx, x, tailor.PredictOptions{})
	if err != nil {
		return nil, err
	}
	s := newScores(probs, predictedClasses(probs), labels, classes)
	s.loss = loss
	return s, nil
}

// printScores prints a split's loss, accuracy, per-class accuracy and
// confusion matrix with the class names, as tailor evaluate does, and for
// two classes the precision and recall of class 1.
func printScores(w io.Writer, split string, s *scores, names []string) {
	n := len(s.predicted)
	if split != "" {
		split += " "
	}
	fmt.Fprintf(w, "\n%s: %.4f\n", titleCase(split+"loss"), s.loss)
	fmt.Fprintf(w, "%s: %.4f (%d of %d)\n", titleCase(split+"accuracy"), s.accuracy, int(s.accuracy*float64(n)+0.5), n)
	if len(names) == 2 {
		tp, fp, fn := s.confusion[1][1], s.confusion[0][1], s.confusion[1][0]
		fmt.Fprintf(w, "Precision and recall of %q: %.4f, %.4f\n", names[1], fraction(tp, tp+fp), fraction(tp, tp+fn))
	}
	fmt.Fprintf(w, "Per-class %saccuracy:\n", split)
	width := 12
	for _, name := range names {
		width = max(width, len(name))
	}
	for c, a := range s.perClass {
		fmt.Fprintf(w, "  %d %-*s %s\n", c, width, names[c], formatAccuracy(a))
	}
	fmt.Fprintln(w)
	printConfusion(w, s.confusion, names)
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// fraction is a/b, 0 when b is 0.
func fraction(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// parseList splits a comma-separated flag value, dropping empty items.
func parseList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
