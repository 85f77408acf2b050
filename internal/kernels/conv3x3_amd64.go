//go:build !purego

package kernels

// The loops of conv3x3.go, in conv3x3_amd64.s.

//go:noescape
func conv3x3c1FwdAVX512(out *float32, ldo int, xp *float32, wp, oh, ow, rowStep int, w *float32, ldw int, bias *float32, flags int)

//go:noescape
func conv3x3c1GradAVX512(dw *float32, ldw int, xp *float32, wp, ow, oh, hp, ox, oy, rows int, dz *float32, ldz int, beta0 int)
