//go:build purego || !amd64

package kernels

// Without the assembly, hasAVX512 is false and the portable loops run.

func reluAVX512(x *float32, n int)                       { panic("unreachable") }
func reluBackwardAVX512(dx, dy, y *float32, n int)       { panic("unreachable") }
func biasReluAVX512(x *float32, m, n int, bias *float32) { panic("unreachable") }
func addBiasAVX512(x *float32, m, n int, bias *float32)  { panic("unreachable") }
func addToAVX512(dst, src *float32, n int)               { panic("unreachable") }
func mulAVX512(dst, a, b *float32, n int)                { panic("unreachable") }
