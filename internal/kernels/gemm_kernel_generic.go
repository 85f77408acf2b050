package kernels

import "unsafe"

// genericKernel is the portable micro-kernel: a 2×4 tile in scalar Go,
// small enough that its 8 accumulators and operands stay in registers (Go on
// amd64 has 15 usable for floats). It is what Sgemm uses on CPUs without
// AVX2+FMA and under the purego build tag, and tests always exercise it.
var genericKernel = gemmKernel{
	name: "generic", mr: 2, nr: 4, masked: true, fn: sgemmKernelGeneric,
	kc: 256, ncb: 256,
}

// at returns the float32 at p plus i elements. Callers form only in-bounds
// addresses.
func at(p unsafe.Pointer, i int) *float32 { return (*float32)(unsafe.Add(p, uintptr(i)*4)) }

func sgemmKernelGeneric(kc int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr int) {
	var acc [2][4]float32
	if mr == 2 && nr == 4 {
		var c00, c01, c02, c03, c10, c11, c12, c13 float32
		a0p, a1p := a, unsafe.Add(a, uintptr(rsA)*4)
		ao, bo := 0, 0
		for p := 0; p < kc; p++ {
			b0, b1, b2, b3 := *at(b, bo), *at(b, bo+1), *at(b, bo+2), *at(b, bo+3)
			a0, a1 := *at(a0p, ao), *at(a1p, ao)
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
			ao += csA
			bo += ldb
		}
		acc = [2][4]float32{{c00, c01, c02, c03}, {c10, c11, c12, c13}}
	} else {
		ao, bo := 0, 0
		for p := 0; p < kc; p++ {
			for i := 0; i < mr; i++ {
				av := *at(a, ao+i*rsA)
				for j := 0; j < nr; j++ {
					acc[i][j] += av * *at(b, bo+j)
				}
			}
			ao += csA
			bo += ldb
		}
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			cp := at(c, i*ldc+j)
			v := alpha * acc[i][j]
			if flags&flagBeta0 == 0 {
				v += beta * *cp
			}
			*cp = v
		}
	}
}
