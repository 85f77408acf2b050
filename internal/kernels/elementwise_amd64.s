//go:build !purego

// AVX-512 loops for the elementwise work of every layer: ReLU and its
// gradient, bias (+ ReLU) and the additions of col2im and the pools. Go does
// not vectorise loops, and these run over every activation of a network, so
// in scalar Go they cost as much as the matrix products. See
// elementwise_amd64.go for the Go declarations and elementwise.go for the
// portable loops the tests compare them with. Operand order is Go's: sources
// first, destination last; VMAXPS Y, X, D sets D = X > Y ? X : Y (so with
// X = 0 a NaN in Y is kept, as in the scalar code).

#include "textflag.h"
#include "tailmask_amd64.h"

// func reluAVX512(x *float32, n int)
TEXT ·reluAVX512(SB), NOSPLIT, $0-16
	MOVQ   x+0(FP), DI
	MOVQ   n+8(FP), CX
	VPXORD Z0, Z0, Z0

relu64:
	CMPQ    CX, $64
	JLT     relu16
	VMAXPS  (DI), Z0, Z1
	VMAXPS  64(DI), Z0, Z2
	VMAXPS  128(DI), Z0, Z3
	VMAXPS  192(DI), Z0, Z4
	VMOVUPS Z1, (DI)
	VMOVUPS Z2, 64(DI)
	VMOVUPS Z3, 128(DI)
	VMOVUPS Z4, 192(DI)
	ADDQ    $256, DI
	SUBQ    $64, CX
	JMP     relu64

relu16:
	CMPQ    CX, $16
	JLT     relutail
	VMAXPS  (DI), Z0, Z1
	VMOVUPS Z1, (DI)
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     relu16

relutail:
	TESTQ     CX, CX
	JEQ       reludone
	TAILMASK
	VMOVUPS.Z (DI), K1, Z2
	VMAXPS    Z2, Z0, Z1
	VMOVUPS   Z1, K1, (DI)

reludone:
	VZEROUPPER
	RET

// func reluBackwardAVX512(dx, dy, y *float32, n int)
// dx[i] = y[i] > 0 ? dy[i] : 0 (predicate 0x11, LT_OQ: 0 < y)
TEXT ·reluBackwardAVX512(SB), NOSPLIT, $0-32
	MOVQ   dx+0(FP), DI
	MOVQ   dy+8(FP), SI
	MOVQ   y+16(FP), DX
	MOVQ   n+24(FP), CX
	VPXORD Z0, Z0, Z0

rb32:
	CMPQ      CX, $32
	JLT       rb16
	VCMPPS    $0x11, (DX), Z0, K2
	VCMPPS    $0x11, 64(DX), Z0, K3
	VMOVUPS.Z (SI), K2, Z1
	VMOVUPS.Z 64(SI), K3, Z2
	VMOVUPS   Z1, (DI)
	VMOVUPS   Z2, 64(DI)
	ADDQ      $128, DI
	ADDQ      $128, SI
	ADDQ      $128, DX
	SUBQ      $32, CX
	JMP       rb32

rb16:
	CMPQ      CX, $16
	JLT       rbtail
	VCMPPS    $0x11, (DX), Z0, K2
	VMOVUPS.Z (SI), K2, Z1
	VMOVUPS   Z1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	SUBQ      $16, CX
	JMP       rb16

rbtail:
	TESTQ     CX, CX
	JEQ       rbdone
	TAILMASK
	VMOVUPS.Z (DX), K1, Z3
	VCMPPS    $0x11, Z3, Z0, K2
	VMOVUPS.Z (SI), K2, Z1
	VMOVUPS   Z1, K1, (DI)

rbdone:
	VZEROUPPER
	RET

// func biasReluAVX512(x *float32, m, n int, bias *float32)
// x[i][j] = max(x[i][j] + bias[j], 0) for the m×n matrix x; n % 16 == 0.
TEXT ·biasReluAVX512(SB), NOSPLIT, $0-32
	MOVQ   x+0(FP), DI
	MOVQ   m+8(FP), BX
	MOVQ   n+16(FP), R8
	MOVQ   bias+24(FP), SI
	VPXORD Z0, Z0, Z0
	TESTQ  BX, BX
	JEQ    brdone

brrow:
	XORQ CX, CX

brcol:
	VMOVUPS (DI)(CX*4), Z1
	VADDPS  (SI)(CX*4), Z1, Z1
	VMAXPS  Z1, Z0, Z1
	VMOVUPS Z1, (DI)(CX*4)
	ADDQ    $16, CX
	CMPQ    CX, R8
	JLT     brcol
	LEAQ    (DI)(R8*4), DI
	DECQ    BX
	JNZ     brrow

brdone:
	VZEROUPPER
	RET

// func addBiasAVX512(x *float32, m, n int, bias *float32)
// x[i][j] += bias[j] for the m×n matrix x; n % 16 == 0.
TEXT ·addBiasAVX512(SB), NOSPLIT, $0-32
	MOVQ  x+0(FP), DI
	MOVQ  m+8(FP), BX
	MOVQ  n+16(FP), R8
	MOVQ  bias+24(FP), SI
	TESTQ BX, BX
	JEQ   abdone

abrow:
	XORQ CX, CX

abcol:
	VMOVUPS (DI)(CX*4), Z1
	VADDPS  (SI)(CX*4), Z1, Z1
	VMOVUPS Z1, (DI)(CX*4)
	ADDQ    $16, CX
	CMPQ    CX, R8
	JLT     abcol
	LEAQ    (DI)(R8*4), DI
	DECQ    BX
	JNZ     abrow

abdone:
	VZEROUPPER
	RET
// BINARY sets dst[i] = a[i] OP b[i] for DI = dst, SI = a, DX = b and
// CX = n elements, 32, then 16 at a time, then a masked tail; dst may
// alias a or b.
#define BINARY(OP) \
bin32: \
	CMPQ    CX, $32; \
	JLT     bin16; \
	VMOVUPS (SI), Z1; \
	VMOVUPS 64(SI), Z2; \
	OP      (DX), Z1, Z1; \
	OP      64(DX), Z2, Z2; \
	VMOVUPS Z1, (DI); \
	VMOVUPS Z2, 64(DI); \
	ADDQ    $128, DI; \
	ADDQ    $128, SI; \
	ADDQ    $128, DX; \
	SUBQ    $32, CX; \
	JMP     bin32; \
bin16: \
	CMPQ    CX, $16; \
	JLT     bintail; \
	VMOVUPS (SI), Z1; \
	OP      (DX), Z1, Z1; \
	VMOVUPS Z1, (DI); \
	ADDQ    $64, DI; \
	ADDQ    $64, SI; \
	ADDQ    $64, DX; \
	SUBQ    $16, CX; \
bintail: \
	TESTQ     CX, CX; \
	JEQ       bindone; \
	TAILMASK; \
	VMOVUPS.Z (SI), K1, Z1; \
	VMOVUPS.Z (DX), K1, Z2; \
	OP        Z2, Z1, Z1; \
	VMOVUPS   Z1, K1, (DI); \
bindone: \
	VZEROUPPER

// func addToAVX512(dst, src *float32, n int)
// dst[i] += src[i]
TEXT ·addToAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ DI, SI
	MOVQ src+8(FP), DX
	MOVQ n+16(FP), CX
	BINARY(VADDPS)
	RET

// func mulAVX512(dst, a, b *float32, n int)
// dst[i] = a[i]·b[i]; dst may alias a or b
TEXT ·mulAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	BINARY(VMULPS)
	RET
