//go:build purego || !amd64

package kernels

// hasAVX512 is false: the portable loops in conv.go run instead.
var hasAVX512 = false

func reluAVX512(x *float32, n int)                                          { panic("unreachable") }
func reluBackwardAVX512(dx, dy, y *float32, n int)                          { panic("unreachable") }
func biasReluAVX512(x *float32, m, n int, bias *float32)                    { panic("unreachable") }
func addBiasAVX512(x *float32, m, n int, bias *float32)                     { panic("unreachable") }
func maxPool2RowAVX512(y, x0, x1 *float32, ow, c int)                       { panic("unreachable") }
func maxPool2RowBackwardAVX512(dx0, dx1, dy, x0, x1, y *float32, ow, c int) { panic("unreachable") }
func addToAVX512(dst, src *float32, n int)                                  { panic("unreachable") }
func colSumsAVX512(out, x *float32, m, w, stride int)                       { panic("unreachable") }
func colSumSqDevAVX512(out, x, mean *float32, m, w, stride int)             { panic("unreachable") }
func colSumDotAVX512(sum, dot, x, y, mean *float32, m, w, stride int)       { panic("unreachable") }
func scaleShiftColsAVX512(y, x *float32, m, n int, scale, shift *float32)   { panic("unreachable") }
func bnDxAVX512(dx, dy, x *float32, m, n int, mean, invStd, gamma, dgamma, dbeta *float32, inv float32) {
	panic("unreachable")
}
func adamAVX512(p, grad, m, v *float32, n int, c *[6]float32) { panic("unreachable") }
