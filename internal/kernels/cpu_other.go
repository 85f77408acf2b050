//go:build purego || !amd64

package kernels

// hasAVX512 is false: the portable loops run instead.
var hasAVX512 = false
