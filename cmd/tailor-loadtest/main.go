// Command tailor-loadtest puts tailor serve under load on loopback and
// says how it held: requests per second, the median and 99th-percentile
// latency, the answers by status (never a 5xx), whether every malformed
// request got its 4xx and a JSON error, and the server's resident memory
// over the run. By default it starts the server twice, with batching on
// and off, and prints the two side by side.
//
// Usage:
//
//	go build -o bin/tailor ./cmd/tailor
//	bin/tailor train --model mlp --out /tmp/mlp.tailor
//	go run ./cmd/tailor-loadtest --tailor bin/tailor --model /tmp/mlp.tailor [--duration 20s] [--clients 32]
//
// or, against a server already running (one run, memory from its
// /metrics):
//
//	go run ./cmd/tailor-loadtest --url http://127.0.0.1:8080 --name mlp
//
// Each client sends a request and waits for its answer before the next:
// 90% valid (v2 infer of one image as UINT8 or FP32, of eight images,
// classify of a PNG as a raw body or multipart) and 10% malformed, every
// malformed kind in turn (bad JSON, wrong shape, datatype or input name,
// missing or out-of-range values, an empty or oversized body, wrong
// content types, unknown models and paths, a wrong method, non-image,
// truncated and oversized images, bad multipart bodies, a bad top=). The
// images are Fashion-MNIST's test images when the data is at hand
// (never downloaded), random pixels otherwise.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tailor-ml/tailor/datasets/fashionmnist"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tailor-loadtest:", err)
		os.Exit(1)
	}
}

// setup is one server configuration to measure.
type setup struct {
	label string
	flags []string
}

func run(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("tailor-loadtest", flag.ContinueOnError)
	tailorBin := fs.String("tailor", "", "the tailor binary to start (tailor serve MODEL) for each setup")
	model := fs.String("model", "", "the model file to serve")
	url := fs.String("url", "", "measure a server already running here instead (one run)")
	name := fs.String("name", "", "with --url: the model's name")
	duration := fs.Duration("duration", 20*time.Second, "how long each run lasts, after the warm-up")
	warmup := fs.Duration("warmup", 2*time.Second, "load before measuring, not counted")
	clients := fs.Int("clients", 32, "concurrent clients")
	malformed := fs.Float64("malformed", 0.1, "the share of malformed requests")
	maxBatch := fs.Int("max-batch", 32, "the batching setup's --max-batch")
	maxWait := fs.Duration("max-wait", 2*time.Millisecond, "the batching setup's --max-wait")
	maxBody := fs.Int64("max-body", 8<<20, "the server's body limit in bytes (for the oversized requests)")
	only := fs.String("only", "", "run one setup: on or off")
	extra := fs.String("serve-flags", "", "more flags for tailor serve, space-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q: every input is a flag (--model FILE)", fs.Arg(0))
	case *duration <= 0:
		// A run without a duration and without a request count never
		// ends.
		return fmt.Errorf("--duration %v: want a positive duration", *duration)
	case *warmup < 0:
		return fmt.Errorf("--warmup %v: want 0 or a positive duration", *warmup)
	case *clients < 1:
		return fmt.Errorf("--clients %d: want at least 1", *clients)
	case !(*malformed >= 0 && *malformed <= 1):
		return fmt.Errorf("--malformed %v: want a share from 0 to 1", *malformed)
	case *maxBatch < 1:
		return fmt.Errorf("--max-batch %d: want at least 1", *maxBatch)
	case *maxWait < 0:
		return fmt.Errorf("--max-wait %v: want 0 or a positive duration", *maxWait)
	case *maxBody < 1:
		return fmt.Errorf("--max-body %d: want a positive number of bytes", *maxBody)
	}
	images := testImages()
	if *url != "" {
		if *name == "" {
			return errors.New("--url needs --name, the model's name")
		}
		r, err := measure(ctx, w, *url, *name, 0, images, *clients, *malformed, *warmup, *duration, *maxBody)
		if err != nil {
			return err
		}
		printTable(w, []setup{{label: *url}}, []*report{r}, *clients)
		return checkReports([]*report{r})
	}
	if *tailorBin == "" || *model == "" {
		return errors.New("want --tailor BIN and --model FILE (or --url and --name)")
	}
	base := lastPath(*model)
	base = strings.TrimSuffix(base, path.Ext(base)) // the name tailor serve gives the model
	setups := []setup{
		{fmt.Sprintf("batching on (--max-batch %d --max-wait %v)", *maxBatch, *maxWait), []string{"--max-batch", fmt.Sprint(*maxBatch), "--max-wait", maxWait.String()}},
		{"batching off (--max-batch 1)", []string{"--max-batch", "1"}},
	}
	switch *only {
	case "":
	case "on":
		setups = setups[:1]
	case "off":
		setups = setups[1:]
	default:
		return fmt.Errorf("--only %q: want on or off", *only)
	}
	var reports []*report
	for _, s := range setups {
		flags := append(s.flags, strings.Fields(*extra)...)
		fmt.Fprintf(w, "== %s\n", s.label)
		r, err := withServer(ctx, *tailorBin, *model, flags, func(url string, pid int) (*report, error) {
			return measure(ctx, w, url, base, pid, images, *clients, *malformed, *warmup, *duration, *maxBody)
		})
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	printTable(w, setups, reports, *clients)
	return checkReports(reports)
}

// checkReports fails a run in which any request got a 5xx or a wrong
// answer, against a server started here or one already running.
func checkReports(reports []*report) error {
	for _, r := range reports {
		if r.stats.server5xx > 0 || len(r.stats.wrong) > 0 {
			return errors.New("some requests were answered wrongly (above)")
		}
	}
	return nil
}

func lastPath(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// testImages returns up to 512 Fashion-MNIST test images, or random ones
// when the data is not at hand.
func testImages() [][]uint8 {
	var out [][]uint8
	if _, test, err := fashionmnist.LoadData(context.Background(), fashionmnist.Options{NoDownload: true}); err == nil {
		for i := range min(512, test.N) {
			out = append(out, test.Image(i))
		}
		return out
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 64 {
		px := make([]uint8, 784)
		for i := range px {
			if r, c := i/28, i%28; r > 4 && r < 24 && c > 6 && c < 22 {
				px[i] = uint8(rng.IntN(256))
			}
		}
		out = append(out, px)
	}
	return out
}

var serving = regexp.MustCompile(`^serving .* on (http://[^/]+)/`)

// withServer starts tailor serve, runs f against it, then stops it with
// SIGTERM and checks that it shut down cleanly.
func withServer(ctx context.Context, bin, model string, flags []string, f func(url string, pid int) (*report, error)) (*report, error) {
	cmd := exec.Command(bin, append([]string{"serve", model, "--addr", "127.0.0.1:0"}, flags...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := bufio.NewScanner(out)
	url := ""
	for lines.Scan() {
		if m := serving.FindStringSubmatch(lines.Text()); m != nil {
			url = m[1]
			break
		}
	}
	if url == "" {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s serve did not start", bin)
	}
	go io.Copy(io.Discard, out)
	r, ferr := f(url, cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGTERM)
	werr := cmd.Wait()
	if ferr != nil {
		return nil, ferr
	}
	if werr != nil {
		return nil, fmt.Errorf("tailor serve after SIGTERM: %w", werr)
	}
	return r, nil
}

// report is one setup's figures.
type report struct {
	stats            *stats
	rss              []rssSample
	batchMean        float64
	cpu              string
	malformedAllSeen bool
}

type rssSample struct {
	at  time.Duration
	mib float64
}

// measure warms the server up, then loads it for duration while sampling
// its resident memory every second.
func measure(ctx context.Context, w io.Writer, url, model string, pid int, images [][]uint8, clients int, malformed float64, warmup, duration time.Duration, maxBody int64) (*report, error) {
	set := newRequestSet(model, images, maxBody)
	client := newClient(clients)
	if warmup > 0 {
		load(ctx, loadConfig{url: url, clients: clients, duration: warmup, malformed: malformed, seed: 99, images: len(images)}, set, client)
	}
	before := batchSizes(client, url)
	r := &report{cpu: cpuName()}
	done := make(chan struct{})
	sampled := make(chan []rssSample, 1)
	go func() {
		var samples []rssSample
		start := time.Now()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		take := func() {
			if mib, err := residentMiB(client, url, pid); err == nil {
				samples = append(samples, rssSample{time.Since(start).Round(time.Second), mib})
			}
		}
		take()
		for {
			select {
			case <-tick.C:
				take()
			case <-done:
				take()
				sampled <- samples
				return
			}
		}
	}()
	r.stats = load(ctx, loadConfig{url: url, clients: clients, duration: duration, malformed: malformed, seed: 1, images: len(images)}, set, client)
	close(done)
	r.rss = <-sampled
	after := batchSizes(client, url)
	if n := after[1] - before[1]; n > 0 {
		r.batchMean = (after[0] - before[0]) / n
	}
	r.malformedAllSeen = true
	for _, k := range set.malformed {
		ks := r.stats.perKind[k.name]
		if ks == nil || ks.asExpected == 0 {
			r.malformedAllSeen = false
		}
	}
	printRun(w, r, set)
	return r, ctx.Err()
}

// residentMiB reads the server's resident memory: from /proc when it is
// our child, from its /metrics otherwise.
func residentMiB(client *http.Client, url string, pid int) (float64, error) {
	if pid > 0 {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
					kb, err := strconv.ParseFloat(f[1], 64)
					return kb / 1024, err
				}
			}
		}
	}
	v, err := metric(client, url, "process_resident_memory_bytes")
	return v / (1 << 20), err
}

// batchSizes returns the sum and count of tailor_inference_batch_size.
func batchSizes(client *http.Client, url string) [2]float64 {
	sum, _ := metric(client, url, "tailor_inference_batch_size_sum")
	count, _ := metric(client, url, "tailor_inference_batch_size_count")
	return [2]float64{sum, count}
}

// metric reads one sample's value (summed over its labels) from /metrics.
func metric(client *http.Client, url, name string) (float64, error) {
	res, err := client.Get(url + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	total, found := 0.0, false
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+" ") && !strings.HasPrefix(line, name+"{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err == nil {
			total += v
			found = true
		}
	}
	if !found {
		return 0, fmt.Errorf("no %s in %s/metrics", name, url)
	}
	return total, nil
}

func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return fmt.Sprintf("%s, %d CPUs", strings.TrimSpace(v), runtime.NumCPU())
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs", runtime.GOARCH, runtime.NumCPU())
}

// printRun prints one run's details: per kind, and what went wrong.
func printRun(w io.Writer, r *report, set *requestSet) {
	s := r.stats
	fmt.Fprintf(w, "%d requests in %.1f s: %.0f/s; by status %v\n", s.requests, s.elapsed.Seconds(), float64(s.requests)/s.elapsed.Seconds(), s.byStatus)
	fmt.Fprintf(w, "  %-24s %7s %9s %9s %9s\n", "kind", "sent", "expected", "p50", "p99")
	kinds := append(append([]kind{}, set.valid...), set.malformed...)
	for _, k := range kinds {
		ks := s.perKind[k.name]
		if ks == nil {
			fmt.Fprintf(w, "  %-24s %7d\n", k.name, 0)
			continue
		}
		fmt.Fprintf(w, "  %-24s %7d %9d %9s %9s\n", k.name, ks.sent, ks.asExpected, ms(percentile(ks.latencies, 50)), ms(percentile(ks.latencies, 99)))
	}
	sort.Strings(s.wrong)
	for i, msg := range s.wrong {
		if i == 20 {
			fmt.Fprintf(w, "  … and %d more\n", len(s.wrong)-20)
			break
		}
		fmt.Fprintln(w, "  WRONG:", msg)
	}
	var rss []string
	for _, x := range r.rss {
		rss = append(rss, fmt.Sprintf("%v %.0f", x.at, x.mib))
	}
	fmt.Fprintf(w, "  resident memory (MiB): %s\n\n", strings.Join(rss, ", "))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", d.Seconds()*1000) }

// printTable prints the setups side by side as a Markdown table.
func printTable(w io.Writer, setups []setup, reports []*report, clients int) {
	row := func(name string, f func(r *report) string) {
		fmt.Fprintf(w, "| %s |", name)
		for _, r := range reports {
			fmt.Fprintf(w, " %s |", f(r))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "CPU: %s; %d clients\n\n", reports[0].cpu, clients)
	fmt.Fprint(w, "| |")
	for _, s := range setups {
		fmt.Fprintf(w, " %s |", s.label)
	}
	fmt.Fprint(w, "\n|---|")
	for range setups {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	row("requests/s", func(r *report) string {
		return fmt.Sprintf("%.0f", float64(r.stats.requests)/r.stats.elapsed.Seconds())
	})
	row("requests (malformed)", func(r *report) string { return fmt.Sprintf("%d (%d)", r.stats.requests, r.stats.malformedSent) })
	row("valid: p50 / p99 latency", func(r *report) string {
		return ms(percentile(r.stats.valid, 50)) + " / " + ms(percentile(r.stats.valid, 99))
	})
	row("all: p50 / p99 latency", func(r *report) string {
		return ms(percentile(r.stats.all, 50)) + " / " + ms(percentile(r.stats.all, 99))
	})
	row("5xx", func(r *report) string { return fmt.Sprint(r.stats.server5xx) })
	row("429", func(r *report) string { return fmt.Sprint(r.stats.tooMany) })
	row("no answer / wrong answer", func(r *report) string {
		return fmt.Sprintf("%d / %d", r.stats.transport, len(r.stats.wrong)-r.stats.transport)
	})
	row("every malformed kind got its 4xx", func(r *report) string { return yes(r.malformedAllSeen) })
	row("examples per forward pass", func(r *report) string { return fmt.Sprintf("%.2f", r.batchMean) })
	row("resident memory: first / last / max", func(r *report) string {
		if len(r.rss) == 0 {
			return "?"
		}
		hi := 0.0
		for _, x := range r.rss {
			hi = max(hi, x.mib)
		}
		return fmt.Sprintf("%.0f / %.0f / %.0f MiB", r.rss[0].mib, r.rss[len(r.rss)-1].mib, hi)
	})
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
