//go:build !purego

package kernels

import "unsafe"

// convTileAVX512 is the float32 convolution tile (convtile_amd64.s).
//
//go:noescape
func convTileAVX512(rows *[8]uintptr, segs *int, b, c unsafe.Pointer, ldc, flags, mr, nr int, beta float32)
