package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// runCLI runs the command line in-process and returns its exit status,
// standard output and standard error.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{nil, 2, "Commands:"},
		{[]string{"help"}, 0, "tutorial"},
		{[]string{"help", "export"}, 0, "Usage: tailor export MODEL.tailor -o MODEL.onnx"},
		// the table modes of evaluate, predict and report are in their --help
		{[]string{"evaluate", "--help"}, 0, "tailor evaluate MODEL.tailor --csv ROWS.csv"},
		{[]string{"predict", "--help"}, 0, "tailor predict MODEL.tailor --csv ROWS.csv"},
		{[]string{"report", "--help"}, 0, "tailor report MODEL.tailor -o report.html --csv ROWS.csv"},
		{[]string{"help", "frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"train", "--help"}, 0, "--batch-size"},
		{[]string{"train", "--epochs", "x"}, 2, "tailor train: invalid value \"x\" for flag -epochs"},
		{[]string{"train", "--nope"}, 2, "tailor train: flag provided but not defined: -nope"},
		// issue 14: counts of zero were replaced by other values
		{[]string{"train", "--epochs", "-1"}, 2, "tailor train: --epochs -1: want at least 1"},
		{[]string{"train", "--batch-size", "0"}, 2, "tailor train: --batch-size 0: want at least 1"},
		{[]string{"train", "--epochs", "0"}, 2, "tailor train: --epochs 0: want at least 1"},
		{[]string{"train", "--train-limit", "-5"}, 2, "must not be negative"},
		{[]string{"train", "--train-limit", "60001"}, 1, "tailor train: --train-limit 60001: the training set has only 60000 images"},
		{[]string{"train", "--validation-split", "1"}, 2, "--validation-split 1: want a fraction in [0, 1)"},
		{[]string{"train", "--overwrite"}, 2, "--overwrite applies to a new run's --checkpoint-dir DIR"},
		{[]string{"train", "--checkpoint-every", "5"}, 2, "--checkpoint-every applies with --checkpoint-dir DIR or --resume DIR"},
		{[]string{"train", "--resume", "d", "--model", "cnn"}, 2, "--model with --resume: a resumed run keeps the settings it started with"},
		{[]string{"tutorial", "--epochs", "0"}, 2, "tailor tutorial: --epochs 0: want at least 1"},
		{[]string{"predict", "m.tailor", "--top", "0", "a.png"}, 2, "tailor predict: --top 0: want at least 1"},
		{[]string{"predict", "m.tailor", "--top", "-2", "a.png"}, 2, "--top -2: want at least 1"},
		{[]string{"predict", "m.tailor", "--index", "-3"}, 2, "tailor predict: --index -3: want an image number from 0"},
		{[]string{"predict", "m.tailor"}, 2, "tailor predict: want either --index N or image files"},
		{[]string{"predict", "m.tailor", "--split", "val", "a.png"}, 2, `tailor predict: --split "val": want test or train`},
		{[]string{"evaluate", "m.tailor", "--split", "val"}, 2, `tailor evaluate: --split "val": want test or train`},
		// flags that do nothing in the mode given
		{[]string{"predict", "m.tailor", "a.png", "--split", "train"}, 2, "tailor predict: --split applies with --index N, not to image files"},
		{[]string{"predict", "m.tailor", "--index", "0", "--invert", "never"}, 2, "tailor predict: --invert applies to image files, not to --index N"},
		{[]string{"show", "--index", "-1", "-o", "x.png"}, 2, "tailor show: --index -1: want an image number from 0"},
		{[]string{"bench", "--epochs", "0"}, 2, "tailor bench: --epochs 0: want at least 1"},
		{[]string{"bench", "--batch-sizes", "32,0"}, 2, `tailor bench: --batch-sizes: "0" is not a positive whole number`},
		{[]string{"summary", "--model", "nope"}, 2, `tailor summary: --model "nope": want one of best, cifar-cnn, cnn, mlp`},
		// bad flag values of the other modes are bad usage too, as above
		{[]string{"train", "--dataset", "iris", "--epochs", "0"}, 2, "tailor train: --epochs 0 and --batch-size 32 must be positive"},
		{[]string{"train", "--dataset", "iris", "--validation-split", "1"}, 2, "tailor train: --validation-split 1: want a fraction in [0, 1)"},
		{[]string{"train", "--images", "d", "--learning-rate", "0"}, 2, "tailor train: --learning-rate 0 must be positive"},
		{[]string{"report", "m.tailor", "-o", "r.html", "--mistakes", "-1"}, 2, "tailor report: --mistakes -1 must not be negative"},
		{[]string{"export", "m.tailor", "--opset", "99"}, 2, "tailor export: --opset 99: want 13 to 21"},
		{[]string{"show"}, 2, "tailor show: -o out.png is required"},
		{[]string{"data", "extra"}, 2, "tailor data: unexpected arguments"},
		{[]string{"data", "--data", "/nonexistent"}, 1, "--data /nonexistent: no such directory"},
		{[]string{"data", "--data", "/etc/passwd"}, 1, "--data /etc/passwd: not a directory"},
	}
	for _, tc := range tests {
		code, out, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.contains) {
			t.Errorf("tailor %v: exit %d, output %q; want exit %d and %q", tc.args, code, out+errOut, tc.code, tc.contains)
		}
	}
}

func TestSummaryMLP(t *testing.T) {
	code, out, _ := runCLI(t, "summary", "--model", "mlp")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		" dense (Dense)               (None, 128)               100480    \n",
		"Total params: 101,770\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestAbbreviate(t *testing.T) {
	tests := []struct {
		in   []uint8
		want string
	}{
		{[]uint8{9, 0, 0, 3, 0, 2, 7, 2, 5, 3, 0, 5}, "[9 0 0 ... 3 0 5]"},
		{[]uint8{1, 2, 3}, "[1 2 3]"},
		{nil, "[]"},
	}
	for _, tc := range tests {
		if got := abbreviate(tc.in); got != tc.want {
			t.Errorf("abbreviate(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The tests below use the real dataset, which .ci/run installs.

func TestDataRealNumbers(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	code, out, errOut := runCLI(t, "data")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"train_images.shape: (60000, 28, 28)",
		"train_images min: 0  max: 255  mean: 72.94035223214286",
		"train_labels: [9 0 0 ... 3 0 5]",
		"test_images.shape: (10000, 28, 28)",
		"  9 Ankle boot   6000",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestShowWritesPNG(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	path := filepath.Join(t.TempDir(), "img.png")
	code, out, errOut := runCLI(t, "show", "--index", "1", "--scaled", "-o", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "train image 1: T-shirt/top") {
		t.Errorf("output %q does not name the class of train image 1", out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 640 || b.Dy() != 480 {
		t.Errorf("image is %v, want 640×480", b)
	}
	if code, _, errOut := runCLI(t, "show", "--index", "60000", "-o", path); code != 1 || !strings.Contains(errOut, "images 0 to 59999") {
		t.Errorf("out-of-range index: exit %d, %q", code, errOut)
	}
}

func TestTrainJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	path := filepath.Join(t.TempDir(), "run.json")
	code, out, errOut := runCLI(t, "train", "--epochs", "2", "--train-limit", "3000", "--seed", "3", "--json", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Epoch 2/2", "Test accuracy:", "np.argmax(predictions[0]):", "test_labels[1]: 2 (Pullover)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	var rep trainReport
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Model != "mlp" || rep.Seed != 3 || rep.TrainExamples != 3000 || len(rep.Epochs) != 2 || len(rep.PerClassAccuracy) != 10 {
		t.Errorf("report %+v", rep)
	}
	if rep.Epochs[1].Loss >= rep.Epochs[0].Loss || rep.TestAccuracy < 0.7 || rep.TestAccuracy > 1 || rep.TrainSeconds <= 0 {
		t.Errorf("implausible figures: %+v", rep)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || !strings.HasPrefix(out, "tailor ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("tailor %v: exit %d, %q %q", args, code, out, errOut)
		}
	}
	info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/tailor-ml/tailor", Version: "v0.3.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "c9ac1796d7e1"}, {Key: "vcs.time", Value: "2026-03-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	want := "tailor v0.3.0 (commit c9ac1796d7e1, 2026-03-01T10:00:00Z, +dirty) " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	if got := versionLine(info); got != want {
		t.Errorf("versionLine = %q, want %q", got, want)
	}
	if got := versionLine(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}); !strings.HasPrefix(got, "tailor (devel) go") {
		t.Errorf("a build without VCS information: %q", got)
	}
}

// TestLicense: the module says under which terms it may be used.
func TestLicense(t *testing.T) {
	b, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Apache License", "Version 2.0, January 2004", "END OF TERMS AND CONDITIONS"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("LICENSE lacks %q", want)
		}
	}
}
