//go:build purego || !amd64

package kernels

func adamAVX512(p, grad, m, v *float32, n int, c *[6]float32) { panic("unreachable") }
