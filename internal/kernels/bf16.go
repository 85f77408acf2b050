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
// row-major, so its rows are already pairs (for the emulation, pairs of
// the float32 they stand for: see pairWords); B is packed by packPairs
// into rows of pairs, [k/2][n]. k must be even.

// Two kernels compute these products, to the same bits: VDPBF16PS
// (AVX512_BF16), where it is fast, and an emulation with AVX-512F FMAs
// (bgemmEmuKernelAVX512) elsewhere — Intel cores, where VDPBF16PS issues
// on one port against two for FMAs, and AVX-512 CPUs without AVX512_BF16.
// VDPBF16PS adds, per lane, the product of a pair's odd elements and then
// that of its even ones, each add rounded once (the product of two
// bfloat16 is exact in float32, so an FMA is that add), reading subnormals
// as zero and flushing subnormal results; the emulation does the same with
// MXCSR's FTZ and DAZ set. For it A is widened: each pair is the two
// float32 its bfloat16 stand for, two words (pairWords 2), so that a row's
// pair is two broadcasts. B keeps its pairs, split in the kernel.

// HasBF16 reports whether this CPU computes mixed-precision products
// (natively or emulated, to the same bits). Without it, callers keep to
// float32 (see Conv.BF16).
func HasBF16() bool { return hasBF16 }

// BF16Method says how this CPU computes mixed-precision products: with
// VDPBF16PS, with its emulation (the same bits), or not at all (a
// mixed_bfloat16 convolution computes in float32 here).
func BF16Method() string {
	switch {
	case nativeBF16:
		return "VDPBF16PS"
	case hasBF16:
		return "VDPBF16PS emulated bit for bit with AVX-512 FMAs"
	}
	return "float32: no AVX-512 here to compute bfloat16 products"
}

// pairWords is the number of 32-bit words a pair of A takes for the
// kernel this CPU runs: 1 for VDPBF16PS, 2 (two float32) for the
// emulation.
func pairWords() int {
	if nativeBF16 {
		return 1
	}
	return 2
}

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
		if nativeBF16 {
			toBF16AVX512(&dst[0], &src[0], i)
		} else {
			roundBF16AVX512(unsafe.Pointer(&dst[0]), &src[0], i, false)
		}
	}
	for ; i < len(src); i++ {
		dst[i] = roundBF16(src[i])
	}
}

// widenBF16 sets dst (of src's length) to src rounded to bfloat16, as the
// float32 each rounded value stands for: A's values for the emulation.
func widenBF16(dst, src []float32) {
	dst = dst[:len(src)]
	i := 0
	if hasBF16 && len(src) >= 16 {
		i = len(src) &^ 15
		roundBF16AVX512(unsafe.Pointer(&dst[0]), &src[0], i, true)
	}
	for ; i < len(src); i++ {
		dst[i] = bf16Float(roundBF16(src[i]))
	}
}

// roundA rounds src into a's words as pairs of A for this CPU's kernel
// (pairWords words a pair), src holding an even number of values whose
// neighbours 2q and 2q+1 pair; it returns the words written.
func roundA(a []uint32, src []float32) []uint32 {
	if nativeBF16 {
		toBF16(asHalves(a, len(src)), src)
		return a[:len(src)/2]
	}
	widenBF16(asFloats(a[:len(src)]), src)
	return a[:len(src)]
}

// asHalves views the first n bfloat16 of a's words.
func asHalves(a []uint32, n int) []uint16 {
	_ = a[(n+1)/2-1]
	return unsafe.Slice((*uint16)(unsafe.Pointer(&a[0])), n)
}

// asWords views the float32 of f as words.
func asWords(f []float32) []uint32 {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&f[0])), len(f))
}

// asFloats views a's words as float32.
func asFloats(a []uint32) []float32 {
	if len(a) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&a[0])), len(a))
}

// packPairs rounds the k×n matrix b (k even) into dst as rows of pairs:
// dst[q*n+j] holds b[2q][j] (low half) and b[2q+1][j]. tmp holds the
// rounded matrix on the way (k·n values).
func packPairs(dst []uint32, tmp []uint16, b []float32, k, n int) {
	toBF16(tmp[:k*n], b[:k*n])
	pairRows(dst, tmp, k, n)
}

// bgemm sets C (m×n, row stride ldc) to A·B + beta·C (beta 0 overwrites
// C), a sum over kp pairs: the pair A[i][q] is the pairWords() words at
// a[i·rsA + q·csA] (strides in words; see roundA) and B is kp rows of n
// pairs (packPairs, pairRows). pad is scratch for a partial last tile of
// A's rows (bgemmPad(kp) words). It runs on the calling goroutine.
func bgemm(m, n, kp int, a []uint32, rsA, csA int, b []uint32, beta float32, c []float32, ldc int, pad []uint32) {
	const mr, nr = 8, 32
	w := pairWords()
	kern, _ := bf16Kernels()
	_, _, _ = a[(m-1)*rsA+(kp-1)*csA+w-1], b[kp*n-1], c[(m-1)*ldc+n-1]
	flags := 0
	if beta == 0 {
		flags = flagBeta0
	}
	for i := 0; i < m; i += mr {
		rows := min(mr, m-i)
		ap, rs, cs := unsafe.Pointer(&a[i*rsA]), rsA, csA
		if rows < mr || (i+mr-1)*rsA+(kp-1)*csA+w > len(a) {
			// the kernel reads eight rows: copy the last ones, zero padded
			pad = pad[:mr*kp*w]
			clear(pad)
			for r := 0; r < rows; r++ {
				for q := 0; q < kp; q++ {
					copy(pad[(r*kp+q)*w:(r*kp+q+1)*w], a[(i+r)*rsA+q*csA:])
				}
			}
			ap, rs, cs = unsafe.Pointer(&pad[0]), kp*w, w
		}
		for j := 0; j < n; j += nr {
			kern(kp, ap, rs, cs, unsafe.Pointer(&b[j]), n, unsafe.Pointer(&c[i*ldc+j]), ldc, 1, beta, flags, rows, min(nr, n-j), 1, 0)
		}
	}
}

// bf16Kernels returns this CPU's 8- and 7-row micro-kernels.
func bf16Kernels() (k8, k7 bkernelFunc) {
	if nativeBF16 {
		return bgemmKernel, bgemmKernel7
	}
	return bgemmEmuKernel, bgemmEmuKernel7
}

// bgemmPad is the scratch bgemm needs for sums of kp pairs.
func bgemmPad(kp int) int { return 8 * kp * 2 }

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
// (The emulation's kernels read A as two float32 a pair, the strides
// counting floats.)
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

// bgemmEmuKernelGeneric is bgemmKernelGeneric over A widened to float32
// (strides in floats, each pair's even element first): the contract of
// bgemmEmuKernelAVX512, which tests hold to it.
func bgemmEmuKernelGeneric(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int, c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int) {
	for i := 0; i < mr; i++ {
		for j := 0; j < nr; j++ {
			var s float32
			for g := 0; g < nseg; g++ {
				for q := 0; q < kp; q++ {
					ai := i*rsA + g*segStride + q*csA
					a0, a1 := *at(a, ai), *at(a, ai+1)
					v := *(*uint32)(unsafe.Add(b, uintptr((g*kp+q)*ldb+j)*4))
					s += a1 * bf16Float(uint16(v>>16))
					s += a0 * bf16Float(uint16(v))
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

// pairRowsF32 is pairRows for float32 A in the emulation's form: rows 2q
// and 2q+1 of the rows×n matrix a become the pairs of dst's row q, each
// pair the two floats (a[2q][j], a[2q+1][j]) (a missing last row reads as
// zeros).
func pairRowsF32(dst, a []float32, rows, n int) {
	_ = dst[(rows+1)/2*n*2-1]
	for q := 0; 2*q < rows; q++ {
		d := dst[2*q*n : 2*q*n+2*n]
		r0 := a[2*q*n : 2*q*n+n]
		if 2*q+1 == rows {
			for j, v := range r0 {
				d[2*j], d[2*j+1] = v, 0
			}
			continue
		}
		r1 := a[(2*q+1)*n : (2*q+1)*n+n]
		j := 0
		if hasBF16 && n >= 16 {
			j = n &^ 15
			pairRowsF32AVX512(&d[0], &r0[0], &r1[0], j)
		}
		for ; j < n; j++ {
			d[2*j], d[2*j+1] = r0[j], r1[j]
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
