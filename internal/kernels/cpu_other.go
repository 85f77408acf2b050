//go:build purego || !amd64

package kernels

// hasAVX512 and hasAVX2 are false: the portable loops run instead.
var hasAVX512, hasAVX2 = false, false

// simdLoops lists no vector loops: this build has none.
func simdLoops() []string { return nil }
