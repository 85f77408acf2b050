//go:build !purego

package kernels

// AVX-512 loops in pool2d_amd64.s; pool2d.go calls them.

//go:noescape
func maxPool2RowAVX512(y, x0, x1 *float32, ow, c int)

//go:noescape
func maxPool2RowBackwardAVX512(dx0, dx1, dy, x0, x1, y *float32, ow, c int, relu bool)
