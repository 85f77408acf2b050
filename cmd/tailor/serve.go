package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets/fashionmnist"
	"github.com/tailor-ml/tailor/report"
	"github.com/tailor-ml/tailor/saving"
	"github.com/tailor-ml/tailor/serve"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "MODEL.tailor [MORE.tailor ...] [--addr 127.0.0.1:8080] [--max-batch 32] [--max-wait 2ms] [--max-inflight 64] [--max-body 8MiB] [--data DIR]")
	addr := fs.String("addr", "127.0.0.1:8080", "the address to listen on, host:port (port 0 picks a free one)")
	maxBatch := fs.Int("max-batch", 32, "the most examples in one forward pass of gathered requests; 1 turns batching off")
	maxWait := fs.Duration("max-wait", 2*time.Millisecond, "how long the first request of a batch waits for others; 0 takes only those already waiting")
	workers := fs.Int("batch-workers", 0, "goroutines per model forming and running batches (default: the number of CPUs Go uses)")
	maxInFlight := fs.Int("max-inflight", 64, "the most inference requests served at once; more get 429 Too Many Requests")
	maxBody := fs.String("max-body", "8MiB", "the largest request body (bytes, or with KiB or MiB); larger get 413, as do infer requests whose answer would hold more than half as many values")
	maxExamples := fs.Int("max-examples", 256, "the most examples in one infer request")
	maxPixels := fs.Int("max-image-pixels", 16<<20, "the largest uploaded image, width × height; larger get 413")
	readTimeout := fs.Duration("read-timeout", 30*time.Second, "how long a client may take to send a request")
	writeTimeout := fs.Duration("write-timeout", 30*time.Second, "how long an answer may take")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, "how long SIGINT or SIGTERM waits for requests in flight")
	dir := fs.String("data", "", "directory holding the Fashion-MNIST IDX files, for the model cards' test accuracy (default: search; serve never downloads)")
	paths, err := parseWithArgs(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError(fs, "want at least one model file")
	}
	bodyLimit, err := parseBytes(*maxBody)
	if err != nil {
		return fmt.Errorf("--max-body %q: %w", *maxBody, err)
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"--max-batch", *maxBatch}, {"--max-inflight", *maxInFlight}, {"--max-examples", *maxExamples}, {"--max-image-pixels", *maxPixels}} {
		if c.v < 1 {
			return fmt.Errorf("%s %d: want at least 1", c.name, c.v)
		}
	}
	// serve.Options reads a zero or negative timeout as its default: refuse
	// one rather than wait 30 s where the flag said otherwise.
	for _, c := range []struct {
		name string
		v    time.Duration
	}{{"--read-timeout", *readTimeout}, {"--write-timeout", *writeTimeout}, {"--shutdown-timeout", *shutdownTimeout}} {
		if c.v <= 0 {
			return fmt.Errorf("%s %v: want a positive duration", c.name, c.v)
		}
	}
	if *maxWait < 0 || *workers < 0 {
		return errors.New("--max-wait and --batch-workers must not be negative")
	}
	wait := *maxWait
	if wait == 0 {
		wait = -1 // serve.Options: no waiting
	}
	// The names come from the files: refuse bad ones, naming the files,
	// before loading and scoring the models.
	byName := map[string]string{}
	for _, path := range paths {
		name := servedName(path)
		if !serve.ValidName(name) {
			return fmt.Errorf("%s: model name %q (the file's name without its extension): want %s: rename the file", path, name, serve.NameRule)
		}
		if first, dup := byName[name]; dup {
			return fmt.Errorf("%s and %s: two models named %q (a model's name is its file's without the extension): rename one", first, path, name)
		}
		byName[name] = path
	}
	models, err := loadServed(ctx, e, paths, *dir)
	if err != nil {
		return err
	}
	srv, err := serve.New(models, serve.Options{
		MaxBatch: *maxBatch, MaxWait: wait, BatchWorkers: *workers,
		MaxInFlight: *maxInFlight, MaxBodyBytes: bodyLimit, MaxExamples: *maxExamples, MaxImagePixels: *maxPixels,
		ReadTimeout: *readTimeout, WriteTimeout: *writeTimeout, ShutdownTimeout: *shutdownTimeout,
		ErrorLog: log.New(e.stderr, "tailor serve: ", log.LstdFlags),
	})
	if err != nil {
		return err
	}
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	// The cards are rendered: drop them and the test split they were
	// scored on, and hand that memory back before serving.
	models = nil
	debug.FreeOSMemory()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		srv.Close()
		return fmt.Errorf("--addr %s: %w", *addr, err)
	}
	batching := "off"
	if *maxBatch > 1 {
		batching = fmt.Sprintf("up to %d examples, waiting at most %v", *maxBatch, *maxWait)
	}
	fmt.Fprintf(e.stdout, "serving %s on http://%s/ (batching %s)\n", strings.Join(names, ", "), ln.Addr(), batching)
	if err := srv.Serve(ctx, ln); err != nil {
		if ctx.Err() != nil {
			// Interrupted, but not every request was answered: say so,
			// rather than run's "nothing was written".
			return &interruptedError{kept: strings.TrimPrefix(err.Error(), "serve: ")}
		}
		return err
	}
	fmt.Fprintln(e.stdout, "shut down: every request in flight was answered")
	return nil
}

// loadServed loads each model file once and prepares its card: scored on
// the Fashion-MNIST test split when the data is at hand and the model
// takes its images, "not measured" otherwise.
func loadServed(ctx context.Context, e *env, paths []string, dir string) ([]serve.Model, error) {
	var test *fashionmnist.Dataset
	var testErr error
	tested := false
	var out []serve.Model
	for _, path := range paths {
		model, meta, sum, err := loadVersioned(path)
		if err != nil {
			return nil, err
		}
		name := servedName(path)
		run := modelRun{path: path, model: model, meta: meta,
			history: savedHistory(meta), trainingSeconds: savedTrainingSeconds(meta), settings: savedRecipe(meta)}
		card := &report.Report{}
		switch in := model.InputShape(); {
		case !in.Equal([]int{28, 28}):
			fmt.Fprintf(e.stderr, "tailor serve: %s: test accuracy not measured: the model takes %v inputs, not Fashion-MNIST's 28×28\n", name, in)
		case model.Loss() == nil:
			fmt.Fprintf(e.stderr, "tailor serve: %s: test accuracy not measured: the model file was saved uncompiled, without its loss\n", name)
		default:
			if !tested {
				test, testErr = testSplit(ctx, dir)
				tested = true
				if testErr != nil {
					fmt.Fprintf(e.stderr, "tailor serve: test accuracy not measured: %v\n", testErr)
				}
			}
			if test != nil {
				x, y := images(test, 1.0/255)
				r, err := buildReport(ctx, run, x, y, test.Labels, galleryMistakes, tailor.PredictOptions{})
				if err != nil {
					return nil, fmt.Errorf("%s: scoring on the test split: %w", path, err)
				}
				card = &r
				fmt.Fprintf(e.stdout, "%s: test accuracy %.4f\n", name, r.Test.Accuracy)
			}
		}
		if card.Summary == "" {
			card = unscoredCard(run)
		}
		out = append(out, serve.Model{Name: name, Version: sum[:12], Model: model, Meta: meta, Card: card})
	}
	return out, nil
}

// servedName is the name in URLs of the model in the file at path: the
// file's name without its extension.
func servedName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

// unscoredCard is a model's card without test metrics.
func unscoredCard(run modelRun) *report.Report {
	var summary strings.Builder
	run.model.Summary(&summary)
	return &report.Report{
		Title:           filepath.Base(run.path),
		Summary:         summary.String(),
		Settings:        append(fileSettings(run), run.settings...),
		TrainingSeconds: run.trainingSeconds,
		History:         run.history,
		ClassNames:      classNames(run.meta),
	}
}

// testSplit finds Fashion-MNIST's test split where LoadData looks, without
// downloading: a server starts at once or not at all.
func testSplit(ctx context.Context, dir string) (*fashionmnist.Dataset, error) {
	if err := checkDataDir(dir); err != nil {
		return nil, err
	}
	_, test, err := fashionmnist.LoadData(ctx, fashionmnist.Options{Dir: dir, NoDownload: true})
	return test, err
}

// loadVersioned loads the model file at path, as saving.Load does, and
// returns its version: the hex SHA-256 of the bytes loaded. Both read one
// open file, so a model file replaced meanwhile (as Tailor's atomic writes
// replace one: a rename) cannot pair one model with another's version.
func loadVersioned(path string) (*tailor.Model, saving.Meta, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, saving.Meta{}, "", fmt.Errorf("loading: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, saving.Meta{}, "", fmt.Errorf("loading: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, saving.Meta{}, "", fmt.Errorf("loading %s: not a regular file", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size())); err != nil {
		return nil, saving.Meta{}, "", fmt.Errorf("loading %s: %w", path, err)
	}
	model, meta, err := saving.LoadFrom(f, st.Size())
	if err != nil {
		return nil, saving.Meta{}, "", fmt.Errorf("%w (%s)", err, path)
	}
	return model, meta, hex.EncodeToString(h.Sum(nil)), nil
}

// parseBytes reads a size: 1048576, 512KiB or 8MiB.
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	num := s
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = v, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 1 || n > (1<<40)/mult {
		return 0, errors.New("want a positive number of bytes, optionally with KiB, MiB or GiB")
	}
	return n * mult, nil
}
