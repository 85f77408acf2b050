package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/internal/atomicfile"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/saving"
)

// stopAfter is a context whose Err turns to Canceled after n calls, so a
// test can interrupt Fit after a chosen number of batches, as SIGINT would.
type stopAfter struct {
	context.Context
	calls, n atomic.Int64
}

func (c *stopAfter) Err() error {
	if c.calls.Add(1) > c.n.Load() {
		return context.Canceled
	}
	return nil
}

func TestTrainInterruptResumeIsExact(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	dir := t.TempDir()
	straight := filepath.Join(dir, "straight.tailor")
	args := []string{"train", "--epochs", "2", "--train-limit", "2000", "--seed", "5", "--quiet"}
	if code, _, errOut := runCLI(t, append(args, "--out", straight)...); code != 0 {
		t.Fatalf("uninterrupted run: exit %d: %s", code, errOut)
	}
	want := untimed(t, straight)
	for _, stop := range []int64{10, 63, 100} { // 63 batches make an epoch
		ckpt := filepath.Join(dir, "ckpt", "stop"+strings.Repeat("x", int(stop%7)))
		resumed := filepath.Join(dir, "resumed.tailor")
		ctx := &stopAfter{Context: context.Background()}
		ctx.n.Store(stop)
		var out, errOut bytes.Buffer
		code := run(ctx, &env{stdout: &out, stderr: &errOut}, append(args, "--checkpoint-dir", ckpt, "--out", resumed))
		if code != 130 || !strings.Contains(errOut.String(), "tailor train --resume "+ckpt) {
			t.Fatalf("stop after %d checks: exit %d, %q; want 130 and how to resume", stop, code, errOut.String())
		}
		if code, out, errOut := runCLI(t, "train", "--resume", ckpt, "--out", resumed, "--quiet"); code != 0 || !strings.Contains(out, "Resuming mlp") {
			t.Fatalf("resume: exit %d: %s %s", code, out, errOut)
		}
		if got := untimed(t, resumed); !bytes.Equal(got, want) {
			t.Errorf("stopped after %d checks and resumed: the model file differs from the uninterrupted run's", stop)
		}
	}
}

// untimed returns the model file at path as saved again without the wall
// times it records, which differ from run to run: the weights, optimizer
// state, history and settings, byte for byte.
func untimed(t *testing.T, path string) []byte {
	t.Helper()
	b, err := untimedFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// untimedFile is untimed for callers without a *testing.T.
func untimedFile(path string) ([]byte, error) {
	m, meta, err := saving.Load(path)
	if err != nil {
		return nil, err
	}
	if meta.History == nil || meta.Training == nil {
		return nil, fmt.Errorf("%s records no history or training", path)
	}
	meta.History.Seconds, meta.Training.Seconds = nil, 0
	var b bytes.Buffer
	if err := saving.SaveTo(&b, m, meta); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func TestEvaluateAndPredictSavedModel(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "m.tailor")
	trainJSON := filepath.Join(dir, "train.json")
	code, out, errOut := runCLI(t, "train", "--epochs", "1", "--train-limit", "3000", "--quiet", "--out", model, "--flip-average", "--json", trainJSON)
	if code != 0 || !strings.Contains(out, "Test accuracy with flip averaging") {
		t.Fatalf("train: exit %d: %s %s", code, out, errOut)
	}
	var trained trainReport
	readJSONFile(t, trainJSON, &trained)
	if trained.TestAccuracyFlipAverage == nil || *trained.TestAccuracyFlipAverage < 0.6 {
		t.Errorf("train --flip-average: test_accuracy_flip_average %v", trained.TestAccuracyFlipAverage)
	}

	evalJSON := filepath.Join(dir, "eval.json")
	code, out, errOut = runCLI(t, "evaluate", model, "--json", evalJSON)
	if code != 0 {
		t.Fatalf("evaluate: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "Confusion matrix") || !strings.Contains(out, "9 Ankle boot") {
		t.Errorf("evaluate output lacks the confusion matrix:\n%s", out)
	}
	var rep evaluateReport
	readJSONFile(t, evalJSON, &rep)
	total, diag := 0, 0
	for i, row := range rep.Confusion {
		for j, c := range row {
			total += c
			if i == j {
				diag += c
			}
		}
	}
	if total != 10000 || float64(diag)/10000 != rep.Accuracy || rep.Accuracy < 0.7 {
		t.Errorf("confusion matrix sums to %d with %d on the diagonal, accuracy %v", total, diag, rep.Accuracy)
	}
	if !slices.Equal(rep.ClassNames, fashionmnist.ClassNames()) {
		t.Errorf("evaluate --json: class_names %q", rep.ClassNames)
	}
	if rep.FlipAverage || rep.Accuracy != trained.TestAccuracy {
		t.Errorf("evaluate: accuracy %v (flip averaging %v), train reported %v", rep.Accuracy, rep.FlipAverage, trained.TestAccuracy)
	}
	if code, out, errOut := runCLI(t, "evaluate", model, "--flip-average", "--json", evalJSON); code != 0 || !strings.Contains(out, "averaged with its mirror") {
		t.Fatalf("evaluate --flip-average: exit %d: %s %s", code, out, errOut)
	}
	readJSONFile(t, evalJSON, &rep)
	if !rep.FlipAverage || rep.Accuracy != *trained.TestAccuracyFlipAverage {
		t.Errorf("evaluate --flip-average: accuracy %v (flip averaging %v), train reported %v", rep.Accuracy, rep.FlipAverage, *trained.TestAccuracyFlipAverage)
	}

	// The dataset image and the same image written as a PNG (inverted,
	// as a photo of a dark article on white paper would be) agree.
	code, out, errOut = runCLI(t, "predict", model, "--index", "0")
	if code != 0 || !strings.Contains(out, "test image 0 (label 9, Ankle boot):") {
		t.Fatalf("predict --index: exit %d: %s %s", code, out, errOut)
	}
	pngPath := filepath.Join(dir, "boot.png")
	writeTestImage(t, pngPath)
	predJSON := filepath.Join(dir, "pred.json")
	if code, out, errOut := runCLI(t, "predict", model, pngPath, "--json", predJSON); code != 0 {
		t.Fatalf("predict image: exit %d: %s %s", code, out, errOut)
	}
	var preds []prediction
	readJSONFile(t, predJSON, &preds)
	if len(preds) != 1 || len(preds[0].Top) != 3 || preds[0].Top[0].Probability < preds[0].Top[1].Probability {
		t.Fatalf("predictions %+v, want one input with 3 classes, most probable first", preds)
	}
	if !strings.Contains(out, "\n  "+strconv.Itoa(preds[0].Top[0].Class)) {
		t.Errorf("--index 0 printed %q; the PNG's top class is %d", out, preds[0].Top[0].Class)
	}

	for _, bad := range [][]string{
		{"predict", model},
		{"predict", model, "--index", "3", pngPath},
		{"evaluate", filepath.Join(dir, "missing.tailor")},
		{"predict", model, "--invert", "sideways", pngPath},
	} {
		if code, _, _ := runCLI(t, bad...); code == 0 {
			t.Errorf("tailor %v succeeded, want an error", bad)
		}
	}
}

func readJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// writeTestImage writes test image 0 as a 56×56 dark-on-light PNG.
func writeTestImage(t *testing.T, path string) {
	t.Helper()
	_, test, err := loadData(context.Background(), &env{stdout: os.Stdout, stderr: os.Stderr}, "")
	if err != nil {
		t.Fatal(err)
	}
	px := test.Image(0)
	img := image.NewGray(image.Rect(0, 0, 56, 56))
	for y := 0; y < 56; y++ {
		for x := 0; x < 56; x++ {
			img.SetGray(x, y, color.Gray{Y: 255 - px[(y/2)*28+x/2]})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestResumeEpochs(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	dir := t.TempDir()
	interrupt := func(name string, stop int64, args ...string) string {
		t.Helper()
		ckpt := filepath.Join(dir, name)
		ctx := &stopAfter{Context: context.Background()}
		ctx.n.Store(stop)
		var out, errOut bytes.Buffer
		args = append([]string{"train", "--train-limit", "320", "--seed", "3", "--quiet", "--checkpoint-dir", ckpt}, args...)
		if code := run(ctx, &env{stdout: &out, stderr: &errOut}, args); code != 130 {
			t.Fatalf("%v: exit %d, %s; want 130", args, code, errOut.String())
		}
		return ckpt
	}

	// An MLP (a constant learning rate) stopped in its second epoch (10
	// batches make one) can train longer, but not less than it has begun.
	mlp := interrupt("mlp", 25, "--epochs", "3")
	out := filepath.Join(dir, "mlp.tailor")
	code, _, errOut := runCLI(t, "train", "--resume", mlp, "--epochs", "1", "--out", out)
	if code != 2 || !strings.Contains(errOut, "at epoch 2, step ") || !strings.Contains(errOut, "want --epochs 2 or more") {
		t.Errorf("--resume --epochs 1 in epoch 2: exit %d, %q; want a usage error saying 2 or more", code, errOut)
	}
	if code, _, errOut := runCLI(t, "train", "--resume", mlp, "--epochs", "4", "--out", out, "--quiet"); code != 0 {
		t.Fatalf("--resume --epochs 4: exit %d: %s", code, errOut)
	}
	_, meta, err := saving.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(meta.History.Epochs); got != 4 {
		t.Errorf("resumed with --epochs 4: the history has %d epochs", got)
	}

	// A CNN's cosine decay reaches 0 at the end of the epochs it started
	// with: more would train at a rate of 0, so --epochs is refused.
	cnn := interrupt("cnn", 9, "--model", "cnn", "--epochs", "1")
	code, _, errOut = runCLI(t, "train", "--resume", cnn, "--epochs", "3", "--out", filepath.Join(dir, "cnn.tailor"))
	if code != 2 || !strings.Contains(errOut, "schedule over the 1 epochs") {
		t.Errorf("--resume --epochs 3 of a scheduled run: exit %d, %q; want a usage error naming the schedule", code, errOut)
	}
}

// TestResumeEpochsAtAnEpochsEnd: a run of 3 epochs stopped as its third
// began (2 finished) can end with --epochs 2; it was refused, "want
// --epochs 3 or more", though one stopped a step earlier, in the same
// state, was not.
func TestResumeEpochsAtAnEpochsEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	dir := t.TempDir()
	ck, model := filepath.Join(dir, "ck"), filepath.Join(dir, "m.tailor")
	ctx := &stopAfter{Context: context.Background()}
	ctx.n.Store(10) // the data loading's checks, then two epochs of 2 batches
	code, _, errOut := runCtx(ctx, "train", "--epochs", "3", "--train-limit", "64", "--quiet", "--checkpoint-dir", ck)
	if code != 130 || !strings.Contains(errOut, "at epoch 3, step 0") {
		t.Fatalf("interrupted run: exit %d, %q; want 130 at epoch 3, step 0", code, errOut)
	}
	if code, _, errOut := runCLI(t, "train", "--resume", ck, "--epochs", "1", "--quiet"); code != 2 || !strings.Contains(errOut, "want --epochs 2 or more") {
		t.Errorf("--resume --epochs 1 after 2 epochs: exit %d, %q; want a usage error saying 2 or more", code, errOut)
	}
	if code, _, errOut := runCLI(t, "train", "--resume", ck, "--epochs", "2", "--quiet", "--out", model); code != 0 {
		t.Fatalf("--resume --epochs 2 after 2 epochs: exit %d, %q", code, errOut)
	}
	_, meta, err := saving.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if got := meta.History.Epochs; !slices.Equal(got, []int{0, 1}) {
		t.Errorf("the model's history has epochs %v, want [0 1]", got)
	}
	// the training time counts the epochs before the resume (it once
	// counted the resumed run's alone, here none)
	var epochs float64
	for _, s := range meta.History.Seconds {
		epochs += s
	}
	if meta.Training == nil || meta.Training.Seconds < epochs || epochs == 0 {
		t.Errorf("training time %+v, epochs' times %v: want at least their sum", meta.Training, meta.History.Seconds)
	}
}

// The commands that give a model Fashion-MNIST's images refuse, naming the
// file, a model that reads other inputs or scores other classes.
func TestFashionMNISTCommandsCheckTheModel(t *testing.T) {
	dir := t.TempDir()
	save := func(name string, classes int, meta saving.Meta, shape ...int) string {
		m := tailor.Sequential(layers.Flatten(), layers.Dense(classes, activations.Softmax))
		if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
			t.Fatal(err)
		}
		if err := m.Build(shape...); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := saving.Save(path, m, meta); err != nil {
			t.Fatal(err)
		}
		return path
	}
	three := save("three.tailor", 3, saving.FashionMNIST([]string{"a", "b", "c"}), 28, 28)
	cifar := save("cifar.tailor", 10, saving.Meta{Preprocessing: &saving.Preprocessing{Rescale: 1.0 / 255}}, 32, 32, 3)
	page := filepath.Join(dir, "r.html")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"predict", three, "--index", "0"}, three + " outputs (3,), not Fashion-MNIST's 10 classes"},
		{[]string{"evaluate", three}, three + " outputs (3,)"},
		{[]string{"report", three, "-o", page}, three + " outputs (3,)"},
		{[]string{"predict", cifar, "--index", "0"}, cifar + " reads inputs of shape (32, 32, 3), not Fashion-MNIST's 28×28 images"},
		{[]string{"evaluate", cifar}, cifar + " reads inputs of shape (32, 32, 3)"},
	} {
		if code, _, errOut := runCLI(t, tc.args...); code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("tailor %v: exit %d, %q; want exit 1 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestResumeKeepsTheAskedPrecision: a run started with --dtype auto and
// resumed reports its precision as the uninterrupted run does — the
// policy auto resolved to and why — in --json and in the model file's
// settings (the resumed run reported only the policy, as if it had been
// asked for by name).
func TestResumeKeepsTheAskedPrecision(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	m, asked, err := compiledAs("cnn", 3, 10, layers.Auto)
	if err != nil {
		t.Fatal(err)
	}
	policy, why := precision(m, asked)
	want := policy + " (" + why + ")"
	if !strings.Contains(want, "(auto: ") {
		t.Fatalf("an uninterrupted run's precision is %q, want it to say why auto resolved so", want)
	}

	dir := t.TempDir()
	ck, out, report := filepath.Join(dir, "ck"), filepath.Join(dir, "m.tailor"), filepath.Join(dir, "m.json")
	ctx := &stopAfter{Context: context.Background()}
	ctx.n.Store(9) // the data loading's checks, then a few batches
	code, _, errOut := runCtx(ctx, "train", "--model", "cnn", "--dtype", "auto", "--epochs", "1", "--train-limit", "320", "--seed", "3", "--quiet",
		"--checkpoint-dir", ck, "--out", out, "--json", report)
	if code != 130 {
		t.Fatalf("interrupted run: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, "train", "--resume", ck, "--quiet"); code != 0 {
		t.Fatalf("resume: exit %d, %s", code, errOut)
	}
	var rep trainReport
	readJSONFile(t, report, &rep)
	if rep.Precision != want {
		t.Errorf("--json: precision %q after resuming, want %q", rep.Precision, want)
	}
	_, meta, err := saving.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, s := range meta.Training.Settings {
		if s.Name == "precision" {
			got = s.Value
		}
	}
	if got != want {
		t.Errorf("the model file: precision %q after resuming, want %q", got, want)
	}
}

// TestResumeForeignCheckpoint: a checkpoint directory whose
// train-settings.json names another model than its checkpoint holds (a
// checkpoint copied from another run), or a negative --train-limit, is
// refused naming the file, before any data is read: the run trained the
// checkpoint's MLP and reported it as a cnn, with the cnn's recipe.
func TestResumeForeignCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck")
	ctx := &stopAfter{Context: context.Background()}
	ctx.n.Store(9) // the data loading's checks, then a few batches
	if code, _, errOut := runCtx(ctx, "train", "--epochs", "1", "--train-limit", "320", "--quiet", "--checkpoint-dir", ck); code != 130 {
		t.Fatalf("interrupted run: exit %d, %q", code, errOut)
	}
	settings := filepath.Join(ck, settingsFile)
	for _, tc := range []struct {
		settings runSettings
		want     string
	}{
		{runSettings{Model: "cnn"}, "holds a model of layers Flatten, Dense, Dense, not the cnn " + settings + " names"},
		{runSettings{Model: "mlp-dropout"}, "not the mlp-dropout " + settings + " names"},
		{runSettings{Model: "mlp", TrainLimit: -5}, settings + ": train_limit -5, want 0 (all) or more"},
	} {
		if err := writeJSON(settings, tc.settings); err != nil {
			t.Fatal(err)
		}
		code, stdout, errOut := runCLI(t, "train", "--resume", ck, "--quiet")
		if code != 1 || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "loading from") {
			t.Errorf("%+v: exit %d, %q %q; want exit 1 and %q before the data is read", tc.settings, code, stdout, errOut, tc.want)
		}
		mustExist(t, filepath.Join(ck, saving.CheckpointFile), true)
	}
}

// TestResumeAndCheckpointDirSpelledApart: --resume ck with
// --checkpoint-dir ./ck/ name one directory, and are not refused as two.
func TestResumeAndCheckpointDirSpelledApart(t *testing.T) {
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: &out}
	if _, err := parseTrainFlags(e, []string{"--resume", "ck", "--checkpoint-dir", "./ck/"}); err != nil {
		t.Errorf("--resume ck --checkpoint-dir ./ck/: %v: %s", err, out.String())
	}
	if _, err := parseTrainFlags(e, []string{"--resume", "ck", "--checkpoint-dir", "other"}); err == nil {
		t.Error("--resume ck --checkpoint-dir other: no error")
	}
}

// TestResumeKeepsCheckpointEvery: a resumed run checkpoints as often as
// the run it continues asked (--checkpoint-every), unless given again; it
// went back to once an epoch.
func TestResumeKeepsCheckpointEvery(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	ck := filepath.Join(t.TempDir(), "ck")
	ctx := &stopAfter{Context: context.Background()}
	ctx.n.Store(7)
	if code, _, errOut := runCtx(ctx, "train", "--epochs", "2", "--train-limit", "64", "--quiet", "--checkpoint-dir", ck, "--checkpoint-every", "1"); code != 130 {
		t.Fatalf("interrupted run: exit %d, %q", code, errOut)
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--resume", ck}, 1},
		{[]string{"--resume", ck, "--checkpoint-every", "5"}, 5},
		{[]string{"--resume", ck, "--checkpoint-every", "0"}, 0},
	} {
		r := newTrainRunOf(t, tc.args...)
		r.close() // for the next
		if got := r.backup.SaveEvery; got != tc.want {
			t.Errorf("tailor train %v: checkpoints every %d batches, want %d", tc.args, got, tc.want)
		}
	}
}

// TestResumeOnOtherTrainingSet: a run's train-settings.json edited to
// another --train-limit of as many steps an epoch (64 and 60 images make
// 2 batches of 32) resumed from its checkpoint onto other data; the
// number of images the run trains on is recorded, and checked on resume.
func TestResumeOnOtherTrainingSet(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	ck := filepath.Join(t.TempDir(), "ck")
	ctx := &stopAfter{Context: context.Background()}
	ctx.n.Store(8) // the data loading's checks, then an epoch and a batch
	code, _, errOut := runCtx(ctx, "train", "--epochs", "3", "--train-limit", "64", "--quiet", "--checkpoint-dir", ck)
	if code != 130 || !strings.Contains(errOut, "at epoch 2, step 1") {
		t.Fatalf("interrupted run: exit %d, %q; want 130 at epoch 2, step 1", code, errOut)
	}
	settings := filepath.Join(ck, settingsFile)
	var rec runSettings
	readJSONFile(t, settings, &rec)
	if rec.TrainLimit != 64 || rec.TrainExamples != 64 {
		t.Fatalf("%s: %+v, want train_limit and train_examples 64", settings, rec)
	}
	rec.TrainLimit = 60
	if err := writeJSON(settings, rec); err != nil {
		t.Fatal(err)
	}
	code, stdout, errOut := runCLI(t, "train", "--resume", ck, "--quiet")
	want := settings + ": the run trains on 64 images (train_examples), but train_limit 60 of the training set gives 60: the data is not the run's"
	if code != 1 || !strings.Contains(errOut, want) || strings.Contains(stdout, "Resuming") {
		t.Errorf("train_limit edited to 60: exit %d, %q %q; want %q", code, stdout, errOut, want)
	}
	mustExist(t, filepath.Join(ck, saving.CheckpointFile), true)
	rec.TrainLimit = 64
	if err := writeJSON(settings, rec); err != nil {
		t.Fatal(err)
	}
	if code, stdout, errOut := runCLI(t, "train", "--resume", ck, "--quiet"); code != 0 || !strings.Contains(stdout, "Resuming mlp") {
		t.Errorf("train_limit back to 64: exit %d, %q %q", code, stdout, errOut)
	}
}

// TestPredictPlotCheckedFirst: predict --plot is checked before any work
// as the other outputs are: an input image given as --plot was
// overwritten by the figure, and a path that could not be written failed
// only after predicting.
func TestPredictPlotCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	model, img := filepath.Join(dir, "m.tailor"), filepath.Join(dir, "shirt.png")
	untrained(t, model)
	writePNG(t, img, 28, 28, 0, func(y int, row []byte) {
		for x := range row {
			row[x] = byte(9 * (x + y))
		}
	})
	before, _ := os.ReadFile(img)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{img, "--plot", img}, "--plot: "},
		{[]string{img, "--plot", model}, "--plot: "},
		{[]string{img, "--plot", filepath.Join(dir, "p.png"), "--json", filepath.Join(dir, "p.png")}, "--json and --plot are both "},
		{[]string{img, "--plot", filepath.Join(dir, "p.txt")}, "--plot: plots: " + filepath.Join(dir, "p.txt") + `: unknown image format ".txt", want .png or .svg`},
		{[]string{img, "--plot", filepath.Join(dir, "none", "p.png")}, "--plot: "},
	} {
		code, out, errOut := runCLI(t, append([]string{"predict", model}, tc.args...)...)
		if code == 0 || !strings.Contains(errOut, tc.want) || strings.Contains(out, "shirt.png:") {
			t.Errorf("predict %v: exit %d, %q %q; want an error %q before predicting", tc.args, code, out, errOut, tc.want)
		}
	}
	if after, _ := os.ReadFile(img); !bytes.Equal(before, after) {
		t.Error("predict --plot overwrote its input image")
	}
}

// TestFlipAverageFlag: --flip-average defaults to the model's recipe (on
// for best), and --flip-average=false turns it off, as --help says; the
// recipe's flip averaging could not be turned off.
func TestFlipAverageFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"--model", "mlp"}, false},
		{[]string{"--model", "mlp", "--flip-average"}, true},
		{[]string{"--model", "best"}, true},
		{[]string{"--model", "best", "--flip-average=false"}, false},
	} {
		if got := newTrainRunOf(t, tc.args...).settings.FlipAverage; got != tc.want {
			t.Errorf("tailor train %v: flip averaging %v, want %v", tc.args, got, tc.want)
		}
	}
}

// TestOutputsAreNotTheCheckpoint: --out or --json naming the checkpoint
// directory's own files is refused before any work: the run saved the
// model (or the figures) there, then removed it with the checkpoint, and
// exited 0 having kept nothing.
func TestOutputsAreNotTheCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck")
	for _, tc := range []struct{ flag, file string }{{"--out", saving.CheckpointFile}, {"--json", settingsFile}} {
		path := filepath.Join(ck, tc.file)
		code, stdout, errOut := runCLI(t, "train", "--epochs", "1", "--train-limit", "320", "--quiet", "--checkpoint-dir", ck, tc.flag, path)
		want := "tailor train: " + tc.flag + " " + path + ": a file of --checkpoint-dir " + ck + ", which the run replaces and removes once it is complete: write it elsewhere"
		if code != 1 || !strings.Contains(errOut, want) || strings.Contains(stdout, "Epoch") || strings.Contains(errOut, "loading from") {
			t.Errorf("%s %s: exit %d, %q %q; want %q before any work", tc.flag, path, code, stdout, errOut, want)
		}
	}
	// the same paths given relative to the working directory (the outputs
	// are made absolute before they are checked)
	t.Chdir(dir)
	code, _, errOut := runCLI(t, "train", "--epochs", "1", "--train-limit", "320", "--quiet", "--checkpoint-dir", "ck", "--out", "ck/"+saving.CheckpointFile)
	if want := saving.CheckpointFile + ": a file of --checkpoint-dir ck,"; code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("relative paths: exit %d, %q; want %q", code, errOut, want)
	}
}

// newTrainRunOf is the run tailor train sets up for args, before any
// training.
func newTrainRunOf(t *testing.T, args ...string) *trainRun {
	t.Helper()
	var out bytes.Buffer
	e := &env{stdout: &out, stderr: &out}
	f, err := parseTrainFlags(e, args)
	if err != nil {
		t.Fatal(err)
	}
	r, err := newTrainRun(e, f)
	if err != nil {
		t.Fatalf("tailor train %v: %v", args, err)
	}
	t.Cleanup(r.close)
	return r
}

// A checkpoint directory that another run holds is refused, whether by a
// new run (with --overwrite too, which must not delete the other's
// checkpoint), or a resumed one: two runs writing one checkpoint would
// each overwrite the other's, and each say it was kept.
func TestCheckpointDirInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck")
	args := []string{"train", "--epochs", "1", "--train-limit", "320", "--quiet"}
	ctx := &stopAfter{Context: context.Background()}
	ctx.n.Store(5)
	var out, errOut bytes.Buffer
	if code := run(ctx, &env{stdout: &out, stderr: &errOut}, append(args, "--checkpoint-dir", ck)); code != 130 {
		t.Fatalf("interrupted run: exit %d: %s", code, errOut.String())
	}
	ckpt := filepath.Join(ck, saving.CheckpointFile)
	before, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := atomicfile.LockDir(ck) // as a live run holds it
	if err != nil {
		t.Fatal(err)
	}
	want := ck + " is in use by another process (a tailor train running there): wait for it to end, or use another directory"
	for _, extra := range [][]string{append(args, "--checkpoint-dir", ck, "--overwrite"), {"train", "--resume", ck, "--quiet"}} {
		code, stdout, errOut := runCLI(t, extra...)
		if code != 1 || !strings.Contains(errOut, want) || strings.Contains(stdout, "Epoch") {
			t.Errorf("%v while another run holds it: exit %d, %q %q; want %q", extra, code, stdout, errOut, want)
		}
		if after, err := os.ReadFile(ckpt); err != nil || !bytes.Equal(after, before) {
			t.Errorf("%v: the other run's checkpoint changed (%v)", extra, err)
		}
	}
	unlock()
	if code, _, errOut := runCLI(t, "train", "--resume", ck, "--quiet"); code != 0 {
		t.Errorf("--resume once the other run ended: exit %d: %s", code, errOut)
	}
}
