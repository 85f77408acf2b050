//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// hasExpVec reports whether expAVX512 can run and gives math.Exp's bits:
// math.Exp takes its FMA branch on CPUs with AVX and FMA, which the kernel
// mirrors.
var hasExpVec = cpu.X86.HasAVX512F && cpu.X86.HasAVX && cpu.X86.HasFMA

// expAVX512 is in exp_amd64.s.
//
//go:noescape
func expAVX512(dst, src *float64, n int)
