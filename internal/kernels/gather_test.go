package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestGatherRows(t *testing.T) {
	const rows, rowLen = 5000, 784
	src := make([]float32, rows*rowLen)
	for i := range src {
		src[i] = float32(i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, threads := range []int{1, 2} {
		withProcs(threads, func() {
			for _, n := range []int{1, 7, 32, 128} {
				idx := rng.Perm(rows)[:n]
				dst := make([]float32, n*rowLen)
				GatherRows(dst, src, rowLen, idx)
				for i, j := range idx {
					for k := 0; k < rowLen; k++ {
						if dst[i*rowLen+k] != src[j*rowLen+k] {
							t.Fatalf("%d threads, %d rows: dst[%d][%d] = %v, want src[%d][%d] = %v", threads, n, i, k, dst[i*rowLen+k], j, k, src[j*rowLen+k])
						}
					}
				}
				if a := testing.AllocsPerRun(10, func() { GatherRows(dst, src, rowLen, idx) }); a != 0 {
					t.Errorf("%d threads, %d rows: %v allocations", threads, n, a)
				}
			}
		})
	}
}

// BenchmarkGatherRows gathers a shuffled batch of 32 Fashion-MNIST rows
// from the 60,000 × 784 training set, the first thing each MLP step does.
func BenchmarkGatherRows(b *testing.B) {
	const rows, rowLen, batch = 60000, 784, 32
	src := make([]float32, rows*rowLen)
	for i := range src {
		src[i] = float32(i % 255)
	}
	perm := rand.New(rand.NewPCG(3, 4)).Perm(rows)
	dst := make([]float32, batch*rowLen)
	pos := 0
	b.SetBytes(batch * rowLen * 4)
	for b.Loop() {
		if pos+batch > rows {
			pos = 0
		}
		GatherRows(dst, src, rowLen, perm[pos:pos+batch])
		pos += batch
	}
}

// fromUint8 is tensor.FromUint8's rule, the oracle of TestGatherU8 (the
// tensor package imports this one, so its test cannot call it; datasets'
// TestBytes compares GatherU8 with tensor.FromUint8 itself): v/k rounded
// once when scale is float32(1/k) for a whole k, else v·scale rounded once.
func fromUint8(src []uint8, scale float32) []float32 {
	k := math.Round(1 / float64(scale))
	divide := k >= 1 && float32(1/k) == scale
	out := make([]float32, len(src))
	for i, v := range src {
		if divide {
			out[i] = float32(float64(v) / k)
		} else {
			out[i] = float32(float64(v) * float64(scale))
		}
	}
	return out
}

// TestGatherU8 checks that GatherU8 gives tensor.FromUint8's values bit
// for bit, for every byte and several scales, on every path.
func TestGatherU8(t *testing.T) {
	const rowLen = 300 // 18 vectors and a tail of 12
	src := make([]uint8, 4*rowLen)
	for i := range src {
		src[i] = uint8(i * 7)
	}
	// a batch on one core, and one large enough to be split across the pool
	// (gatherSplitBytes).
	long := make([]int, 2*gatherSplitBytes/rowLen)
	for i := range long {
		long[i] = (i * 3) % 4
	}
	for _, idx := range [][]int{{3, 0, 2, 2, 1}, long} {
		gatherU8Cases(t, src, rowLen, idx)
	}
}

func gatherU8Cases(t *testing.T, src []uint8, rowLen int, idx []int) {
	// 1/3e7, 1/123456789 and 1e-9 are 1/k for a k of 2^24 or more, which
	// float32 cannot hold: those once multiplied by scale where FromUint8
	// divides by k.
	for _, scale := range []float32{1.0 / 255, 1.0 / 256, 0.5, 0.1, 3, 1.0 / 3, 1.0 / 3e7, 1.0 / 123456789, 1e-9, 0} {
		want := fromUint8(src, scale)
		withLoops(t, "", func(t *testing.T, path string) {
			dst := make([]float32, len(idx)*rowLen)
			GatherU8(dst, src, rowLen, idx, scale)
			for i, r := range idx {
				same(t, fmt.Sprintf("scale %v row %d", scale, i), dst[i*rowLen:(i+1)*rowLen], want[r*rowLen:(r+1)*rowLen])
			}
		})
	}
}

// BenchmarkGatherU8 is BenchmarkGatherRows from bytes.
func BenchmarkGatherU8(b *testing.B) {
	const rows, rowLen, batch = 60000, 784, 32
	src := make([]uint8, rows*rowLen)
	for i := range src {
		src[i] = uint8(i % 251)
	}
	perm := rand.New(rand.NewPCG(3, 4)).Perm(rows)
	dst := make([]float32, batch*rowLen)
	pos := 0
	for b.Loop() {
		if pos+batch > rows {
			pos = 0
		}
		GatherU8(dst, src, rowLen, perm[pos:pos+batch], 1.0/255)
		pos += batch
	}
}

// TestGatherEmpty: gathering no rows, or rows of no values, writes
// nothing, where GatherRows indexed dst[−1] and panicked.
func TestGatherEmpty(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		src := randSlice(rand.New(rand.NewPCG(1, 2)), 12)
		GatherRows(nil, src, 4, nil)
		GatherRows(nil, src, 4, []int{})
		GatherRows(nil, nil, 0, []int{0, 3, 1})
		GatherRows([]float32{}, src, 0, []int{2, 0})
		GatherU8(nil, []uint8{1, 2, 3}, 3, nil, 1.0/255)
		GatherU8(nil, nil, 0, []int{0, 2}, 1.0/255)
	})
}

// TestOverlap checks Overlap on slices of one array and of two.
func TestOverlap(t *testing.T) {
	a, b := make([]float32, 8), make([]float32, 8)
	for _, tc := range []struct {
		name string
		x, y []float32
		want bool
	}{
		{"same", a, a, true},
		{"inside", a, a[2:4], true},
		{"touching", a[:4], a[4:], false},
		{"one shared", a[:5], a[4:], true},
		{"empty", a[:0], a, false},
		{"other arrays", a, b, false},
	} {
		if got := Overlap(tc.x, tc.y); got != tc.want {
			t.Errorf("%s: Overlap = %v, want %v", tc.name, got, tc.want)
		}
		if got := Overlap(tc.y, tc.x); got != tc.want {
			t.Errorf("%s, swapped: Overlap = %v, want %v", tc.name, got, tc.want)
		}
	}
}
