//go:build !purego

package kernels

// Vector loops in optimizer_amd64.s; optimizer.go calls them and holds the
// portable loops they match bit for bit.

//go:noescape
func adamAVX512(p, grad, m, v *float32, n int, c *[8]float32)

//go:noescape
func adamAVX2(p, grad, m, v *float32, n int, c *[8]float32)

//go:noescape
func sgdAVX512(p, grad, vel *float32, n int, c *[4]float32, mode int)

//go:noescape
func sgdAVX2(p, grad, vel *float32, n int, c *[4]float32, mode int)
