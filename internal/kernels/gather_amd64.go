//go:build !purego

package kernels

import "unsafe"

// prefetchRows is in gather_amd64.s.
//
//go:noescape
func prefetchRows(src unsafe.Pointer, rowBytes int, idx *int, n int)

const hasPrefetch = true

// gatherU8AVX512 is in gather_amd64.s.
//
//go:noescape
func gatherU8AVX512(dst *float32, src *uint8, rowLen int, idx *int, n int, k float32, divide int)
