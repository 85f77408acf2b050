//go:build purego || !amd64

package kernels

func colSumsAVX512(out, x *float32, m, w, stride int)                     { panic("unreachable") }
func colSumSqDevAVX512(out, x, mean *float32, m, w, stride int)           { panic("unreachable") }
func colSumDotAVX512(sum, dot, x, y, mean *float32, m, w, stride int)     { panic("unreachable") }
func scaleShiftColsAVX512(y, x *float32, m, n int, scale, shift *float32) { panic("unreachable") }
func bnDxAVX512(dx, dy, x *float32, m, n int, mean, invStd, gamma, dgamma, dbeta *float32, inv float32, relu bool) {
	panic("unreachable")
}
