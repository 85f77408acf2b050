//go:build !purego

package kernels

// AVX-512 loops in optimizer_amd64.s; optimizer.go calls them.

//go:noescape
func adamAVX512(p, grad, m, v *float32, n int, c *[6]float32)
