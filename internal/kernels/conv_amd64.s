//go:build !purego

// AVX-512 loops for the convolutional layers' elementwise work: ReLU and
// its gradient, bias + ReLU, and 2×2 max pooling. Go does not vectorise
// loops, and these run over every activation of a CNN, so in scalar Go
// they cost as much as the matrix products. See conv_amd64.go for the Go
// declarations and conv_generic.go for the portable equivalents the tests
// compare them with. Operand order is Go's: sources first, destination
// last; VMAXPS Y, X, D sets D = X > Y ? X : Y (so with X = 0 a NaN in Y is
// kept, as in the scalar code).

#include "textflag.h"

// tailMask sets K1 to the low CX bits (CX < 16); clobbers AX.
#define TAILMASK \
	MOVQ  $1, AX; \
	SHLQ  CX, AX; \
	DECQ  AX; \
	KMOVW AX, K1

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

// func maxPool2RowAVX512(y, x0, x1 *float32, ow, c int)
// One output row of a 2×2, stride-2 max pool: for every ox < ow and
// channel j, y[ox][j] = max of x0[2ox][j], x0[2ox+1][j], x1[2ox][j],
// x1[2ox+1][j], where x0 and x1 are two consecutive input rows of c
// channels; c % 16 == 0. The right-hand column of a window is c floats
// (R8 bytes) after the left-hand one.
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
	VMAXPS  (SI)(R8*1), Z1, Z1
	VMOVUPS (DX), Z2
	VMAXPS  (DX)(R8*1), Z2, Z2
	VMAXPS  Z2, Z1, Z1
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

// func maxPool2RowBackwardAVX512(dx0, dx1, dy, x0, x1, y *float32, ow, c int)
// The gradient of maxPool2RowAVX512: each dy goes to the first of the four
// window positions (top-left, top-right, bottom-left, bottom-right) whose
// input equals the pooled maximum y, and every other position gets 0. dx0
// and dx1 are the two input rows' gradients, written in full.
TEXT ·maxPool2RowBackwardAVX512(SB), NOSPLIT, $0-64
	MOVQ  dx0+0(FP), DI
	MOVQ  dx1+8(FP), R11
	MOVQ  dy+16(FP), R12
	MOVQ  x0+24(FP), SI
	MOVQ  x1+32(FP), DX
	MOVQ  y+40(FP), R13
	MOVQ  ow+48(FP), BX
	MOVQ  c+56(FP), R8
	SHLQ  $2, R8
	TESTQ BX, BX
	JEQ   mbdone

mbpix:
	XORQ CX, CX

mbch:
	VMOVUPS   (R13), Z0 // y
	VMOVUPS   (R12), Z1 // dy
	VCMPPS    $0, (SI), Z0, K1
	VMOVUPS.Z Z1, K1, Z2
	VMOVUPS   Z2, (DI)
	VCMPPS    $0, (SI)(R8*1), Z0, K2
	KANDNW    K2, K1, K2
	KORW      K1, K2, K1
	VMOVUPS.Z Z1, K2, Z2
	VMOVUPS   Z2, (DI)(R8*1)
	VCMPPS    $0, (DX), Z0, K2
	KANDNW    K2, K1, K2
	KORW      K1, K2, K1
	VMOVUPS.Z Z1, K2, Z2
	VMOVUPS   Z2, (R11)
	VCMPPS    $0, (DX)(R8*1), Z0, K2
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

// func addToAVX512(dst, src *float32, n int)
// dst[i] += src[i]
TEXT ·addToAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

at32:
	CMPQ    CX, $32
	JLT     at16
	VMOVUPS (DI), Z1
	VMOVUPS 64(DI), Z2
	VADDPS  (SI), Z1, Z1
	VADDPS  64(SI), Z2, Z2
	VMOVUPS Z1, (DI)
	VMOVUPS Z2, 64(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $32, CX
	JMP     at32

at16:
	CMPQ    CX, $16
	JLT     attail
	VMOVUPS (DI), Z1
	VADDPS  (SI), Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	SUBQ    $16, CX

attail:
	TESTQ     CX, CX
	JEQ       atdone
	TAILMASK
	VMOVUPS.Z (DI), K1, Z1
	VMOVUPS.Z (SI), K1, Z2
	VADDPS    Z2, Z1, Z1
	VMOVUPS   Z1, K1, (DI)

atdone:
	VZEROUPPER
	RET

// COLMASKS sets K1..K4 to the 16-column vectors of a block of AX columns
// (AX ≤ 64, a multiple of 16) that exist; clobbers BX, DX.
#define COLMASKS \
	MOVQ    $0xffff, BX; \
	XORQ    DX, DX; \
	KMOVW   BX, K1; \
	CMPQ    AX, $16; \
	CMOVQLE DX, BX; \
	KMOVW   BX, K2; \
	CMPQ    AX, $32; \
	CMOVQLE DX, BX; \
	KMOVW   BX, K3; \
	CMPQ    AX, $48; \
	CMOVQLE DX, BX; \
	KMOVW   BX, K4

// LOAD4(base, r0, r1, r2, r3) loads the block's (up to) four vectors at
// base, zero where they do not exist.
#define LOAD4(base, r0, r1, r2, r3) \
	VMOVUPS.Z (base), K1, r0; \
	VMOVUPS.Z 64(base), K2, r1; \
	VMOVUPS.Z 128(base), K3, r2; \
	VMOVUPS.Z 192(base), K4, r3

#define STORE4(base, r0, r1, r2, r3) \
	VMOVUPS r0, K1, (base); \
	VMOVUPS r1, K2, 64(base); \
	VMOVUPS r2, K3, 128(base); \
	VMOVUPS r3, K4, 192(base)

#define ZERO4(r0, r1, r2, r3) \
	VPXORD r0, r0, r0; \
	VPXORD r1, r1, r1; \
	VPXORD r2, r2, r2; \
	VPXORD r3, r3, r3

// func colSumsAVX512(out, x *float32, m, w, stride int)
// out[j] = Σ_i x[i·stride + j] for j < w ≤ 64, w % 16 == 0, summing each
// column in row order as the scalar loop does.
TEXT ·colSumsAVX512(SB), NOSPLIT, $0-40
	MOVQ w+24(FP), AX
	COLMASKS
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ m+16(FP), CX
	MOVQ stride+32(FP), R10
	SHLQ $2, R10
	ZERO4(Z0, Z1, Z2, Z3)

csrow:
	TESTQ  CX, CX
	JEQ    csstore
	LOAD4(SI, Z4, Z5, Z6, Z7)
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	ADDQ   R10, SI
	DECQ   CX
	JMP    csrow

csstore:
	STORE4(DI, Z0, Z1, Z2, Z3)
	VZEROUPPER
	RET

// func colSumSqDevAVX512(out, x, mean *float32, m, w, stride int)
// out[j] = Σ_i (x[i·stride + j] − mean[j])² for j < w, as colSumsAVX512.
TEXT ·colSumSqDevAVX512(SB), NOSPLIT, $0-48
	MOVQ w+32(FP), AX
	COLMASKS
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ mean+16(FP), R8
	MOVQ m+24(FP), CX
	MOVQ stride+40(FP), R10
	SHLQ $2, R10
	LOAD4(R8, Z8, Z9, Z10, Z11)
	ZERO4(Z0, Z1, Z2, Z3)

sdrow:
	TESTQ  CX, CX
	JEQ    sdstore
	LOAD4(SI, Z4, Z5, Z6, Z7)
	VSUBPS Z8, Z4, Z4
	VSUBPS Z9, Z5, Z5
	VSUBPS Z10, Z6, Z6
	VSUBPS Z11, Z7, Z7
	VMULPS Z4, Z4, Z4
	VMULPS Z5, Z5, Z5
	VMULPS Z6, Z6, Z6
	VMULPS Z7, Z7, Z7
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	ADDQ   R10, SI
	DECQ   CX
	JMP    sdrow

sdstore:
	STORE4(DI, Z0, Z1, Z2, Z3)
	VZEROUPPER
	RET

// func colSumDotAVX512(sum, dot, x, y, mean *float32, m, w, stride int)
// sum[j] = Σ_i x[i·stride + j] and dot[j] = Σ_i x[i·stride + j]·(y[i·stride + j] − mean[j])
// for j < w, as colSumsAVX512.
TEXT ·colSumDotAVX512(SB), NOSPLIT, $0-64
	MOVQ w+48(FP), AX
	COLMASKS
	MOVQ sum+0(FP), DI
	MOVQ dot+8(FP), R9
	MOVQ x+16(FP), SI
	MOVQ y+24(FP), R8
	MOVQ mean+32(FP), R11
	MOVQ m+40(FP), CX
	MOVQ stride+56(FP), R10
	SHLQ $2, R10
	LOAD4(R11, Z16, Z17, Z18, Z19)
	ZERO4(Z0, Z1, Z2, Z3)
	ZERO4(Z12, Z13, Z14, Z15)

sprow:
	TESTQ  CX, CX
	JEQ    spstore
	LOAD4(SI, Z4, Z5, Z6, Z7)
	LOAD4(R8, Z8, Z9, Z10, Z11)
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	VADDPS Z6, Z2, Z2
	VADDPS Z7, Z3, Z3
	VSUBPS Z16, Z8, Z8
	VSUBPS Z17, Z9, Z9
	VSUBPS Z18, Z10, Z10
	VSUBPS Z19, Z11, Z11
	VMULPS Z8, Z4, Z4
	VMULPS Z9, Z5, Z5
	VMULPS Z10, Z6, Z6
	VMULPS Z11, Z7, Z7
	VADDPS Z4, Z12, Z12
	VADDPS Z5, Z13, Z13
	VADDPS Z6, Z14, Z14
	VADDPS Z7, Z15, Z15
	ADDQ   R10, SI
	ADDQ   R10, R8
	DECQ   CX
	JMP    sprow

spstore:
	STORE4(DI, Z0, Z1, Z2, Z3)
	STORE4(R9, Z12, Z13, Z14, Z15)
	VZEROUPPER
	RET

// func scaleShiftColsAVX512(y, x *float32, m, n int, scale, shift *float32)
// y[i][j] = x[i][j]·scale[j] + shift[j] (a multiply, then an add, as the
// scalar loop) for the m×n matrices x and y; n % 16 == 0.
TEXT ·scaleShiftColsAVX512(SB), NOSPLIT, $0-48
	MOVQ  y+0(FP), DI
	MOVQ  x+8(FP), SI
	MOVQ  m+16(FP), BX
	MOVQ  n+24(FP), R8
	MOVQ  scale+32(FP), R9
	MOVQ  shift+40(FP), R10
	TESTQ BX, BX
	JEQ   ssdone

ssrow:
	XORQ CX, CX

sscol:
	VMOVUPS (SI)(CX*4), Z1
	VMULPS  (R9)(CX*4), Z1, Z1
	VADDPS  (R10)(CX*4), Z1, Z1
	VMOVUPS Z1, (DI)(CX*4)
	ADDQ    $16, CX
	CMPQ    CX, R8
	JLT     sscol
	LEAQ    (DI)(R8*4), DI
	LEAQ    (SI)(R8*4), SI
	DECQ    BX
	JNZ     ssrow

ssdone:
	VZEROUPPER
	RET

// func bnDxAVX512(dx, dy, x *float32, m, n int, mean, invStd, gamma, dgamma, dbeta *float32, inv float32)
// dx = (γ·invStd)·(dy − inv·(dβ + x̂·dγ)) with x̂ = (x − mean)·invStd, column
// by column, in the scalar loop's order of operations; n % 16 == 0.
TEXT ·bnDxAVX512(SB), NOSPLIT, $0-84
	MOVQ         dx+0(FP), DI
	MOVQ         dy+8(FP), SI
	MOVQ         x+16(FP), DX
	MOVQ         m+24(FP), BX
	MOVQ         n+32(FP), R8
	MOVQ         mean+40(FP), R13
	MOVQ         invStd+48(FP), R10
	MOVQ         gamma+56(FP), R9
	MOVQ         dgamma+64(FP), R11
	MOVQ         dbeta+72(FP), R12
	VBROADCASTSS inv+80(FP), Z0
	TESTQ        BX, BX
	JEQ          bddone

bdrow:
	XORQ CX, CX

bdcol:
	VMOVUPS (DX)(CX*4), Z1
	VSUBPS  (R13)(CX*4), Z1, Z1 // x − mean
	VMULPS  (R10)(CX*4), Z1, Z1 // x̂
	VMULPS  (R11)(CX*4), Z1, Z1 // x̂·dγ
	VADDPS  (R12)(CX*4), Z1, Z1 // dβ + x̂·dγ
	VMULPS  Z0, Z1, Z1          // inv·(...)
	VMOVUPS (SI)(CX*4), Z2
	VSUBPS  Z1, Z2, Z2          // dy − inv·(...)
	VMOVUPS (R9)(CX*4), Z3
	VMULPS  (R10)(CX*4), Z3, Z3 // γ·invStd
	VMULPS  Z2, Z3, Z3
	VMOVUPS Z3, (DI)(CX*4)
	ADDQ    $16, CX
	CMPQ    CX, R8
	JLT     bdcol
	LEAQ    (DI)(R8*4), DI
	LEAQ    (SI)(R8*4), SI
	LEAQ    (DX)(R8*4), DX
	DECQ    BX
	JNZ     bdrow

bddone:
	VZEROUPPER
	RET

// func adamAVX512(p, grad, m, v *float32, n int, c *[6]float32)
// One Adam step, c = (lrT, β1, 1−β1, β2, 1−β2, ε), operation for operation
// as AdamUpdate's scalar loop (no fused multiply-adds), so both give the
// same bits:
//	m = β1·m + (1−β1)·g;  v = β2·v + ((1−β2)·g)·g;  p −= (lrT·m) / (√v + ε)
TEXT ·adamAVX512(SB), NOSPLIT, $0-48
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), DX
	MOVQ         v+24(FP), BX
	MOVQ         n+32(FP), CX
	MOVQ         c+40(FP), R8
	VBROADCASTSS (R8), Z10
	VBROADCASTSS 4(R8), Z11
	VBROADCASTSS 8(R8), Z12
	VBROADCASTSS 12(R8), Z13
	VBROADCASTSS 16(R8), Z14
	VBROADCASTSS 20(R8), Z15
	MOVQ         $0xffff, AX
	KMOVW        AX, K1

adamloop:
	CMPQ CX, $16
	JGE  adamfull
	TESTQ CX, CX
	JEQ  adamdone
	TAILMASK

adamfull:
	VMOVUPS.Z (SI), K1, Z0 // g
	VMOVUPS.Z (DX), K1, Z1 // m
	VMOVUPS.Z (BX), K1, Z2 // v
	VMULPS    Z11, Z1, Z1
	VMULPS    Z12, Z0, Z3
	VADDPS    Z3, Z1, Z1
	VMULPS    Z13, Z2, Z2
	VMULPS    Z14, Z0, Z4
	VMULPS    Z0, Z4, Z4
	VADDPS    Z4, Z2, Z2
	VMOVUPS   Z1, K1, (DX)
	VMOVUPS   Z2, K1, (BX)
	VSQRTPS   Z2, Z5
	VADDPS    Z15, Z5, Z5
	VMULPS    Z10, Z1, Z6
	VDIVPS    Z5, Z6, Z6
	VMOVUPS.Z (DI), K1, Z7
	VSUBPS    Z6, Z7, Z7
	VMOVUPS   Z7, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $64, BX
	SUBQ      $16, CX
	JG        adamloop

adamdone:
	VZEROUPPER
	RET
