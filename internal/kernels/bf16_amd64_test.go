//go:build !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// withNative runs f with the bfloat16 products computed natively
// (VDPBF16PS) or by the emulation, as nativeBF16 says.
func withNative(native bool, f func()) {
	defer func(old bool) { nativeBF16 = old }(nativeBF16)
	nativeBF16 = native
	f()
}

// TestBgemmEmuKernel holds the emulation's micro-kernels to VDPBF16PS bit
// for bit where the CPU has it (whether or not its kernels use it: on an
// Intel with AVX512_BF16 this compares Intel's VDPBF16PS), and to their
// portable contract everywhere: random pairs, sums of up to 2·3·300
// products, every tile shape, and tiny operands whose products and sums
// straddle float32's normal range, which both flush (on Zen 4, 37% of
// those results differ from unflushed arithmetic).
func TestBgemmEmuKernel(t *testing.T) {
	if !hasBF16 {
		t.Skip("this CPU lacks AVX-512")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	value := func(tiny bool) uint16 {
		v := float32(rng.NormFloat64())
		if tiny { // 2^-70 to 2^-54: products from about 2^-140 to 2^-108
			v = float32(math.Copysign(math.Ldexp(1+rng.Float64(), -70+rng.IntN(16)), float64(v)))
		}
		return roundBF16(v)
	}
	for _, kern := range []struct {
		name      string
		emu, dp   bkernelFunc
		rows      int
		mrs, kps  []int
		tinyCases []bool
	}{
		{"8 rows", bgemmEmuKernel, bgemmKernel, 8, []int{1, 5, 8}, []int{1, 3, 4, 5, 300}, []bool{false, true}},
		{"7 rows", bgemmEmuKernel7, bgemmKernel7, 7, []int{1, 7}, []int{1, 4, 144}, []bool{false, true}},
	} {
		for _, tiny := range kern.tinyCases {
			for _, kp := range kern.kps {
				for _, nseg := range []int{1, 3} {
					for _, mr := range kern.mrs {
						for _, nr := range []int{1, 16, 17, 32} {
							const rsA, segStride, ldb, ldc = 150, 1300, 40, 36
							pairs := make([]uint32, 8*rsA+(nseg-1)*segStride+kp)
							for i := range pairs {
								pairs[i] = uint32(value(tiny)) | uint32(value(tiny))<<16
							}
							wide := make([]float32, 2*len(pairs))
							for i, v := range pairs {
								wide[2*i], wide[2*i+1] = bf16Float(uint16(v)), bf16Float(uint16(v>>16))
							}
							b := make([]uint32, nseg*kp*ldb)
							for i := range b {
								b[i] = uint32(value(tiny)) | uint32(value(tiny))<<16
							}
							c0 := make([]float32, 8*ldc)
							for i := range c0 {
								c0[i] = rng.Float32()
							}
							for _, flags := range []int{0, flagBeta0} {
								run := func(fn bkernelFunc, a unsafe.Pointer, unit int) []float32 {
									c := append([]float32(nil), c0...)
									fn(kp, a, rsA*unit, unit, unsafe.Pointer(&b[0]), ldb, unsafe.Pointer(&c[0]), ldc, 0.5, 2, flags, mr, nr, nseg, segStride*unit)
									return c
								}
								got := run(kern.emu, unsafe.Pointer(&wide[0]), 2)
								if hasVDPBF16PS {
									same(t, kern.name+": the emulation against VDPBF16PS", got, run(kern.dp, unsafe.Pointer(&pairs[0]), 1))
								}
								if !tiny { // the portable kernel does not flush
									same(t, kern.name+": the emulation against its contract", got, run(bgemmEmuKernelGeneric, unsafe.Pointer(&wide[0]), 2))
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestBgemmEmuKernelUnderflow pins VDPBF16PS's flushing at the edge of
// the normal range, where FTZ's tininess is decided after rounding (as
// if the exponent were unbounded): 2^-126 − 2^-151 rounds up to 2^-126
// and stays; 2^-126 − 2^-150 is exact there, so tiny, and flushed. The
// emulation gives those values, and so does VDPBF16PS where the CPU has
// it (checked on Zen 4).
func TestBgemmEmuKernelUnderflow(t *testing.T) {
	if !hasBF16 {
		t.Skip("this CPU lacks AVX-512")
	}
	pow := func(e int) uint16 { return roundBF16(float32(math.Ldexp(1, e))) }
	neg := func(h uint16) uint16 { return h | 0x8000 }
	for _, tc := range []struct {
		name               string
		aLo, aHi, bLo, bHi uint16 // the pair's odd product aHi·bHi is added first
		want               float32
	}{
		{"2^-126 - 2^-151", neg(pow(-75)), pow(-63), pow(-76), pow(-63), float32(math.Ldexp(1, -126))},
		{"2^-126 - 2^-150", neg(pow(-75)), pow(-63), pow(-75), pow(-63), 0},
		{"-2^-126 + 2^-151", pow(-75), neg(pow(-63)), pow(-76), pow(-63), float32(-math.Ldexp(1, -126))},
		{"2^-151 alone", pow(-75), 0, pow(-76), 0, 0},
	} {
		a, b := make([]uint32, 8), make([]uint32, 32)
		for i := range a {
			a[i] = uint32(tc.aLo) | uint32(tc.aHi)<<16
		}
		for i := range b {
			b[i] = uint32(tc.bLo) | uint32(tc.bHi)<<16
		}
		wide := make([]float32, 16)
		for i, v := range a {
			wide[2*i], wide[2*i+1] = bf16Float(uint16(v)), bf16Float(uint16(v>>16))
		}
		run := func(fn bkernelFunc, a unsafe.Pointer, unit int) float32 {
			c := make([]float32, 8*32)
			fn(1, a, unit, unit, unsafe.Pointer(&b[0]), 32, unsafe.Pointer(&c[0]), 32, 1, 0, flagBeta0, 8, 32, 1, 0)
			return c[0]
		}
		if got := run(bgemmEmuKernel, unsafe.Pointer(&wide[0]), 2); math.Float32bits(got) != math.Float32bits(tc.want) {
			t.Errorf("%s: the emulation gives %g, want %g", tc.name, got, tc.want)
		}
		if hasVDPBF16PS {
			if got := run(bgemmKernel, unsafe.Pointer(&a[0]), 1); math.Float32bits(got) != math.Float32bits(tc.want) {
				t.Errorf("%s: VDPBF16PS gives %g, want %g", tc.name, got, tc.want)
			}
		}
	}
}

// TestRoundBF16AVX512 holds the AVX-512F rounding (the emulation's
// toBF16 and widenBF16) to roundBF16 on every kind of value.
func TestRoundBF16AVX512(t *testing.T) {
	if !hasBF16 {
		t.Skip("this CPU lacks AVX-512")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	src := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 1.00390625, 1.01171875, math.MaxFloat32, -math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.Float32frombits(0x7f800001), math.Float32frombits(0xff810000),
		math.Float32frombits(1), math.Float32frombits(0x807fffff), math.Float32frombits(0x00800000), math.Float32frombits(0x3f80ffff)}
	for len(src) < 4096 {
		src = append(src, math.Float32frombits(rng.Uint32()))
	}
	n := len(src) &^ 15
	halves, wide := make([]uint16, n), make([]float32, n)
	roundBF16AVX512(unsafe.Pointer(&halves[0]), &src[0], n, false)
	roundBF16AVX512(unsafe.Pointer(&wide[0]), &src[0], n, true)
	for i, v := range src[:n] {
		want := roundBF16(v)
		if halves[i] != want || math.Float32bits(wide[i]) != uint32(want)<<16 {
			t.Fatalf("%#08x: %#04x and %#08x, want %#04x", math.Float32bits(v), halves[i], math.Float32bits(wide[i]), want)
		}
	}
}

// TestConvEmulationMatchesNative runs every mixed-precision pass of the
// convolutions TestConvDriverBF16 covers both ways, natively and
// emulated: the same bits.
func TestConvEmulationMatchesNative(t *testing.T) {
	if !hasVDPBF16PS {
		t.Skip("this CPU lacks AVX512_BF16: nothing to compare the emulation with")
	}
	rng := rand.New(rand.NewPCG(12, 13))
	for _, tc := range []struct {
		h, w, c, kh, kw, sh, sw int
		same                    bool
		f, n                    int
	}{
		{28, 28, 1, 3, 3, 1, 1, true, 32, 3}, // odd channels: unfolded
		{28, 28, 32, 3, 3, 1, 1, true, 32, 3},
		{14, 14, 32, 3, 3, 1, 1, true, 64, 5},
		{14, 14, 64, 3, 3, 2, 2, true, 128, 4}, // best's stride-2 layer: odd output rows
		{9, 7, 3, 3, 2, 1, 1, false, 8, 3},
		{7, 7, 64, 3, 3, 1, 1, true, 128, 9},
		{10, 10, 2, 2, 2, 1, 1, true, 8, 3},
	} {
		g, err := NewConvGeom(tc.h, tc.w, tc.c, tc.kh, tc.kw, tc.sh, tc.sw, tc.same)
		if err != nil {
			t.Fatal(err)
		}
		n, f, p, k := tc.n, tc.f, g.Pixels(), g.PatchSize()
		x, w, bias, dz := randSlice(rng, n*g.InSize()), randSlice(rng, k*f), randSlice(rng, f), randSlice(rng, n*p*f)
		run := func(native, noPaired bool) (y, dw, dx []float32) {
			withNative(native, func() {
				c := NewConv(g, f)
				c.BF16, c.noPaired = true, noPaired
				y, dw, dx = make([]float32, n*p*f), make([]float32, k*f), make([]float32, len(x))
				c.Forward(y, x, w, bias, n, true)
				c.KernelGrad(dw, x, dz, n)
				c.InputGrad(dx, dz, w, n)
			})
			return y, dw, dx
		}
		for _, noPaired := range []bool{false, true} {
			y, dw, dx := run(true, noPaired)
			ye, dwe, dxe := run(false, noPaired)
			same(t, "forward", ye, y)
			same(t, "kernel gradient", dwe, dw)
			same(t, "input gradient", dxe, dx)
		}
	}
}

// BenchmarkBgemmMethods times bgemm at a convolution block's shape (1568
// windows of 576 values by 64 filters) with VDPBF16PS, where the CPU has
// it, and with its emulation, against float32's SGEMM: the figures behind
// nativeBF16's choice.
func BenchmarkBgemmMethods(b *testing.B) {
	if !hasBF16 {
		b.Skip("this CPU lacks AVX-512")
	}
	const m, n, k = 1568, 64, 576
	a, w, c := benchRand(m*k), benchRand(k*n), make([]float32, m*n)
	flops := 2 * float64(m*n*k)
	b.Run("f32", func(b *testing.B) {
		for b.Loop() {
			sgemmSerial(false, false, m, n, k, 1, a, k, w, n, 0, c, n)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
	wp := make([]uint32, k/2*n)
	packPairs(wp, make([]uint16, k*n), w, k, n)
	pad := make([]uint32, bgemmPad(k/2))
	for _, method := range []struct {
		name   string
		native bool
	}{{"vdpbf16ps", true}, {"emulated", false}} {
		if method.native && !hasVDPBF16PS {
			continue
		}
		b.Run(method.name, func(b *testing.B) {
			withNative(method.native, func() {
				wd := pairWords()
				ab := roundA(make([]uint32, len(a)), a)
				for b.Loop() {
					bgemm(m, n, k/2, ab, k/2*wd, wd, wp, 0, c, n, pad)
				}
			})
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
