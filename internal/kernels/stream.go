package kernels

import "unsafe"

// The arrays that one kernel streams through together: an optimizer update
// reads the weights, their gradients and one or two moments, and writes all
// but the gradients back.
const (
	StreamWeights = iota // the weights (a parameter arena's values)
	StreamGrads          // their gradients
	StreamMoment1        // Adam's first moment, SGD's velocity
	StreamMoment2        // Adam's second moment
	StreamAverage        // an optimizer's moving average of the weights
)

// lineFloats is the number of float32s in a 64-byte cache line.
const lineFloats = 16

// lines is the number of cache lines n floats span from a line boundary.
// An element-wise kernel over arrays that start on one (as NewStream's and
// other large allocations do) splits its work by lines, not elements, so
// that every part's vector loads and stores are aligned: a 64-byte load
// that straddles two lines costs two.
func lines(n int) int { return (n + lineFloats - 1) / lineFloats }

// lineRange is the range of elements, of n, in cache lines [lo, hi).
func lineRange(lo, hi, n int) (int, int) {
	return lo * lineFloats, min(hi*lineFloats, n)
}

// streamStagger is how far apart, within a page, consecutive streams start.
const (
	pageBytes     = 4096
	streamStagger = 256
)

// NewStream returns a zeroed []float32 of length n that starts stream ·
// 256 bytes past a 4 KiB boundary (modulo 4 KiB). Large allocations all
// start on a page boundary, so arrays allocated apart and streamed together
// would otherwise share their offset within a page: then every vector
// load and store of one kernel maps to the same L1 cache sets as the
// others', and loads wait on earlier stores to other arrays that only
// look like the same address (4K aliasing). Adam over the tutorial MLP's
// 101,770 weights runs about 10% faster with its four arrays staggered
// (BenchmarkAdamStreams, on an AMD EPYC Zen 4). The values are ordinary zeros; only the address
// differs, so results do not depend on it.
func NewStream(n, stream int) []float32 {
	const floats = pageBytes / 4
	buf := make([]float32, n+floats)
	if n == 0 {
		return buf[:0:0]
	}
	want := (stream * streamStagger) % pageBytes
	at := int(uintptr(unsafe.Pointer(&buf[0])) % pageBytes)
	i := ((want - at + pageBytes) % pageBytes) / 4
	return buf[i : i+n : i+n]
}
