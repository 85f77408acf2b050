package tailor_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/datasets"
	"github.com/tailor-ml/tailor/internal/kernels"
	"github.com/tailor-ml/tailor/layers"
	"github.com/tailor-ml/tailor/losses"
	"github.com/tailor-ml/tailor/metrics"
	"github.com/tailor-ml/tailor/optimizers"
)

// TestKernelPathsAgree trains the same small CNN — convolutions, batch
// normalisation, pooling, dropout, dense layers, Adam — once on each of
// the kernels' paths this CPU can run (AVX-512 and AVX2 where present, and
// the portable loops, chosen with TAILOR_KERNELS in a child process) and
// requires the same weights, bit for bit: a float32 model retrains to the
// same bits on any x86-64 machine.
func TestKernelPathsAgree(t *testing.T) {
	if d := os.Getenv("TAILOR_TRAIN_HASH"); d != "" {
		t.Log("weights " + trainedHash(t, layers.DType(d))) // in the child
		return
	}
	if testing.Short() {
		t.Skip("trains three times")
	}
	hashes := pathHashes(t, "TestKernelPathsAgree", layers.Float32, "", "avx2", "generic")
	if hashes["avx2"] != hashes[""] || hashes["generic"] != hashes[""] {
		t.Errorf("the kernel paths trained different weights: %v", hashes)
	}
}

// TestMixedPrecisionPathsAgree trains smallCNN in mixed_bfloat16 with this
// CPU's bfloat16 kernels (VDPBF16PS on an AMD with AVX512_BF16) and with
// their emulation by FMAs (TAILOR_KERNELS=avx512, what Intel runs): the
// same weights, bit for bit.
func TestMixedPrecisionPathsAgree(t *testing.T) {
	if d := os.Getenv("TAILOR_TRAIN_HASH"); d != "" {
		t.Log("weights " + trainedHash(t, layers.DType(d)))
		return
	}
	if testing.Short() {
		t.Skip("trains twice")
	}
	if !kernels.HasBF16() {
		t.Skip("no AVX-512: mixed_bfloat16 computes in float32 here")
	}
	hashes := pathHashes(t, "TestMixedPrecisionPathsAgree", layers.MixedBFloat16, "", "avx512")
	if hashes["avx512"] != hashes[""] {
		t.Errorf("the emulation trained different weights: %v", hashes)
	}
}

// pathHashes trains smallCNN with dtype in a child process (running the
// test named run) for each TAILOR_KERNELS value in paths, and returns the
// hashes of the weights by path.
func pathHashes(t *testing.T, run string, dtype layers.DType, paths ...string) map[string]string {
	t.Helper()
	hashes := map[string]string{}
	for _, path := range paths {
		cmd := exec.Command(os.Args[0], "-test.run=^"+run+"$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "TAILOR_TRAIN_HASH="+string(dtype), "TAILOR_KERNELS="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("TAILOR_KERNELS=%q: %v\n%s", path, err, out)
		}
		_, h, ok := strings.Cut(string(out), "weights ")
		if !ok {
			t.Fatalf("TAILOR_KERNELS=%q printed no hash:\n%s", path, out)
		}
		hashes[path] = strings.Fields(h)[0]
	}
	t.Logf("%s weights after training on each path: %v", dtype, hashes)
	return hashes
}

// trainedHash trains smallCNN in dtype for one epoch and returns the
// SHA-256 of its weights' bits.
func trainedHash(t *testing.T, dtype layers.DType) string {
	x, labels := stripes(400, 3)
	train, err := datasets.WithLabels(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	m := smallCNN(dtype)
	if err := m.Compile(optimizers.Adam(), losses.SparseCategoricalCrossentropy(), metrics.Accuracy()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(context.Background(), train, tailor.FitOptions{Epochs: 1, Seed: 4, Verbose: tailor.Silent}); err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, v := range m.Weights().Values() {
		binary.Write(h, binary.LittleEndian, v)
	}
	return hex.EncodeToString(h.Sum(nil))
}
