//go:build !purego

package kernels

// AVX-512 loops in elementwise_amd64.s. Each takes raw pointers; the Go
// wrappers in elementwise.go check the lengths first.

//go:noescape
func reluAVX512(x *float32, n int)

//go:noescape
func reluBackwardAVX512(dx, dy, y *float32, n int)

//go:noescape
func biasReluAVX512(x *float32, m, n int, bias *float32)

//go:noescape
func addBiasAVX512(x *float32, m, n int, bias *float32)

//go:noescape
func addToAVX512(dst, src *float32, n int)

//go:noescape
func mulAVX512(dst, a, b *float32, n int)
