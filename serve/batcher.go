package serve

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/tailor-ml/tailor"
	"github.com/tailor-ml/tailor/tensor"
)

// errClosed answers requests that reach a model's batcher after Close.
var errClosed = statusError(http.StatusServiceUnavailable, "the server is shutting down")

// job is one request's examples on their way through a batcher.
type job struct {
	ctx  context.Context
	n    int
	x    []float32 // n examples, row-major
	out  []float32 // n outputs, filled by the batch
	err  error
	done chan struct{}
}

// batcher gathers concurrent requests for one model into forward passes
// of up to maxBatch examples. Each of its workers takes the first waiting
// job, then adds jobs that arrive within maxWait (or, with maxWait 0, the
// jobs already waiting) until the batch is full, runs the batch, and hands
// each job its rows.
type batcher struct {
	model    *tailor.Model
	sig      *signature
	maxBatch int
	maxWait  time.Duration
	jobs     chan *job
	stop     chan struct{}
	wg       sync.WaitGroup
	observe  func(examples int, seconds float64) // one forward pass

	closeOnce sync.Once
	mu        sync.RWMutex // held for reading while submitting, for writing by close to close stop
}

func newBatcher(m *tailor.Model, sig *signature, maxBatch int, maxWait time.Duration, workers, queue int, observe func(int, float64)) *batcher {
	b := &batcher{
		model: m, sig: sig, maxBatch: maxBatch, maxWait: maxWait,
		jobs: make(chan *job, queue), stop: make(chan struct{}), observe: observe,
	}
	for range workers {
		b.wg.Add(1)
		go b.work()
	}
	return b
}

// predict runs the n examples of x through the model in a batch and
// returns their outputs. It returns early with ctx's error when ctx ends
// first.
func (b *batcher) predict(ctx context.Context, x []float32, n int) ([]float32, error) {
	j := &job{ctx: ctx, n: n, x: x, out: make([]float32, n*b.sig.output.Size()), done: make(chan struct{})}
	b.mu.RLock()
	select {
	case <-b.stop:
		b.mu.RUnlock()
		return nil, errClosed
	default:
	}
	select {
	case b.jobs <- j:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return nil, ctx.Err()
	}
	select {
	case <-j.done:
		return j.out, j.err
	case <-ctx.Done():
		return nil, ctx.Err() // the batch will skip or drop the job
	}
}

// work forms and runs batches until the batcher is closed.
func (b *batcher) work() {
	defer b.wg.Done()
	var (
		x, out tensor.Tensor
		batch  []*job
		carry  *job // a job that did not fit the last batch
		timer  = time.NewTimer(time.Hour)
	)
	timer.Stop()
	for {
		first := carry
		carry = nil
		if first == nil {
			select {
			case first = <-b.jobs:
			case <-b.stop:
				b.drain()
				return
			}
		}
		batch = append(batch[:0], first)
		n := first.n
		var wait <-chan time.Time // nil: only the jobs already waiting
		if b.maxWait > 0 {
			timer.Reset(b.maxWait)
			wait = timer.C
		}
		for n < b.maxBatch {
			j := b.next(wait)
			if j == nil {
				break
			}
			if n+j.n > b.maxBatch {
				carry = j
				break
			}
			batch = append(batch, j)
			n += j.n
		}
		timer.Stop()
		b.run(batch, &x, &out)
		clear(batch)
	}
}

// next returns the next job in the queue, waiting for one until wait
// fires, or not at all when wait is nil; nil when there is none.
func (b *batcher) next(wait <-chan time.Time) *job {
	if wait == nil {
		select {
		case j := <-b.jobs:
			return j
		default:
			return nil
		}
	}
	select {
	case j := <-b.jobs:
		return j
	case <-wait:
		return nil
	}
}

// run predicts the jobs of batch in one forward pass, skipping those
// whose requests have ended, and wakes each job.
func (b *batcher) run(batch []*job, x, out *tensor.Tensor) {
	live, n := batch[:0], 0
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.err = err
			close(j.done)
			continue
		}
		live = append(live, j)
		n += j.n
	}
	if len(live) == 0 {
		return
	}
	x.Resize(append([]int{n}, b.sig.input...)...)
	at := 0
	for _, j := range live {
		at += copy(x.Data[at:], j.x)
	}
	start := time.Now()
	err := b.model.PredictInto(context.Background(), out, x, forwardOptions)
	b.observe(n, time.Since(start).Seconds())
	at = 0
	for _, j := range live {
		if err != nil {
			j.err = err
		} else {
			at += copy(j.out, out.Data[at:])
		}
		close(j.done)
	}
}

// drain fails the jobs left in the queue after close.
func (b *batcher) drain() {
	for {
		select {
		case j := <-b.jobs:
			j.err = errClosed
			close(j.done)
		default:
			return
		}
	}
}

// close stops the workers once they have finished their batches; jobs
// still queued fail with errClosed.
func (b *batcher) close() {
	b.closeOnce.Do(func() {
		b.mu.Lock() // no job is being submitted, and none will be
		close(b.stop)
		b.mu.Unlock()
		b.wg.Wait()
		b.drain()
	})
}
