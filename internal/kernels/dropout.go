package kernels

import (
	"math"
	"math/bits"
)

// Dropout masks: the random numbers come from math/rand/v2's PCG, whose
// state is a 128-bit linear congruential generator. Each 64-bit draw gives
// four mask entries (its 16-bit quarters, lowest first), so entry i belongs
// to draw i/4, and a worker that starts at entry 4·g jumps the generator
// ahead by g steps in O(log g) instead of drawing its way there: the mask
// is the same whatever the number of threads, and the same as drawing it
// in order with rand.PCG.

// PCG's multiplier and increment (math/rand/v2, pcg.go).
const (
	pcgMulHi = 2549297995355413924
	pcgMulLo = 4865540595714422341
	pcgIncHi = 6364136223846793005
	pcgIncLo = 1442695040888963407
)

// mul128 is a·b mod 2¹²⁸.
func mul128(aHi, aLo, bHi, bLo uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(aLo, bLo)
	return hi + aHi*bLo + aLo*bHi, lo
}

// add128 is a+b mod 2¹²⁸.
func add128(aHi, aLo, bHi, bLo uint64) (hi, lo uint64) {
	lo, c := bits.Add64(aLo, bLo, 0)
	hi, _ = bits.Add64(aHi, bHi, c)
	return hi, lo
}

// pcgJump returns the PCG state (hi, lo) advanced by n steps (Brown,
// "Random number generation with arbitrary strides", 1994): the step
// s → m·s + c applied n times is s → M·s + C, with M and C built from
// the binary digits of n.
func pcgJump(hi, lo, n uint64) (uint64, uint64) {
	mHi, mLo, cHi, cLo := uint64(0), uint64(1), uint64(0), uint64(0) // M, C: the identity
	sHi, sLo, tHi, tLo := uint64(pcgMulHi), uint64(pcgMulLo), uint64(pcgIncHi), uint64(pcgIncLo)
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			mHi, mLo = mul128(mHi, mLo, sHi, sLo)
			cHi, cLo = mul128(cHi, cLo, sHi, sLo)
			cHi, cLo = add128(cHi, cLo, tHi, tLo)
		}
		// (s, t) → (s², (s+1)·t): the step applied twice as often
		p1Hi, p1Lo := add128(sHi, sLo, 0, 1)
		tHi, tLo = mul128(p1Hi, p1Lo, tHi, tLo)
		sHi, sLo = mul128(sHi, sLo, sHi, sLo)
	}
	hi, lo = mul128(mHi, mLo, hi, lo)
	return add128(hi, lo, cHi, cLo)
}

// pcgStep advances the state (hi, lo) one step and returns the new state
// and its draw, as rand.PCG's Uint64. It spells out mul128 and add128 with
// the constants folded in, which keeps it within the compiler's inlining
// budget, so that the mask loop holds the state in registers.
func pcgStep(hi, lo uint64) (nhi, nlo, u uint64) {
	h, l := bits.Mul64(lo, pcgMulLo)
	h += hi*pcgMulLo + lo*pcgMulHi
	l, c := bits.Add64(l, pcgIncLo, 0)
	h += pcgIncHi + c
	const cheapMul = 0xda942042e4dd58b5
	u = h ^ h>>32
	u *= cheapMul
	u ^= u >> 48
	return h, l, u * (l | 1)
}

// Dropout draws a dropout mask from the PCG state (hi, lo) — rand.PCG
// after Seed(hi, lo) — and applies it: mask[i] is 0 when the 16-bit
// quarter i%4 of draw i/4 is below threshold, else scale, and out[i] =
// x[i]·mask[i]. It returns the state after the ⌈len(mask)/4⌉ draws.
func Dropout(out, mask, x []float32, hi, lo uint64, threshold uint32, scale float32) (uint64, uint64) {
	n := len(mask)
	out, x = out[:n], x[:n]
	draws := (n + 3) / 4
	t := dropoutTask{out: out, mask: mask, x: x, hi: hi, lo: lo, threshold: uint64(threshold), scale: scale}
	if !worthSplitting(draws, n) {
		t.run(0, draws)
	} else {
		runSplit(&dropoutTasks, t, draws)
	}
	return pcgJump(hi, lo, uint64(draws))
}

// dropoutTask is Dropout over draws [g0, g1).
type dropoutTask struct {
	out, mask, x []float32
	hi, lo       uint64
	threshold    uint64
	scale        float32
}

var dropoutTasks freeList[dropoutTask]

func (t *dropoutTask) run(g0, g1 int) {
	dropout(t.out, t.mask, t.x, t.hi, t.lo, t.threshold, t.scale, g0, g1)
}

// dropout fills draws [g0, g1) of Dropout's mask, then multiplies: the
// draws form one chain of dependent steps, which runs fastest alone, with
// nothing else competing for registers.
func dropout(out, mask, x []float32, hi, lo uint64, threshold uint64, scale float32, g0, g1 int) {
	hi, lo = pcgJump(hi, lo, uint64(g0))
	i0, end := 4*g0, min(4*g1, len(mask))
	m := mask[i0:end]
	// keep is scale for a kept entry and +0 for a dropped one, chosen
	// without a branch: the draws are random, so a branch would be
	// mispredicted about as often as entries are dropped.
	scaleBits := math.Float32bits(scale)
	keep := func(u uint64) float32 {
		dropped := uint32(int64(u&0xffff-threshold) >> 63) // all ones below threshold
		return math.Float32frombits(scaleBits &^ dropped)
	}
	var u uint64
	i := 0
	for ; i+3 < len(m); i += 4 {
		hi, lo, u = pcgStep(hi, lo)
		q := m[i : i+4 : i+4]
		q[0], q[1], q[2], q[3] = keep(u), keep(u>>16), keep(u>>32), keep(u>>48)
	}
	if i < len(m) {
		for _, _, u = pcgStep(hi, lo); i < len(m); i, u = i+1, u>>16 {
			m[i] = keep(u)
		}
	}
	mul(out[i0:end], x[i0:end], m)
}
