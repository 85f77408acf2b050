//go:build !linux

package kernels

import "testing"

// cpuLoop runs f b.N times (CPU time is read on Linux only).
func cpuLoop(b *testing.B, f func()) {
	for b.Loop() {
		f()
	}
}
