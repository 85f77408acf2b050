//go:build purego || !amd64

package kernels

import "unsafe"

// hasBF16 is false: callers keep to float32.
const hasBF16, hasVDPBF16PS, nativeBF16 = false, false, false

var (
	bgemmKernel, bgemmKernel7       bkernelFunc = bgemmKernelGeneric, bgemmKernelGeneric
	bgemmEmuKernel, bgemmEmuKernel7 bkernelFunc = bgemmEmuKernelGeneric, bgemmEmuKernelGeneric
)

func toBF16AVX512(dst *uint16, src *float32, n int) { panic("unreachable") }

func roundBF16AVX512(dst unsafe.Pointer, src *float32, n int, widen bool) { panic("unreachable") }

func pairRowsAVX512(dst *uint32, r0, r1 *uint16, n int) { panic("unreachable") }

func pairRowsF32AVX512(dst, r0, r1 *float32, n int) { panic("unreachable") }
