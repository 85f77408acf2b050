//go:build !purego

// AVX-512 loops of batch normalisation: the column sums behind the batch
// statistics and the gradients of γ and β, the scale-and-shift of the
// forward pass and the input gradient. Each sums in the portable loop's
// order, so both give the same bits. See norm_amd64.go for the Go
// declarations and norm.go for the portable loops.

#include "textflag.h"

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

// func bnDxAVX512(dx, dy, x *float32, m, n int, mean, invStd, gamma, dgamma, dbeta *float32, inv float32, relu bool)
// dx = (γ·invStd)·(dy − inv·(dβ + x̂·dγ)) with x̂ = (x − mean)·invStd, column
// by column, in the scalar loop's order of operations; with relu, +0
// wherever 0 < x fails (predicate 0x11, LT_OQ: x ≤ 0 or NaN); n % 16 == 0.
TEXT ·bnDxAVX512(SB), NOSPLIT, $0-85
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
	VPXORD       Z4, Z4, Z4
	MOVQ         $0xffff, AX // K5: the lanes always kept, all without relu
	CMPB         relu+84(FP), $0
	JEQ          bdmask
	XORQ         AX, AX

bdmask:
	KMOVW AX, K5
	TESTQ BX, BX
	JEQ   bddone

bdrow:
	XORQ CX, CX

bdcol:
	VMOVUPS (DX)(CX*4), Z1
	VCMPPS   $0x11, Z1, Z4, K1   // 0 < x
	KORW     K5, K1, K1
	VSUBPS   (R13)(CX*4), Z1, Z1 // x − mean
	VMULPS   (R10)(CX*4), Z1, Z1 // x̂
	VMULPS   (R11)(CX*4), Z1, Z1 // x̂·dγ
	VADDPS   (R12)(CX*4), Z1, Z1 // dβ + x̂·dγ
	VMULPS   Z0, Z1, Z1          // inv·(...)
	VMOVUPS  (SI)(CX*4), Z2
	VSUBPS   Z1, Z2, Z2          // dy − inv·(...)
	VMOVUPS  (R9)(CX*4), Z3
	VMULPS   (R10)(CX*4), Z3, Z3 // γ·invStd
	VMULPS.Z Z2, Z3, K1, Z3      // +0 in the lanes relu clears
	VMOVUPS  Z3, (DI)(CX*4)
	ADDQ     $16, CX
	CMPQ     CX, R8
	JLT      bdcol
	LEAQ     (DI)(R8*4), DI
	LEAQ     (SI)(R8*4), SI
	LEAQ     (DX)(R8*4), DX
	DECQ     BX
	JNZ      bdrow

bddone:
	VZEROUPPER
	RET
