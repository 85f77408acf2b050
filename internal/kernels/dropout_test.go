package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPCGJump checks the jump and the step against math/rand/v2's PCG:
// the state jumped n steps draws what the original draws after n draws.
func TestPCGJump(t *testing.T) {
	for _, seed := range [][2]uint64{{0, 0}, {1, 2}, {0xdeadbeef, 1 << 63}, {math.MaxUint64, math.MaxUint64}} {
		for _, n := range []uint64{0, 1, 2, 3, 7, 64, 1000, 12345} {
			ref := rand.NewPCG(seed[0], seed[1])
			for range n {
				ref.Uint64()
			}
			hi, lo := pcgJump(seed[0], seed[1], n)
			jumped := rand.NewPCG(hi, lo)
			for k := range 3 {
				want := ref.Uint64()
				if got := jumped.Uint64(); got != want {
					t.Fatalf("seed %v, jump %d, draw %d: rand.PCG from the jumped state gives %#x, want %#x", seed, n, k, got, want)
				}
				var got uint64
				if hi, lo, got = pcgStep(hi, lo); got != want {
					t.Fatalf("seed %v, jump %d, draw %d: pcgStep gives %#x, want %#x", seed, n, k, got, want)
				}
			}
		}
	}
}

// serialDropout is the mask drawn in order from rand.PCG: four entries per
// draw, lowest 16 bits first.
func serialDropout(n int, pcg *rand.PCG, threshold uint64, scale float32) []float32 {
	mask := make([]float32, n)
	var u uint64
	for i := range mask {
		if i%4 == 0 {
			u = pcg.Uint64()
		}
		if (u>>(16*(i%4)))&0xffff >= threshold {
			mask[i] = scale
		}
	}
	return mask
}

// TestDropout checks that the mask is the serial one for any number of
// threads, that the output is x·mask, that the returned state continues
// the stream and that the drop rate is honoured.
func TestDropout(t *testing.T) {
	for _, threads := range []int{1, 2, 3} {
		withProcs(threads, func() {
			for _, n := range []int{0, 1, 3, 4, 5, 33, 1 << 15, 100003} {
				for _, rate := range []float64{0.1, 0.5, 0.9} {
					threshold := uint32(math.Round(rate * (1 << 16)))
					scale := float32(1 / (1 - rate))
					x := make([]float32, n)
					for i := range x {
						x[i] = float32(i%7) - 3
					}
					mask, out := make([]float32, n), make([]float32, n)
					hi, lo := Dropout(out, mask, x, 42, uint64(n), threshold, scale)
					ref := rand.NewPCG(42, uint64(n))
					want := serialDropout(n, ref, uint64(threshold), scale)
					dropped := 0
					for i := range mask {
						if mask[i] != want[i] {
							t.Fatalf("%d threads, n %d, rate %v: mask[%d] = %v, want %v", threads, n, rate, i, mask[i], want[i])
						}
						if out[i] != x[i]*want[i] {
							t.Fatalf("%d threads, n %d, rate %v: out[%d] = %v, want %v", threads, n, rate, i, out[i], x[i]*want[i])
						}
						if mask[i] == 0 {
							dropped++
						}
					}
					if next, want := rand.NewPCG(hi, lo).Uint64(), ref.Uint64(); next != want {
						t.Fatalf("%d threads, n %d: the returned state draws %#x next, want %#x", threads, n, next, want)
					}
					if n == 100003 {
						if got := float64(dropped) / float64(n); math.Abs(got-rate) > 0.01 {
							t.Errorf("%d threads, rate %v: dropped %.4f of the entries", threads, rate, got)
						}
					}
				}
			}
		})
	}
}

// BenchmarkDropout draws and applies the mask of best's first dropout
// layer: 64 images of 14×14×64, rate 0.1.
func BenchmarkDropout(b *testing.B) {
	const n = 64 * 14 * 14 * 64
	x, out, mask := benchRand(n), make([]float32, n), make([]float32, n)
	threshold := uint32(math.Round(0.1 * (1 << 16)))
	b.SetBytes(3 * 4 * n)
	cpuLoop(b, func() { Dropout(out, mask, x, 1, 2, threshold, 1/0.9) })
}
