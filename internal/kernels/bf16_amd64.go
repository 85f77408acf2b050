//go:build !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The bfloat16 kernels in bf16_amd64.s.

// bgemmKernelAVX512 is the 8×32 tile of sgemmKernelAVX512 over bfloat16
// pairs (see bgemmKernelGeneric for the contract).
//
//go:noescape
func bgemmKernelAVX512(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int)

// bgemmKernel7AVX512 is bgemmKernelAVX512 over a 7×32 tile.
//
//go:noescape
func bgemmKernel7AVX512(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int)

// toBF16AVX512 rounds n float32 (a multiple of 16) to bfloat16.
//
//go:noescape
func toBF16AVX512(dst *uint16, src *float32, n int)

// hasBF16 reports whether the bfloat16 kernels can run.
var hasBF16 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BF16

// bgemmKernel and bgemmKernel7 are the bfloat16 micro-kernels, 8 and 7
// rows tall: the portable one where the CPU lacks AVX512_BF16 (only tests
// use it there).
var bgemmKernel, bgemmKernel7 bkernelFunc = bgemmKernelGeneric, bgemmKernelGeneric

func init() {
	if hasBF16 {
		bgemmKernel, bgemmKernel7 = bgemmKernelAVX512, bgemmKernel7AVX512
	}
}

// pairRowsAVX512 interleaves two rows of n bfloat16 (a multiple of 16)
// into pairs.
//
//go:noescape
func pairRowsAVX512(dst *uint32, r0, r1 *uint16, n int)
