//go:build !purego

package kernels

// im2colRowAVX512 is the copying loop of im2col (im2col_amd64.s).
//
//go:noescape
func im2colRowAVX512(dst, src *float32, n, seg, step, k0, k1, kh, rowStride int)
