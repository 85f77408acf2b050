//go:build purego || !amd64

package kernels

func im2colRowAVX512(dst, src *float32, n, seg, step, k0, k1, kh, rowStride int) {
	panic("unreachable")
}
