package kernels

import (
	"math"
	"unsafe"
)

// genericKernel is the portable micro-kernel: a 2×4 tile in scalar Go,
// small enough that its 8 accumulators and operands stay in registers (Go on
// amd64 has 15 usable for floats). It is what Sgemm uses on CPUs without
// AVX2+FMA and under the purego build tag, and tests always exercise it.
//
// It computes every element exactly as the vector kernels do — the same k
// blocks (kc 512), each product added by a float32 fused multiply-add
// (fma32, emulated exactly), then C = alpha·acc, or fma(beta, C, alpha·acc)
// — so Sgemm gives the same bits on every path.
var genericKernel = gemmKernel{
	name: "generic", mr: 2, nr: 4, masked: true, fn: sgemmKernelGeneric,
	kc: 512, ncb: 256,
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
			// fma32, inlined by hand: s = a·b + c in float64, and the
			// rare sums where rounding s to float32 could go wrong
			// (fma32's comment) take fma32Odd.
			b0, b1, b2, b3 := float64(*at(b, bo)), float64(*at(b, bo+1)), float64(*at(b, bo+2)), float64(*at(b, bo+3))
			a0, a1 := float64(*at(a0p, ao)), float64(*at(a1p, ao))
			s00, s01, s02, s03 := a0*b0+float64(c00), a0*b1+float64(c01), a0*b2+float64(c02), a0*b3+float64(c03)
			s10, s11, s12, s13 := a1*b0+float64(c10), a1*b1+float64(c11), a1*b2+float64(c12), a1*b3+float64(c13)
			if hard(s00) || hard(s01) || hard(s02) || hard(s03) || hard(s10) || hard(s11) || hard(s12) || hard(s13) {
				fa0, fa1 := float32(a0), float32(a1)
				fb0, fb1, fb2, fb3 := float32(b0), float32(b1), float32(b2), float32(b3)
				c00, c01, c02, c03 = fma32Odd(fa0, fb0, c00), fma32Odd(fa0, fb1, c01), fma32Odd(fa0, fb2, c02), fma32Odd(fa0, fb3, c03)
				c10, c11, c12, c13 = fma32Odd(fa1, fb0, c10), fma32Odd(fa1, fb1, c11), fma32Odd(fa1, fb2, c12), fma32Odd(fa1, fb3, c13)
			} else {
				c00, c01, c02, c03 = float32(s00), float32(s01), float32(s02), float32(s03)
				c10, c11, c12, c13 = float32(s10), float32(s11), float32(s12), float32(s13)
			}
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
					acc[i][j] = fma32(av, *at(b, bo+j), acc[i][j])
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
				v = fma32(beta, *cp, v)
			}
			*cp = v
		}
	}
}

// hard reports whether the float64 sum s of an exact product and a float32
// may round to float32 differently from the exact sum: s a float32
// midpoint, or below the normal float32 range (see fma32).
func hard(s float64) bool {
	e := math.Float64bits(s)
	return e&(1<<29-1) == 1<<28 || e&0x7ff0000000000000 < (1023-126)<<52
}
