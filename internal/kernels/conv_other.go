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
func sumRowsAVX512(out, x *float32, m, n int)                               { panic("unreachable") }
func adamAVX512(p, grad, m, v *float32, n int, c *[6]float32)               { panic("unreachable") }
