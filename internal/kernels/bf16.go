package kernels

import (
	"math"
	"unsafe"
)

// Mixed precision: products whose operands are rounded to bfloat16 (the
// top half of a float32: 8 exponent bits, 7 mantissa bits) and summed in
// float32, as Keras's "mixed_bfloat16" policy computes. The product of two
// bfloat16 values is exact in float32, so only the rounding of the
// operands and of the sums differs from float32 arithmetic. With AVX512_BF16
// one VDPBF16PS does two multiply-adds per float32 lane, twice what an FMA
// does.
//
// The formats: a bfloat16 is a uint16; a pair is two of them along the sum
// (k) axis, read as one uint32 with element 2q in its low half. A is
// row-major, so its rows are already pairs; B is packed by packPairs into
// rows of pairs, [k/2][n]. k must be even.

// HasBF16 reports whether this CPU runs bfloat16 products natively. Without
// it, callers keep to float32 (see Conv.BF16).
func HasBF16() bool { return hasBF16 }

// roundBF16 rounds f to the nearest bfloat16, ties to even, as
// VCVTNEPS2BF16 does: values below the normal range become zero (keeping
// the sign) and NaNs stay NaNs.
func roundBF16(f float32) uint16 {
	b := math.Float32bits(f)
	switch {
	case b&0x7f800000 == 0:
		return uint16(b>>16) & 0x8000
	case b&0x7fffffff > 0x7f800000:
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// bf16Float widens a bfloat16 to the float32 it stands for.
func bf16Float(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// toBF16 rounds src into dst (of the same length).
func toBF16(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	i := 0
	if hasBF16 && len(src) >= 16 {
		i = len(src) &^ 15
		toBF16AVX512(&dst[0], &src[0], i)
	}
	for ; i < len(src); i++ {
		dst[i] = roundBF16(src[i])
	}
}

// packPairs rounds the k×n matrix b (k even) into dst as rows of pairs:
// dst[q*n+j] holds b[2q][j] (low half) and b[2q+1][j]. tmp holds the
// rounded matrix on the way (k·n values).
func packPairs(dst []uint32, tmp []uint16, b []float32, k, n int) {
	toBF16(tmp[:k*n], b[:k*n])
	pairRows(dst, tmp, k, n)
}

// bgemm sets C (m×n, row stride ldc) to A·B + beta·C (beta 0 overwrites
// C), a sum over kp pairs: the pair A[i][q] is a[i·rsA + q·csA] and B is
// kp rows of n pairs (packPairs, pairRows). pad is scratch for a partial
// last tile of A's rows (bgemmPad(kp) pairs). It runs on the calling
// goroutine.
func bgemm(m, n, kp int, a []uint32, rsA, csA int, b []uint32, beta float32, c []float32, ldc int, pad []uint32) {
	const mr, nr = 8, 32
	_, _, _ = a[(m-1)*rsA+(kp-1)*csA], b[kp*n-1], c[(m-1)*ldc+n-1]
	flags := 0
	if beta == 0 {
		flags = flagBeta0
	}
	for i := 0; i < m; i += mr {
		rows := min(mr, m-i)
		ap, rs, cs := unsafe.Pointer(&a[i*rsA]), rsA, csA
		if rows < mr || (i+mr-1)*rsA+(kp-1)*csA >= len(a) {
			// the kernel reads eight rows: copy the last ones, zero padded
			pad = pad[:mr*kp]
			clear(pad)
			for r := 0; r < rows; r++ {
				for q := 0; q < kp; q++ {
					pad[r*kp+q] = a[(i+r)*rsA+q*csA]
				}
			}
			ap, rs, cs = unsafe.Pointer(&pad[0]), kp, 1
		}
		for j := 0; j < n; j += nr {
			bgemmKernel(kp, ap, rs, cs, unsafe.Pointer(&b[j]), n, unsafe.Pointer(&c[i*ldc+j]), ldc, 1, beta, flags, rows, min(nr, n-j), 1, 0)
		}
	}
}

// bgemmPad is the scratch bgemm needs for sums of kp pairs.
func bgemmPad(kp int) int { return 8 * kp }

// asPairs reads the bfloat16 values of s, an even number, as pairs.
func asPairs(s []uint16) []uint32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&s[0])), len(s)/2)
}

// bkernelFunc is a bfloat16 micro-kernel: for the mr×nr tile at c (row
// stride ldc),
//
//	C = alpha·Σ_{s<nseg} Σ_{q<kp} A[i][s][q]·B[s·kp+q][j] + beta·C
//
// (beta ignored when flags&flagBeta0), where the pair A[i][s][q] is at a +
// (i·rsA + s·segStride + q·csA)·4 bytes and B[r][j] at b + (r·ldb + j)·4:
// segments let a convolution read its windows, row by row, straight from a
// padded image. A must be readable for 8 rows; B and C are masked to nr.
type bkernelFunc func(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int)

// bgemmKernelGeneric is bkernelFunc in Go: each pair adds its odd product,
// then its even one. Tests hold the assembly to it.
func bgemmKernelGeneric(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int) {
	pair := func(p unsafe.Pointer, i int) (lo, hi float32) {
		v := *(*uint32)(unsafe.Add(p, uintptr(i)*4))
		return bf16Float(uint16(v)), bf16Float(uint16(v >> 16))
	}
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			var s float32
			for g := 0; g < nseg; g++ {
				for q := 0; q < kp; q++ {
					a0, a1 := pair(a, i*rsA+g*segStride+q*csA)
					b0, b1 := pair(b, (g*kp+q)*ldb+j)
					s += a1 * b1
					s += a0 * b0
				}
			}
			out := at(c, i*ldc+j)
			if flags&flagBeta0 != 0 {
				*out = alpha * s
			} else {
				*out = alpha*s + beta**out
			}
		}
	}
}

// pairRows turns the rows×n bfloat16 matrix a into ⌈rows/2⌉ rows of n
// pairs, rows 2q and 2q+1 of a forming dst's row q (a missing last row
// reads as zeros): the layout of a product that sums over a's rows.
func pairRows(dst []uint32, a []uint16, rows, n int) {
	_ = dst[(rows+1)/2*n-1]
	for q := 0; 2*q < rows; q++ {
		d := dst[q*n : q*n+n]
		r0 := a[2*q*n : 2*q*n+n]
		if 2*q+1 == rows {
			for j, v := range r0 {
				d[j] = uint32(v)
			}
			continue
		}
		interleave(d, r0, a[(2*q+1)*n:(2*q+1)*n+n])
	}
}

// interleave sets dst[j] to the pair (lo[j], hi[j]), lo in the low half,
// for every j < len(dst).
func interleave(dst []uint32, lo, hi []uint16) {
	n := len(dst)
	lo, hi = lo[:n], hi[:n]
	j := 0
	if hasBF16 && n >= 16 {
		j = n &^ 15
		pairRowsAVX512(&dst[0], &lo[0], &hi[0], j)
	}
	for ; j < n; j++ {
		dst[j] = uint32(lo[j]) | uint32(hi[j])<<16
	}
}
