package kernels

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the CPU time of the calling thread.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// cpuLoop runs f b.N times and, with GOMAXPROCS 1 (-cpu 1), also reports
// the thread's CPU time per call (cpu-ns/op): on a machine shared with
// other work, the time this thread actually ran is a steadier figure than
// wall time. With more threads the kernels share the work with the pool's
// workers, whose time this would miss, and locking the thread would get in
// the way of their hand-offs, so only wall time is reported.
func cpuLoop(b *testing.B, f func()) {
	if runtime.GOMAXPROCS(0) > 1 {
		for b.Loop() {
			f()
		}
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(threadCPU()-start)/float64(b.N), "cpu-ns/op")
}
