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

// bgemmEmuKernelAVX512 and bgemmEmuKernel7AVX512 are bgemmKernelAVX512
// and bgemmKernel7AVX512 with AVX-512F FMAs in place of VDPBF16PS, bit for
// bit, over A widened to float32 (strides in floats, each pair's even
// element first).
//
//go:noescape
func bgemmEmuKernelAVX512(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int)

//go:noescape
func bgemmEmuKernel7AVX512(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int)

// roundBF16AVX512 rounds n float32 (a multiple of 16) as roundBF16 does,
// into bfloat16 at dst, or, with widen, into the float32 they stand for.
//
//go:noescape
func roundBF16AVX512(dst unsafe.Pointer, src *float32, n int, widen bool)

// pairRowsF32AVX512 interleaves two rows of n float32 (a multiple of 16).
//
//go:noescape
func pairRowsF32AVX512(dst, r0, r1 *float32, n int)

// toBF16AVX512 rounds n float32 (a multiple of 16) to bfloat16.
//
//go:noescape
func toBF16AVX512(dst *uint16, src *float32, n int)

// hasBF16 reports whether the bfloat16 kernels can run: with AVX-512F
// and AVX512BW, natively or emulated; hasVDPBF16PS whether the CPU has
// AVX512_BF16's instructions. nativeBF16 reports whether the kernels use
// them: where the CPU has them, except on Intel
// cores, where VDPBF16PS runs at about 0.6× the FMAs' rate and the
// emulation is expected faster (both give the same bits). TAILOR_KERNELS
// =avx512 keeps to the emulation (cpu_amd64.go).
var (
	hasBF16      = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW
	hasVDPBF16PS = hasBF16 && cpu.X86.HasAVX512BF16
	nativeBF16   = hasVDPBF16PS && CPU().Vendor != "GenuineIntel"
)

// bgemmKernel and bgemmKernel7 are the VDPBF16PS micro-kernels, 8 and 7
// rows tall, and bgemmEmuKernel and bgemmEmuKernel7 the emulation's: the
// portable ones where the CPU lacks the instructions (only tests use them
// there).
var (
	bgemmKernel, bgemmKernel7       bkernelFunc = bgemmKernelGeneric, bgemmKernelGeneric
	bgemmEmuKernel, bgemmEmuKernel7 bkernelFunc = bgemmEmuKernelGeneric, bgemmEmuKernelGeneric
)

func init() {
	if hasVDPBF16PS {
		bgemmKernel, bgemmKernel7 = bgemmKernelAVX512, bgemmKernel7AVX512
	}
	if hasBF16 {
		bgemmEmuKernel, bgemmEmuKernel7 = bgemmEmuKernelAVX512, bgemmEmuKernel7AVX512
	}
}

// pairRowsAVX512 interleaves two rows of n bfloat16 (a multiple of 16)
// into pairs.
//
//go:noescape
func pairRowsAVX512(dst *uint32, r0, r1 *uint16, n int)
