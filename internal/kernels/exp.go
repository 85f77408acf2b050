package kernels

import "math"

// The range over which expAVX512 takes math.Exp's ordinary path (a normal
// result, no overflow): there, 2^round(x·log2 e) has a biased exponent in
// [2, 2046].
const (
	expVecMin = -708
	expVecMax = 709
)

// exps sets dst[i] = math.Exp(src[i]), bit for bit, eight at a time where
// the CPU allows; dst must not overlap src.
func exps(dst, src []float64) {
	src = src[:len(dst)]
	if hasExpVec && hasAVX512 && len(dst) > 0 {
		expAVX512(&dst[0], &src[0], len(dst))
		for i, x := range src {
			if !(x >= expVecMin && x <= expVecMax) { // NaN included
				dst[i] = math.Exp(x)
			}
		}
		return
	}
	for i, x := range src {
		dst[i] = math.Exp(x)
	}
}
