package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/activations"
	"github.com/tailor-ml/tailor/datasets/cifar10"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/internal/hostile"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/optimizers"
	"github.com/tailor-ml/tailor/saving"
)

// The tests in this file are the rows of issue 14's table, each a trial
// through the command line. Hostile inputs must fail (or succeed) within
// 300 MB, measured as the bytes the command allocates: a bound on the heap
// it holds at any moment.

const budget = 300 << 20

// measured runs the command line and returns, besides runCLI's results,
// the bytes it allocated.
func measured(t *testing.T, args ...string) (code int, out, errOut string, alloc uint64) {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code, out, errOut = runCLI(t, args...)
	runtime.ReadMemStats(&after)
	return code, out, errOut, after.TotalAlloc - before.TotalAlloc
}

// untrained writes the tutorial's MLP, compiled and untrained, as a model
// file: enough for predict and evaluate to run without training.
func untrained(t *testing.T, path string) {
	t.Helper()
	m, err := models.New("mlp")
	if err != nil {
		t.Fatal(err)
	}
	recipe, _ := models.TrainingRecipe("mlp")
	if err := m.Compile(recipe.Optimizer(1), recipe.Loss(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	if !m.Built() {
		if err := m.Build(28, 28); err != nil {
			t.Fatal(err)
		}
	}
	if err := saving.Save(path, m, saving.FashionMNIST(fashionmnist.ClassNames())); err != nil {
		t.Fatal(err)
	}
}

func writePNG(t *testing.T, path string, w, h int, colorType byte, row func(int, []byte)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := hostile.PNG(f, w, h, colorType, 8, false, row); err != nil {
		t.Fatal(err)
	}
}

// TestPredictHostileImages: rows "a 48 KB 50000×1000 PNG", "50,000,000×1
// PNG" and "real 10000×5000 JPEG, 12000×4000 PNG".
func TestPredictHostileImages(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.tailor")
	untrained(t, model)
	wide := filepath.Join(dir, "wide.png")
	writePNG(t, wide, 50000, 1000, hostile.RGB, nil)
	line := filepath.Join(dir, "line.png")
	writePNG(t, line, 50_000_000, 1, hostile.Gray, nil)

	st, _ := os.Stat(wide)
	code, out, errOut, a := measured(t, "predict", model, wide)
	t.Logf("%d-byte 50000×1000 RGB PNG: exit %d, allocated %.1f MB", st.Size(), code, float64(a)/1e6)
	if code != 0 || !strings.Contains(out, wide+":") {
		t.Errorf("predict %s: exit %d: %s %s", wide, code, out, errOut)
	}
	if a > budget {
		t.Errorf("predict %s allocated %d bytes, more than %d", wide, a, budget)
	}

	code, _, errOut, a = measured(t, "predict", model, line)
	if code != 1 || !strings.Contains(errOut, "tailor predict: "+line+": png image of 50000000×1 pixels: want at most 65535 pixels a side") {
		t.Errorf("predict %s: exit %d, %q; want an error naming the file", line, code, errOut)
	}
	if a > 8<<20 {
		t.Errorf("refusing %s allocated %d bytes", line, a)
	}

	if testing.Short() {
		t.Skip("the 50-megapixel photographs take a few seconds")
	}
	photoPNG := filepath.Join(dir, "photo.png")
	writePNG(t, photoPNG, 12000, 4000, hostile.RGB, func(y int, b []byte) {
		for i := range b {
			b[i] = byte(i/97 + y/53)
		}
	})
	photoJPEG := filepath.Join(dir, "photo.jpg")
	func() {
		img := image.NewYCbCr(image.Rect(0, 0, 10000, 5000), image.YCbCrSubsampleRatio420)
		for i := range img.Y {
			img.Y[i] = byte(i/89 + i/10000/41)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(photoJPEG, buf.Bytes(), 0o644)
	}()
	for _, p := range []string{photoPNG, photoJPEG} {
		code, out, errOut, a := measured(t, "predict", model, p)
		t.Logf("%s: exit %d, allocated %.1f MB", filepath.Base(p), code, float64(a)/1e6)
		if code != 0 || !strings.Contains(out, p+":") {
			t.Errorf("predict %s: exit %d: %s %s", p, code, out, errOut)
		}
		if a > budget {
			t.Errorf("predict %s allocated %d bytes, more than %d", p, a, budget)
		}
	}
}

// TestHostileModelFilesCLI: rows "model.safetensors deflated (2.4 MB →
// 2 GiB)", "a 1 GiB training.json of spaces, then predict" and "a < 1 MB
// model file asking for 16,384 1×1 filters, evaluate".
func TestHostileModelFilesCLI(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.tailor")
	untrained(t, model)
	img := filepath.Join(dir, "img.png")
	writePNG(t, img, 28, 28, hostile.Gray, nil)
	b, _ := os.ReadFile(model)
	zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	var entries []hostile.Entry
	for _, f := range zr.File {
		rc, _ := f.Open()
		content, _ := io.ReadAll(rc)
		entries = append(entries, hostile.Entry{Name: f.Name, Method: zip.Store, Write: hostile.Bytes(content)})
	}
	write := func(name string, es ...hostile.Entry) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := hostile.Zip(f, es...); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const big = 1 << 30
	head := `{"model.safetensors":{"dtype":"F32","shape":[536870912],"data_offsets":[0,2147483648]}}`
	for len(head)%8 != 0 {
		head += " "
	}
	stHeader := append([]byte{byte(len(head)), byte(len(head) >> 8), 0, 0, 0, 0, 0, 0}, head...)
	bombWeights := write("bomb.tailor", entries[0], hostile.Entry{Name: "model.safetensors", Method: zip.Deflate, Write: hostile.Repeat(stHeader, 0, 2<<30)})
	spacesDeflated := write("spaces.tailor", append(slices.Clone(entries), hostile.Entry{Name: "training.json", Method: zip.Deflate, Write: hostile.Repeat(nil, ' ', big)})...)
	spacesStored := write("stored.tailor", append(slices.Clone(entries), hostile.Entry{Name: "training.json", Method: zip.Store, Write: hostile.Repeat(nil, ' ', 64<<20)})...)

	widePath := filepath.Join(dir, "wide.tailor")
	// 16,384 1×1 filters and 20 reshapes of their output: 1029 MiB of
	// activations an example, in a file of under 1 MiB.
	ls := []layers.Layer{layers.Reshape(28, 28, 1), layers.Conv2D(16384, [2]int{1, 1})}
	for range 20 {
		ls = append(ls, layers.Reshape(28, 28, 16384))
	}
	wide := tailor.Sequential(append(ls, layers.GlobalAveragePooling2D(), layers.Dense(10, activations.Softmax))...)
	if err := wide.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	if err := wide.Build(28, 28); err != nil {
		t.Fatal(err)
	}
	if err := saving.Save(widePath, wide, saving.FashionMNIST(fashionmnist.ClassNames())); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(widePath); st.Size() > 1<<20 {
		t.Fatalf("the wide model's file is %d bytes, want under 1 MiB", st.Size())
	}

	for _, tc := range []struct {
		args  []string
		code  int
		want  string
		alloc uint64
	}{
		{[]string{"predict", bombWeights, img}, 1, "model.safetensors is compressed (zip method 8)", 4 << 20},
		{[]string{"evaluate", bombWeights}, 1, "model.safetensors is compressed", 4 << 20},
		{[]string{"predict", spacesDeflated, img}, 1, "training.json is compressed", 4 << 20},
		{[]string{"predict", spacesStored, img}, 0, img + ":", 16 << 20},
		{[]string{"evaluate", widePath}, 1, "one example would take 1029 MiB of activations, more than the limit of 1024 MiB", 8 << 20},
		{[]string{"predict", widePath, img}, 1, "one example would take 1029 MiB of activations", 8 << 20},
	} {
		code, out, errOut, a := measured(t, tc.args...)
		st, _ := os.Stat(tc.args[1])
		t.Logf("%v (%d-byte file): exit %d, allocated %.1f MB", tc.args, st.Size(), code, float64(a)/1e6)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) || (code != 0 && !strings.Contains(errOut, tc.args[1])) {
			t.Errorf("tailor %v: exit %d, %q; want exit %d, the file named and %q", tc.args, code, out+errOut, tc.code, tc.want)
		}
		if a > tc.alloc {
			t.Errorf("tailor %v allocated %d bytes, want at most %d", tc.args, a, tc.alloc)
		}
	}
}

// runArgs are a short real training run: one epoch of 63 batches.
var runArgs = []string{"train", "--epochs", "1", "--train-limit", "2000", "--seed", "7", "--quiet"}

var straight struct {
	once        sync.Once
	model, json []byte
	err         error
}

// straightRun returns the model file and the JSON report of runArgs run
// without interruption.
func straightRun(t *testing.T) (model []byte, report trainReport) {
	t.Helper()
	straight.once.Do(func() {
		dir, err := os.MkdirTemp("", "straight")
		if err != nil {
			straight.err = err
			return
		}
		defer os.RemoveAll(dir)
		m, j := filepath.Join(dir, "m.tailor"), filepath.Join(dir, "m.json")
		var out, errOut bytes.Buffer
		if code := run(context.Background(), &env{stdout: &out, stderr: &errOut}, append(slices.Clone(runArgs), "--out", m, "--json", j)); code != 0 {
			straight.err = errors.New(errOut.String())
			return
		}
		if straight.model, straight.err = untimedFile(m); straight.err != nil {
			return
		}
		straight.json, _ = os.ReadFile(j)
	})
	if straight.err != nil {
		t.Fatalf("the uninterrupted run: %v", straight.err)
	}
	if err := json.Unmarshal(straight.json, &report); err != nil {
		t.Fatal(err)
	}
	return straight.model, report
}

// runCtx runs the command line with ctx.
func runCtx(ctx context.Context, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(ctx, &env{stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

// interruptedRun starts runArgs with a checkpoint in dir, writing to out
// and report, and stops it after 10 batches as SIGINT would.
func interruptedRun(t *testing.T, dir, out, report string) {
	t.Helper()
	ctx := &stopAfter{Context: context.Background()}
	ctx.n.Store(14) // the data loading's checks, then about ten batches
	code, _, errOut := runCtx(ctx, append(slices.Clone(runArgs), "--checkpoint-dir", dir, "--out", out, "--json", report)...)
	if code != 130 || !strings.Contains(errOut, "tailor train: interrupted; at epoch 1, step ") || !strings.Contains(errOut, ": the checkpoint is written to "+dir+"; continue with tailor train --resume "+dir) {
		t.Fatalf("interrupted run: exit %d, %q", code, errOut)
	}
}

func mustExist(t *testing.T, path string, want bool) {
	t.Helper()
	_, err := os.Lstat(path)
	if exists := err == nil; exists != want {
		t.Errorf("%s exists: %v, want %v", path, exists, want)
	}
}

// TestResumeWritesTheRunsOutputs: row "tailor train --resume DIR without
// repeating --out/--json". The resumed run writes the model and report
// the interrupted one was asked for, identical to an uninterrupted run's,
// then removes the checkpoint; an interrupt while the data loads keeps
// the checkpoint unchanged.
func TestResumeWritesTheRunsOutputs(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	want, wantRep := straightRun(t)
	dir := t.TempDir()
	ck, out, report := filepath.Join(dir, "ck"), filepath.Join(dir, "m.tailor"), filepath.Join(dir, "m.json")
	interruptedRun(t, ck, out, report)
	mustExist(t, out, false)
	before, _ := os.ReadFile(filepath.Join(ck, saving.CheckpointFile))

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, errOut := runCtx(cancelled, "train", "--resume", ck)
	if code != 130 || !strings.Contains(errOut, "tailor train: interrupted; while loading the data; the checkpoint in "+ck+" is unchanged: continue with tailor train --resume "+ck) {
		t.Errorf("interrupted while loading: exit %d, %q", code, errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(ck, saving.CheckpointFile)); !bytes.Equal(before, after) {
		t.Error("an interrupt while loading changed the checkpoint")
	}

	code, stdout, errOut := runCLI(t, "train", "--resume", ck, "--quiet")
	if code != 0 || !strings.Contains(stdout, "Saved the model to "+out) || !strings.Contains(stdout, "Wrote the figures to "+report) {
		t.Fatalf("resume: exit %d: %s %s", code, stdout, errOut)
	}
	if got := untimed(t, out); !bytes.Equal(got, want) {
		t.Error("the resumed run's model file differs from the uninterrupted run's")
	}
	var rep trainReport
	readJSONFile(t, report, &rep)
	if len(rep.Epochs) != 1 || rep.Epochs[0].Loss != wantRep.Epochs[0].Loss || rep.TestAccuracy != wantRep.TestAccuracy {
		t.Errorf("the resumed run's report %+v differs from the uninterrupted run's %+v", rep, wantRep)
	}
	mustExist(t, filepath.Join(ck, saving.CheckpointFile), false)
	mustExist(t, filepath.Join(ck, settingsFile), false)
	if code, _, errOut := runCLI(t, "train", "--resume", ck); code != 1 || !strings.Contains(errOut, "no unfinished run there") {
		t.Errorf("resuming a finished run: exit %d, %q", code, errOut)
	}
}

// TestUnfinishedRunIsNotOverwritten: row "tailor train --checkpoint-dir
// DIR where DIR holds an interrupted run".
func TestUnfinishedRunIsNotOverwritten(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	want, _ := straightRun(t)
	dir := t.TempDir()
	ck, out := filepath.Join(dir, "ck"), filepath.Join(dir, "m.tailor")
	interruptedRun(t, ck, out, filepath.Join(dir, "m.json"))
	before, _ := os.ReadFile(filepath.Join(ck, saving.CheckpointFile))
	code, stdout, errOut := runCLI(t, append(slices.Clone(runArgs), "--checkpoint-dir", ck, "--out", out)...)
	if code != 1 || !strings.Contains(errOut, "tailor train: --checkpoint-dir "+ck+" holds an unfinished run (its checkpoint checkpoint.tailor): continue it with tailor train --resume "+ck+", or discard it and start afresh with --overwrite") || strings.Contains(stdout, "Epoch") {
		t.Fatalf("a new run over an unfinished one: exit %d: %s %s", code, stdout, errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(ck, saving.CheckpointFile)); !bytes.Equal(before, after) {
		t.Error("the refused run changed the checkpoint")
	}
	if code, _, errOut := runCLI(t, append(slices.Clone(runArgs), "--checkpoint-dir", ck, "--out", out, "--overwrite")...); code != 0 {
		t.Fatalf("--overwrite: exit %d: %s", code, errOut)
	}
	if got := untimed(t, out); !bytes.Equal(got, want) {
		t.Error("the run started afresh with --overwrite differs from an uninterrupted run")
	}
	mustExist(t, filepath.Join(ck, saving.CheckpointFile), false)
}

// hookCtx runs hook on the first call of Err: the moment the command first
// looks at the context, which is when the data starts loading, after the
// arguments were checked.
type hookCtx struct {
	context.Context
	once sync.Once
	hook func()
}

func (c *hookCtx) Err() error {
	c.once.Do(c.hook)
	return c.Context.Err()
}

// TestCrashBeforeTheModelIsSaved: row "SIGKILL right after the last
// epoch". The final write fails (its directory is swapped for a file
// during training); the checkpoint of the finished training survives, and
// resuming from it writes the model, identical to an uninterrupted run's.
func TestCrashBeforeTheModelIsSaved(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	want, _ := straightRun(t)
	dir := t.TempDir()
	ck, outDir := filepath.Join(dir, "ck"), filepath.Join(dir, "models")
	os.Mkdir(outDir, 0o755)
	out := filepath.Join(outDir, "m.tailor")
	ctx := &hookCtx{Context: context.Background(), hook: func() {
		os.Rename(outDir, outDir+".away")
		os.WriteFile(outDir, []byte("not a directory"), 0o644)
	}}
	code, _, errOut := runCtx(ctx, append(slices.Clone(runArgs), "--checkpoint-dir", ck, "--out", out)...)
	if code != 1 || !strings.Contains(errOut, "training is complete and the checkpoint in "+ck+" is kept: tailor train --resume "+ck+" writes the results") {
		t.Fatalf("a failed final write: exit %d, %q", code, errOut)
	}
	mustExist(t, filepath.Join(ck, saving.CheckpointFile), true)
	os.Remove(outDir)
	os.Rename(outDir+".away", outDir)
	code, stdout, errOut := runCLI(t, "train", "--resume", ck, "--quiet")
	if code != 0 || !strings.Contains(stdout, "Resuming mlp from "+ck+" at epoch 2, step 0") {
		t.Fatalf("resume: exit %d: %s %s", code, stdout, errOut)
	}
	if got := untimed(t, out); !bytes.Equal(got, want) {
		t.Error("the model written on resuming differs from an uninterrupted run's")
	}
	mustExist(t, filepath.Join(ck, saving.CheckpointFile), false)
}

// TestKilledCheckpointWrite: row "SIGKILL during a checkpoint write". The
// temporary file such a write leaves is gone after the next one.
func TestKilledCheckpointWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck")
	os.Mkdir(ck, 0o755)
	stale := filepath.Join(ck, ".checkpoint.tailor.tmp-3141592653")
	os.WriteFile(stale, make([]byte, 4096), 0o644)
	interruptedRun(t, ck, filepath.Join(dir, "m.tailor"), filepath.Join(dir, "m.json"))
	mustExist(t, stale, false)
	mustExist(t, filepath.Join(ck, saving.CheckpointFile), true)
}

// TestResumeHostileCheckpoint: row "1.8 MB checkpoint holding 600 MB of
// valid JSON, --resume", refused before the data is loaded.
func TestResumeHostileCheckpoint(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.tailor")
	untrained(t, model)
	b, _ := os.ReadFile(model)
	zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	var entries []hostile.Entry
	for _, f := range zr.File {
		rc, _ := f.Open()
		content, _ := io.ReadAll(rc)
		entries = append(entries, hostile.Entry{Name: f.Name, Method: zip.Store, Write: hostile.Bytes(content)})
	}
	ck := filepath.Join(dir, "ck")
	os.Mkdir(ck, 0o755)
	if err := writeJSON(filepath.Join(ck, settingsFile), runSettings{Model: "mlp"}); err != nil {
		t.Fatal(err)
	}
	history := func(w io.Writer) error {
		io.WriteString(w, `{"fit":{"epochs":2,"batch_size":32,"seed":1},"progress":{"epoch":0,"step":0,"seen":0,"loss_sum":0},"history":{"epochs":[],"seconds":[],"history":{"loss":[0`)
		block := []byte(strings.Repeat(",0", 1<<19))
		for range 600 {
			w.Write(block)
		}
		_, err := io.WriteString(w, `]}}}`)
		return err
	}
	f, _ := os.Create(filepath.Join(ck, saving.CheckpointFile))
	if err := hostile.Zip(f, append(entries, hostile.Entry{Name: "training.json", Method: zip.Deflate, Write: history})...); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(filepath.Join(ck, saving.CheckpointFile))
	code, _, errOut, a := measured(t, "train", "--resume", ck)
	t.Logf("%d-byte checkpoint: exit %d, allocated %.1f MB", st.Size(), code, float64(a)/1e6)
	if code != 1 || !strings.Contains(errOut, "training.json is compressed") || !strings.Contains(errOut, filepath.Join(ck, saving.CheckpointFile)) {
		t.Errorf("--resume: exit %d, %q", code, errOut)
	}
	if a > 8<<20 {
		t.Errorf("refusing the checkpoint allocated %d bytes", a)
	}
}

// TestOutputsCheckedFirst: row "--out /nonexistent/m.tailor, tutorial
// --out newdir": a path that cannot be written fails before any work,
// and the tutorial creates its directory.
func TestOutputsCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, args := range [][]string{
		{"train", "--out", "/nonexistent/m.tailor"},
		{"train", "--json", "/nonexistent/run.json"},
		{"train", "--checkpoint-dir", filepath.Join(file, "ck")},
		{"tutorial", "--out", file},
		{"tutorial", "--out", filepath.Join(file, "sub")},
	} {
		code, out, errOut := runCLI(t, args...)
		if code != 1 || out != "" || strings.Contains(errOut, "fashionmnist") || !strings.Contains(errOut, args[len(args)-1]) {
			t.Errorf("tailor %v: exit %d, %q %q; want an error naming the path before any work", args, code, out, errOut)
		}
	}
	if testing.Short() {
		t.Skip("the tutorial needs the real dataset")
	}
	newDir := filepath.Join(dir, "figures", "run1")
	if code, _, errOut := runCLI(t, "tutorial", "--epochs", "1", "--out", newDir); code != 0 {
		t.Fatalf("tutorial --out %s: exit %d: %s", newDir, code, errOut)
	}
	for _, f := range []string{"train_image_1.png", "train_image_1_scaled.png", "train_images_25.png"} {
		mustExist(t, filepath.Join(newDir, f), true)
	}
}

// TestNothingCreatedOnBadArguments: a command that fails on its
// arguments leaves no --plots or --checkpoint-dir directory behind; they
// were made while the outputs were checked, before the model name, the
// image size or the scaling was, and stayed there empty. An unknown
// --model is a usage error naming the flag, as bench's is; a --plots under
// a file is refused naming the file.
func TestNothingCreatedOnBadArguments(t *testing.T) {
	dir := t.TempDir()
	plots, ck := filepath.Join(dir, "plots", "run1"), filepath.Join(dir, "ck")
	for _, args := range [][]string{
		{"train", "--model", "nope", "--plots", plots, "--checkpoint-dir", ck},
		{"train", "--images", dir, "--image-size", "x", "--plots", plots},
		{"train", "--dataset", "iris", "--scale", "bogus", "--plots", plots},
		{"evaluate", filepath.Join(dir, "missing.tailor"), "--plots", plots},
	} {
		code, _, errOut := runCLI(t, args...)
		if code == 0 {
			t.Errorf("tailor %v: exit 0, %q; want an error", args, errOut)
		}
		for _, d := range []string{filepath.Dir(plots), ck} {
			if _, err := os.Lstat(d); err == nil {
				t.Errorf("tailor %v (%s) created %s", args, errOut, d)
				os.RemoveAll(d)
			}
		}
	}
	code, out, errOut := runCLI(t, "train", "--model", "nope")
	if want := `tailor train: --model "nope": want one of ` + joinNames(); code != 2 || out != "" || !strings.Contains(errOut, want) {
		t.Errorf("train --model nope: exit %d, %q %q; want the usage error %q", code, out, errOut, want)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	code, out, errOut = runCLI(t, "train", "--plots", filepath.Join(file, "sub"))
	if want := "tailor train: --plots " + filepath.Join(file, "sub") + ": " + file + " is not a directory"; code != 1 || out != "" || !strings.Contains(errOut, want) {
		t.Errorf("--plots under a file: exit %d, %q %q; want %q", code, out, errOut, want)
	}
}

// TestOutputsAreNotTheData: an output naming a Fashion-MNIST file the
// command reads — from --data or, without it, from the search path — is
// refused before any work, as predict --plot naming its input image is;
// train --out replaced the training labels with the model.
func TestOutputsAreNotTheData(t *testing.T) {
	data, env := t.TempDir(), t.TempDir()
	for _, d := range []string{data, env} {
		for _, f := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte"} {
			os.WriteFile(filepath.Join(d, f), []byte(f), 0o644)
		}
	}
	t.Setenv(fashionmnist.EnvVar, env)
	model := filepath.Join(t.TempDir(), "m.tailor")
	untrained(t, model)
	labels, images := filepath.Join(data, "train-labels-idx1-ubyte.gz"), filepath.Join(env, "t10k-images-idx3-ubyte.gz")
	cifar := filepath.Join(data, cifar10.ArchiveName)
	os.WriteFile(cifar, []byte(cifar10.ArchiveName), 0o644)
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"train", "--data", data, "--out", labels}, "--out"},
		{[]string{"train", "--data", data, "--json", labels}, "--json"},
		{[]string{"train", "--report", images}, "--report"},
		{[]string{"train", "--model", "cifar-cnn", "--data", data, "--out", cifar}, "--out"},
		{[]string{"evaluate", model, "--data", data, "--json", labels}, "--json"},
		{[]string{"evaluate", model, "--json", images}, "--json"},
		{[]string{"predict", model, "--index", "0", "--data", data, "--json", labels}, "--json"},
		{[]string{"report", model, "-o", images}, "-o"},
		{[]string{"bench", "--data", data, "--json", labels}, "--json"},
	} {
		path := tc.args[len(tc.args)-1]
		code, out, errOut := runCLI(t, tc.args...)
		want := "tailor " + tc.args[0] + ": " + tc.flag + ": cannot write " + path + ": it is "
		if code != 1 || out != "" || !strings.Contains(errOut, want) || !strings.Contains(errOut, "which this command reads") {
			t.Errorf("tailor %v: exit %d, %q %q; want %q before any work", tc.args, code, out, errOut, want)
		}
		if b, _ := os.ReadFile(path); string(b) != filepath.Base(path) {
			t.Errorf("tailor %v replaced the data file %s", tc.args, path)
		}
	}
}

// TestExplicitDataDir: row "--data DIR that exists but lacks a file".
func TestExplicitDataDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), nil, 0o644)
	code, _, errOut := runCLI(t, "data", "--data", dir)
	if code != 1 || !strings.Contains(errOut, "tailor data: fashionmnist: data not found: "+dir+" (Options.Dir / --data) lacks train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]") || !strings.Contains(errOut, "nothing is downloaded") {
		t.Errorf("tailor data --data %s: exit %d, %q", dir, code, errOut)
	}
}

// TestInterruptWhileLoading: row "SIGINT while the data loads": exit 130
// and a line saying what was kept.
func TestInterruptWhileLoading(t *testing.T) {
	data := t.TempDir()
	for _, f := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		os.WriteFile(filepath.Join(data, f), nil, 0o644)
	}
	model := filepath.Join(t.TempDir(), "m.tailor")
	untrained(t, model)
	ck := filepath.Join(t.TempDir(), "ck")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "--data", data, "--checkpoint-dir", ck}, "tailor train: interrupted; while loading the data; nothing was written"},
		{[]string{"data", "--data", data}, "tailor data: interrupted; nothing was written"},
		{[]string{"evaluate", model, "--data", data}, "tailor evaluate: interrupted; nothing was written"},
		{[]string{"tutorial", "--data", data, "--out", t.TempDir()}, "tailor tutorial: interrupted; the figures written so far are in"},
	} {
		code, _, errOut := runCtx(ctx, tc.args...)
		if code != 130 || !strings.Contains(errOut, tc.want) {
			t.Errorf("tailor %v: exit %d, %q; want 130 and %q", tc.args, code, errOut, tc.want)
		}
	}
	if entries, _ := os.ReadDir(ck); len(entries) != 0 {
		t.Errorf("the interrupted run left %v in its checkpoint directory", entries)
	}
}

// TestTrainJSONValidation: row "train --validation-split 0.1 --json F".
func TestTrainJSONValidation(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the real dataset")
	}
	path := filepath.Join(t.TempDir(), "run.json")
	if code, _, errOut := runCLI(t, "train", "--epochs", "2", "--train-limit", "2000", "--validation-split", "0.1", "--quiet", "--json", path); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep trainReport
	readJSONFile(t, path, &rep)
	if rep.TrainExamples != 1800 || rep.ValidationExamples != 200 || len(rep.Epochs) != 2 {
		t.Fatalf("report %+v: want 1800 examples trained on, 200 held out, 2 epochs", rep)
	}
	for _, ep := range rep.Epochs {
		if ep.ValLoss == nil || ep.ValAccuracy == nil || !(*ep.ValLoss > 0 && *ep.ValLoss < 3) || !(*ep.ValAccuracy > 0.3 && *ep.ValAccuracy <= 1) {
			t.Errorf("epoch %d: val_loss %v, val_accuracy %v", ep.Epoch, ep.ValLoss, ep.ValAccuracy)
		}
	}
	if rep.ValLoss == nil || *rep.ValLoss != *rep.Epochs[1].ValLoss || *rep.ValAccuracy != *rep.Epochs[1].ValAccuracy {
		t.Errorf("final val_loss %v, val_accuracy %v, want the last epoch's", rep.ValLoss, rep.ValAccuracy)
	}
	// The report's raw keys are the ones scripts read.
	b, _ := os.ReadFile(path)
	for _, key := range []string{`"val_loss"`, `"val_accuracy"`, `"train_examples": 1800`, `"validation_examples": 200`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("the report lacks %s", key)
		}
	}
}
