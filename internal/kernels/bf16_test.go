package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

func TestRoundBF16(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want uint16
	}{
		{1, 0x3f80},
		{-2, 0xc000},
		{math.Float32frombits(0x3f808000), 0x3f80}, // tie, even stays
		{math.Float32frombits(0x3f818000), 0x3f82}, // tie, odd rounds up
		{math.Float32frombits(0x3f808001), 0x3f81}, // above the tie
		{math.Float32frombits(0x3f807fff), 0x3f80}, // below the tie
		{math.Float32frombits(0x7f7fffff), 0x7f80}, // largest float32 rounds to +Inf
		{float32(math.Inf(-1)), 0xff80},
		{math.Float32frombits(0x00000001), 0x0000}, // denormal → zero
		{math.Float32frombits(0x807fffff), 0x8000}, // negative denormal → -0
		{math.Float32frombits(0x7f800001), 0x7fc0}, // signalling NaN → quiet
	} {
		if got := roundBF16(tc.in); got != tc.want {
			t.Errorf("roundBF16(%#08x) = %#04x, want %#04x", math.Float32bits(tc.in), got, tc.want)
		}
	}
	if got := bf16Float(0x3f80); got != 1 {
		t.Errorf("bf16Float(0x3f80) = %v, want 1", got)
	}
}

// TestToBF16 holds the vector conversion to roundBF16 on random values of
// every magnitude, the special ones and the tail.
func TestToBF16(t *testing.T) {
	if !hasBF16 {
		t.Skip("this CPU lacks AVX512_BF16; toBF16 runs roundBF16 only")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]float32, 1000+7)
	for i := range src {
		src[i] = math.Float32frombits(rng.Uint32())
	}
	copy(src, []float32{0, -0.0, 1, float32(math.Inf(1)), math.Float32frombits(0x3f818000), math.Float32frombits(0x00400000)})
	got := make([]uint16, len(src))
	toBF16(got, src)
	for i, v := range src {
		if want := roundBF16(v); got[i] != want && !(math.IsNaN(float64(v)) && got[i]&0x7fc0 == 0x7fc0) {
			t.Fatalf("toBF16(%#08x) = %#04x, want %#04x", math.Float32bits(v), got[i], want)
		}
	}
}

// TestBgemmKernel compares the assembly micro-kernel with its Go contract
// on every tile shape it is called with, with one segment and several, with
// and without beta.
func TestBgemmKernel(t *testing.T) {
	if !hasBF16 {
		t.Skip("this CPU lacks AVX512_BF16")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	bf := func(n int) []uint32 {
		s := make([]uint32, n)
		for i := range s {
			s[i] = uint32(roundBF16(rng.Float32()*2-1)) | uint32(roundBF16(rng.Float32()*2-1))<<16
		}
		return s
	}
	for _, kern := range []struct {
		name string
		fn   bkernelFunc
		rows int
	}{{"8 rows", bgemmKernel, 8}, {"7 rows", bgemmKernel7, 7}} {
		for _, kp := range []int{1, 3, 4, 5, 144} {
			for _, nseg := range []int{1, 3} {
				for _, mr := range []int{1, 5, kern.rows} {
					for _, nr := range []int{1, 16, 17, 32} {
						const rsA, segStride, ldb, ldc = 150, 1300, 40, 36
						a, b := bf(8*rsA+(nseg-1)*segStride+kp), bf(nseg*kp*ldb)
						c0 := make([]float32, 8*ldc)
						for i := range c0 {
							c0[i] = rng.Float32()
						}
						for _, flags := range []int{0, flagBeta0} {
							want := append([]float32(nil), c0...)
							got := append([]float32(nil), c0...)
							bgemmKernelGeneric(kp, unsafe.Pointer(&a[0]), rsA, 1, unsafe.Pointer(&b[0]), ldb, unsafe.Pointer(&want[0]), ldc, 0.5, 2, flags, mr, nr, nseg, segStride)
							kern.fn(kp, unsafe.Pointer(&a[0]), rsA, 1, unsafe.Pointer(&b[0]), ldb, unsafe.Pointer(&got[0]), ldc, 0.5, 2, flags, mr, nr, nseg, segStride)
							for i := range want {
								if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*float64(kp*nseg) {
									t.Fatalf("%s, kp %d, %d segments, %d×%d, flags %d: C[%d] = %v, want %v", kern.name, kp, nseg, mr, nr, flags, i, got[i], want[i])
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestBgemm checks the driver (with whichever micro-kernel this CPU runs)
// against a float64 product of the rounded operands, for row counts that
// leave a partial tile and column counts that leave a partial panel, and A
// read both along its rows and down its columns, overwriting and adding to C.
func TestBgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, s := range []struct{ m, n, k int }{{1, 1, 2}, {8, 32, 2}, {13, 10, 18}, {50, 64, 288}, {98, 33, 576}} {
		t.Run(fmt.Sprintf("%dx%dx%d", s.m, s.n, s.k), func(t *testing.T) {
			lda, w := s.k+4, pairWords()
			a := make([]uint16, s.m*lda)
			af := make([]float32, s.m*lda)
			for i := range a {
				a[i] = roundBF16(rng.Float32()*2 - 1)
				af[i] = bf16Float(a[i])
			}
			aw := roundA(make([]uint32, len(af)), af) // A as this CPU's kernel reads it
			bf := make([]float32, s.k*s.n)
			for i := range bf {
				bf[i] = rng.Float32()*2 - 1
			}
			b := make([]uint32, s.k/2*s.n)
			packPairs(b, make([]uint16, s.k*s.n), bf, s.k, s.n)
			c := make([]float32, s.m*s.n)
			pad := make([]uint32, bgemmPad(s.k/2))
			bgemm(s.m, s.n, s.k/2, aw, lda/2*w, w, b, 0, c, s.n, pad)
			check := func(how string, times float64) {
				for i := 0; i < s.m; i++ {
					for j := 0; j < s.n; j++ {
						var want float64
						for p := 0; p < s.k; p++ {
							want += float64(bf16Float(a[i*lda+p])) * float64(bf16Float(roundBF16(bf[p*s.n+j])))
						}
						want *= times
						if d := math.Abs(float64(c[i*s.n+j]) - want); d > 1e-5*float64(s.k) {
							t.Fatalf("%s: C[%d,%d] = %v, want %v", how, i, j, c[i*s.n+j], want)
						}
					}
				}
			}
			check("A by rows", 1)
			// the same A as pairs down its columns (pairRows of Aᵀ's
			// layout), added to C
			aT := make([]uint32, s.k/2*s.m*w)
			for q := 0; q < s.k/2; q++ {
				for i := 0; i < s.m; i++ {
					copy(aT[(q*s.m+i)*w:(q*s.m+i+1)*w], aw[(i*lda/2+q)*w:])
				}
			}
			bgemm(s.m, s.n, s.k/2, aT, w, s.m*w, b, 1, c, s.n, pad)
			check("A by columns, beta 1", 2)
		})
	}
}

// BenchmarkBgemm compares bgemm with sgemmSerial on the products of a
// convolution block (rows of windows × filters × window size).
func BenchmarkBgemm(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{3136, 32, 288}, {1568, 64, 576}, {784, 128, 576}} {
		a := make([]float32, s.m*s.k)
		w := make([]float32, s.k*s.n)
		for i := range a {
			a[i] = float32(i%7) - 3
		}
		c := make([]float32, s.m*s.n)
		flops := 2 * float64(s.m*s.n*s.k)
		b.Run(fmt.Sprintf("f32/%dx%dx%d", s.m, s.n, s.k), func(b *testing.B) {
			for b.Loop() {
				sgemmSerial(false, false, s.m, s.n, s.k, 1, a, s.k, w, s.n, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		if !hasBF16 {
			continue
		}
		wd := pairWords()
		ab := roundA(make([]uint32, len(a)), a)
		wp := make([]uint32, s.k/2*s.n)
		packPairs(wp, make([]uint16, s.k*s.n), w, s.k, s.n)
		pad := make([]uint32, bgemmPad(s.k/2))
		b.Run(fmt.Sprintf("bf16/%dx%dx%d", s.m, s.n, s.k), func(b *testing.B) {
			for b.Loop() {
				bgemm(s.m, s.n, s.k/2, ab, s.k/2*wd, wd, wp, 0, c, s.n, pad)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
