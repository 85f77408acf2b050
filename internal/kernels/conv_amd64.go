//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// AVX-512 loops in conv_amd64.s. Each takes raw pointers; the Go wrappers
// in conv.go check the lengths first.

// hasAVX512 reports whether the loops in conv_amd64.s can run.
var hasAVX512 = cpu.X86.HasAVX512F

//go:noescape
func reluAVX512(x *float32, n int)

//go:noescape
func reluBackwardAVX512(dx, dy, y *float32, n int)

//go:noescape
func biasReluAVX512(x *float32, m, n int, bias *float32)

//go:noescape
func addBiasAVX512(x *float32, m, n int, bias *float32)

//go:noescape
func maxPool2RowAVX512(y, x0, x1 *float32, ow, c int)

//go:noescape
func maxPool2RowBackwardAVX512(dx0, dx1, dy, x0, x1, y *float32, ow, c int)

//go:noescape
func addToAVX512(dst, src *float32, n int)

//go:noescape
func colSumsAVX512(out, x *float32, m, w, stride int)

//go:noescape
func colSumSqDevAVX512(out, x, mean *float32, m, w, stride int)

//go:noescape
func colSumDotAVX512(sum, dot, x, y, mean *float32, m, w, stride int)

//go:noescape
func scaleShiftColsAVX512(y, x *float32, m, n int, scale, shift *float32)

//go:noescape
func bnDxAVX512(dx, dy, x *float32, m, n int, mean, invStd, gamma, dgamma, dbeta *float32, inv float32)

//go:noescape
func adamAVX512(p, grad, m, v *float32, n int, c *[6]float32)
