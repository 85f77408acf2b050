package kernels

import (
	"math"
	"unsafe"
)

// Overlap reports whether a and b share any element of memory. Pass
// x[:cap(x)] to count what appending to x would overwrite. GatherRows
// needs a dst that does not overlap src.
func Overlap(a, b []float32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	const size = unsafe.Sizeof(float32(0))
	pa, pb := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return pa < pb+uintptr(len(b))*size && pb < pa+uintptr(len(a))*size
}

// GatherRows copies rows idx of the matrix src (rows of rowLen floats) into
// consecutive rows of dst: dst row i = src row idx[i]. It is how a batch of
// shuffled examples is gathered from a dataset; a batch of the tutorial
// MLP (32 rows of 784 floats from 188 MB) costs about as much as a
// quarter of its products, mostly waiting for memory, so large gathers are
// split across the worker pool, whose cores wait in parallel. No rows, or
// rows of no values, write nothing.
func GatherRows(dst, src []float32, rowLen int, idx []int) {
	n := len(idx)
	if n == 0 || rowLen == 0 {
		return
	}
	_ = dst[n*rowLen-1]
	if !worthGathering(n, 4*n*rowLen) {
		gatherRows(dst, src, rowLen, idx)
		return
	}
	runSplit(&gatherTasks, gatherTask{dst: dst, src: src, rowLen: rowLen, idx: idx}, n)
}

// gatherSplitBytes is the least a gather reads before it is split across
// the worker pool. A gather mostly waits for memory, not arithmetic, so
// two cores halve it at sizes where splitMin would keep other loops on
// one: an MLP batch from bytes (32 rows of 784) took 14 µs on one core
// inside an epoch, and splitting it made the epoch 4% faster (AMD EPYC
// Zen 4).
const gatherSplitBytes = 8 << 10

// worthGathering reports whether a gather of n rows, bytes in all, is
// worth sharing with the workers.
func worthGathering(n, bytes int) bool {
	return n >= 2 && bytes >= gatherSplitBytes && Threads() > 1
}

// gatherTask is GatherRows over rows [lo, hi) of dst.
type gatherTask struct {
	dst, src []float32
	rowLen   int
	idx      []int
}

var gatherTasks freeList[gatherTask]

func (t *gatherTask) run(lo, hi int) {
	gatherRows(t.dst[lo*t.rowLen:hi*t.rowLen], t.src, t.rowLen, t.idx[lo:hi])
}

func gatherRows(dst, src []float32, rowLen int, idx []int) {
	if hasPrefetch && len(idx) > 1 {
		for _, r := range idx {
			_ = src[(r+1)*rowLen-1]
		}
		prefetchRows(unsafe.Pointer(&src[0]), 4*rowLen, &idx[0], len(idx))
	}
	for i, j := range idx {
		copy(dst[i*rowLen:(i+1)*rowLen], src[j*rowLen:(j+1)*rowLen])
	}
}

// GatherU8 is GatherRows from a matrix of bytes, each byte v becoming
// v·scale: the values tensor.FromUint8 gives (v/k rounded once when scale
// is float32(1/k) for a whole k, such as 1/255, else v·scale rounded once),
// bit for bit. A dataset that keeps its images as bytes reads a quarter of
// the memory per batch that a float32 copy does; with AVX-512 the
// conversion costs less than the reading it saves.
func GatherU8(dst []float32, src []uint8, rowLen int, idx []int, scale float32) {
	n := len(idx)
	if n == 0 || rowLen == 0 {
		return
	}
	_ = dst[n*rowLen-1]
	for _, r := range idx {
		_ = src[(r+1)*rowLen-1]
	}
	k, divide := u8Scale(scale)
	t := gatherU8Task{dst: dst, src: src, rowLen: rowLen, idx: idx, k: k, divide: divide}
	if worthGathering(n, n*rowLen) {
		runSplit(&gatherU8Tasks, t, n)
		return
	}
	t.run(0, n)
}

// gatherU8Task is GatherU8 over rows [lo, hi) of dst.
type gatherU8Task struct {
	dst    []float32
	src    []uint8
	rowLen int
	idx    []int
	k      float64
	divide bool
}

var gatherU8Tasks freeList[gatherU8Task]

func (t *gatherU8Task) run(lo, hi int) {
	gatherU8(t.dst[lo*t.rowLen:hi*t.rowLen], t.src, t.rowLen, t.idx[lo:hi], t.k, t.divide)
}

// gatherU8 is GatherU8 over rows idx, its scale resolved by u8Scale and
// its bounds checked. The vector loop divides by k in float32, which is
// exact only for a k below 2^24; a larger one (a scale below 2^-24) takes
// the table, computed in float64 as FromUint8 computes it.
func gatherU8(dst []float32, src []uint8, rowLen int, idx []int, k float64, divide bool) {
	n := len(idx)
	if n == 0 || rowLen == 0 {
		return
	}
	if hasPrefetch && n > 1 {
		// every row's lines requested at once, so that their memory
		// latencies overlap.
		prefetchRows(unsafe.Pointer(&src[0]), rowLen, &idx[0], n)
	}
	if hasAVX512 && (!divide || k < 1<<24) {
		d := 0
		if divide {
			d = 1
		}
		gatherU8AVX512(&dst[0], &src[0], rowLen, &idx[0], n, float32(k), d)
		return
	}
	var table [256]float32
	for v := range table {
		if divide {
			table[v] = float32(float64(v) / k)
		} else {
			table[v] = float32(float64(v) * k) // exact, then rounded once
		}
	}
	for i, r := range idx {
		out, in := dst[i*rowLen:(i+1)*rowLen], src[r*rowLen:(r+1)*rowLen]
		for j, v := range in {
			out[j] = table[v]
		}
	}
}

// u8Scale is how tensor.FromUint8 scales a byte: by dividing by k when
// scale is float32(1/k) for a whole k (returned as k, true), else by
// multiplying by scale (returned, false).
func u8Scale(scale float32) (float64, bool) {
	k := math.Round(1 / float64(scale))
	if k >= 1 && float32(1/k) == scale {
		return k, true
	}
	return float64(scale), false
}
