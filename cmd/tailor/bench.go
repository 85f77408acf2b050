package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
	"github.com/tailor-ml/tailor/tensor"
)

// benchReport is what tailor bench measures; --json writes it.
type benchReport struct {
	CPU       string       `json:"cpu"` // the processor's model name
	Vendor    string       `json:"cpu_vendor"`
	Family    int          `json:"cpu_family"`
	ModelID   int          `json:"cpu_model_id"`
	Microarch string       `json:"microarch,omitempty"`
	Features  []string     `json:"features"`
	Cores     int          `json:"cores"`
	SIMD      string       `json:"simd"`
	BF16      bool         `json:"bf16"` // mixed_bfloat16 layers run natively (AVX512_BF16)
	DType     dtypeReport  `json:"dtype_auto"`
	Subnormal subnormals   `json:"subnormals"`
	Go        string       `json:"go"`
	Sgemm     []gemmResult `json:"sgemm"`
	Train     []trainBench `json:"train,omitempty"`
	Predict   *predictRes  `json:"predict,omitempty"`
	Step      *stepAllocs  `json:"train_step,omitempty"`
	PyTorch   *peerReport  `json:"pytorch,omitempty"`
}

// dtypeReport is what a dtype policy "auto" resolves to here, and why.
type dtypeReport struct {
	Policy string `json:"policy"` // "mixed_bfloat16" or "float32"
	Reason string `json:"reason"`
	// BF16GFLOPS and F32GFLOPS are kernels.MeasureBF16's timing of one
	// convolution block, on one thread (BF16GFLOPS 0 where bfloat16
	// products do not run).
	BF16GFLOPS float64 `json:"bf16_gflops"`
	F32GFLOPS  float64 `json:"f32_gflops"`
	// Method is how mixed-precision products are computed here
	// (kernels.BF16Method).
	Method string `json:"bf16_method"`
}

// subnormals says how the kernels treat subnormal floats.
type subnormals struct {
	Flushed    bool    `json:"flushed"`
	FlushBelow float64 `json:"flush_below"`
	Rule       string  `json:"rule"`
}

type gemmResult struct {
	Name  string `json:"name"`
	Shape string `json:"shape"`
	// TransA and TransB say which operand is read transposed: C = Aᵀ·B
	// with TransA, as Sgemm's arguments (scripts/compare-sgemm-shapes.sh
	// times the same products with PyTorch).
	TransA  bool    `json:"trans_a,omitempty"`
	TransB  bool    `json:"trans_b,omitempty"`
	Threads int     `json:"threads"`
	GFLOPS  float64 `json:"gflops"`
}

type trainBench struct {
	Model          string    `json:"model"`
	BatchSize      int       `json:"batch_size"`
	Threads        int       `json:"threads"`
	SecondsByEpoch float64   `json:"seconds_per_epoch"` // the fastest epoch
	EpochSeconds   []float64 `json:"epoch_seconds"`
	TestAccuracy   float64   `json:"test_accuracy"`
}

type predictRes struct {
	Model    string  `json:"model"`
	Images   int     `json:"images"`
	Seconds  float64 `json:"seconds"`
	PerImage float64 `json:"images_per_second"`
}

type stepAllocs struct {
	BatchSize     int     `json:"batch_size"`
	AllocsPerStep float64 `json:"allocs_per_step"`
	BytesPerStep  float64 `json:"bytes_per_step"`
	MicrosPerStep float64 `json:"microseconds_per_step"`
}

// peerReport holds the PyTorch reference's own JSON lines, measured in the
// same run, and the ratios of Tailor's figures to them.
type peerReport struct {
	Gemm   json.RawMessage `json:"gemm,omitempty"`
	Train  json.RawMessage `json:"train,omitempty"`
	Ratios []ratio         `json:"ratios"`
}

// ratio is one comparison: how many times faster Tailor is (above 1) or
// slower (below 1).
type ratio struct {
	What    string  `json:"what"`
	Tailor  float64 `json:"tailor"`
	PyTorch float64 `json:"pytorch"`
	Speedup float64 `json:"speedup"` // Tailor's speed over PyTorch's
}

// gemmCase is one product that bench times, named after where it occurs.
type gemmCase struct {
	name           string
	transA, transB bool
	m, n, k        int
}

func gemmCases() []gemmCase {
	cs := []gemmCase{}
	for _, n := range []int{128, 256, 512, 1024} {
		cs = append(cs, gemmCase{name: fmt.Sprintf("square %d", n), m: n, n: n, k: n})
	}
	return append(cs,
		gemmCase{"mlp forward x·W1", false, false, 32, 128, 784},
		gemmCase{"mlp backward xᵀ·dz", true, false, 784, 128, 32},
		gemmCase{"mlp backward dz·W2ᵀ", false, true, 32, 128, 10},
		gemmCase{"mlp predict x·W1", false, false, 256, 128, 784},
		gemmCase{"cnn conv2 windows·K", false, false, 6272, 64, 288},
		gemmCase{"cnn dense xᵀ·dz", true, false, 3136, 128, 32},
	)
}

// peerModels maps Tailor's model names to the PyTorch reference's.
var peerModels = map[string]string{"mlp": "mlp", "ref-cnn": "cnn"}

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench", "[--json FILE] [--model mlp] [--epochs 1] [--batch-sizes 32,128] [--skip-train] [--skip-sgemm] [--pytorch DIR] [--data DIR]")
	jsonPath := fs.String("json", "", "write the figures as JSON to this file")
	name := fs.String("model", "mlp", "the model whose training and prediction are timed: one of "+strings.Join(benchModels(), ", "))
	epochs := fs.Int("epochs", 1, "epochs timed per training setting (the fastest counts)")
	batches := fs.String("batch-sizes", "32,128", "comma-separated batch sizes to time training at")
	skipTrain := fs.Bool("skip-train", false, "time the kernels only")
	skipSgemm := fs.Bool("skip-sgemm", false, "do not time SGEMM")
	peer := fs.String("pytorch", "", "also run the PyTorch reference in this directory (its run.sh) on the same work, and print the ratios")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := positive(fs, "epochs"); err != nil {
		return err
	}
	if err := benchModel(*name); err != nil {
		return usageError(fs, err.Error())
	}
	sizes, err := batchSizes(*batches)
	if err != nil {
		return usageError(fs, err.Error())
	}
	if err := checkOutput("--json", *jsonPath, fashionFiles(*dir)...); err != nil {
		return err
	}
	if *peer != "" {
		if _, err := os.Stat(filepath.Join(*peer, "run.sh")); err != nil {
			return fmt.Errorf("--pytorch %s: no run.sh there (see its README for the set-up)", *peer)
		}
		if _, ok := peerModels[*name]; !ok && !*skipTrain {
			return fmt.Errorf("--pytorch: the reference trains only %v, not %q", keys(peerModels), *name)
		}
	}
	w := e.stdout
	c := kernels.CPU()
	rep := benchReport{CPU: c.Model, Vendor: c.Vendor, Family: c.Family, ModelID: c.ModelID, Microarch: c.Microarch, Features: c.Features,
		Cores: runtime.NumCPU(), SIMD: kernels.SIMD(), BF16: kernels.HasBF16(), Go: runtime.Version()}
	prefer, why := kernels.PreferBF16()
	rep.DType = dtypeReport{Policy: "float32", Reason: why, Method: kernels.BF16Method()}
	if prefer {
		rep.DType.Policy = "mixed_bfloat16"
	}
	rep.DType.BF16GFLOPS, rep.DType.F32GFLOPS = kernels.MeasureBF16()
	rep.Subnormal = subnormals{Flushed: true, FlushBelow: kernels.FlushBelow,
		Rule: "optimizer updates run with FTZ/DAZ and store state below 2^-95 as +0, the same bits on every path"}
	fmt.Fprintf(w, "cpu: %s, %d cores, SIMD: %s, %s\n", c, rep.Cores, rep.SIMD, rep.Go)
	fmt.Fprintf(w, "dtype auto: %s (%s)\n", rep.DType.Policy, rep.DType.Reason)
	if rep.BF16 {
		fmt.Fprintf(w, "  measured at a convolution block, 1 thread: bfloat16 (%s) %.0f GFLOP/s, float32 %.0f (%.2f×)\n",
			rep.DType.Method, rep.DType.BF16GFLOPS, rep.DType.F32GFLOPS, rep.DType.BF16GFLOPS/rep.DType.F32GFLOPS)
	}
	fmt.Fprintf(w, "subnormals: flushed (%s)\n\n", rep.Subnormal.Rule)

	if !*skipSgemm {
		if err := benchSgemm(ctx, w, &rep); err != nil {
			return err
		}
	}
	if !*skipTrain {
		if err := benchTraining(ctx, e, &rep, *name, sizes, *epochs, *dir); err != nil {
			return err
		}
	}
	if *peer != "" {
		p, err := runPeer(ctx, e, *peer, &rep, *name, *epochs, *skipTrain)
		if err != nil {
			return err
		}
		rep.PyTorch = p
		printRatios(w, p.Ratios)
	}
	if *jsonPath != "" {
		return writeJSON(*jsonPath, rep)
	}
	return nil
}

// benchSgemm times gemmCases on 1 and all threads.
func benchSgemm(ctx context.Context, w io.Writer, rep *benchReport) error {
	fmt.Fprintf(w, "%-24s %-16s %8s %10s\n", "SGEMM", "m×n×k", "threads", "GFLOP/s")
	for _, c := range gemmCases() {
		for _, th := range threadCounts() {
			g := timeGemm(c, th)
			r := gemmResult{Name: c.name, Shape: fmt.Sprintf("%d×%d×%d", c.m, c.n, c.k), TransA: c.transA, TransB: c.transB, Threads: th, GFLOPS: g}
			rep.Sgemm = append(rep.Sgemm, r)
			fmt.Fprintf(w, "%-24s %-16s %8d %10.1f\n", r.Name, r.Shape, th, g)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// batchSizes parses --batch-sizes: positive whole numbers in decimal,
// comma-separated, spaces around each allowed. Anything else in a field
// ("32x", "1e3", "0x10") is an error naming it.
func batchSizes(list string) ([]int, error) {
	var sizes []int
	for _, field := range strings.Split(list, ",") {
		field = strings.TrimSpace(field)
		batch, err := strconv.Atoi(field)
		if err != nil || batch <= 0 {
			return nil, fmt.Errorf("--batch-sizes: %q is not a positive whole number", field)
		}
		sizes = append(sizes, batch)
	}
	return sizes, nil
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// threadCounts is 1 and, on a multi-core machine, every core.
func threadCounts() []int {
	if n := runtime.GOMAXPROCS(0); n > 1 {
		return []int{1, n}
	}
	return []int{1}
}

// timeGemm returns the best GFLOP/s of c over about half a second.
func timeGemm(c gemmCase, threads int) float64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = rng.Float32() - 0.5
		}
		return s
	}
	a, b, out := fill(c.m*c.k), fill(c.k*c.n), make([]float32, c.m*c.n)
	lda, ldb := c.k, c.n
	if c.transA {
		lda = c.m
	}
	if c.transB {
		ldb = c.k
	}
	call := func() { kernels.Sgemm(c.transA, c.transB, c.m, c.n, c.k, 1, a, lda, b, ldb, 0, out, c.n) }
	call()
	start := time.Now()
	call()
	reps := max(1, int(0.1/max(time.Since(start).Seconds(), 1e-7)))
	best := 0.0
	for range 5 {
		start := time.Now()
		for range reps {
			call()
		}
		s := time.Since(start).Seconds() / float64(reps)
		best = max(best, 2*float64(c.m)*float64(c.n)*float64(c.k)/s/1e9)
	}
	return best
}

// benchModels lists the models bench can time: those trained on
// Fashion-MNIST, which it reads.
func benchModels() []string {
	var names []string
	for _, name := range models.Names() {
		if r, err := models.TrainingRecipe(name); err == nil && r.Dataset == models.FashionMNIST {
			names = append(names, name)
		}
	}
	return names
}

// benchModel checks --model, before any timing.
func benchModel(name string) error {
	names := benchModels()
	if slices.Contains(names, name) {
		return nil
	}
	if r, err := models.TrainingRecipe(name); err == nil {
		return fmt.Errorf("--model %s trains on %s: bench times the Fashion-MNIST models, one of %s", name, strings.ToUpper(r.Dataset), strings.Join(names, ", "))
	}
	return fmt.Errorf("--model %q: want one of %s", name, strings.Join(names, ", "))
}

// benchTraining times training epochs, prediction over the test set and
// the allocations of one training step on the real data.
func benchTraining(ctx context.Context, e *env, rep *benchReport, name string, sizes []int, epochs int, dir string) error {
	train, test, err := loadData(ctx, e, dir)
	if err != nil {
		return err
	}
	x, y := images(train, 1.0/255)
	tx, ty := images(test, 1.0/255)
	// Trained on as tailor train trains: the images kept as bytes, scaled
	// as each batch is gathered (the same values as x).
	trainSet, err := labeledBytes(train.Images, train.Labels, train.N, train.Rows, train.Cols)
	if err != nil {
		return err
	}
	w := e.stdout
	var model *tailor.Model
	fmt.Fprintf(w, "\n%-8s %6s %8s %12s %10s   %s\n", "train", "batch", "threads", "s/epoch", "test acc", "each epoch")
	for _, batch := range sizes {
		if model, err = compiled(name, 1, models.Steps(epochs, x.Len(), batch)); err != nil {
			return err
		}
		seconds, acc, err := fitAndEvaluate(ctx, model, trainSet, tx, ty, epochs, batch)
		if err != nil {
			return err
		}
		best := seconds[0]
		for _, s := range seconds {
			best = min(best, s)
		}
		tb := trainBench{Model: name, BatchSize: batch, Threads: runtime.GOMAXPROCS(0), SecondsByEpoch: best, EpochSeconds: seconds, TestAccuracy: acc}
		rep.Train = append(rep.Train, tb)
		each := make([]string, len(seconds))
		for i, s := range seconds {
			each[i] = strconv.FormatFloat(s, 'f', 3, 64)
		}
		fmt.Fprintf(w, "%-8s %6d %8d %12.3f %10.4f   %s\n", name, batch, tb.Threads, best, tb.TestAccuracy, strings.Join(each, " "))
	}

	// Prediction over the whole test set, best of five.
	bestPred := 0.0
	for i := range 5 {
		start := time.Now()
		if _, err := model.Predict(ctx, tx, tailor.PredictOptions{}); err != nil {
			return err
		}
		if s := time.Since(start).Seconds(); i == 0 || s < bestPred {
			bestPred = s
		}
	}
	rep.Predict = &predictRes{Model: name, Images: tx.Len(), Seconds: bestPred, PerImage: float64(tx.Len()) / bestPred}
	fmt.Fprintf(w, "\npredict %d test images: %.4f s (%.0f images/s)\n", tx.Len(), bestPred, rep.Predict.PerImage)

	// Allocations of a training step once the buffers exist.
	const steps = 200
	xb, yb := x.Slice(0, 32), y.Slice(0, 32)
	if _, err := model.TrainOnBatch(xb, yb); err != nil {
		return err
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range steps {
		if _, err := model.TrainOnBatch(xb, yb); err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	rep.Step = &stepAllocs{
		BatchSize:     32,
		AllocsPerStep: float64(after.Mallocs-before.Mallocs) / steps,
		BytesPerStep:  float64(after.TotalAlloc-before.TotalAlloc) / steps,
		MicrosPerStep: float64(elapsed.Microseconds()) / steps,
	}
	fmt.Fprintf(w, "training step (batch 32): %.1f µs, %.2f allocations, %.0f bytes\n", rep.Step.MicrosPerStep, rep.Step.AllocsPerStep, rep.Step.BytesPerStep)
	return nil
}

// fitAndEvaluate trains model for epochs on train in batches of batch,
// silently, and returns each epoch's seconds and the test accuracy on (tx,
// ty). It is the one place bench calls Fit and Evaluate.
func fitAndEvaluate(ctx context.Context, model *tailor.Model, train datasets.Dataset, tx, ty *tensor.Tensor, epochs, batch int) ([]float64, float64, error) {
	hist, err := model.Fit(ctx, train, tailor.FitOptions{Epochs: epochs, BatchSize: batch, Seed: 1, Verbose: tailor.Silent})
	if err != nil {
		return nil, 0, err
	}
	_, scores, err := model.Evaluate(ctx, dataset(tx, ty), tailor.EvaluateOptions{})
	if err != nil {
		return nil, 0, err
	}
	return hist.Seconds, scores["accuracy"], nil
}

// compiled returns a fresh model, its weights drawn from seed, compiled
// with its recipe's optimizer for a run of steps training steps, its
// recipe's sparse categorical cross-entropy and accuracy.
func compiled(name string, seed uint64, steps int64) (*tailor.Model, error) {
	m, _, err := compiledAs(name, seed, steps, "")
	return m, err
}

// compiledAs is compiled with the convolutions' precision set to dtype
// (layers.Float32, MixedBFloat16 or Auto; "" keeps the model's), and says
// whether the model's convolutions asked for Auto.
func compiledAs(name string, seed uint64, steps int64, dtype layers.DType) (m *tailor.Model, asked layers.DType, err error) {
	if m, err = models.New(name); err != nil {
		return nil, "", err
	}
	recipe, err := models.TrainingRecipe(name)
	if err != nil {
		return nil, "", err
	}
	for _, l := range m.Layers() {
		d, ok := l.(interface {
			DType() layers.DType
			SetDType(layers.DType) error
		})
		if !ok {
			continue
		}
		if dtype != "" {
			if err := d.SetDType(dtype); err != nil {
				return nil, "", err
			}
		}
		if d.DType() == layers.Auto {
			asked = layers.Auto
		}
	}
	if err := m.SetSeed(seed); err != nil {
		return nil, "", err
	}
	return m, asked, m.Compile(recipe.Optimizer(steps), recipe.Loss(), metrics.Accuracy())
}

// precision describes the convolutions' precision of a built model:
// "float32", "mixed_bfloat16", or both named when they differ; and, when
// the model asked for Auto, why it resolved so, and when it computes in
// mixed precision, how (kernels.BF16Method).
func precision(m *tailor.Model, asked layers.DType) (policy, why string) {
	seen := map[layers.DType]bool{}
	var names []string
	for _, l := range m.Layers() {
		if d, ok := l.(interface{ DType() layers.DType }); ok && !seen[d.DType()] {
			seen[d.DType()] = true
			names = append(names, string(d.DType()))
		}
	}
	if len(names) == 0 {
		return string(layers.Float32), ""
	}
	var notes []string
	if asked == layers.Auto {
		_, resolved := layers.ResolveAuto()
		notes = append(notes, "auto: "+resolved)
	}
	if seen[layers.MixedBFloat16] {
		notes = append(notes, "products: "+kernels.BF16Method())
	}
	return strings.Join(names, " and "), strings.Join(notes, "; ")
}

// runPeer runs the PyTorch reference in dir on the work bench just timed
// — SGEMM 1024³ on 1 and all threads where rep has SGEMM figures and,
// unless skipTrain, epochs of the model at batch 32 on all threads, with
// prediction over the test set — and compares its figures with rep's.
func runPeer(ctx context.Context, e *env, dir string, rep *benchReport, name string, epochs int, skipTrain bool) (*peerReport, error) {
	fmt.Fprintf(e.stdout, "\nrunning the PyTorch reference (%s) ...\n", dir)
	p := &peerReport{}
	if len(rep.Sgemm) > 0 {
		if err := peerGemm(ctx, dir, rep, p); err != nil {
			return nil, err
		}
	}
	if skipTrain {
		return p, nil
	}
	n := runtime.GOMAXPROCS(0)
	tr, err := peerJSON(ctx, dir, []string{"--model", peerModels[name], "--epochs", strconv.Itoa(epochs), "--batch-size", "32", "--threads", strconv.Itoa(n)})
	if err != nil {
		return nil, err
	}
	p.Train = tr
	var train struct {
		EpochMin   float64 `json:"epoch_seconds_min"`
		PredictMin float64 `json:"predict_seconds_min"`
	}
	if err := json.Unmarshal(tr, &train); err != nil {
		return nil, fmt.Errorf("the PyTorch reference's training JSON: %w", err)
	}
	for _, t := range rep.Train {
		if t.BatchSize == 32 && train.EpochMin > 0 {
			p.Ratios = append(p.Ratios, ratio{fmt.Sprintf("%s s/epoch (fastest), batch 32, %d threads", name, n), t.SecondsByEpoch, train.EpochMin, train.EpochMin / t.SecondsByEpoch})
		}
	}
	if rep.Predict != nil && train.PredictMin > 0 {
		p.Ratios = append(p.Ratios, ratio{fmt.Sprintf("%s predict 10k images, s", name), rep.Predict.Seconds, train.PredictMin, train.PredictMin / rep.Predict.Seconds})
	}
	return p, nil
}

// peerGemm runs the reference's SGEMM 1024³ on the thread counts bench
// used and adds the ratios to p.
func peerGemm(ctx context.Context, dir string, rep *benchReport, p *peerReport) error {
	threads := threadCounts()
	args := []string{"--mode", "gemm", "--gemm-sizes", "1024", "--gemm-threads"}
	for _, th := range threads {
		args = append(args, strconv.Itoa(th))
	}
	g, err := peerJSON(ctx, dir, args)
	if err != nil {
		return err
	}
	p.Gemm = g
	var gemm struct {
		Results []struct {
			N         int     `json:"n"`
			Threads   int     `json:"threads"`
			GFLOPSMax float64 `json:"gflops_max"`
		} `json:"results"`
	}
	if err := json.Unmarshal(g, &gemm); err != nil {
		return fmt.Errorf("the PyTorch reference's gemm JSON: %w", err)
	}
	for _, th := range threads {
		t := 0.0
		for _, r := range rep.Sgemm {
			if r.Name == "square 1024" && r.Threads == th {
				t = r.GFLOPS
			}
		}
		for _, r := range gemm.Results {
			if r.N == 1024 && r.Threads == th && t > 0 && r.GFLOPSMax > 0 {
				p.Ratios = append(p.Ratios, ratio{fmt.Sprintf("SGEMM 1024³ GFLOP/s, %d thread(s)", th), t, r.GFLOPSMax, t / r.GFLOPSMax})
			}
		}
	}
	return nil
}

// peerJSON runs dir/run.sh with args and returns its JSON line.
func peerJSON(ctx context.Context, dir string, args []string) (json.RawMessage, error) {
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(dir, "run.sh")}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("the PyTorch reference (%s %s): %w: %s", filepath.Join(dir, "run.sh"), strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return lastJSONLine(out.Bytes())
}

// lastJSONLine returns the JSON after "JSON " on the last line that has
// one, as the reference prints its figures.
func lastJSONLine(out []byte) (json.RawMessage, error) {
	var found []byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	for sc.Scan() {
		if rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("JSON ")); ok {
			found = append(found[:0], rest...)
		}
	}
	if found == nil {
		return nil, fmt.Errorf("the PyTorch reference printed no JSON line")
	}
	if !json.Valid(found) {
		return nil, fmt.Errorf("the PyTorch reference's JSON line is not valid JSON: %.80q", found)
	}
	return found, nil
}

func printRatios(w io.Writer, rs []ratio) {
	fmt.Fprintf(w, "\n%-48s %10s %10s %9s\n", "Tailor against PyTorch, same run", "Tailor", "PyTorch", "speedup")
	for _, r := range rs {
		fmt.Fprintf(w, "%-48s %10.3f %10.3f %8.2f×\n", r.What, r.Tailor, r.PyTorch, r.Speedup)
	}
}
