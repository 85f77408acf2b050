//go:build purego || !amd64

package kernels

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// hasAVX512 and hasAVX2 are false: the portable loops run instead.
var hasAVX512, hasAVX2 = false, false

// TAILOR_KERNELS changes nothing in this build, whose loops are all the
// portable ones, but a value that names no path stops the program here
// too (kernelsEnv).
func init() { kernelsEnv() }

// simdLoops lists no vector loops: this build has none.
func simdLoops() []string { return nil }

// identify reads the vendor, model name, family and model from
// /proc/cpuinfo where there is one (this build has no CPUID instruction).
func identify() CPUInfo {
	var c CPUInfo
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return c
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			if c.Model != "" {
				break // the end of the first processor's entry
			}
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "vendor_id":
			c.Vendor = v
		case "model name":
			c.Model = v
		case "cpu family":
			c.Family, _ = strconv.Atoi(v)
		case "model":
			c.ModelID, _ = strconv.Atoi(v)
		}
	}
	return c
}
