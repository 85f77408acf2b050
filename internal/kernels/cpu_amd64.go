//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// hasAVX512 reports whether the AVX-512 loops of this package can run, and
// hasAVX2 whether the AVX2 ones can (the optimizer updates have both; where
// AVX-512 is present it is used).
var (
	hasAVX512 = cpu.X86.HasAVX512F
	hasAVX2   = cpu.X86.HasAVX2
)

// simdLoops lists the vector loop families this build and CPU can run,
// best first; tests switch hasAVX512 and hasAVX2 to cover each.
func simdLoops() []string {
	var ls []string
	if cpu.X86.HasAVX512F {
		ls = append(ls, "avx512")
	}
	if cpu.X86.HasAVX2 {
		ls = append(ls, "avx2")
	}
	return ls
}
