//go:build !purego

// The first convolution of an image network: a 3×3 window, stride 1, over
// one channel, read in place from a zero-padded image (padImage) instead of
// an unfolded copy. With only nine weights per filter, the general path
// (im2col, then 8×32 tiles of SGEMM summing over k = 9) spends more on
// unfolding, calls and tile edges than on arithmetic; these loops keep the
// weights (forward) or the kernel gradient (backward) of 32 filters in
// registers and stream the pixels. Each output sums its nine products in
// the order SGEMM does, with the same fused multiply-adds, so the results
// are those of the general path bit for bit (see conv3x3.go).

#include "textflag.h"

// TAP4(off, w0, w1) adds tap p of four neighbouring pixels: the pixel j
// value at off+4j(R10/R11/R12 for the window's row) times the weights of
// tap p (w0, w1: filters 0-15, 16-31) into the accumulators Z18+2j, Z19+2j.
#define TAP4(a0, a1, a2, a3, w0, w1) \
	VBROADCASTSS a0, Z26; \
	VFMADD231PS  w0, Z26, Z18; \
	VFMADD231PS  w1, Z26, Z19; \
	VBROADCASTSS a1, Z27; \
	VFMADD231PS  w0, Z27, Z20; \
	VFMADD231PS  w1, Z27, Z21; \
	VBROADCASTSS a2, Z26; \
	VFMADD231PS  w0, Z26, Z22; \
	VFMADD231PS  w1, Z26, Z23; \
	VBROADCASTSS a3, Z27; \
	VFMADD231PS  w0, Z27, Z24; \
	VFMADD231PS  w1, Z27, Z25

// TAP1 is TAP4 for one pixel.
#define TAP1(a0, w0, w1) \
	VBROADCASTSS a0, Z26; \
	VFMADD231PS  w0, Z26, Z18; \
	VFMADD231PS  w1, Z26, Z19

// EPI(acc0, acc1) applies the bias (from (R13)) and ReLU as flags (BX:
// bit 0 bias, bit 1 ReLU) say, as biasRelu and addBias do, and stores the
// pixel's 32 outputs at DI.
#define EPI(acc0, acc1) \
	TESTQ   $1, BX; \
	JEQ     3(PC); \
	VADDPS  (R13), acc0, acc0; \
	VADDPS  64(R13), acc1, acc1; \
	TESTQ   $2, BX; \
	JEQ     3(PC); \
	VMAXPS  acc0, Z28, acc0; \
	VMAXPS  acc1, Z28, acc1; \
	VMOVUPS acc0, (DI); \
	VMOVUPS acc1, 64(DI); \
	ADDQ    R8, DI

// func conv3x3c1FwdAVX512(out *float32, ldo int, xp *float32, wp, oh, ow, rowStep int, w *float32, ldw int, bias *float32, flags int)
//
// out (oh·ow pixels, ldo floats apart) gets 32 filters of the convolution
// of the padded image xp (rows wp floats wide; output row oy reads rows
// oy·rowStep/wp ..+2) with the 9×32 weights at w (rows ldw floats apart),
// then the bias and ReLU that flags asks for.
TEXT ·conv3x3c1FwdAVX512(SB), NOSPLIT, $0-88
	MOVQ out+0(FP), DI
	MOVQ ldo+8(FP), R8
	SHLQ $2, R8
	MOVQ xp+16(FP), SI
	MOVQ wp+24(FP), R9
	SHLQ $2, R9
	MOVQ w+56(FP), AX
	MOVQ ldw+64(FP), CX
	SHLQ $2, CX
	MOVQ bias+72(FP), R13
	MOVQ flags+80(FP), BX

	// the weights: tap p in Z(2p), Z(2p+1)
	VMOVUPS (AX), Z0
	VMOVUPS 64(AX), Z1
	ADDQ    CX, AX
	VMOVUPS (AX), Z2
	VMOVUPS 64(AX), Z3
	ADDQ    CX, AX
	VMOVUPS (AX), Z4
	VMOVUPS 64(AX), Z5
	ADDQ    CX, AX
	VMOVUPS (AX), Z6
	VMOVUPS 64(AX), Z7
	ADDQ    CX, AX
	VMOVUPS (AX), Z8
	VMOVUPS 64(AX), Z9
	ADDQ    CX, AX
	VMOVUPS (AX), Z10
	VMOVUPS 64(AX), Z11
	ADDQ    CX, AX
	VMOVUPS (AX), Z12
	VMOVUPS 64(AX), Z13
	ADDQ    CX, AX
	VMOVUPS (AX), Z14
	VMOVUPS 64(AX), Z15
	ADDQ    CX, AX
	VMOVUPS (AX), Z16
	VMOVUPS 64(AX), Z17
	VPXORD  Z28, Z28, Z28

	MOVQ oh+32(FP), CX
	MOVQ rowStep+48(FP), DX
	SHLQ $2, DX

frow:
	TESTQ CX, CX
	JEQ   fdone
	MOVQ  SI, R10
	LEAQ  (SI)(R9*1), R11
	LEAQ  (R11)(R9*1), R12
	MOVQ  ow+40(FP), AX

fpix4:
	CMPQ   AX, $4
	JLT    fpix1
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	TAP4(0(R10), 4(R10), 8(R10), 12(R10), Z0, Z1)
	TAP4(4(R10), 8(R10), 12(R10), 16(R10), Z2, Z3)
	TAP4(8(R10), 12(R10), 16(R10), 20(R10), Z4, Z5)
	TAP4(0(R11), 4(R11), 8(R11), 12(R11), Z6, Z7)
	TAP4(4(R11), 8(R11), 12(R11), 16(R11), Z8, Z9)
	TAP4(8(R11), 12(R11), 16(R11), 20(R11), Z10, Z11)
	TAP4(0(R12), 4(R12), 8(R12), 12(R12), Z12, Z13)
	TAP4(4(R12), 8(R12), 12(R12), 16(R12), Z14, Z15)
	TAP4(8(R12), 12(R12), 16(R12), 20(R12), Z16, Z17)
	EPI(Z18, Z19)
	EPI(Z20, Z21)
	EPI(Z22, Z23)
	EPI(Z24, Z25)
	ADDQ   $16, R10
	ADDQ   $16, R11
	ADDQ   $16, R12
	SUBQ   $4, AX
	JMP    fpix4

fpix1:
	TESTQ  AX, AX
	JEQ    fnext
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	TAP1(0(R10), Z0, Z1)
	TAP1(4(R10), Z2, Z3)
	TAP1(8(R10), Z4, Z5)
	TAP1(0(R11), Z6, Z7)
	TAP1(4(R11), Z8, Z9)
	TAP1(8(R11), Z10, Z11)
	TAP1(0(R12), Z12, Z13)
	TAP1(4(R12), Z14, Z15)
	TAP1(8(R12), Z16, Z17)
	EPI(Z18, Z19)
	ADDQ   $4, R10
	ADDQ   $4, R11
	ADDQ   $4, R12
	DECQ   AX
	JMP    fpix1

fnext:
	ADDQ DX, SI
	DECQ CX
	JMP  frow

fdone:
	VZEROUPPER
	RET

// GTAP(off, p0, p1) adds tap p of the current pixel, the value at off
// times its 32 output gradients (Z18, Z19), into the gradient of tap p's
// weights (p0, p1).
#define GTAP(off, p0, p1) \
	VBROADCASTSS off, Z20; \
	VFMADD231PS  Z18, Z20, p0; \
	VFMADD231PS  Z19, Z20, p1

// GSTORE(acc0, acc1) stores (beta 0, BX = 1) or adds (BX = 0) the
// gradient of one tap at DI, then moves DI on by R8.
#define GSTORE(acc0, acc1) \
	TESTQ   BX, BX; \
	JNE     3(PC); \
	VADDPS  (DI), acc0, acc0; \
	VADDPS  64(DI), acc1, acc1; \
	VMOVUPS acc0, (DI); \
	VMOVUPS acc1, 64(DI); \
	ADDQ    R8, DI

// func conv3x3c1GradAVX512(dw *float32, ldw int, xp *float32, wp, ow, oh, hp, ox, oy, rows int, dz *float32, ldz int, beta0 int)
//
// dw (9 rows of 32, ldw floats apart) = Σ over rows pixels, in raster
// order from output (oy, ox) of the image at xp (padded images of hp rows
// of wp floats, one after the other, each with oh×ow outputs), of the
// window's tap p times the pixel's 32 output gradients (at dz, ldz floats
// apart) — plus dw, unless beta0 is 1.
TEXT ·conv3x3c1GradAVX512(SB), NOSPLIT, $0-104
	MOVQ xp+16(FP), SI
	MOVQ wp+24(FP), R9
	SHLQ $2, R9
	MOVQ ow+32(FP), R13
	MOVQ ox+56(FP), DI
	MOVQ oy+64(FP), CX
	MOVQ rows+72(FP), BX
	MOVQ dz+80(FP), DX
	MOVQ ldz+88(FP), R8
	SHLQ $2, R8

	// DI = outputs left in this row, CX = rows left in this image
	NEGQ DI
	ADDQ R13, DI
	NEGQ CX
	ADDQ oh+40(FP), CX

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	TESTQ  BX, BX
	JEQ    gstore

gpix:
	MOVQ    SI, R10
	LEAQ    (SI)(R9*1), R11
	LEAQ    (R11)(R9*1), R12
	VMOVUPS (DX), Z18
	VMOVUPS 64(DX), Z19
	GTAP(0(R10), Z0, Z1)
	GTAP(4(R10), Z2, Z3)
	GTAP(8(R10), Z4, Z5)
	GTAP(0(R11), Z6, Z7)
	GTAP(4(R11), Z8, Z9)
	GTAP(8(R11), Z10, Z11)
	GTAP(0(R12), Z12, Z13)
	GTAP(4(R12), Z14, Z15)
	GTAP(8(R12), Z16, Z17)
	ADDQ    R8, DX
	ADDQ    $4, SI
	DECQ    DI
	JNE     gnext

	// the end of an output row: on to the next row's first window, and
	// at the end of an image to the next image's
	MOVQ  R13, DI
	MOVQ  R9, AX
	SUBQ  R13, AX
	SUBQ  R13, AX
	SUBQ  R13, AX
	SUBQ  R13, AX // AX = (wp − ow)·4 bytes
	ADDQ  AX, SI
	DECQ  CX
	JNE   gnext
	MOVQ  oh+40(FP), CX
	MOVQ  hp+48(FP), AX
	SUBQ  CX, AX
	IMULQ R9, AX  // (hp − oh) rows of wp floats
	ADDQ  AX, SI

gnext:
	DECQ BX
	JNE  gpix

gstore:
	MOVQ dw+0(FP), DI
	MOVQ ldw+8(FP), R8
	SHLQ $2, R8
	MOVQ beta0+96(FP), BX
	GSTORE(Z0, Z1)
	GSTORE(Z2, Z3)
	GSTORE(Z4, Z5)
	GSTORE(Z6, Z7)
	GSTORE(Z8, Z9)
	GSTORE(Z10, Z11)
	GSTORE(Z12, Z13)
	GSTORE(Z14, Z15)
	GSTORE(Z16, Z17)
	VZEROUPPER
	RET
