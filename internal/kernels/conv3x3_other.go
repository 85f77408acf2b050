//go:build purego || !amd64

package kernels

func conv3x3c1FwdAVX512(out *float32, ldo int, xp *float32, wp, oh, ow, rowStep int, w *float32, ldw int, bias *float32, flags int) {
	panic("unreachable")
}

func conv3x3c1GradAVX512(dw *float32, ldw int, xp *float32, wp, ow, oh, hp, ox, oy, rows int, dz *float32, ldz int, beta0 int) {
	panic("unreachable")
}
