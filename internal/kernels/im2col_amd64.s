//go:build !purego

#include "textflag.h"

// func im2colRowAVX512(dst, src *float32, n, seg, step, k0, k1, kh, rowStride int)
//
// The windows of n neighbouring outputs for im2col: for each output, kh
// segments of seg floats (a multiple of 16), segment ki zero unless k0 ≤ ki
// < k1, when it is copied from src + (ki−k0)·rowStride; dst runs on through
// all of them, and src moves on by step floats per output.
TEXT ·im2colRowAVX512(SB), NOSPLIT, $0-72
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   n+16(FP), BX
	MOVQ   seg+24(FP), R8
	SHLQ   $2, R8
	MOVQ   step+32(FP), R9
	SHLQ   $2, R9
	MOVQ   k0+40(FP), R10
	MOVQ   k1+48(FP), R11
	MOVQ   kh+56(FP), R12
	MOVQ   rowStride+64(FP), R13
	SHLQ   $2, R13
	VPXORD Z1, Z1, Z1
	TESTQ  BX, BX
	JEQ    done

pixel:
	MOVQ SI, DX // the window's first row in the image
	XORQ AX, AX // ki

krow:
	XORQ CX, CX
	CMPQ AX, R10
	JLT  zero
	CMPQ AX, R11
	JGE  zero

copy:
	VMOVUPS (DX)(CX*1), Z0
	VMOVUPS Z0, (DI)(CX*1)
	ADDQ    $64, CX
	CMPQ    CX, R8
	JLT     copy
	ADDQ    R13, DX
	JMP     next

zero:
	VMOVUPS Z1, (DI)(CX*1)
	ADDQ    $64, CX
	CMPQ    CX, R8
	JLT     zero

next:
	ADDQ R8, DI
	INCQ AX
	CMPQ AX, R12
	JLT  krow
	ADDQ R9, SI
	DECQ BX
	JNZ  pixel

done:
	VZEROUPPER
	RET
