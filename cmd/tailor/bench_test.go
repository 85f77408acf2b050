package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/layers"
)

func TestLastJSONLine(t *testing.T) {
	out := "denormals flushed to zero: True\nJSON {\"a\": 1}\nepoch 1\nJSON {\"b\": 2}\n"
	got, err := lastJSONLine([]byte(out))
	if err != nil || string(got) != `{"b": 2}` {
		t.Errorf("lastJSONLine = %s, %v", got, err)
	}
	for _, bad := range []string{"no json here\n", "JSON {not json\n"} {
		if _, err := lastJSONLine([]byte(bad)); err == nil || !strings.Contains(err.Error(), "JSON") {
			t.Errorf("%q: error %v, want one about the JSON line", bad, err)
		}
	}
}

// TestRunPeer runs a stand-in for the PyTorch reference (a run.sh that
// prints the reference's JSON lines) and checks the ratios bench derives
// from it and from Tailor's own figures.
func TestRunPeer(t *testing.T) {
	dir := t.TempDir()
	script := `#!/bin/bash
case "$*" in
*gemm*) echo 'JSON {"mode": "gemm", "results": [{"n": 1024, "threads": 1, "gflops_max": 100}, {"n": 1024, "threads": 2, "gflops_max": 180}]}' ;;
*) echo "epoch 1 0.9s"; echo 'JSON {"mode": "train", "epoch_seconds_min": 0.9, "predict_seconds_min": 0.012}' ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	rep := &benchReport{
		Sgemm:   []gemmResult{{Name: "square 1024", Threads: 1, GFLOPS: 110}, {Name: "square 1024", Threads: 2, GFLOPS: 200}},
		Train:   []trainBench{{BatchSize: 32, SecondsByEpoch: 0.3}},
		Predict: &predictRes{Seconds: 0.004},
	}
	var out strings.Builder
	p, err := runPeer(context.Background(), &env{stdout: &out, stderr: &out}, dir, rep, "mlp", 1, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"SGEMM 1024³ GFLOP/s, 1 thread(s)": 1.1, "mlp s/epoch": 3, "mlp predict": 3}
	if len(threadCounts()) > 1 {
		want["SGEMM 1024³ GFLOP/s, 2 thread(s)"] = 200.0 / 180
	}
	for prefix, speedup := range want {
		found := false
		for _, r := range p.Ratios {
			if strings.HasPrefix(r.What, prefix) {
				found = true
				if d := r.Speedup - speedup; d > 1e-9 || d < -1e-9 {
					t.Errorf("%s: speedup %v, want %v", r.What, r.Speedup, speedup)
				}
			}
		}
		if !found {
			t.Errorf("no ratio %q in %+v", prefix, p.Ratios)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "run.sh"), []byte("#!/bin/bash\necho 'no torch' >&2\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := runPeer(context.Background(), &env{stdout: &out, stderr: &out}, dir, rep, "mlp", 1, true); err == nil || !strings.Contains(err.Error(), "no torch") {
		t.Errorf("a failing reference gave %v, want its message", err)
	}
}

func TestBenchPeerFlag(t *testing.T) {
	code, _, errOut := runCLI(t, "bench", "--pytorch", t.TempDir(), "--skip-train")
	if code != 1 || !strings.Contains(errOut, "no run.sh") {
		t.Errorf("bench --pytorch without run.sh: exit %d, %q", code, errOut)
	}
}

// --batch-sizes takes positive whole numbers in decimal and nothing else:
// fmt.Sscan read "32x" as 32, "1e3" as 1 and "0x10" as 16.
func TestBenchBatchSizes(t *testing.T) {
	got, err := batchSizes(" 32, 64 ,128")
	if err != nil || !slices.Equal(got, []int{32, 64, 128}) {
		t.Errorf("batchSizes(\" 32, 64 ,128\") = %v, %v; want [32 64 128]", got, err)
	}
	for _, tc := range []struct{ list, field string }{
		{"32x", "32x"}, {"1e3", "1e3"}, {"0x10", "0x10"}, {"32,0", "0"}, {"-4", "-4"},
		{"32,", ""}, {"", ""}, {"3.5", "3.5"}, {"32 64", "32 64"}, {"99999999999999999999", "99999999999999999999"},
	} {
		want := `--batch-sizes: "` + tc.field + `" is not a positive whole number`
		if got, err := batchSizes(tc.list); err == nil || err.Error() != want {
			t.Errorf("batchSizes(%q) = %v, %v; want the error %q", tc.list, got, err, want)
		}
	}
}

// TestPrecision: the precision line names the convolutions' policy, why
// auto resolved as it did, and how mixed-precision products are computed
// on this CPU.
func TestPrecision(t *testing.T) {
	for _, tc := range []struct {
		dtype     layers.DType
		policy    string
		auto, how bool
	}{
		{layers.Float32, "float32", false, false},
		{layers.MixedBFloat16, "mixed_bfloat16", false, true},
		{layers.Auto, "", true, false},
	} {
		m, asked, err := compiledAs("best", 1, 10, tc.dtype)
		if err != nil {
			t.Fatal(err)
		}
		policy, why := precision(m, asked)
		if tc.policy != "" && policy != tc.policy {
			t.Errorf("--dtype %s: policy %q, want %q", tc.dtype, policy, tc.policy)
		}
		mixed := policy == string(layers.MixedBFloat16)
		if strings.Contains(why, "auto: ") != tc.auto || strings.Contains(why, "products: "+kernels.BF16Method()) != (tc.how || mixed) {
			t.Errorf("--dtype %s: %s (%s)", tc.dtype, policy, why)
		}
	}
}

// TestBenchModelCheckedFirst: --model is checked before any timing. An
// unknown name failed only after SGEMM had been timed, and cifar-cnn,
// which --help offered, once SGEMM had been timed and Fashion-MNIST
// loaded, with a shape error from Fit.
func TestBenchModelCheckedFirst(t *testing.T) {
	for _, tc := range []struct{ model, want string }{
		{"nope", `--model "nope": want one of best, cnn, mlp, mlp-dropout, mlp-dropout2, ref-cnn`},
		{"cifar-cnn", "--model cifar-cnn trains on CIFAR-10: bench times the Fashion-MNIST models, one of best, cnn, "},
	} {
		code, out, errOut := runCLI(t, "bench", "--model", tc.model)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Contains(out, "cpu:") {
			t.Errorf("bench --model %s: exit %d, %q %q; want a usage error %q before any timing", tc.model, code, out, errOut, tc.want)
		}
	}
	var usage bytes.Buffer
	run(context.Background(), &env{stdout: &usage, stderr: &usage}, []string{"bench", "--help"})
	if strings.Contains(usage.String(), "cifar-cnn") {
		t.Errorf("bench --help offers cifar-cnn:\n%s", usage.String())
	}
}
