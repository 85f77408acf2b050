package main

import (
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
)

// pngSize decodes the PNG at path and returns its size.
func pngSize(t *testing.T, path string) (int, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg.Width, cfg.Height
}

// TestFiguresAndReport trains a small model on the real data with
// --plots and --report, then draws it again from the saved file with
// evaluate --plots, predict --plot and report.
func TestFiguresAndReport(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "small.tailor")
	trainPlots, evalPlots := filepath.Join(dir, "train"), filepath.Join(dir, "eval")
	trainReport, fileReport := filepath.Join(dir, "train.html"), filepath.Join(dir, "file.html")
	code, out, errOut := runCLI(t, "train", "--epochs", "2", "--train-limit", "3000", "--validation-split", "0.2", "--quiet",
		"--out", model, "--plots", trainPlots, "--report", trainReport)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errOut)
	}
	sizes := map[string][2]int{
		"loss": {640, 480}, "accuracy": {640, 480}, "per_class_accuracy": {640, 480},
		"confusion_matrix": {800, 700}, "confusion_matrix_normalized": {800, 700},
		"predictions_grid": {1200, 1000}, "mistakes": {1000, 40 + 4*230},
	}
	for name, size := range sizes {
		for _, ext := range []string{".png", ".svg"} {
			p := filepath.Join(trainPlots, name+ext)
			if !strings.Contains(out, "wrote "+p) {
				t.Errorf("train did not say it wrote %s", p)
			}
			if ext == ".png" {
				if w, h := pngSize(t, p); w != size[0] || h != size[1] {
					t.Errorf("%s is %d×%d, want %d×%d", p, w, h, size[0], size[1])
				}
			} else if b, err := os.ReadFile(p); err != nil || !strings.Contains(string(b), "<svg") {
				t.Errorf("%s: %v, not an SVG", p, err)
			}
		}
	}
	page, err := os.ReadFile(trainReport)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<h1>small.tailor</h1>", "Learning curves", "val_accuracy", "validation split", "Test metrics", "10\u2009000", "Most confident mistakes"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("train --report lacks %q", want)
		}
	}

	code, out, errOut = runCLI(t, "evaluate", model, "--plots", evalPlots)
	if code != 0 {
		t.Fatalf("evaluate: exit %d: %s", code, errOut)
	}
	for _, name := range []string{"confusion_matrix", "per_class_accuracy", "mistakes"} {
		if _, err := os.Stat(filepath.Join(evalPlots, name+".svg")); err != nil {
			t.Errorf("evaluate --plots: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(evalPlots, "loss.png")); err == nil {
		t.Error("evaluate --plots drew learning curves it has no history for")
	}

	pred := filepath.Join(dir, "prediction_0.png")
	if code, out, errOut = runCLI(t, "predict", model, "--index", "0", "--plot", pred); code != 0 || !strings.Contains(out, "wrote "+pred) {
		t.Fatalf("predict --plot: exit %d: %s %s", code, out, errOut)
	}
	if w, h := pngSize(t, pred); w != 600 || h != 300 {
		t.Errorf("%s is %d×%d, want 600×300", pred, w, h)
	}

	if code, out, errOut = runCLI(t, "report", model, "-o", fileReport); code != 0 || !strings.Contains(out, "wrote "+fileReport) {
		t.Fatalf("report: exit %d: %s %s", code, out, errOut)
	}
	page, err = os.ReadFile(fileReport)
	if err != nil {
		t.Fatal(err)
	}
	// The model file keeps its history, training time and settings.
	if strings.Contains(string(page), "No training history was recorded") {
		t.Error("the report of a trained model file says it has no history")
	}
	for _, want := range []string{"<h1>small.tailor</h1>", "Total params: 101,770", "Learning curves", "training examples", "Confusion matrix", "Accuracy per class", "Ankle boot"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report lacks %q", want)
		}
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", model}, 2, "-o report.html is required"},
		{[]string{"report", "-o", fileReport}, 2, "want exactly one model file"},
		{[]string{"report", filepath.Join(dir, "missing.tailor"), "-o", fileReport}, 1, "missing.tailor"},
		{[]string{"predict", model, "--index", "0", "--plot", filepath.Join(dir, "p.gif")}, 1, `unknown image format ".gif"`},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("tailor %v: exit %d, %q; want exit %d and %q", tc.args, code, out+errOut, tc.code, tc.want)
		}
	}
}

// A history whose loss has no finite value gets its accuracy curve only,
// and a line saying why.
func TestTrainingFiguresWithoutFiniteLoss(t *testing.T) {
	dir := t.TempDir()
	hist := &tailor.History{Epochs: []int{0, 1}, History: map[string][]float64{"loss": {math.NaN(), math.Inf(1)}, "accuracy": {0.5, 0.75}}}
	var out strings.Builder
	if err := trainingFigures(&out, dir, hist); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "no loss curve: the history has no finite loss values to draw") {
		t.Errorf("output %q", out.String())
	}
	if w, _ := pngSize(t, filepath.Join(dir, "accuracy.png")); w == 0 {
		t.Error("no accuracy curve")
	}
	if _, err := os.Stat(filepath.Join(dir, "loss.png")); !os.IsNotExist(err) {
		t.Errorf("a loss curve was written (%v)", err)
	}
}
