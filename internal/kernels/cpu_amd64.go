//go:build !purego

package kernels

import (
	"encoding/binary"
	"strings"

	"golang.org/x/sys/cpu"
)

// hasAVX512 reports whether the AVX-512 loops of this package can run, and
// hasAVX2 whether the AVX2 ones can (the optimizer updates have both; where
// AVX-512 is present it is used).
var (
	hasAVX512 = cpu.X86.HasAVX512F
	hasAVX2   = cpu.X86.HasAVX2
)

// TAILOR_KERNELS=avx512 keeps the bfloat16 products to their emulation
// with FMAs (as on Intel, or a CPU without AVX512_BF16), avx2 keeps the
// kernels to their AVX2 loops (as on a CPU without AVX-512), and generic
// to the portable ones (as under -tags purego): results are the same bits
// on every path where the products are computed at all, and this lets a
// test or a user check it on one machine. It is read once, at start-up,
// and any other value stops the program (kernelsEnv).
func init() {
	switch kernelsEnv() {
	case "avx512":
		nativeBF16 = false
	case "avx2":
		hasAVX512, hasBF16, hasVDPBF16PS, nativeBF16 = false, false, false, false
		if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
			gemmKern = &avx2Kernel
		} else {
			hasAVX2, gemmKern = false, &genericKernel
		}
	case "generic":
		hasAVX512, hasAVX2, hasBF16, hasVDPBF16PS, nativeBF16 = false, false, false, false, false
		gemmKern = &genericKernel
	}
}

// simdLoops lists the vector loop families this build and CPU can run,
// best first; tests switch hasAVX512 and hasAVX2 to cover each.
func simdLoops() []string {
	var ls []string
	if cpu.X86.HasAVX512F {
		ls = append(ls, "avx512")
	}
	if cpu.X86.HasAVX2 {
		ls = append(ls, "avx2")
	}
	return ls
}

// cpuid executes CPUID with EAX = leaf and ECX = sub (cpu_amd64.s).
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// identify reads the vendor, the brand string and the family and model
// from CPUID.
func identify() CPUInfo {
	var c CPUInfo
	max, b, cx, d := cpuid(0, 0)
	var v [12]byte
	binary.LittleEndian.PutUint32(v[0:], b)
	binary.LittleEndian.PutUint32(v[4:], d)
	binary.LittleEndian.PutUint32(v[8:], cx)
	c.Vendor = string(v[:])
	if max >= 1 {
		a, _, _, _ := cpuid(1, 0)
		c.Family, c.ModelID = displayFamilyModel(a)
	}
	if ext, _, _, _ := cpuid(0x80000000, 0); ext >= 0x80000004 {
		var brand [48]byte
		for i := range 3 {
			a, b, cx, d := cpuid(0x80000002+uint32(i), 0)
			for j, r := range []uint32{a, b, cx, d} {
				binary.LittleEndian.PutUint32(brand[16*i+4*j:], r)
			}
		}
		c.Model = strings.TrimSpace(strings.TrimRight(string(brand[:]), "\x00"))
	}
	return c
}
