//go:build purego || !amd64

package kernels

func maxPool2RowAVX512(y, x0, x1 *float32, ow, c int) { panic("unreachable") }
func maxPool2RowBackwardAVX512(dx0, dx1, dy, x0, x1, y *float32, ow, c int, relu bool) {
	panic("unreachable")
}
