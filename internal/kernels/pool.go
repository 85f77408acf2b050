package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Parallel work in this package runs on one process-wide pool of worker
// goroutines. The pool is started lazily on first use with GOMAXPROCS-1
// workers (the calling goroutine is the remaining one) and grows only if
// GOMAXPROCS is raised later; no goroutine is started per operation.
//
// Writing an allocation-free parallel kernel:
//
//	type scaleTask struct{ x []float32; s float32 }
//
//	func (t *scaleTask) run(lo, hi int) {
//		for i := range t.x[lo:hi] { t.x[lo+i] *= t.s }
//	}
//
//	var scaleTasks freeList[scaleTask]
//
//	func Scale(x []float32, s float32) {
//		t := scaleTask{x: x, s: s}
//		if !worthSplitting(len(x), len(x)) {
//			t.run(0, len(x))
//			return
//		}
//		runSplit(&scaleTasks, t, len(x))
//	}
//
// The task the workers see must be a pointer that outlives the call (a
// closure or a pointer to a local would escape and allocate on every call);
// runSplit (split.go) copies the task into one from the free list, which
// recycles them without allocating once warm. parallelFor returns only after
// every chunk has finished, so the task can be recycled right after it.
//
// Chunks are claimed dynamically: the calling goroutine runs chunks too and
// takes any that no worker has started, so when the workers are busy or
// their threads are descheduled (a machine shared with other processes) the
// call simply runs on the caller, with the same chunks and the same results.
// Idle workers poll for new work for spinWindow before parking, which makes
// the hand-off of back-to-back calls cost well under a microsecond; when the
// workers keep arriving too late to help, the pool backs off for a while
// (see observe).

// rangeFunc is a body for parallelFor: run processes the half-open index
// range [lo, hi). Chunks never overlap, and each index is processed exactly
// once.
type rangeFunc interface{ run(lo, hi int) }

// Threads reports how many parts the kernels split large work into: the
// current GOMAXPROCS. Run with runtime.GOMAXPROCS(1) to restrict Sgemm and
// the other kernels to the calling goroutine.
func Threads() int { return runtime.GOMAXPROCS(0) }

// parallelFor calls body.run over [0,n) split into min(GOMAXPROCS, n)
// contiguous chunks when parallel is true, or once over [0,n) otherwise.
// Chunk t is [t*n/w, (t+1)*n/w): the split depends only on n and GOMAXPROCS,
// never on timing, so a body whose chunks write disjoint outputs gives
// deterministic results. The calling goroutine works on chunks too and
// claims any chunk no worker has started, so parallelFor never waits on a
// busy pool and may be nested or called from many goroutines at once. It does
// not allocate once the pool is warm.
func parallelFor(n int, parallel bool, body rangeFunc) {
	w := runtime.GOMAXPROCS(0)
	if !parallel || w == 1 || n < 2 {
		if n > 0 {
			body.run(0, n)
		}
		return
	}
	parallelChunks(n, min(w, n), body)
}

// parallelChunks is parallelFor with an explicit number of chunks (1 ≤
// chunks ≤ n), each claimed by whichever goroutine is free first. The
// chunks are the same whatever GOMAXPROCS is (with one thread they run in
// order on the caller), so a body may keep one partial result per chunk.
func parallelChunks(n, chunks int, body rangeFunc) {
	w := runtime.GOMAXPROCS(0)
	if w == 1 || chunks < 2 {
		for t := range chunks {
			body.run(t*n/chunks, (t+1)*n/chunks)
		}
		return
	}
	p := thePool.ensure(w - 1)
	j := p.getJob()
	j.body, j.n, j.parts = body, n, chunks
	j.next.Store(0)
	j.wg.Add(chunks)
	j.pending.Store(int32(chunks))
	j.refs.Store(1)
	helpers := min(chunks, w) - 1
	if mono() < p.contendedUntil.Load() {
		helpers = 0 // backing off (see observe): same chunks, all here
	}
	// Whether a worker is polling now: only then does a call that the
	// caller finishes alone say the workers are not getting CPU time. A
	// parked worker takes longer to wake than many calls take, so calls
	// that wake one must not count (else a back-off, during which the
	// workers park, would keep renewing itself).
	hot := p.spinning.Load() > 0
	for range helpers {
		j.refs.Add(1)
		select {
		case p.queue <- j:
		default: // every worker is busy and the queue is full: do it here
			j.refs.Add(-1)
		}
	}
	if helpers > 0 && !hot {
		// The send readied a parked worker onto this goroutine's P (as its
		// next goroutine), where it would wait until this call blocks —
		// after the caller had run every chunk. Yielding once lets it
		// start now; an idle P's thread picks the caller up.
		runtime.Gosched()
	}
	own := j.work()
	j.wait()
	if helpers > 0 && hot {
		p.observe(own == chunks)
	}
	// Take back queue entries no worker has picked up yet (running any
	// job found there, ours being finished): otherwise a pool that lags
	// behind, say while its threads are descheduled, piles up stale entries
	// that each pin a job descriptor, and new calls allocate new ones.
	for range helpers {
		select {
		case q := <-p.queue:
			q.work()
			p.release(q)
			continue
		default:
		}
		break
	}
	p.release(j)
}

// job is one parallelFor call. Workers receive a pointer to it once per
// helper wanted and claim chunks from next; refs counts the goroutines that
// still hold the pointer, and the last one returns the job to the free list.
// pending counts the chunks not yet finished, which the caller polls (see
// wait); wg counts them too, for a caller that has polled long enough.
type job struct {
	body     rangeFunc
	n, parts int
	next     atomic.Int64
	refs     atomic.Int32
	pending  atomic.Int32
	wg       sync.WaitGroup
}

// work runs unclaimed chunks until none is left and reports how many it ran.
func (j *job) work() int {
	ran := 0
	for {
		t := int(j.next.Add(1) - 1)
		if t >= j.parts {
			return ran
		}
		j.body.run(t*j.n/j.parts, (t+1)*j.n/j.parts)
		j.wg.Done() // before pending: once pending is 0, wg is too
		j.pending.Add(-1)
		ran++
	}
}

// waitSpin is how long the caller of a parallel call polls for the
// workers' chunks to finish before it blocks.
const waitSpin = 50 * time.Microsecond

// wait returns once every chunk of j has finished. Blocking at once would
// hand the goroutine that finishes the last chunk the job of waking the
// caller — which the scheduler does by queueing the caller behind it on
// that worker's P, so the two trade threads and the worker loses its place
// polling the queue; chunks take microseconds, so the caller polls first,
// yielding now and then, and blocks only when they take longer than
// waitSpin (a busy machine).
func (j *job) wait() {
	if j.pending.Load() == 0 {
		return
	}
	start := time.Now()
	for i := 1; j.pending.Load() > 0; i++ {
		if i%256 == 0 {
			if time.Since(start) > waitSpin {
				break
			}
			runtime.Gosched()
		}
	}
	j.wg.Wait()
}

type pool struct {
	workers        atomic.Int32
	spinning       atomic.Int32 // workers polling the queue (spinRecv)
	contendedUntil atomic.Int64 // mono() time until which the pool is not used
	misses         atomic.Int32 // parallel calls in a row the caller ran alone
	mu             sync.Mutex
	queue          chan *job
	jobs           freeList[job]
}

var thePool = pool{queue: make(chan *job, 256)}

// ensure starts workers until there are at least n.
func (p *pool) ensure(n int) *pool {
	if int(p.workers.Load()) >= n {
		return p
	}
	p.mu.Lock()
	for int(p.workers.Load()) < n {
		go p.worker()
		p.workers.Add(1)
	}
	p.mu.Unlock()
	return p
}

func (p *pool) worker() {
	for {
		p.spinning.Add(1)
		j := p.spinRecv()
		p.spinning.Add(-1)
		if j == nil {
			j = <-p.queue
		}
		j.work()
		p.release(j)
	}
}

// spinWindow is how long an idle worker keeps polling for the next job
// before it parks. Waking a parked goroutine takes several microseconds,
// longer than many of the products a training step issues back to back; a
// polling worker picks the next one up at once. The poll reads the queue
// length (no lock, no write) and yields the P about every microsecond so
// other goroutines still run.
const spinWindow = 100 * time.Microsecond

func (p *pool) spinRecv() *job {
	start := time.Now()
	for {
		for range 1000 {
			if len(p.queue) > 0 {
				select {
				case j := <-p.queue:
					return j
				default:
				}
			}
		}
		if time.Since(start) > spinWindow {
			return nil
		}
		runtime.Gosched()
	}
}

// Parallel work only pays when the workers get CPU time promptly. On a
// machine shared with busy processes their threads are often descheduled:
// they reach a job only after the caller has run every chunk itself, while
// waking and polling them takes CPU time from the caller (measured: a
// batch-32 product on 2 threads ran at 60% of its 1-thread speed on a loaded
// 2-core machine). So after missMax calls in a row where the caller ran
// every chunk while a worker was polling, the pool backs off for backoff: calls run all their chunks on
// the caller without waking anyone, then the next call probes again. Only
// who runs a chunk changes, never the chunks, so results are unaffected.
const (
	missMax = 4
	backoff = 20 * time.Millisecond
)

var monoStart = time.Now()

// mono is a monotonic clock reading in nanoseconds.
func mono() int64 { return int64(time.Since(monoStart)) }

// observe records whether the caller of a parallel call ran every chunk.
func (p *pool) observe(alone bool) {
	if !alone {
		p.misses.Store(0)
		return
	}
	if p.misses.Add(1) >= missMax {
		p.misses.Store(0)
		p.contendedUntil.Store(mono() + int64(backoff))
	}
}

func (p *pool) getJob() *job { return p.jobs.get() }

func (p *pool) release(j *job) {
	if j.refs.Add(-1) == 0 {
		j.body = nil
		p.jobs.put(j)
	}
}

// freeList recycles *T values. get returns a recycled value (with whatever
// fields it had when put) or a new zero one; neither allocates once the list
// holds enough values for the callers running at once.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
}

func (f *freeList[T]) get() *T {
	f.mu.Lock()
	if n := len(f.items); n > 0 {
		x := f.items[n-1]
		f.items[n-1] = nil
		f.items = f.items[:n-1]
		f.mu.Unlock()
		return x
	}
	f.mu.Unlock()
	return new(T)
}

func (f *freeList[T]) put(x *T) {
	f.mu.Lock()
	if len(f.items) < 64 {
		f.items = append(f.items, x)
	}
	f.mu.Unlock()
}
