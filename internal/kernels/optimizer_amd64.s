//go:build !purego

// AVX-512 and AVX2 optimizer updates. See optimizer_amd64.go for the Go
// declarations and optimizer.go for the flush rule and the portable loops,
// which give the same bits: every loop here is their arithmetic operation
// for operation (no fused multiply-adds), with the same flushes.
//
// Each loop runs with MXCSR's flush-to-zero (bit 15) and
// denormals-are-zero (bit 6) set, and restores the caller's MXCSR before it
// returns, so that no instruction ever produces or reads a subnormal (which
// Intel cores do through a slow microcode assist). Go never preempts
// assembly asynchronously, and signal handlers run with MXCSR saved and
// restored by the kernel, so no other code sees the mode.

#include "textflag.h"
#include "tailmask_amd64.h"
#include "ftz_amd64.h"

// FLUSHT512(r) zeroes the lanes of r below FlushBelow = 2^-95: those whose
// biased exponent has none of bits 5-7 set (the mask 0x70000000, in Z9),
// zeros of either sign included. FLUSH512(r) zeroes those below 2^-125
// (exponent 0 or 1: no bit of 0x7f000000, in Z8). Both clobber K2.
#define FLUSHT512(r) \
	VPTESTMD  Z9, r, K2; \
	VMOVAPS.Z r, K2, r

#define FLUSH512(r) \
	VPTESTMD  Z8, r, K2; \
	VMOVAPS.Z r, K2, r

// ADAMSTEP512(DECAY) is one vector of adamAVX512 (16 lanes, K1 the tail
// mask): DECAY is the multiplication of the weight Z7 by decay, or nothing
// when decay is 1.
#define ADAMSTEP512(DECAY) \
	VMOVUPS.Z (BX), K1, Z2; \
	VMOVUPS.Z (SI), K1, Z0; \
	VMULPS    Z13, Z2, Z2; \
	VMULPS    Z14, Z0, Z4; \
	VMULPS    Z0, Z4, Z4; \
	VADDPS    Z4, Z2, Z2; \
	FLUSHT512(Z2); \
	VSQRTPS   Z2, Z5; \
	VMOVUPS.Z (DX), K1, Z1; \
	VMULPS    Z11, Z1, Z1; \
	VMULPS    Z12, Z0, Z3; \
	VADDPS    Z3, Z1, Z1; \
	FLUSHT512(Z1); \
	VMOVUPS   Z1, K1, (DX); \
	VMOVUPS   Z2, K1, (BX); \
	VADDPS    Z15, Z5, Z5; \
	VMULPS    Z10, Z1, Z6; \
	FLUSH512(Z6); \
	VDIVPS    Z5, Z6, Z6; \
	VMOVUPS.Z (DI), K1, Z7; \
	DECAY; \
	VSUBPS    Z6, Z7, Z7; \
	FLUSHT512(Z7); \
	VMOVUPS   Z7, K1, (DI); \
	ADDQ      $64, DI; \
	ADDQ      $64, SI; \
	ADDQ      $64, DX; \
	ADDQ      $64, BX

#define DECAY512 VMULPS Z16, Z7, Z7
#define NODECAY

// func adamAVX512(p, grad, m, v *float32, n int, c *[8]float32)
//
// One Adam step (with AdamW's decay), c = (lrT, β1, 1−β1, β2, 1−β2, ε,
// decay) as adamConsts makes them, with T = FLUSHT512 and F = FLUSH512:
//
//	v = T(β2·v + ((1−β2)·g)·g);  m = T(β1·m + (1−β1)·g)
//	p = T(decay·p − F(lrT·m) / (√v + ε))
//
// (without the multiplication when decay is 1, which changes nothing).
TEXT ·adamAVX512(SB), NOSPLIT, $8-48
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), DX
	MOVQ         v+24(FP), BX
	MOVQ         n+32(FP), CX
	MOVQ         c+40(FP), R8
	FTZ_ON
	VBROADCASTSS (R8), Z10
	VBROADCASTSS 4(R8), Z11
	VBROADCASTSS 8(R8), Z12
	VBROADCASTSS 12(R8), Z13
	VBROADCASTSS 16(R8), Z14
	VBROADCASTSS 20(R8), Z15
	VBROADCASTSS 24(R8), Z16
	MOVL         $0x7f000000, AX
	VPBROADCASTD AX, Z8
	MOVL         $0x70000000, AX
	VPBROADCASTD AX, Z9
	MOVQ         $0xffff, AX
	KMOVW        AX, K1
	CMPL         24(R8), $0x3f800000 // decay == 1
	JEQ          adam1loop

adamloop:
	CMPQ  CX, $16
	JGE   adamfull
	TESTQ CX, CX
	JEQ   adamdone
	TAILMASK

adamfull:
	ADAMSTEP512(DECAY512)
	SUBQ $16, CX
	JG   adamloop
	JMP  adamdone

adam1loop:
	CMPQ  CX, $16
	JGE   adam1full
	TESTQ CX, CX
	JEQ   adamdone
	TAILMASK

adam1full:
	ADAMSTEP512(NODECAY)
	SUBQ $16, CX
	JG   adam1loop

adamdone:
	FTZ_OFF
	VZEROUPPER
	RET

// func sgdAVX512(p, grad, vel *float32, n int, c *[4]float32, mode int)
//
// One SGD step, c = (lr, momentum, decay) as SGDWUpdate makes them; mode 0
// is plain SGD (vel unused), 1 momentum, 2 Nesterov momentum; T as above:
//
//	mode 0:  p = T(decay·p − lr·g)
//	mode 1:  v = T(momentum·v − lr·g);  p = T(decay·p + v)
//	mode 2:  v as 1;  p = T(decay·p + T(momentum·v − lr·g))
TEXT ·sgdAVX512(SB), NOSPLIT, $8-48
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         vel+16(FP), DX
	MOVQ         n+24(FP), CX
	MOVQ         c+32(FP), R8
	MOVQ         mode+40(FP), R9
	FTZ_ON
	VBROADCASTSS (R8), Z10
	VBROADCASTSS 4(R8), Z11
	VBROADCASTSS 8(R8), Z12
	MOVL         $0x70000000, AX
	VPBROADCASTD AX, Z9
	MOVQ         $0xffff, AX
	KMOVW        AX, K1

sgdloop:
	CMPQ  CX, $16
	JGE   sgdfull
	TESTQ CX, CX
	JEQ   sgddone
	TAILMASK

sgdfull:
	VMOVUPS.Z (SI), K1, Z0 // g
	VMULPS    Z10, Z0, Z0  // lr·g
	VMOVUPS.Z (DI), K1, Z7 // p
	VMULPS    Z12, Z7, Z7  // decay·p
	TESTQ     R9, R9
	JNE       sgdmomentum
	VSUBPS    Z0, Z7, Z7   // − lr·g
	JMP       sgdstore

sgdmomentum:
	VMOVUPS.Z (DX), K1, Z1 // velocity
	VMULPS    Z11, Z1, Z1  // momentum·v
	VSUBPS    Z0, Z1, Z1   // − lr·g
	FLUSHT512(Z1)
	VMOVUPS   Z1, K1, (DX)
	CMPQ      R9, $1
	JEQ       sgdadd
	VMULPS    Z11, Z1, Z1  // momentum·v
	VSUBPS    Z0, Z1, Z1   // − lr·g
	FLUSHT512(Z1)

sgdadd:
	VADDPS Z1, Z7, Z7

sgdstore:
	FLUSHT512(Z7)
	VMOVUPS Z7, K1, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	ADDQ    $64, DX
	SUBQ    $16, CX
	JG      sgdloop

sgddone:
	FTZ_OFF
	VZEROUPPER
	RET

// The AVX2 loops. Without mask registers, FLUSHT256(r) computes Y3 = (r &
// 0x70000000) == 0 (Y9 is zero), all ones where r is to be flushed, then
// r = ¬Y3 & r; FLUSH256 likewise with 0x7f000000. Both clobber Y3; their
// masks are read from memory.
DATA flushT<>+0(SB)/8, $0x7000000070000000
DATA flushT<>+8(SB)/8, $0x7000000070000000
DATA flushT<>+16(SB)/8, $0x7000000070000000
DATA flushT<>+24(SB)/8, $0x7000000070000000
GLOBL flushT<>(SB), RODATA|NOPTR, $32

DATA flushF<>+0(SB)/8, $0x7f0000007f000000
DATA flushF<>+8(SB)/8, $0x7f0000007f000000
DATA flushF<>+16(SB)/8, $0x7f0000007f000000
DATA flushF<>+24(SB)/8, $0x7f0000007f000000
GLOBL flushF<>(SB), RODATA|NOPTR, $32

#define FLUSHT256(r) \
	VANDPS   flushT<>(SB), r, Y3; \
	VPCMPEQD Y9, Y3, Y3; \
	VANDNPS  r, Y3, r

#define FLUSH256(r) \
	VANDPS   flushF<>(SB), r, Y3; \
	VPCMPEQD Y9, Y3, Y3; \
	VANDNPS  r, Y3, r

// func adamAVX2(p, grad, m, v *float32, n int, c *[8]float32)
//
// adamAVX512 over 8 lanes; n is a multiple of 8.
TEXT ·adamAVX2(SB), NOSPLIT, $8-48
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), DX
	MOVQ         v+24(FP), BX
	MOVQ         n+32(FP), CX
	MOVQ         c+40(FP), R8
	SHRQ         $3, CX
	JZ           adam2ret
	FTZ_ON
	VBROADCASTSS (R8), Y10
	VBROADCASTSS 4(R8), Y11
	VBROADCASTSS 8(R8), Y12
	VBROADCASTSS 12(R8), Y13
	VBROADCASTSS 16(R8), Y14
	VBROADCASTSS 20(R8), Y15
	VBROADCASTSS 24(R8), Y8
	VPXOR        Y9, Y9, Y9

adam2loop:
	VMOVUPS (SI), Y0    // g
	VMOVUPS (DX), Y1    // m
	VMOVUPS (BX), Y2    // v
	VMULPS  Y11, Y1, Y1 // β1·m
	VMULPS  Y12, Y0, Y4 // (1−β1)·g
	VADDPS  Y4, Y1, Y1
	FLUSHT256(Y1)
	VMULPS  Y13, Y2, Y2 // β2·v
	VMULPS  Y14, Y0, Y4 // (1−β2)·g
	VMULPS  Y0, Y4, Y4  // ·g
	VADDPS  Y4, Y2, Y2
	FLUSHT256(Y2)
	VMOVUPS Y1, (DX)
	VMOVUPS Y2, (BX)
	VSQRTPS Y2, Y5
	VADDPS  Y15, Y5, Y5 // √v + ε
	VMULPS  Y10, Y1, Y6 // lrT·m
	FLUSH256(Y6)
	VDIVPS  Y5, Y6, Y6
	VMOVUPS (DI), Y7    // p
	VMULPS  Y8, Y7, Y7  // decay·p
	VSUBPS  Y6, Y7, Y7
	FLUSHT256(Y7)
	VMOVUPS Y7, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, BX
	DECQ    CX
	JNZ     adam2loop
	FTZ_OFF
	VZEROUPPER

adam2ret:
	RET

// func sgdAVX2(p, grad, vel *float32, n int, c *[4]float32, mode int)
//
// sgdAVX512 over 8 lanes; n is a multiple of 8.
TEXT ·sgdAVX2(SB), NOSPLIT, $8-48
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         vel+16(FP), DX
	MOVQ         n+24(FP), CX
	MOVQ         c+32(FP), R8
	MOVQ         mode+40(FP), R9
	SHRQ         $3, CX
	JZ           sgd2ret
	FTZ_ON
	VBROADCASTSS (R8), Y10
	VBROADCASTSS 4(R8), Y11
	VBROADCASTSS 8(R8), Y12
	VPXOR        Y9, Y9, Y9

sgd2loop:
	VMOVUPS (SI), Y0    // g
	VMULPS  Y10, Y0, Y0 // lr·g
	VMOVUPS (DI), Y7    // p
	VMULPS  Y12, Y7, Y7 // decay·p
	TESTQ   R9, R9
	JNE     sgd2momentum
	VSUBPS  Y0, Y7, Y7  // − lr·g
	JMP     sgd2store

sgd2momentum:
	VMOVUPS (DX), Y1    // velocity
	VMULPS  Y11, Y1, Y1 // momentum·v
	VSUBPS  Y0, Y1, Y1  // − lr·g
	FLUSHT256(Y1)
	VMOVUPS Y1, (DX)
	CMPQ    R9, $1
	JEQ     sgd2add
	VMULPS  Y11, Y1, Y1 // momentum·v
	VSUBPS  Y0, Y1, Y1  // − lr·g
	FLUSHT256(Y1)

sgd2add:
	VADDPS Y1, Y7, Y7

sgd2store:
	FLUSHT256(Y7)
	VMOVUPS Y7, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     sgd2loop
	FTZ_OFF
	VZEROUPPER

sgd2ret:
	RET
