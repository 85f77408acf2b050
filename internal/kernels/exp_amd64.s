//go:build !purego

#include "textflag.h"

// The constants and steps of Go's math.Exp on amd64 (math/exp_amd64.s, its
// FMA branch), after Shibata's SLEEF: here eight lanes at a time.
DATA expconst<>+0(SB)/8, $0.5
DATA expconst<>+8(SB)/8, $1.0
DATA expconst<>+16(SB)/8, $2.0
DATA expconst<>+24(SB)/8, $1.6666666666666666667e-1
DATA expconst<>+32(SB)/8, $4.1666666666666666667e-2
DATA expconst<>+40(SB)/8, $8.3333333333333333333e-3
DATA expconst<>+48(SB)/8, $1.3888888888888888889e-3
DATA expconst<>+56(SB)/8, $1.9841269841269841270e-4
DATA expconst<>+64(SB)/8, $2.4801587301587301587e-5
DATA expconst<>+72(SB)/8, $1.4426950408889634073599246810018920  // log2(e)
DATA expconst<>+80(SB)/8, $0.69314718055966295651160180568695068359375 // ln 2, upper half
DATA expconst<>+88(SB)/8, $0.28235290563031577122588448175013436025525412068e-12 // lower half
DATA expconst<>+96(SB)/8, $0.0625
DATA expconst<>+104(SB)/8, $1023
GLOBL expconst<>+0(SB), RODATA, $112

// EXP8 computes, in Z0, exp of the eight lanes of Z0 as math.Exp does on
// its ordinary path (the result normal): each operation of the scalar code
// in the same order, with the same fused multiply-adds and roundings.
// Clobbers Y3 and Z1-Z2.
#define EXP8 \
	VMULPD.BCST       expconst<>+72(SB), Z0, Z1; \
	VCVTPD2DQ    Z1, Y3; \
	VCVTDQ2PD    Y3, Z1; \
	VFNMADD231PD.BCST expconst<>+80(SB), Z1, Z0; \
	VFNMADD231PD.BCST expconst<>+88(SB), Z1, Z0; \
	VMULPD.BCST       expconst<>+96(SB), Z0, Z0; \
	VBROADCASTSD expconst<>+64(SB), Z1; \
	VFMADD213PD.BCST  expconst<>+56(SB), Z0, Z1; \
	VFMADD213PD.BCST  expconst<>+48(SB), Z0, Z1; \
	VFMADD213PD.BCST  expconst<>+40(SB), Z0, Z1; \
	VFMADD213PD.BCST  expconst<>+32(SB), Z0, Z1; \
	VFMADD213PD.BCST  expconst<>+24(SB), Z0, Z1; \
	VFMADD213PD.BCST  expconst<>+0(SB), Z0, Z1; \
	VFMADD213PD.BCST  expconst<>+8(SB), Z0, Z1; \
	VMULPD       Z1, Z0, Z0; \
	VADDPD.BCST       expconst<>+16(SB), Z0, Z1; \
	VMULPD       Z1, Z0, Z0; \
	VADDPD.BCST       expconst<>+16(SB), Z0, Z1; \
	VMULPD       Z1, Z0, Z0; \
	VADDPD.BCST       expconst<>+16(SB), Z0, Z1; \
	VMULPD       Z1, Z0, Z0; \
	VADDPD.BCST       expconst<>+16(SB), Z0, Z1; \
	VFMADD213PD.BCST  expconst<>+8(SB), Z1, Z0; \
	VPMOVSXDQ    Y3, Z1; \
	VPADDQ.BCST       expconst<>+104(SB), Z1, Z1; \
	VPSLLQ       $52, Z1, Z1; \
	VMULPD       Z1, Z0, Z0

// func expAVX512(dst, src *float64, n int)
//
// dst[i] = exp(src[i]) for i < n, bit for bit as math.Exp when
// expVecMin ≤ src[i] ≤ expVecMax (other lanes get garbage: the caller
// recomputes them).
TEXT ·expAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX

loop:
	CMPQ CX, $8
	JLT  tail
	VMOVUPD (SI), Z0
	EXP8
	VMOVUPD Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $8, CX
	JMP     loop

tail:
	TESTQ CX, CX
	JEQ   done
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVB AX, K1
	VMOVUPD.Z (SI), K1, Z0
	EXP8
	VMOVUPD Z0, K1, (DI)

done:
	VZEROUPPER
	RET
