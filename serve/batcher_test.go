package serve

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/tensor"
)

// batchRecorder records the forward passes of a batcher.
type batchRecorder struct {
	mu    sync.Mutex
	sizes []int
}

func (r *batchRecorder) observe(n int, _ float64) {
	r.mu.Lock()
	r.sizes = append(r.sizes, n)
	r.mu.Unlock()
}

func (r *batchRecorder) get() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.sizes...)
}

// examples returns n distinct examples and Predict's outputs for them.
func examples(t *testing.T, m *tailor.Model, n int, seed float32) ([]float32, []float32) {
	t.Helper()
	x := tensor.New(n, 28, 28)
	for i := range x.Data {
		x.Data[i] = float32(i%97)/97 + seed
	}
	want, err := m.Predict(context.Background(), x, tailor.PredictOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return x.Data, want.Data
}

// TestBatcherGathers queues requests before the worker starts: a batch
// fills to MaxBatch without waiting out MaxWait, a request that does not
// fit opens the next batch, and every request gets its own rows.
func TestBatcherGathers(t *testing.T) {
	m := untrained(t)
	sig := &signature{input: tensor.Shape{28, 28}, output: tensor.Shape{10}, maxExamples: 256, maxOutputs: 4 << 20}
	var rec batchRecorder
	b := newBatcher(m.Model, sig, 4, time.Minute, 0, 16, rec.observe)
	sizes := []int{1, 2, 1, 3, 1}
	type result struct {
		i   int
		out []float32
		err error
	}
	results := make(chan result, len(sizes))
	wants := make([][]float32, len(sizes))
	for i, n := range sizes {
		x, want := examples(t, m.Model, n, float32(i))
		wants[i] = want
		go func() {
			out, err := b.predict(context.Background(), x, n)
			results <- result{i, out, err}
		}()
		waitFor(t, "the request to be queued", func() bool { return len(b.jobs) == i+1 })
	}
	start := time.Now()
	b.wg.Add(1)
	go b.work() // one worker, started once everything is queued
	for range sizes {
		r := <-results
		if r.err != nil || !slices.Equal(r.out, wants[r.i]) {
			t.Errorf("request %d: %v, outputs equal Predict's: %v", r.i, r.err, slices.Equal(r.out, wants[r.i]))
		}
	}
	// 1+2+1 fills the first batch; the 3 does not fit and opens the
	// second, which the last 1 fills.
	if got := rec.get(); len(got) != 2 || got[0] != 4 || got[1] != 4 {
		t.Errorf("forward passes %v, want [4 4]", got)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("full batches took %v: they should not wait out MaxWait", d)
	}
	b.close()
	if _, err := b.predict(context.Background(), make([]float32, 784), 1); err != errClosed {
		t.Errorf("predict after close: %v, want errClosed", err)
	}
}

// TestBatcherWaits checks that a lone request runs once MaxWait has
// passed, and that a request whose context has ended is dropped from its
// batch.
func TestBatcherWaits(t *testing.T) {
	m := untrained(t)
	sig := &signature{input: tensor.Shape{28, 28}, output: tensor.Shape{10}, maxExamples: 256, maxOutputs: 4 << 20}
	var rec batchRecorder
	b := newBatcher(m.Model, sig, 32, 50*time.Millisecond, 1, 16, rec.observe)
	defer b.close()
	x, want := examples(t, m.Model, 2, 0.5)
	start := time.Now()
	out, err := b.predict(context.Background(), x, 2)
	if err != nil || !slices.Equal(out, want) {
		t.Fatalf("lone request: %v", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("lone request answered in %v, before MaxWait", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.predict(ctx, x, 2); err != context.Canceled {
		t.Errorf("cancelled request: %v, want context.Canceled", err)
	}
	if got := rec.get(); len(got) != 1 || got[0] != 2 {
		t.Errorf("forward passes %v, want [2]: the cancelled request must not run", got)
	}
}
