//go:build purego || !amd64

package kernels

// hasBF16 is false: callers keep to float32.
var hasBF16 = false

var bgemmKernel, bgemmKernel7 bkernelFunc = bgemmKernelGeneric, bgemmKernelGeneric

func toBF16AVX512(dst *uint16, src *float32, n int) { panic("unreachable") }

func pairRowsAVX512(dst *uint32, r0, r1 *uint16, n int) { panic("unreachable") }
