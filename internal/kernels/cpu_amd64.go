//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// hasAVX512 reports whether the AVX-512 loops of this package can run.
var hasAVX512 = cpu.X86.HasAVX512F
