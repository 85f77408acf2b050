//go:build !purego

// AVX-512 optimizer updates. See optimizer_amd64.go for the Go declarations
// and optimizer.go for the portable loops, which give the same bits.

#include "textflag.h"
#include "tailmask_amd64.h"

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
