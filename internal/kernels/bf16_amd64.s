//go:build !purego

// The bfloat16 micro-kernels and conversions, for CPUs with AVX512_BF16;
// see bf16.go for the contract and bf16_amd64.go for the Go declarations.

#include "textflag.h"
#include "gemm_amd64.h"

// BGEMM_BODY is the body of the bfloat16 kernels (bgemmKernelAVX512 and
// bgemmKernel7AVX512, near the end of this file), which differ only in their
// step. It stands here, before any TEXT, because it names their arguments
// (go vet checks such names against the function they appear in). It is
// sgemmKernelAVX512's prologue and epilogue around a loop over segments
// (STEPF is STEP with B loaded unmasked, for full-width tiles):
// AX counts them down and DX = (segStride − kp·csA)·4 bytes takes A from
// the end of one segment to the start of the next.
#define BGEMM_BODY(STEP, STEPF) \
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

TEXT ·bgemmKernelAVX512(SB), NOSPLIT, $0-112
	BGEMM_BODY(STEPBF, STEPBFF)

// func bgemmKernel7AVX512(kp int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int,
//	c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr, nseg, segStride int)
//
// The same over a 7×32 tile (mr ≤ 7, A read for 7 rows): the convolutions
// of 28-, 14- and 7-wide images cut their rows into whole tiles.
TEXT ·bgemmKernel7AVX512(SB), NOSPLIT, $0-112
	BGEMM_BODY(STEPBF7, STEPBF7F)

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
