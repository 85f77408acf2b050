//go:build purego || !amd64

package kernels

import "unsafe"

func prefetchRows(src unsafe.Pointer, rowBytes int, idx *int, n int) { panic("unreachable") }

const hasPrefetch = false

func gatherU8AVX512(dst *float32, src *uint8, rowLen int, idx *int, n int, k float32, divide int) {
	panic("unreachable")
}
