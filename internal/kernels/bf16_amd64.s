//go:build !purego

// The bfloat16 micro-kernels and conversions: VDPBF16PS's, for CPUs with
// AVX512_BF16, and its emulation with AVX-512F FMAs; see bf16.go for the
// contract and bf16_amd64.go for the Go declarations.

#include "textflag.h"
#include "gemm_amd64.h"
#include "ftz_amd64.h"

// BGEMM_BODY is the body of the bfloat16 kernels (bgemmKernelAVX512,
// bgemmKernel7AVX512 and their emulations, below), which differ only in
// their step and what runs before and after the loop. It stands here, before any TEXT, because it names their arguments
// (go vet checks such names against the function they appear in). It is
// sgemmKernelAVX512's prologue and epilogue around a loop over segments
// (STEPF is STEP with B loaded unmasked, for full-width tiles):
// AX counts them down and DX = (segStride − kp·csA)·4 bytes takes A from
// the end of one segment to the start of the next. PRE runs first and POST
// after the loop, before the epilogue (NOTHING for neither).
#define BGEMM_BODY(PRE, STEP, STEPF, POST) \
	PRE; \
	MOVQ kp+0(FP), DI; \
	MOVQ a+8(FP), SI; \
	MOVQ rsA+16(FP), R8; \
	SHLQ $2, R8; \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (R8)(R8*4), R10; \
	LEAQ (R9)(R8*4), R11; \
	MOVQ csA+24(FP), R12; \
	SHLQ $2, R12; \
	MOVQ b+32(FP), BX; \
	MOVQ ldb+40(FP), R13; \
	SHLQ $2, R13; \
	MOVQ  nr+88(FP), CX; \
	MOVQ  $1, AX; \
	SHLQ  CX, AX; \
	DECQ  AX; \
	KMOVW AX, K1; \
	SHRQ  $16, AX; \
	KMOVW AX, K2; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23; \
	VPXORD Z24, Z24, Z24; \
	VPXORD Z25, Z25, Z25; \
	VPXORD Z26, Z26, Z26; \
	VPXORD Z27, Z27, Z27; \
	VPXORD Z28, Z28, Z28; \
	VPXORD Z29, Z29, Z29; \
	VPXORD Z30, Z30, Z30; \
	VPXORD Z31, Z31, Z31; \
	MOVQ  nseg+96(FP), AX; \
	MOVQ  segStride+104(FP), DX; \
	SHLQ  $2, DX; \
	MOVQ  DI, CX; \
	IMULQ R12, CX; \
	SUBQ  CX, DX; \
seg: \
	MOVQ DI, CX; \
	SHRQ $2, CX; \
	JZ   tail; \
	CMPQ nr+88(FP), $32; \
	JNE  loop; \
loopf: \
	STEPF; \
	STEPF; \
	STEPF; \
	STEPF; \
	DECQ CX; \
	JNZ  loopf; \
	JMP  tail; \
loop: \
	STEP; \
	STEP; \
	STEP; \
	STEP; \
	DECQ CX; \
	JNZ  loop; \
tail: \
	MOVQ DI, CX; \
	ANDQ $3, CX; \
	JZ   segend; \
loopt: \
	STEP; \
	DECQ CX; \
	JNZ  loopt; \
segend: \
	ADDQ DX, SI; \
	DECQ AX; \
	JNZ  seg; \
epi: \
	POST; \
	VBROADCASTSS alpha+64(FP), Z0; \
	VBROADCASTSS beta+68(FP), Z1; \
	MOVQ         c+48(FP), DX; \
	MOVQ         ldc+56(FP), R8; \
	SHLQ         $2, R8; \
	MOVQ         mr+80(FP), CX; \
	MOVQ         flags+72(FP), AX; \
	TESTQ        $1, AX; \
	JNZ          beta0; \
	STORE512B(Z16, Z17); \
	NEXTROW; \
	STORE512B(Z18, Z19); \
	NEXTROW; \
	STORE512B(Z20, Z21); \
	NEXTROW; \
	STORE512B(Z22, Z23); \
	NEXTROW; \
	STORE512B(Z24, Z25); \
	NEXTROW; \
	STORE512B(Z26, Z27); \
	NEXTROW; \
	STORE512B(Z28, Z29); \
	NEXTROW; \
	STORE512B(Z30, Z31); \
	JMP done; \
beta0: \
	STORE512(Z16, Z17); \
	NEXTROW; \
	STORE512(Z18, Z19); \
	NEXTROW; \
	STORE512(Z20, Z21); \
	NEXTROW; \
	STORE512(Z22, Z23); \
	NEXTROW; \
	STORE512(Z24, Z25); \
	NEXTROW; \
	STORE512(Z26, Z27); \
	NEXTROW; \
	STORE512(Z28, Z29); \
	NEXTROW; \
	STORE512(Z30, Z31); \
done: \
	VZEROUPPER; \
	RET

// ---------------------------------------------------------------------------
// Mixed precision (bfloat16), for CPUs with AVX512_BF16; see bf16.go.
//
// The Go assembler does not know the two AVX512_BF16 instructions used
// here, so they are spelled out as bytes (EVEX encodings from the Intel
// SDM, for fixed registers):
//
//	DP_Zn      VDPBF16PS: Zn += Σ pairwise products of Z(n&1) and Z(2+(n-16)/2),
//	           each 32-bit lane holding a pair of bfloat16 values
//	CVT_Y1_Z0  VCVTNEPS2BF16 Z0 → Y1: 16 float32 to bfloat16, rounding to
//	           nearest even (inputs below the normal range read as zero)

#define DP_Z16 BYTE $0x62; BYTE $0xE2; BYTE $0x7E; BYTE $0x48; BYTE $0x52; BYTE $0xC2
#define DP_Z17 BYTE $0x62; BYTE $0xE2; BYTE $0x76; BYTE $0x48; BYTE $0x52; BYTE $0xCA
#define DP_Z18 BYTE $0x62; BYTE $0xE2; BYTE $0x7E; BYTE $0x48; BYTE $0x52; BYTE $0xD3
#define DP_Z19 BYTE $0x62; BYTE $0xE2; BYTE $0x76; BYTE $0x48; BYTE $0x52; BYTE $0xDB
#define DP_Z20 BYTE $0x62; BYTE $0xE2; BYTE $0x7E; BYTE $0x48; BYTE $0x52; BYTE $0xE4
#define DP_Z21 BYTE $0x62; BYTE $0xE2; BYTE $0x76; BYTE $0x48; BYTE $0x52; BYTE $0xEC
#define DP_Z22 BYTE $0x62; BYTE $0xE2; BYTE $0x7E; BYTE $0x48; BYTE $0x52; BYTE $0xF5
#define DP_Z23 BYTE $0x62; BYTE $0xE2; BYTE $0x76; BYTE $0x48; BYTE $0x52; BYTE $0xFD
#define DP_Z24 BYTE $0x62; BYTE $0x62; BYTE $0x7E; BYTE $0x48; BYTE $0x52; BYTE $0xC6
#define DP_Z25 BYTE $0x62; BYTE $0x62; BYTE $0x76; BYTE $0x48; BYTE $0x52; BYTE $0xCE
#define DP_Z26 BYTE $0x62; BYTE $0x62; BYTE $0x7E; BYTE $0x48; BYTE $0x52; BYTE $0xD7
#define DP_Z27 BYTE $0x62; BYTE $0x62; BYTE $0x76; BYTE $0x48; BYTE $0x52; BYTE $0xDF
#define DP_Z28 BYTE $0x62; BYTE $0x42; BYTE $0x7E; BYTE $0x48; BYTE $0x52; BYTE $0xE0
#define DP_Z29 BYTE $0x62; BYTE $0x42; BYTE $0x76; BYTE $0x48; BYTE $0x52; BYTE $0xE8
#define DP_Z30 BYTE $0x62; BYTE $0x42; BYTE $0x7E; BYTE $0x48; BYTE $0x52; BYTE $0xF1
#define DP_Z31 BYTE $0x62; BYTE $0x42; BYTE $0x76; BYTE $0x48; BYTE $0x52; BYTE $0xF9
#define CVT_Y1_Z0 BYTE $0x62; BYTE $0xF2; BYTE $0x7E; BYTE $0x48; BYTE $0x72; BYTE $0xC8

// ---------------------------------------------------------------------------
// func bgemmKernelAVX512(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int,
//	c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int)
//
// The 8×32 tile of sgemmKernelAVX512 (same registers, same epilogue) over
// nseg segments of kp steps of bfloat16 pairs: per step, two rows of B (32
// pairs) and eight pairs of A, broadcast, feed 16 VDPBF16PS, each two
// multiply-adds per lane. Segment s reads A from a + s·segStride; B's rows
// run on across segments. Strides count pairs (4 bytes).

#define ROWBF(addr, bc, dp0, dp1) \
	VPBROADCASTD addr, bc; \
	dp0; \
	dp1

// The first seven rows of a step, then whole steps of 8 and 7 rows.
#define ROWS7BF \
	VMOVDQU32.Z (BX), K1, Z0; \
	VMOVDQU32.Z 64(BX), K2, Z1; \
	ROWBF((SI), Z2, DP_Z16, DP_Z17); \
	ROWBF((SI)(R8*1), Z3, DP_Z18, DP_Z19); \
	ROWBF((SI)(R8*2), Z4, DP_Z20, DP_Z21); \
	ROWBF((SI)(R9*1), Z5, DP_Z22, DP_Z23); \
	ROWBF((SI)(R8*4), Z6, DP_Z24, DP_Z25); \
	ROWBF((SI)(R10*1), Z7, DP_Z26, DP_Z27); \
	ROWBF((SI)(R9*2), Z8, DP_Z28, DP_Z29)

// ROWS7BFF is ROWS7BF for a full-width tile: B loaded unmasked.
#define ROWS7BFF \
	VMOVDQU32 (BX), Z0; \
	VMOVDQU32 64(BX), Z1; \
	ROWBF((SI), Z2, DP_Z16, DP_Z17); \
	ROWBF((SI)(R8*1), Z3, DP_Z18, DP_Z19); \
	ROWBF((SI)(R8*2), Z4, DP_Z20, DP_Z21); \
	ROWBF((SI)(R9*1), Z5, DP_Z22, DP_Z23); \
	ROWBF((SI)(R8*4), Z6, DP_Z24, DP_Z25); \
	ROWBF((SI)(R10*1), Z7, DP_Z26, DP_Z27); \
	ROWBF((SI)(R9*2), Z8, DP_Z28, DP_Z29)

#define STEPBFF \
	ROWS7BFF; \
	ROWBF((SI)(R11*1), Z9, DP_Z30, DP_Z31); \
	ADDQ R12, SI; \
	ADDQ R13, BX

#define STEPBF7F \
	ROWS7BFF; \
	ADDQ R12, SI; \
	ADDQ R13, BX

#define STEPBF \
	ROWS7BF; \
	ROWBF((SI)(R11*1), Z9, DP_Z30, DP_Z31); \
	ADDQ R12, SI; \
	ADDQ R13, BX

#define STEPBF7 \
	ROWS7BF; \
	ADDQ R12, SI; \
	ADDQ R13, BX

#define NOTHING

TEXT ·bgemmKernelAVX512(SB), NOSPLIT, $0-112
	BGEMM_BODY(NOTHING, STEPBF, STEPBFF, NOTHING)

// func bgemmKernel7AVX512(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int,
//	c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int)
//
// The same over a 7×32 tile (mr ≤ 7, A read for 7 rows): the convolutions
// of 28-, 14- and 7-wide images cut their rows into whole tiles.
TEXT ·bgemmKernel7AVX512(SB), NOSPLIT, $0-112
	BGEMM_BODY(NOTHING, STEPBF7, STEPBF7F, NOTHING)

// ---------------------------------------------------------------------------
// func bgemmEmuKernelAVX512(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int,
//	c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int)
//
// bgemmKernelAVX512's products computed as VDPBF16PS computes them, bit for
// bit, with AVX-512F FMAs, for CPUs where VDPBF16PS is slow or missing. A
// holds float32 (bfloat16 values widened), the pair A[i][q] as two floats,
// its even element first, at a + (i·rsA + s·segStride + q·csA)·4 bytes:
// the strides count floats. B is the same rows of bfloat16 pairs. Per
// lane, VDPBF16PS adds the product of the odd elements, then that of the
// even ones, each rounded once (the product of two bfloat16 is exact in
// float32, so an FMA is that add), reading subnormals as zero and flushing
// subnormal results: the loop runs with MXCSR's FTZ and DAZ set (as in
// optimizer_amd64.s). Per step, B's 32 pairs split into their odd halves
// (Z0, Z1: the pair with its low half cleared, Z15 = 0xffff0000) and even
// ones (Z2, Z3: shifted up), and each row's two floats are broadcast.

#define EMU_SPLIT \
	VPANDD Z15, Z2, Z0; \
	VPANDD Z15, Z3, Z1; \
	VPSLLD $16, Z2, Z2; \
	VPSLLD $16, Z3, Z3

#define EMU_B \
	VMOVDQU32.Z (BX), K1, Z2; \
	VMOVDQU32.Z 64(BX), K2, Z3; \
	EMU_SPLIT

#define EMU_BF \
	VMOVDQU32 (BX), Z2; \
	VMOVDQU32 64(BX), Z3; \
	EMU_SPLIT

#define EROW(lo, hi, bhi, blo, acc0, acc1) \
	VBROADCASTSS hi, bhi; \
	VBROADCASTSS lo, blo; \
	VFMADD231PS  Z0, bhi, acc0; \
	VFMADD231PS  Z1, bhi, acc1; \
	VFMADD231PS  Z2, blo, acc0; \
	VFMADD231PS  Z3, blo, acc1

#define EROWS7(LOADB) \
	LOADB; \
	EROW((SI), 4(SI), Z4, Z5, Z16, Z17); \
	EROW((SI)(R8*1), 4(SI)(R8*1), Z6, Z7, Z18, Z19); \
	EROW((SI)(R8*2), 4(SI)(R8*2), Z8, Z9, Z20, Z21); \
	EROW((SI)(R9*1), 4(SI)(R9*1), Z10, Z11, Z22, Z23); \
	EROW((SI)(R8*4), 4(SI)(R8*4), Z4, Z5, Z24, Z25); \
	EROW((SI)(R10*1), 4(SI)(R10*1), Z6, Z7, Z26, Z27); \
	EROW((SI)(R9*2), 4(SI)(R9*2), Z8, Z9, Z28, Z29)

#define ESTEP8(LOADB) \
	EROWS7(LOADB); \
	EROW((SI)(R11*1), 4(SI)(R11*1), Z10, Z11, Z30, Z31); \
	ADDQ R12, SI; \
	ADDQ R13, BX

#define ESTEP7(LOADB) \
	EROWS7(LOADB); \
	ADDQ R12, SI; \
	ADDQ R13, BX

#define ESTEPBF ESTEP8(EMU_B)
#define ESTEPBFF ESTEP8(EMU_BF)
#define ESTEPBF7 ESTEP7(EMU_B)
#define ESTEPBF7F ESTEP7(EMU_BF)

// EMU_ON sets FTZ and DAZ (ftz_amd64.h) and loads Z15; EMU_OFF restores
// MXCSR. The kernels have an 8-byte frame. Clobbers AX.
#define EMU_ON \
	FTZ_ON; \
	MOVL         $0xffff0000, AX; \
	VPBROADCASTD AX, Z15

#define EMU_OFF FTZ_OFF

TEXT ·bgemmEmuKernelAVX512(SB), NOSPLIT, $8-112
	BGEMM_BODY(EMU_ON, ESTEPBF, ESTEPBFF, EMU_OFF)

// func bgemmEmuKernel7AVX512(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int,
//	c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int)
//
// bgemmEmuKernelAVX512 over a 7×32 tile.
TEXT ·bgemmEmuKernel7AVX512(SB), NOSPLIT, $8-112
	BGEMM_BODY(EMU_ON, ESTEPBF7, ESTEPBF7F, EMU_OFF)

// ---------------------------------------------------------------------------
// func roundBF16AVX512(dst unsafe.Pointer, src *float32, n int, widen bool)
//
// Rounds n float32 (a multiple of 16) to bfloat16 as roundBF16 does, with
// AVX-512F integer operations (VCVTNEPS2BF16 needs AVX512_BF16): to
// bfloat16 in dst when widen is false, else to the float32 each stands
// for. Per lane b: b + 0x7fff + (b>>16 & 1), the top half kept; a zero
// exponent gives the signed zero; a NaN gets its quiet bit (0x400000).
TEXT ·roundBF16AVX512(SB), NOSPLIT, $0-25
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVBLZX      widen+24(FP), DX
	MOVL         $1, AX
	VPBROADCASTD AX, Z8
	MOVL         $0x7fff, AX
	VPBROADCASTD AX, Z9
	MOVL         $0x7f800000, AX
	VPBROADCASTD AX, Z10 // exponent; also infinity
	MOVL         $0x80000000, AX
	VPBROADCASTD AX, Z11
	MOVL         $0x7fffffff, AX
	VPBROADCASTD AX, Z12
	MOVL         $0x400000, AX
	VPBROADCASTD AX, Z13
	MOVL         $0xffff0000, AX
	VPBROADCASTD AX, Z14
	SHRQ         $4, CX
	JZ           rnddone

rndloop:
	VMOVDQU32  (SI), Z0
	VPSRLD     $16, Z0, Z1
	VPANDD     Z8, Z1, Z1
	VPADDD     Z9, Z1, Z1
	VPADDD     Z0, Z1, Z1       // rounded
	VPANDD     Z11, Z0, Z2      // the signed zero
	VPTESTMD   Z10, Z0, K1      // a nonzero exponent
	VMOVDQA32  Z1, K1, Z2
	VPANDD     Z12, Z0, Z3
	VPCMPUD    $6, Z10, Z3, K2  // |b| > infinity: a NaN
	VPORD      Z13, Z0, Z4
	VMOVDQA32  Z4, K2, Z2
	TESTQ      DX, DX
	JNZ        rndwide
	VPSRLD     $16, Z2, Z2
	VPMOVDW    Z2, (DI)
	ADDQ       $32, DI
	JMP        rndnext

rndwide:
	VPANDD     Z14, Z2, Z2
	VMOVDQU32  Z2, (DI)
	ADDQ       $64, DI

rndnext:
	ADDQ $64, SI
	DECQ CX
	JNZ  rndloop

rnddone:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// func pairRowsF32AVX512(dst, r0, r1 *float32, n int)
//
// Interleaves two rows of n float32 (a multiple of 16): dst[2j] = r0[j],
// dst[2j+1] = r1[j].
TEXT ·pairRowsF32AVX512(SB), NOSPLIT, $0-32
	MOVQ      dst+0(FP), DI
	MOVQ      r0+8(FP), SI
	MOVQ      r1+16(FP), DX
	MOVQ      n+24(FP), CX
	VMOVDQU32 ilvidx<>+0(SB), Z4
	VMOVDQU32 ilvidx<>+64(SB), Z5
	SHRQ      $4, CX
	JZ        pfdone

pfloop:
	VMOVUPS   (SI), Z0
	VMOVUPS   (DX), Z1
	VMOVDQA32 Z4, Z2
	VMOVDQA32 Z5, Z3
	VPERMI2PS Z1, Z0, Z2
	VPERMI2PS Z1, Z0, Z3
	VMOVUPS   Z2, (DI)
	VMOVUPS   Z3, 64(DI)
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $128, DI
	DECQ      CX
	JNZ       pfloop

pfdone:
	VZEROUPPER
	RET

// ilvidx: the lanes of r0 (0-15) and r1 (16-31) that make dst's two
// vectors: 0, 16, 1, 17, ..., 7, 23, then 8, 24, ..., 15, 31.
DATA ilvidx<>+0(SB)/4, $0
DATA ilvidx<>+4(SB)/4, $16
DATA ilvidx<>+8(SB)/4, $1
DATA ilvidx<>+12(SB)/4, $17
DATA ilvidx<>+16(SB)/4, $2
DATA ilvidx<>+20(SB)/4, $18
DATA ilvidx<>+24(SB)/4, $3
DATA ilvidx<>+28(SB)/4, $19
DATA ilvidx<>+32(SB)/4, $4
DATA ilvidx<>+36(SB)/4, $20
DATA ilvidx<>+40(SB)/4, $5
DATA ilvidx<>+44(SB)/4, $21
DATA ilvidx<>+48(SB)/4, $6
DATA ilvidx<>+52(SB)/4, $22
DATA ilvidx<>+56(SB)/4, $7
DATA ilvidx<>+60(SB)/4, $23
DATA ilvidx<>+64(SB)/4, $8
DATA ilvidx<>+68(SB)/4, $24
DATA ilvidx<>+72(SB)/4, $9
DATA ilvidx<>+76(SB)/4, $25
DATA ilvidx<>+80(SB)/4, $10
DATA ilvidx<>+84(SB)/4, $26
DATA ilvidx<>+88(SB)/4, $11
DATA ilvidx<>+92(SB)/4, $27
DATA ilvidx<>+96(SB)/4, $12
DATA ilvidx<>+100(SB)/4, $28
DATA ilvidx<>+104(SB)/4, $13
DATA ilvidx<>+108(SB)/4, $29
DATA ilvidx<>+112(SB)/4, $14
DATA ilvidx<>+116(SB)/4, $30
DATA ilvidx<>+120(SB)/4, $15
DATA ilvidx<>+124(SB)/4, $31
GLOBL ilvidx<>(SB), RODATA|NOPTR, $128

// ---------------------------------------------------------------------------
// func toBF16AVX512(dst *uint16, src *float32, n int)
//
// Rounds n float32 (a multiple of 16) to bfloat16.
TEXT ·toBF16AVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ   cvtdone

cvtloop:
	VMOVUPS (SI), Z0
	CVT_Y1_Z0
	VMOVDQU Y1, (DI)
	ADDQ    $64, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     cvtloop

cvtdone:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// func pairRowsAVX512(dst *uint32, r0, r1 *uint16, n int)
//
// Interleaves two rows of n bfloat16 (a multiple of 16) into n pairs:
// dst[j] = r0[j] | r1[j]<<16.
TEXT ·pairRowsAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $4, CX
	JZ   pairdone

pairloop:
	VPMOVZXWD (SI), Z0
	VPMOVZXWD (DX), Z1
	VPSLLD    $16, Z1, Z1
	VPORD     Z1, Z0, Z0
	VMOVDQU32 Z0, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DX
	ADDQ      $64, DI
	DECQ      CX
	JNZ       pairloop

pairdone:
	VZEROUPPER
	RET
