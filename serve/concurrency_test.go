package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/tensor"
)

// TestConcurrentRequests sends infer (FP32 and UINT8, one to twelve
// examples) and classify requests from 16 goroutines at once, with
// batching on — batches of at most 8 examples, so that requests are cut
// between batches and the largest bypass them — and off. Every answer
// must be the one Model.Predict gives for the request alone, bit for bit.
// make test runs it under -race.
func TestConcurrentRequests(t *testing.T) {
	m := untrained(t)
	for _, opts := range []Options{
		{MaxBatch: 8, MaxWait: time.Millisecond, BatchWorkers: 2},
		{MaxBatch: 8, MaxWait: -1, BatchWorkers: 1},
		{MaxBatch: 1},
	} {
		t.Run(fmt.Sprintf("batch %d wait %v", opts.MaxBatch, opts.MaxWait), func(t *testing.T) {
			s, ts := newServer(t, []Model{m}, opts)
			const clients, requests = 16, 12
			var wg sync.WaitGroup
			errs := make(chan error, clients*requests)
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(c), 1))
					for range requests {
						if err := oneRequest(ts.URL, m.Model, rng); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if opts.MaxBatch > 1 {
				text := metricsText(t, ts.URL)
				t.Logf("batch sizes: %s", grepLine(text, `tailor_inference_batch_size_sum{model="mlp"}`))
				t.Logf("forward passes: %s", grepLine(text, `tailor_inference_batch_size_count{model="mlp"}`))
			}
			_ = s
		})
	}
}

// oneRequest sends a random request and checks its answer against
// Predict.
func oneRequest(url string, model *tailor.Model, rng *rand.Rand) error {
	n := 1 + rng.IntN(12)
	px := make([]uint8, n*784)
	for i := range px {
		px[i] = uint8(rng.IntN(256))
	}
	x, _ := tensor.FromUint8(px, 1.0/255, n, 28, 28)
	want, err := model.Predict(context.Background(), x, tailor.PredictOptions{})
	if err != nil {
		return err
	}
	var body []byte
	switch rng.IntN(3) {
	case 0:
		ints := make([]int, len(px))
		for i, p := range px {
			ints[i] = int(p)
		}
		body, _ = json.Marshal(map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "UINT8", "shape": []int{n, 28, 28}, "data": ints}}})
	case 1:
		body, _ = json.Marshal(map[string]any{"inputs": []any{map[string]any{"name": "input", "datatype": "FP32", "shape": []int{n, 28, 28}, "data": x.Data}}})
	default:
		return classifyRequest(url, model, px[:784])
	}
	res, err := http.Post(url+"/v2/models/mlp/infer", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return fmt.Errorf("infer of %d examples: status %d: %s", n, res.StatusCode, b)
	}
	var r inferResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	if len(r.Outputs) != 1 || !slices.Equal(r.Outputs[0].Data, want.Data) {
		return fmt.Errorf("infer of %d examples: the probabilities differ from Predict's", n)
	}
	return nil
}

// classifyRequest uploads one 28×28 image as a PNG.
func classifyRequest(url string, model *tailor.Model, px []uint8) error {
	// Dark border, so that auto polarity keeps the levels as they are.
	for i := range px {
		if r, c := i/28, i%28; r == 0 || c == 0 || r == 27 || c == 27 {
			px[i] = 0
		}
	}
	px[14*28+14] = 255
	x, _ := tensor.FromUint8(px, 1.0/255, 1, 28, 28)
	want, err := model.Predict(context.Background(), x, tailor.PredictOptions{})
	if err != nil {
		return err
	}
	res, err := http.Post(url+"/v1/models/mlp:classify", "image/png", bytes.NewReader(pngOf(px, 28, 28)))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return fmt.Errorf("classify: status %d: %s", res.StatusCode, b)
	}
	var r classifyResponse
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	if !slices.Equal(r.Probabilities, want.Data) {
		return fmt.Errorf("classify: the probabilities differ from Predict's")
	}
	return nil
}

func metricsText(t testing.TB, url string) string {
	t.Helper()
	code, b := do(t, "GET", url+"/metrics", "", nil)
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	return string(b)
}

func grepLine(text, prefix string) string {
	for _, line := range bytes.Split([]byte(text), []byte("\n")) {
		if bytes.HasPrefix(line, []byte(prefix)) {
			return string(line)
		}
	}
	return "(none)"
}
