package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// withKernel runs f with each micro-kernel this build and CPU support
// selected in turn (the SIMD ones and always the portable one).
func withKernel(t *testing.T, f func(t *testing.T)) {
	for _, k := range kernels() {
		t.Run(k.name, func(t *testing.T) {
			old := gemmKern
			gemmKern = k
			defer func() { gemmKern = old }()
			f(t)
		})
	}
}

func withProcs(n int, f func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	f()
}

var nan32 = float32(math.NaN())

// gemmCase is one product with padded operands: padding of A and B is NaN
// (reading it would poison C) and padding of C is a sentinel that must stay.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	lda, ldb, ldc  int
	a, b, c        []float32
}

const sentinel = float32(-12345)

func newCase(rng *rand.Rand, transA, transB bool, m, n, k int, alpha, beta float32, pad bool) *gemmCase {
	g := &gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	extra := func() int {
		if pad {
			return 1 + rng.IntN(5)
		}
		return 0
	}
	g.lda, g.ldb, g.ldc = max(ac, 1)+extra(), max(bc, 1)+extra(), max(n, 1)+extra()
	fill := func(rows, cols, ld int, padv float32) []float32 {
		s := make([]float32, max(rows*ld, 1))
		for i := range s {
			if i%ld < cols {
				s[i] = rng.Float32()*2 - 1
			} else {
				s[i] = padv
			}
		}
		return s
	}
	g.a = fill(ar, ac, g.lda, nan32)
	g.b = fill(br, bc, g.ldb, nan32)
	g.c = fill(m, n, g.ldc, sentinel)
	if beta == 0 {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				g.c[i*g.ldc+j] = nan32
			}
		}
	}
	return g
}

func (g *gemmCase) run(c []float32) {
	Sgemm(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
}

// check runs the product and compares it with sgemmRef within a bound that
// grows with k: |err| ≤ 2·k·ε·(|alpha|·Σ|a||b| + |beta·c|) + tiny.
func (g *gemmCase) check(t *testing.T) []float32 {
	t.Helper()
	got := append([]float32(nil), g.c...)
	g.run(got)
	want := append([]float32(nil), g.c...)
	sgemmRef(g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, want, g.ldc)
	abs := func(s []float32) []float32 {
		r := make([]float32, len(s))
		for i, v := range s {
			r[i] = float32(math.Abs(float64(v)))
		}
		return r
	}
	mag := make([]float32, len(g.c))
	sgemmRef(g.transA, g.transB, g.m, g.n, g.k, 1, abs(g.a), g.lda, abs(g.b), g.ldb, 0, mag, g.ldc)
	const eps = 1.0 / (1 << 24)
	for i := range got {
		if i%g.ldc >= g.n || i/g.ldc >= g.m {
			if got[i] != sentinel && !(i >= g.m*g.ldc) {
				t.Fatalf("%s: padding of C at %d changed to %v", g, i, got[i])
			}
			continue
		}
		scale := math.Abs(float64(g.alpha)) * float64(mag[i])
		if g.beta != 0 {
			scale += math.Abs(float64(g.beta * g.c[i]))
		}
		bound := 2 * float64(g.k+2) * eps * scale
		bound += 1e-30
		if d := math.Abs(float64(got[i] - want[i])); !(d <= bound) {
			t.Fatalf("%s: C[%d,%d] = %v, want %v (|diff| %g > %g)", g, i/g.ldc, i%g.ldc, got[i], want[i], d, bound)
		}
	}
	return got
}

func (g *gemmCase) String() string {
	return fmt.Sprintf("transA=%v transB=%v m=%d n=%d k=%d alpha=%v beta=%v lda=%d ldb=%d ldc=%d",
		g.transA, g.transB, g.m, g.n, g.k, g.alpha, g.beta, g.lda, g.ldb, g.ldc)
}

var odd = []int{1, 2, 3, 7, 8, 15, 17, 31, 33, 63, 65, 129}

var alphaBeta = [][2]float32{{1, 0}, {1, 1}, {-0.75, 0.5}, {2, 0}, {0.5, -1}}

func TestSgemmSmall(t *testing.T) {
	withKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for mi, m := range odd {
					for ni, n := range odd {
						k := odd[(mi*5+ni*3)%len(odd)]
						ab := alphaBeta[(mi+ni)%len(alphaBeta)]
						newCase(rng, ta, tb, m, n, k, ab[0], ab[1], (mi+ni)%2 == 0).check(t)
					}
				}
			}
		}
	})
}

func TestSgemmAlphaBeta(t *testing.T) {
	withKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, ab := range alphaBeta {
			for _, ta := range []bool{false, true} {
				for _, tb := range []bool{false, true} {
					newCase(rng, ta, tb, 37, 45, 19, ab[0], ab[1], true).check(t)
					newCase(rng, ta, tb, 16, 64, 300, ab[0], ab[1], false).check(t)
				}
			}
		}
	})
}

// Shapes that cross the k blocks (kc), n blocks (ncb), and the thresholds
// for packing A and B, plus the tutorial MLP's training shapes.
var largeShapes = [][5]int{ // transA, transB, m, n, k
	{0, 0, 130, 520, 40},
	{1, 0, 130, 520, 40},
	{0, 0, 70, 600, 530},
	{0, 1, 70, 600, 530},
	{1, 0, 130, 77, 520},
	{1, 1, 150, 1100, 40},
	{0, 0, 300, 90, 257},
	{0, 0, 32, 128, 784},
	{1, 0, 784, 128, 32},
	{0, 1, 32, 784, 128},
	{0, 0, 32, 10, 128},
	{1, 0, 128, 10, 32},
	{0, 1, 32, 128, 10},
	{0, 0, 2000, 32, 9},
	{1, 0, 9, 32, 2000},
	{0, 1, 200, 9, 32},
}

func TestSgemmLarge(t *testing.T) {
	withKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for i, s := range largeShapes {
			ab := alphaBeta[i%len(alphaBeta)]
			newCase(rng, s[0] == 1, s[1] == 1, s[2], s[3], s[4], ab[0], ab[1], i%2 == 1).check(t)
		}
	})
}

// TestSgemmForcedPaths reruns the small suite with tiny blocks (kc=24,
// two tiles per n block) so products cross many k and n blocks, with B
// always or never packed, and with every product split over 4 parts (2-D
// splits included): the blocking, packing and partition code is covered
// whatever the production thresholds pick.
func TestSgemmForcedPaths(t *testing.T) {
	oldTiles, oldStride, oldWork := packBMinTiles, packBMinStride, partMinWork
	defer func() { packBMinTiles, packBMinStride, partMinWork = oldTiles, oldStride, oldWork }()
	for _, k := range kernels() {
		oldKC, oldNCB := k.kc, k.ncb
		k.kc, k.ncb = 24, 2*k.nr
		defer func() { k.kc, k.ncb = oldKC, oldNCB }()
	}
	partMinWork = 1
	for _, pack := range []bool{false, true} {
		if pack {
			packBMinTiles, packBMinStride = 0, 0
		} else {
			packBMinTiles, packBMinStride = 1<<30, 1<<30
		}
		withProcs(4, func() {
			t.Run(fmt.Sprintf("packB=%v", pack), TestSgemmSmall)
		})
	}
}

func TestSgemmDegenerate(t *testing.T) {
	withKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, ab := range alphaBeta {
			newCase(rng, false, false, 5, 6, 0, ab[0], ab[1], true).check(t)
			newCase(rng, true, true, 9, 4, 7, 0, ab[1], true).check(t)
		}
		Sgemm(false, false, 0, 5, 5, 1, nil, 5, make([]float32, 25), 5, 0, nil, 5)
		Sgemm(false, false, 5, 0, 5, 1, make([]float32, 25), 5, nil, 1, 0, nil, 1)
	})
}

// TestSgemmDeterministic checks results are bit-identical whatever the
// number of workers (the split is over m and n only).
func TestSgemmDeterministic(t *testing.T) {
	withKernel(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, s := range [][5]int{{0, 0, 260, 300, 600}, {0, 1, 32, 784, 128}, {1, 0, 784, 128, 32}, {0, 0, 40, 700, 300}} {
			g := newCase(rng, s[0] == 1, s[1] == 1, s[2], s[3], s[4], 1, 0.5, false)
			var first []float32
			for _, p := range []int{1, 2, 3, 4, 7} {
				got := append([]float32(nil), g.c...)
				withProcs(p, func() { g.run(got) })
				if first == nil {
					first = got
					continue
				}
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%s: GOMAXPROCS=%d differs at %d: %v vs %v", g, p, i, got[i], first[i])
					}
				}
			}
		}
	})
}

// TestSgemmSplitAlongK checks the products that gemmSplit cuts along k (a
// small C, a sum over several k blocks, as a dense layer's forward pass at
// a small batch is): on every thread count they give the bits of the
// serial loop, stay within the reference's bound, and leave C's padding
// alone.
func TestSgemmSplitAlongK(t *testing.T) {
	withKernel(t, func(t *testing.T) {
		// The partial sums are bounded, and the parts get equally many
		// blocks: a sum this long, or of three blocks, is split along n.
		for _, k := range []int{20000, 1100} {
			if pm, pn, pk := gemmSplit(gemmKern, 32, 128, k, 2); pk != 1 || pm*pn != 2 {
				t.Fatalf("32×128×%d on 2 threads: split %d×%d×%d, want along n only", k, pm, pn, pk)
			}
		}
		rng := rand.New(rand.NewPCG(21, 22))
		for _, s := range []struct {
			transA, transB bool
			m, n, k        int
		}{
			{false, false, 32, 128, 784},  // the tutorial MLP's first layer: 2 k blocks
			{false, false, 32, 128, 1600}, // 4
			{true, true, 13, 70, 1900},    // partial tiles, both transposed: 4, the last one short
			{false, true, 100, 37, 2600},  // 6: 3 parts on 3 threads
		} {
			if _, _, pk := gemmSplit(gemmKern, s.m, s.n, s.k, 2); pk != 2 {
				t.Fatalf("%+v: gemmSplit on 2 threads gives %d parts along k, want 2", s, pk)
			}
			for _, ab := range alphaBeta {
				g := newCase(rng, s.transA, s.transB, s.m, s.n, s.k, ab[0], ab[1], true)
				var serial []float32
				withProcs(1, func() { serial = g.check(t) })
				for _, p := range []int{2, 3, 4} {
					got := append([]float32(nil), g.c...)
					withProcs(p, func() { g.run(got) })
					same(t, fmt.Sprintf("%s, GOMAXPROCS=%d against 1", g, p), got, serial) // padding included
				}
			}
		}
	})
}

// TestSgemmConcurrent runs products from many goroutines at once (the pool
// is shared); run with -race.
func TestSgemmConcurrent(t *testing.T) {
	withProcs(max(runtime.GOMAXPROCS(0), 2), func() {
		var wg sync.WaitGroup
		for w := 0; w < 6; w++ {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 11))
				for i := 0; i < 5; i++ {
					newCase(rng, w%2 == 0, i%2 == 0, 64+w, 96+i, 200, 1, 0, true).check(t)
				}
			})
		}
		wg.Wait()
	})
}

func TestPackT(t *testing.T) {
	for _, k := range kernels() {
		if k.packT == nil {
			continue
		}
		const nb, ld, ds = 3, 30, 37
		src := make([]float32, 8*ld)
		for i := range src {
			src[i] = float32(i)
		}
		dst := make([]float32, 8*nb*ds)
		k.packT(ptr(dst, 0), ds, ptr(src, 0), ld, nb)
		for r := 0; r < 8; r++ {
			for c := 0; c < 8*nb; c++ {
				if got, want := dst[c*ds+r], src[r*ld+c]; got != want {
					t.Fatalf("%s: dst[%d][%d] = %v, want %v", k.name, c, r, got, want)
				}
			}
		}
	}
}

// trainingShapes are the tutorial MLP's products at batch 32 (forward,
// weight gradient, input gradient for both Dense layers).
var trainingShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"fwd1_32x128x784", false, false, 32, 128, 784},
	{"dW1_784x128x32", true, false, 784, 128, 32},
	{"dx1_32x784x128", false, true, 32, 784, 128},
	{"fwd2_32x10x128", false, false, 32, 10, 128},
	{"dW2_128x10x32", true, false, 128, 10, 32},
	{"dx2_32x128x10", false, true, 32, 128, 10},
	{"fwd1_b128_128x128x784", false, false, 128, 128, 784},
	{"dW1_b128_784x128x128", true, false, 784, 128, 128},
	{"dx1_b128_128x784x128", false, true, 128, 784, 128},
	{"predict_10000x128x784", false, false, 10000, 128, 784},
	{"im2col1_25088x32x9", false, false, 25088, 32, 9},
	{"im2col2_6272x64x288", false, false, 6272, 64, 288},
	{"im2col2_dW_288x64x6272", true, false, 288, 64, 6272},
	{"im2col2_dx_6272x288x64", false, true, 6272, 288, 64},
}

func TestSgemmAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	for _, p := range []int{1, 2} {
		withProcs(p, func() {
			for _, s := range trainingShapes[:9] {
				g := newCase(rng, s.transA, s.transB, s.m, s.n, s.k, 1, 0, false)
				c := append([]float32(nil), g.c...)
				g.run(c) // warm the pool and buffers
				if n := testing.AllocsPerRun(20, func() { g.run(c) }); n != 0 {
					t.Errorf("GOMAXPROCS=%d %s: %v allocs per call", p, s.name, n)
				}
			}
		})
	}
}

// TestSgemmAllocsTraining runs many training steps' products with
// GOMAXPROCS=2 and a GC now and then, as a training loop does: the pool must
// not pile up job descriptors when its worker lags behind. The runtime may
// allocate a semaphore record after a GC, hence a small allowance rather
// than zero.
func TestSgemmAllocsTraining(t *testing.T) {
	procs := 2
	if gemmKern == &genericKernel {
		// The portable kernel is so slow that the worker parks between
		// calls, and the runtime's own bookkeeping for parked goroutines
		// allocates now and then; the split itself is tested with the
		// vector kernels.
		procs = 1
	}
	withProcs(procs, func() {
		rng := rand.New(rand.NewPCG(14, 15))
		var gs []*gemmCase
		var cs [][]float32
		for _, s := range trainingShapes[:6] {
			g := newCase(rng, s.transA, s.transB, s.m, s.n, s.k, 1, 0, false)
			gs = append(gs, g)
			cs = append(cs, append([]float32(nil), g.c...))
		}
		step := func() {
			for i, g := range gs {
				g.run(cs[i])
			}
		}
		for range 50 {
			step()
		}
		steps := 1000
		if gemmKern == &genericKernel {
			steps = 100 // slow, and allocations show as well
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		for i := range steps {
			step()
			if i%100 == 0 {
				runtime.GC() // which allocates a little itself: keep it rare
			}
		}
		runtime.ReadMemStats(&m1)
		if per := float64(m1.Mallocs-m0.Mallocs) / float64(steps); per > 0.1 {
			t.Errorf("%.3f allocations per training step", per)
		}
	})
}

type sumTask struct {
	x   []int
	out []int
}

func (s *sumTask) run(lo, hi int) {
	for i := lo; i < hi; i++ {
		s.out[i] = s.x[i] * 2
	}
}

func TestParallelFor(t *testing.T) {
	for _, p := range []int{1, 2, 5} {
		withProcs(p, func() {
			for _, n := range []int{0, 1, 2, 3, 10, 1000} {
				s := &sumTask{x: make([]int, n), out: make([]int, n)}
				for i := range s.x {
					s.x[i] = i
				}
				parallelFor(n, true, s)
				for i, v := range s.out {
					if v != 2*i {
						t.Fatalf("procs %d n %d: out[%d] = %d", p, n, i, v)
					}
				}
			}
		})
	}
	// While the pool backs off (contended machine), the same chunks run on
	// the caller.
	thePool.contendedUntil.Store(mono() + int64(time.Hour))
	withProcs(3, func() {
		s := &sumTask{x: make([]int, 100), out: make([]int, 100)}
		for i := range s.x {
			s.x[i] = i
		}
		parallelFor(100, true, s)
		for i, v := range s.out {
			if v != 2*i {
				t.Fatalf("contended: out[%d] = %d", i, v)
			}
		}
	})
	thePool.contendedUntil.Store(0)
	withProcs(2, func() {
		s := &sumTask{x: make([]int, 100), out: make([]int, 100)}
		parallelFor(100, true, s) // warm
		if n := testing.AllocsPerRun(50, func() { parallelFor(100, true, s) }); n != 0 {
			t.Errorf("parallelFor: %v allocs per call", n)
		}
	})
}

func benchGemm(b *testing.B, transA, transB bool, m, n, k int) {
	rng := rand.New(rand.NewPCG(1, 1))
	g := newCase(rng, transA, transB, m, n, k, 1, 0, false)
	c := g.c
	g.run(c)
	b.ResetTimer()
	for b.Loop() {
		g.run(c)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSgemm reports GFLOP/s for square sizes and the training shapes,
// on 1 and 2 threads (GOMAXPROCS), with the kernel SIMD() reports.
func BenchmarkSgemm(b *testing.B) {
	for _, th := range []int{1, 2} {
		for _, s := range []int{128, 256, 512, 1024} {
			b.Run(fmt.Sprintf("%d/t%d", s, th), func(b *testing.B) {
				withProcs(th, func() { benchGemm(b, false, false, s, s, s) })
			})
		}
		for _, s := range trainingShapes {
			b.Run(fmt.Sprintf("%s/t%d", s.name, th), func(b *testing.B) {
				withProcs(th, func() { benchGemm(b, s.transA, s.transB, s.m, s.n, s.k) })
			})
		}
	}
}

type nopTask struct{ sink []int }

func (t *nopTask) run(lo, hi int) { t.sink[lo]++ }

// BenchmarkParallelFor measures the pool's dispatch round trip.
func BenchmarkParallelFor(b *testing.B) {
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("t%d", th), func(b *testing.B) {
			withProcs(th, func() {
				t := &nopTask{sink: make([]int, 64)}
				for b.Loop() {
					parallelFor(2, true, t)
				}
			})
		})
	}
}

type spinTask struct {
	iters int
	sink  []float64
}

func (t *spinTask) run(lo, hi int) {
	for i := lo; i < hi; i++ {
		x := 1.0
		for j := 0; j < t.iters; j++ {
			x = x*1.0000001 + 1e-9
		}
		t.sink[i*8] = x
	}
}

// BenchmarkParallelForSpin: two chunks of ≈10µs each; ideal ≈10µs with two
// threads.
func BenchmarkParallelForSpin(b *testing.B) {
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("t%d", th), func(b *testing.B) {
			withProcs(th, func() {
				t := &spinTask{iters: 2500, sink: make([]float64, 64)}
				for b.Loop() {
					parallelFor(2, true, t)
				}
			})
		})
	}
}

// TestSgemmSameBitsEveryKernel holds every micro-kernel this build and CPU
// can run to the same bits, on the training shapes and on ones with edge
// tiles and several k blocks, for alpha 1 and beta 0 or 1 (what training
// uses) and for other alpha and beta.
func TestSgemmSameBitsEveryKernel(t *testing.T) {
	ks := kernels()
	shapes := []struct {
		transA, transB bool
		m, n, k        int
	}{{false, false, 37, 45, 1100}, {true, true, 13, 70, 515}, {false, true, 9, 33, 7}}
	for _, s := range trainingShapes[:9] {
		shapes = append(shapes, struct {
			transA, transB bool
			m, n, k        int
		}{s.transA, s.transB, s.m, s.n, s.k})
	}
	for _, s := range shapes {
		for _, ab := range [][2]float32{{1, 0}, {1, 1}, {0.5, -1.25}} {
			var want []float32
			for i, kr := range ks {
				g := newCase(rand.New(rand.NewPCG(uint64(s.m), uint64(s.k))), s.transA, s.transB, s.m, s.n, s.k, ab[0], ab[1], true)
				old := gemmKern
				gemmKern = kr
				c := append([]float32(nil), g.c...)
				g.run(c)
				gemmKern = old
				if i == 0 {
					want = c
					continue
				}
				same(t, fmt.Sprintf("%s against %s, %+v, alpha %v beta %v", kr.name, ks[0].name, s, ab[0], ab[1]), c, want)
			}
		}
	}
}

// TestSgemmHugeStrides: a leading dimension so large that (rows−1)·ld
// overflows int once passed the length checks and let the micro-kernels
// read and write far outside the slices (a fault, or silent corruption);
// every such call now panics with the operand that is too short.
func TestSgemmHugeStrides(t *testing.T) {
	const huge = 1 << 62 // 2·huge and 3·huge wrap around to ≤ 0
	a, b, c := make([]float32, 16), make([]float32, 16), make([]float32, 16)
	for _, tc := range []struct {
		want string
		f    func()
	}{
		{"kernels: A too short", func() { Sgemm(false, false, 3, 1, 1, 1, a, huge, b, 1, 0, c, 1) }},
		{"kernels: A too short", func() { Sgemm(true, false, 1, 1, 3, 1, a, huge, b, 1, 0, c, 1) }},
		{"kernels: B too short", func() { Sgemm(false, false, 1, 1, 3, 1, a, 3, b, huge, 0, c, 1) }},
		{"kernels: B too short", func() { Sgemm(false, true, 1, 3, 1, 1, a, 1, b, huge, 0, c, 3) }},
		{"kernels: C too short", func() { Sgemm(false, false, 3, 1, 1, 1, a, 1, b, 1, 0, c, huge) }},
		{"kernels: C too short", func() { Sgemm(false, false, 5, 1, 1, 1, a, 1, b, 1, 1, c, huge) }},
	} {
		func() {
			defer func() {
				if r := recover(); r != tc.want {
					t.Errorf("panic %v, want %q", r, tc.want)
				}
			}()
			tc.f()
		}()
	}
}
