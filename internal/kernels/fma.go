package kernels

import "math"

// fma32 returns a·b + c rounded once to float32, as a float32 fused
// multiply-add (VFMADD231PS, FMADDS) computes it, in portable Go.
//
// math.FMA works in float64, and rounding its result to float32 rounds
// twice, which can differ from one rounding when the first lands on a
// float32 midpoint. So: a·b is exact in float64 (two 24-bit significands
// make at most 48 bits); p + c is rounded to float64, its error recovered
// exactly (Knuth's TwoSum), and an inexact sum is rounded to odd — its
// last bit set by moving one ulp towards the exact value. A value rounded
// to odd with at least two more bits than the target rounds to the target
// exactly as the exact value would (Boldo and Melquiond, "Emulation of FMA
// and correctly rounded sums: proved algorithms using rounding to odd",
// 2008), and float64 has 29 more than float32.
//
// Rounding twice can only go wrong when the float64 sum is itself a float32
// midpoint (its low 29 significand bits 1000…0) or lies below the normal
// float32 range (where the midpoints sit elsewhere): only then does fma32
// take the slow path above; otherwise float32(p + c) is already the
// correctly rounded result.
func fma32(a, b, c float32) float32 {
	if s := float64(a)*float64(b) + float64(c); !hard(s) {
		return float32(s)
	}
	return fma32Odd(a, b, c)
}

// fma32Odd rounds a·b + c to odd in float64 before rounding it to float32.
// It stays out of line so that fma32 inlines.
//
//go:noinline
func fma32Odd(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact
	s := p + float64(c)
	if bits := math.Float64bits(s); bits&1 == 0 && s-s == 0 { // even and finite
		v := s - p
		err := (p - (s - v)) + (float64(c) - v)
		if err != 0 {
			if (err > 0) == (s > 0) {
				bits++
			} else {
				bits--
			}
			s = math.Float64frombits(bits)
		}
	}
	return float32(s)
}
