//go:build purego || !amd64

package kernels

func adamAVX512(p, grad, m, v *float32, n int, c *[8]float32)         { panic("unreachable") }
func adamAVX2(p, grad, m, v *float32, n int, c *[8]float32)           { panic("unreachable") }
func sgdAVX512(p, grad, vel *float32, n int, c *[4]float32, mode int) { panic("unreachable") }
func sgdAVX2(p, grad, vel *float32, n int, c *[4]float32, mode int)   { panic("unreachable") }
