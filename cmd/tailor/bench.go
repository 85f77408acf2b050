package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/models"
)

// benchReport is what tailor bench measures; --json writes it.
type benchReport struct {
	CPU     string       `json:"cpu"`
	Cores   int          `json:"cores"`
	SIMD    string       `json:"simd"`
	BF16    bool         `json:"bf16"` // mixed_bfloat16 layers run natively (AVX512_BF16)
	Go      string       `json:"go"`
	Sgemm   []gemmResult `json:"sgemm"`
	Train   []trainBench `json:"train,omitempty"`
	Predict *predictRes  `json:"predict,omitempty"`
	Step    *stepAllocs  `json:"train_step,omitempty"`
}

type gemmResult struct {
	Name    string  `json:"name"`
	Shape   string  `json:"shape"`
	Threads int     `json:"threads"`
	GFLOPS  float64 `json:"gflops"`
}

type trainBench struct {
	Model          string  `json:"model"`
	BatchSize      int     `json:"batch_size"`
	Threads        int     `json:"threads"`
	SecondsByEpoch float64 `json:"seconds_per_epoch"`
	TestAccuracy   float64 `json:"test_accuracy"`
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
	)
}

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench", "[--json FILE] [--model mlp] [--epochs 1] [--skip-train] [--data DIR]")
	jsonPath := fs.String("json", "", "write the figures as JSON to this file")
	name := fs.String("model", "mlp", "the model whose training and prediction are timed: one of "+joinNames())
	epochs := fs.Int("epochs", 1, "epochs timed per training setting (the fastest counts)")
	batches := fs.String("batch-sizes", "32,128", "comma-separated batch sizes to time training at")
	skipTrain := fs.Bool("skip-train", false, "time the kernels only")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := positive(fs, "epochs"); err != nil {
		return err
	}
	sizes, err := batchSizes(*batches)
	if err != nil {
		return usageError(fs, err.Error())
	}
	if err := checkOutput("--json", *jsonPath); err != nil {
		return err
	}
	w := e.stdout
	rep := benchReport{CPU: cpuModel(), Cores: runtime.NumCPU(), SIMD: kernels.SIMD(), BF16: kernels.HasBF16(), Go: runtime.Version()}
	bf16 := "float32 (no AVX512_BF16)"
	if rep.BF16 {
		bf16 = "native"
	}
	fmt.Fprintf(w, "cpu: %s, %d cores, SIMD: %s, mixed_bfloat16: %s, %s\n\n", rep.CPU, rep.Cores, rep.SIMD, bf16, rep.Go)

	fmt.Fprintf(w, "%-24s %-16s %8s %10s\n", "SGEMM", "m×n×k", "threads", "GFLOP/s")
	for _, c := range gemmCases() {
		for _, th := range threadCounts() {
			g := timeGemm(c, th)
			r := gemmResult{Name: c.name, Shape: fmt.Sprintf("%d×%d×%d", c.m, c.n, c.k), Threads: th, GFLOPS: g}
			rep.Sgemm = append(rep.Sgemm, r)
			fmt.Fprintf(w, "%-24s %-16s %8d %10.1f\n", r.Name, r.Shape, th, g)
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	if !*skipTrain {
		if err := benchModel(ctx, e, &rep, *name, sizes, *epochs, *dir); err != nil {
			return err
		}
	}
	if *jsonPath != "" {
		return writeJSON(*jsonPath, rep)
	}
	return nil
}

// batchSizes parses --batch-sizes: positive numbers, comma-separated.
func batchSizes(list string) ([]int, error) {
	var sizes []int
	for _, field := range strings.Split(list, ",") {
		var batch int
		if _, err := fmt.Sscan(strings.TrimSpace(field), &batch); err != nil || batch <= 0 {
			return nil, fmt.Errorf("--batch-sizes: %q is not a positive number", field)
		}
		sizes = append(sizes, batch)
	}
	return sizes, nil
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

// benchModel times training epochs, prediction over the test set and the
// allocations of one training step on the real data.
func benchModel(ctx context.Context, e *env, rep *benchReport, name string, sizes []int, epochs int, dir string) error {
	train, test, err := loadData(ctx, e, dir)
	if err != nil {
		return err
	}
	x, y := images(train, 1.0/255)
	tx, ty := images(test, 1.0/255)
	w := e.stdout
	var model *tailor.Model
	fmt.Fprintf(w, "\n%-8s %6s %8s %12s %10s\n", "train", "batch", "threads", "s/epoch", "test acc")
	for _, batch := range sizes {
		if model, err = compiled(name, 1, models.Steps(epochs, x.Len(), batch)); err != nil {
			return err
		}
		hist, err := model.Fit(ctx, dataset(x, y), tailor.FitOptions{Epochs: epochs, BatchSize: batch, Seed: 1, Verbose: tailor.Silent})
		if err != nil {
			return err
		}
		_, scores, err := model.Evaluate(ctx, dataset(tx, ty), tailor.EvaluateOptions{})
		if err != nil {
			return err
		}
		best := hist.Seconds[0]
		for _, s := range hist.Seconds {
			best = min(best, s)
		}
		tb := trainBench{Model: name, BatchSize: batch, Threads: runtime.GOMAXPROCS(0), SecondsByEpoch: best, TestAccuracy: scores["accuracy"]}
		rep.Train = append(rep.Train, tb)
		fmt.Fprintf(w, "%-8s %6d %8d %12.3f %10.4f\n", name, batch, tb.Threads, best, tb.TestAccuracy)
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

// compiled returns a fresh model, its weights drawn from seed, compiled
// with its recipe's optimizer for a run of steps training steps, its
// recipe's sparse categorical cross-entropy and accuracy.
func compiled(name string, seed uint64, steps int64) (*tailor.Model, error) {
	m, err := models.New(name)
	if err != nil {
		return nil, err
	}
	recipe, err := models.TrainingRecipe(name)
	if err != nil {
		return nil, err
	}
	if err := m.SetSeed(seed); err != nil {
		return nil, err
	}
	return m, m.Compile(recipe.Optimizer(steps), recipe.Loss(), metrics.Accuracy())
}

// cpuModel reads the processor's name from /proc/cpuinfo where there is one.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
