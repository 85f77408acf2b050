//go:build !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// Micro-kernels in gemm_amd64.s (hand-written Go assembly).

// sgemmKernelAVX512 is an 8×32 tile: 16 zmm accumulators (8 rows × 2
// vectors), B rows loaded under the column masks, A broadcast per row.
//
//go:noescape
func sgemmKernelAVX512(kc int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr int)

// sgemmKernelAVX512N16 is the left half of the 8×32 kernel, for tiles with
// nr ≤ 16; it computes each element exactly as the full kernel does.
//
//go:noescape
func sgemmKernelAVX512N16(kc int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr int)

// sgemmKernelAVX2 is a 6×16 tile: 12 ymm accumulators; full tiles only.
//
//go:noescape
func sgemmKernelAVX2(kc int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr int)

// packT8AVX transposes nb 8×8 blocks (see gemmKernel.packT).
//
//go:noescape
func packT8AVX(dst unsafe.Pointer, dstStride int, src unsafe.Pointer, ldsrc int, nb int)

var avx512Kernel = gemmKernel{
	name: "avx512", mr: 8, nr: 32, masked: true, fn: sgemmKernelAVX512, narrow: sgemmKernelAVX512N16, packT: packT8AVX,
	kc: 512, ncb: 256, // A micro-panel ≤ 16 KiB (L1), B block ≤ 512 KiB (L2)
}

var avx2Kernel = gemmKernel{
	name: "avx2", mr: 6, nr: 16, masked: false, fn: sgemmKernelAVX2, packT: packT8AVX,
	kc: 512, ncb: 256,
}

// kernels lists the micro-kernels this CPU can run, best first.
func kernels() []*gemmKernel {
	var ks []*gemmKernel
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, &avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, &avx2Kernel)
	}
	return append(ks, &genericKernel)
}

func bestKernel() *gemmKernel { return kernels()[0] }
