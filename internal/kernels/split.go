package kernels

// Splitting the elementwise, row-wise and per-image loops across the worker
// pool. Each exported kernel has its own small task type, as pool.go
// describes: the kernel's operands as fields and a run(lo, hi) method that
// calls the kernel's serial loop on elements, rows or images [lo, hi). The
// kernel runs its serial loop directly when the work is small, and otherwise
// hands a recycled task to parallelFor, whose contiguous chunks write
// disjoint parts of the output, so the result is the same whatever the
// number of threads.

// splitMin is the number of values below which a loop runs on the
// calling goroutine: waking a worker costs about a microsecond, as much as
// these loops take over ~32K values.
const splitMin = 1 << 15

// worthSplitting reports whether work, a count of values to process in
// parts independent pieces, is worth sharing with the workers.
func worthSplitting(parts, work int) bool {
	return parts >= 2 && work >= splitMin && Threads() > 1
}

// task is a parallel kernel's task type: a pointer to its operands with
// the method that processes a range of them.
type task[T any] interface {
	*T
	rangeFunc
}

// runSplit runs a copy of t over [0, parts) in parallelFor's chunks. The
// copy comes from, and goes back to, the kernel's free list, so the call
// does not allocate once warm; it is cleared before it goes back so that
// the list keeps no slices alive.
func runSplit[T any, P task[T]](tasks *freeList[T], t T, parts int) {
	p := tasks.get()
	*p = t
	parallelFor(parts, true, P(p))
	var zero T
	*p = zero
	tasks.put(p)
}
