package kernels

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestDisplayFamilyModel(t *testing.T) {
	for _, c := range []struct {
		eax           uint32
		family, model int
	}{
		{0x00a10f11, 0x19, 0x11}, // AMD EPYC 9004 (Genoa), Zen 4
		{0x00b00f21, 0x1a, 0x02}, // AMD Zen 5
		{0x000806f8, 6, 0x8f},    // Intel Sapphire Rapids
		{0x00000f29, 0xf, 0x2},   // Intel Pentium 4 (family 15, no extension)
	} {
		if f, m := displayFamilyModel(c.eax); f != c.family || m != c.model {
			t.Errorf("%#x: family %#x model %#x, want %#x %#x", c.eax, f, m, c.family, c.model)
		}
	}
	if z := zen(0x19, 0x11); z != "Zen 4" {
		t.Errorf("zen(0x19, 0x11) = %q", z)
	}
	if z := zen(0x19, 0x21); z != "Zen 3" {
		t.Errorf("zen(0x19, 0x21) = %q", z)
	}
}

// TestCPU checks what CPU reports against the build's own view of the
// machine: the features the kernels select their loops by.
func TestCPU(t *testing.T) {
	c := CPU()
	if c.Model == "" || c.SIMD != SIMD() {
		t.Errorf("CPU() = %+v", c)
	}
	if hasAVX512 && !slices.Contains(c.Features, "avx512f") {
		t.Errorf("AVX-512 loops run but CPU() lists %v", c.Features)
	}
	if hasVDPBF16PS && !slices.Contains(c.Features, "avx512_bf16") {
		t.Errorf("VDPBF16PS runs but CPU() lists %v", c.Features)
	}
	if c.Vendor == "AuthenticAMD" && c.Family >= 0x19 && c.Microarch == "" {
		t.Errorf("AMD family %#x model %#x has no Zen name", c.Family, c.ModelID)
	}
	if s := c.String(); !strings.Contains(s, c.Model) {
		t.Errorf("String() = %q", s)
	}
	t.Logf("%s", c)
}

// TestCPUUnderKernelsEnv runs TestCPU in a process of its own for each
// TAILOR_KERNELS path: CPU().SIMD once said "avx512" under
// TAILOR_KERNELS=avx2, since a package variable read CPU() before the
// variable was applied.
func TestCPUUnderKernelsEnv(t *testing.T) {
	if os.Getenv("TAILOR_KERNELS_CHILD") != "" {
		return
	}
	for _, v := range kernelPaths {
		if out, err := runUnderKernels("TestCPU", v); err != nil {
			t.Errorf("TAILOR_KERNELS=%s: %v\n%s", v, err, out)
		}
	}
}

// runUnderKernels runs the test named test in a process of its own (this
// test binary) with TAILOR_KERNELS=v, and TAILOR_KERNELS_CHILD set for the
// test to know it is the child; it returns the child's output.
func runUnderKernels(test, v string) (string, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TAILOR_KERNELS_CHILD=1", "TAILOR_KERNELS="+v)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestPreferBF16 checks the decision table, and that PreferBF16 decides
// once and follows it on this machine.
func TestPreferBF16(t *testing.T) {
	amd := CPUInfo{Vendor: "AuthenticAMD", Family: 0x19, ModelID: 0x11, Microarch: "Zen 4", Features: []string{"avx512_bf16"}}
	intel := CPUInfo{Vendor: "GenuineIntel", Family: 6, ModelID: 0xcf, Features: []string{"avx512_bf16"}}
	intelAMX := CPUInfo{Vendor: "GenuineIntel", Family: 6, ModelID: 0x8f, Features: []string{"avx512_bf16", "amx_bf16"}}
	other := CPUInfo{Vendor: "SomeVendor"}
	measured := 0
	fast := func() (float64, float64) { measured++; return 200, 100 }
	slow := func() (float64, float64) { measured++; return 90, 150 }
	for _, c := range []struct {
		cpu     CPUInfo
		native  bool
		measure func() (float64, float64)
		want    bool
		reason  string
	}{
		{amd, false, fast, false, "no native"},
		{amd, true, slow, true, "Zen 4"},
		{intel, true, fast, false, "one port"},
		{intelAMX, true, fast, false, "AMX"},
		{other, true, fast, true, "measured at 200"},
		{other, true, slow, false, "not enough"},
	} {
		got, why := preferBF16(c.cpu, c.native, c.measure)
		if got != c.want || !strings.Contains(why, c.reason) {
			t.Errorf("%+v native %v: %v %q, want %v and a reason naming %q", c.cpu, c.native, got, why, c.want, c.reason)
		}
	}
	if measured != 2 {
		t.Errorf("the timing ran %d times, want only for the unknown vendor (2)", measured)
	}
	p1, r1 := PreferBF16()
	p2, r2 := PreferBF16()
	if p1 != p2 || r1 != r2 {
		t.Errorf("PreferBF16 = %v %q, then %v %q", p1, r1, p2, r2)
	}
	if v := CPU().Vendor; !hasVDPBF16PS || v == "AuthenticAMD" || v == "GenuineIntel" {
		want, _ := preferBF16(CPU(), hasVDPBF16PS, func() (float64, float64) {
			t.Error("the table timed a CPU it knows")
			return 0, 0
		})
		if p1 != (want && nativeBF16) {
			t.Errorf("PreferBF16 = %v, the table says %v (VDPBF16PS used: %v)", p1, want, nativeBF16)
		}
	}
	if p1 && !nativeBF16 {
		t.Errorf("PreferBF16 prefers bfloat16 where VDPBF16PS is not used")
	}
	t.Logf("PreferBF16: %v, %s", p1, r1)
}

// TestKernelsEnvTypo: a TAILOR_KERNELS value that names no kernel path
// stops the program at start-up with a message naming it and the paths
// there are, where it was once ignored and the default loops ran while a
// check believed it ran another path; the paths themselves, and the empty
// value, start as before.
func TestKernelsEnvTypo(t *testing.T) {
	if os.Getenv("TAILOR_KERNELS_CHILD") != "" {
		return // in the child: started, so the value was accepted
	}
	run := func(v string) (string, error) { return runUnderKernels("TestKernelsEnvTypo", v) }
	for _, v := range []string{"avx-2", "AVX2", "generic ", "purego"} {
		out, err := run(v)
		if err == nil {
			t.Errorf("TAILOR_KERNELS=%q: the program started:\n%s", v, out)
			continue
		}
		if want := fmt.Sprintf("TAILOR_KERNELS=%q is not a kernel path: want avx512, avx2, generic", v); !strings.Contains(out, want) {
			t.Errorf("TAILOR_KERNELS=%q: output %q does not say %q", v, out, want)
		}
		if strings.Contains(out, "goroutine") {
			t.Errorf("TAILOR_KERNELS=%q: a panic's trace, want the message alone:\n%s", v, out)
		}
	}
	for _, v := range []string{"", "avx512", "avx2", "generic"} {
		if out, err := run(v); err != nil {
			t.Errorf("TAILOR_KERNELS=%q: %v\n%s", v, err, out)
		}
	}
}
