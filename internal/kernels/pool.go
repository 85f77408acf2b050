package kernels

import (
	"runtime"
	"sync"
)

// parallelFor calls body over [0,n) split into contiguous chunks, one per
// worker, when parallel is true and more than one CPU is available. The split
// depends only on n and GOMAXPROCS, so results are deterministic.
func parallelFor(n int, parallel bool, body func(lo, hi int)) {
	w := runtime.GOMAXPROCS(0)
	if !parallel || w == 1 || n < 2 {
		body(0, n)
		return
	}
	w = min(w, n)
	var wg sync.WaitGroup
	for t := 1; t < w; t++ {
		lo, hi := t*n/w, (t+1)*n/w
		wg.Go(func() { body(lo, hi) })
	}
	body(0, n/w)
	wg.Wait()
}
