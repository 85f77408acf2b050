//go:build !purego

package kernels

// AVX-512 loops in norm_amd64.s; norm.go calls them.

//go:noescape
func colSumsAVX512(out, x *float32, m, w, stride int)

//go:noescape
func colSumSqDevAVX512(out, x, mean *float32, m, w, stride int)

//go:noescape
func colSumDotAVX512(sum, dot, x, y, mean *float32, m, w, stride int)

//go:noescape
func scaleShiftColsAVX512(y, x *float32, m, n int, scale, shift *float32)

//go:noescape
func bnDxAVX512(dx, dy, x *float32, m, n int, mean, invStd, gamma, dgamma, dbeta *float32, inv float32, relu bool)
