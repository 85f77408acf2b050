//go:build purego || !amd64

package kernels

import "unsafe"

func convTileAVX512(rows *[8]uintptr, segs *int, b, c unsafe.Pointer, ldc, flags, mr, nr int, beta float32) {
	panic("unreachable")
}
