//go:build !purego

// AVX-512 loops of 2×2, stride-2 max pooling and its gradient: one vector
// per 16 channels of a channels-last row. See pool2d_amd64.go for the Go
// declarations and pool2d.go for the portable loops the tests compare them
// with.

#include "textflag.h"

// MAXFIRST(b, a, t) sets t to the maximum of a and b as the portable loop
// takes it, a first: a if a is NaN, else b if b is NaN, else b if b > a,
// else a (so a tie, such as +0 and −0, keeps a). VMAXPS alone returns its
// second operand on a tie or when either is NaN: here t = b > a ? b : a,
// which is a when either is NaN, and then b where K2 says a is not NaN
// (ORD_Q, into K1) and b is (UNORD_Q, under K1).
#define MAXFIRST(b, a, t) \
	VMAXPS  a, b, t; \
	VCMPPS  $7, a, a, K1; \
	VCMPPS  $3, b, b, K1, K2; \
	VMOVAPS b, K2, t

// func maxPool2RowAVX512(y, x0, x1 *float32, ow, c int)
// One output row of a 2×2, stride-2 max pool: for every ox < ow and
// channel j, y[ox][j] = max of x0[2ox][j], x0[2ox+1][j], x1[2ox][j],
// x1[2ox+1][j], where x0 and x1 are two consecutive input rows of c
// channels; c % 16 == 0. The right-hand column of a window is c floats
// (R8 bytes) after the left-hand one. The maximum is the portable loop's,
// taken in window order (MAXFIRST), NaN and ties included.
TEXT ·maxPool2RowAVX512(SB), NOSPLIT, $0-40
	MOVQ  y+0(FP), DI
	MOVQ  x0+8(FP), SI
	MOVQ  x1+16(FP), DX
	MOVQ  ow+24(FP), BX
	MOVQ  c+32(FP), R8
	SHLQ  $2, R8
	TESTQ BX, BX
	JEQ   mpdone

mppix:
	XORQ CX, CX

mpch:
	VMOVUPS (SI), Z1
	VMOVUPS (SI)(R8*1), Z2
	VMOVUPS (DX), Z3
	VMOVUPS (DX)(R8*1), Z4
	MAXFIRST(Z2, Z1, Z5)
	MAXFIRST(Z4, Z3, Z6)
	MAXFIRST(Z6, Z5, Z1)
	VMOVUPS Z1, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	ADDQ    $64, CX
	CMPQ    CX, R8
	JLT     mpch
	ADDQ    R8, SI // skip the right-hand column
	ADDQ    R8, DX
	DECQ    BX
	JNZ     mppix

mpdone:
	VZEROUPPER
	RET

// func maxPool2RowBackwardAVX512(dx0, dx1, dy, x0, x1, y *float32, ow, c int, relu bool)
// The gradient of maxPool2RowAVX512: each dy goes to the first of the four
// window positions (top-left, top-right, bottom-left, bottom-right) whose
// input equals the pooled maximum y or is NaN (UNORD_Q against Z31 = 0:
// only a window whose y is NaN holds one, and y is its first NaN), and
// every other position gets 0. dx0
// and dx1 are the two input rows' gradients, written in full. With relu,
// a dy whose y is not positive counts as 0 (MaxPool2DReluBackward).
TEXT ·maxPool2RowBackwardAVX512(SB), NOSPLIT, $0-65
	MOVQ   dx0+0(FP), DI
	MOVQ   dx1+8(FP), R11
	MOVQ   dy+16(FP), R12
	MOVQ   x0+24(FP), SI
	MOVQ   x1+32(FP), DX
	MOVQ   y+40(FP), R13
	MOVQ   ow+48(FP), BX
	MOVQ   c+56(FP), R8
	MOVBQZX relu+64(FP), R9
	SHLQ   $2, R8
	VPXORD Z31, Z31, Z31
	TESTQ  BX, BX
	JEQ    mbdone

mbpix:
	XORQ CX, CX

mbch:
	VMOVUPS   (R13), Z0 // y
	VMOVUPS   (R12), Z1 // dy
	TESTQ     R9, R9
	JEQ       mbroute
	VCMPPS    $0x1e, Z31, Z0, K3 // y > 0, ordered
	VMOVUPS.Z Z1, K3, Z1

mbroute:
	VCMPPS    $0, (SI), Z0, K1
	VCMPPS    $3, (SI), Z31, K4
	KORW      K4, K1, K1
	VMOVUPS.Z Z1, K1, Z2
	VMOVUPS   Z2, (DI)
	VCMPPS    $0, (SI)(R8*1), Z0, K2
	VCMPPS    $3, (SI)(R8*1), Z31, K4
	KORW      K4, K2, K2
	KANDNW    K2, K1, K2
	KORW      K1, K2, K1
	VMOVUPS.Z Z1, K2, Z2
	VMOVUPS   Z2, (DI)(R8*1)
	VCMPPS    $0, (DX), Z0, K2
	VCMPPS    $3, (DX), Z31, K4
	KORW      K4, K2, K2
	KANDNW    K2, K1, K2
	KORW      K1, K2, K1
	VMOVUPS.Z Z1, K2, Z2
	VMOVUPS   Z2, (R11)
	VCMPPS    $0, (DX)(R8*1), Z0, K2
	VCMPPS    $3, (DX)(R8*1), Z31, K4
	KORW      K4, K2, K2
	KANDNW    K2, K1, K2
	VMOVUPS.Z Z1, K2, Z2
	VMOVUPS   Z2, (R11)(R8*1)
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, DI
	ADDQ      $64, R11
	ADDQ      $64, R12
	ADDQ      $64, R13
	ADDQ      $64, CX
	CMPQ      CX, R8
	JLT       mbch
	ADDQ      R8, SI
	ADDQ      R8, DX
	ADDQ      R8, DI
	ADDQ      R8, R11
	DECQ      BX
	JNZ       mbpix

mbdone:
	VZEROUPPER
	RET
