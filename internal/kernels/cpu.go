package kernels

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/cpu"
)

// CPUInfo describes the processor the kernels run on.
type CPUInfo struct {
	// Vendor is the CPUID vendor string ("AuthenticAMD", "GenuineIntel")
	// on x86, or "" where it is unknown.
	Vendor string
	// Model is the processor's brand string, e.g. "AMD EPYC 9R14 96-Core
	// Processor" (a hypervisor may shorten it), or GOARCH where there is
	// none.
	Model string
	// Family and ModelID are the x86 display family and model (CPUID leaf
	// 1), 0 elsewhere; Microarch names AMD's Zen generation from them
	// ("Zen 4"), or is "".
	Family, ModelID int
	Microarch       string
	// Features lists the instruction sets the kernels look for that the
	// CPU has, in a fixed order: "avx2", "fma", "avx512f", "avx512bw",
	// "avx512_bf16", "amx_bf16".
	Features []string
	// SIMD is the SGEMM micro-kernel in use (see SIMD).
	SIMD string
}

// String is a one-line summary: model, vendor, microarchitecture and
// features.
func (c CPUInfo) String() string {
	s := c.Model
	if c.Vendor != "" {
		s += fmt.Sprintf(" (%s family %#x model %#x", c.Vendor, c.Family, c.ModelID)
		if c.Microarch != "" {
			s += ", " + c.Microarch
		}
		s += ")"
	}
	if len(c.Features) > 0 {
		s += ", " + strings.Join(c.Features, " ")
	}
	return s
}

var (
	cpuOnce sync.Once
	cpuInfo CPUInfo
)

// CPU describes this machine's processor. It is read once per process.
func CPU() CPUInfo {
	cpuOnce.Do(func() {
		cpuInfo = identify()
		if cpuInfo.Model == "" {
			cpuInfo.Model = runtime.GOARCH
		}
		if cpuInfo.Vendor == "AuthenticAMD" {
			cpuInfo.Microarch = zen(cpuInfo.Family, cpuInfo.ModelID)
		}
		for _, f := range []struct {
			name string
			has  bool
		}{
			{"avx2", cpu.X86.HasAVX2}, {"fma", cpu.X86.HasFMA}, {"avx512f", cpu.X86.HasAVX512F},
			{"avx512bw", cpu.X86.HasAVX512BW}, {"avx512_bf16", cpu.X86.HasAVX512BF16}, {"amx_bf16", cpu.X86.HasAMXBF16},
		} {
			if f.has {
				cpuInfo.Features = append(cpuInfo.Features, f.name)
			}
		}
	})
	c := cpuInfo
	c.Features = append([]string(nil), c.Features...)
	// read now, not once: a package variable calls CPU before
	// TAILOR_KERNELS chooses the loops (cpu_amd64.go).
	c.SIMD = SIMD()
	return c
}

// kernelPaths are the values TAILOR_KERNELS may take besides "" (this
// CPU's best loops); see the package documentation.
var kernelPaths = []string{"avx512", "avx2", "generic"}

// kernelsEnv returns TAILOR_KERNELS, read once at start-up. Any other
// value than kernelPaths' or "" stops the program (exit status 2) with a
// message naming it: a typo would otherwise run this CPU's best loops
// where its user means to check another path, and the check would pass
// for nothing.
func kernelsEnv() string {
	v, err := kernelPath(os.Getenv("TAILOR_KERNELS"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	return v
}

// kernelPath checks a TAILOR_KERNELS value.
func kernelPath(v string) (string, error) {
	if v != "" && !slices.Contains(kernelPaths, v) {
		return "", fmt.Errorf("kernels: TAILOR_KERNELS=%q is not a kernel path: want %s, or unset for this CPU's best", v, strings.Join(kernelPaths, ", "))
	}
	return v, nil
}

// zen names the Zen generation of an AMD display family and model.
func zen(family, model int) string {
	switch {
	case family == 0x17 && model < 0x30:
		return "Zen/Zen+"
	case family == 0x17:
		return "Zen 2"
	case family == 0x19 && (model >= 0x10 && model < 0x20 || model >= 0x60 && model < 0x80 || model >= 0xa0 && model < 0xb0):
		return "Zen 4"
	case family == 0x19:
		return "Zen 3"
	case family == 0x1a:
		return "Zen 5"
	}
	return ""
}

// displayFamilyModel turns CPUID leaf 1's EAX into the display family and
// model, as both vendors' manuals define them.
func displayFamilyModel(eax uint32) (family, model int) {
	family = int(eax>>8) & 0xf
	model = int(eax>>4) & 0xf
	if family == 0xf {
		family += int(eax>>20) & 0xff
	}
	if family >= 6 {
		model += int(eax>>16) & 0xf << 4
	}
	return family, model
}

// The precision decision.
//
// Mixed precision (Conv.BF16) only pays where VDPBF16PS runs at the rate
// of the float32 FMA it replaces, since each one does two multiply-adds per
// lane. Measured with BenchmarkBgemm at a convolution's shapes: on AMD Zen 4
// (2-core EPYC) bfloat16 reached twice float32's GFLOP/s; on a 2-core Intel
// Xeon of the Sapphire/Emerald Rapids class with AVX512_BF16 (no AMX
// exposed) it reached 88–94 GFLOP/s against float32's 147–160, because
// Intel issues VDPBF16PS on one port and FMAs on two. So the decision is a
// table, which gives the same answer every time on a given CPU (a timing
// could flip on a busy machine, and with it the weights a seed gives):
//
//	no AVX512_BF16, or the portable build  →  float32
//	AMD with AVX512_BF16 (Zen 4, Zen 5)    →  bfloat16
//	Intel with AVX512_BF16                 →  float32 (AMX, which would
//	                                          pay, is not used by these kernels)
//	any other vendor with AVX512_BF16      →  a short timing of bgemm
//	                                          against sgemm decides, once
//
// MeasureBF16 times both at the same shape for reports such as tailor
// bench, which can then show whether the table holds on the machine.
//
// The table decides auto only. A layer that asks for mixed_bfloat16 gets
// it on any CPU with AVX-512, to the same bits: on Intel (and AVX-512
// without AVX512_BF16) the products are VDPBF16PS emulated with FMAs
// (bgemmEmuKernelAVX512), which, with its A widened to float32, needs
// about 18 cycles of the two FMA ports per 512 multiply-adds (32 FMAs
// and 4 splits of B) against 16 for float32's kernel: an estimate, not
// yet measured on Intel, of about 0.9× float32's rate, against the
// 0.6× measured for VDPBF16PS there.

var (
	bf16Once   sync.Once
	bf16Prefer bool
	bf16Reason string
)

// PreferBF16 reports whether mixed_bfloat16 convolutions are faster than
// float32 ones on this CPU, and why, by the table above. The decision is
// made once per process; a dtype policy "auto" resolves to mixed_bfloat16
// exactly when it is true.
func PreferBF16() (bool, string) {
	bf16Once.Do(func() {
		bf16Prefer, bf16Reason = preferBF16(CPU(), hasVDPBF16PS, MeasureBF16)
		if bf16Prefer && !nativeBF16 {
			bf16Prefer, bf16Reason = false, "VDPBF16PS turned off (TAILOR_KERNELS=avx512), and its emulation is no faster than float32: float32"
		}
	})
	return bf16Prefer, bf16Reason
}

// preferBF16 is PreferBF16's table for the CPU c, with native telling
// whether it has AVX512_BF16 and measure timing the bfloat16 products
// against float32's.
func preferBF16(c CPUInfo, native bool, measure func() (bf16, f32 float64)) (bool, string) {
	if !native {
		return false, "no native bfloat16 products (AVX512_BF16) here: float32"
	}
	switch c.Vendor {
	case "AuthenticAMD":
		return true, fmt.Sprintf("AMD %s with AVX512_BF16: VDPBF16PS does two multiply-adds per lane at the FMA rate, twice float32's", orUnknown(c.Microarch))
	case "GenuineIntel":
		why := "Intel with AVX512_BF16: VDPBF16PS issues on one port, FMAs on two, so bfloat16 is slower than float32"
		if slices.Contains(c.Features, "amx_bf16") {
			why += " (AMX-BF16, which would pay, is not used by these kernels)"
		}
		return false, why
	}
	bf, f := measure()
	if bf >= 1.25*f {
		return true, fmt.Sprintf("%s with AVX512_BF16: bfloat16 products measured at %.0f GFLOP/s against float32's %.0f", orUnknown(c.Vendor), bf, f)
	}
	return false, fmt.Sprintf("%s with AVX512_BF16: bfloat16 products measured at %.0f GFLOP/s against float32's %.0f, not enough faster", orUnknown(c.Vendor), bf, f)
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown microarchitecture)"
	}
	return s
}

// MeasureBF16 times, on the calling goroutine, the product of a
// convolution block of the reference CNN's second layer (1568 windows of
// 288 values by 64 filters) in bfloat16 (bgemm) and in float32
// (single-threaded SGEMM), best of several runs of about 20 ms, and returns
// both rates in GFLOP/s, bf16 with the kernel this CPU runs (VDPBF16PS or
// the emulation); bf16 is 0 where bfloat16 products do not run.
func MeasureBF16() (bf16, f32 float64) {
	const m, n, k = 1568, 64, 288
	a, w, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%7) - 3
	}
	for i := range w {
		w[i] = float32(i%5) - 2
	}
	rate := func(f func()) float64 {
		f()
		best := time.Duration(1 << 62)
		for range 5 {
			start, reps := time.Now(), 0
			for time.Since(start) < 4*time.Millisecond {
				f()
				reps++
			}
			best = min(best, time.Since(start)/time.Duration(reps))
		}
		return 2 * m * n * k / best.Seconds() / 1e9
	}
	f32 = rate(func() { sgemmSerial(false, false, m, n, k, 1, a, k, w, n, 0, c, n) })
	if !hasBF16 {
		return 0, f32
	}
	wd := pairWords()
	ab, wp := roundA(make([]uint32, m*k), a), make([]uint32, k/2*n)
	packPairs(wp, make([]uint16, k*n), w, k, n)
	pad := make([]uint32, bgemmPad(k/2))
	bf16 = rate(func() { bgemm(m, n, k/2, ab, k/2*wd, wd, wp, 0, c, n, pad) })
	return bf16, f32
}
