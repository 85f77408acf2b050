//go:build !purego

// Hand-written SGEMM micro-kernels and packing for amd64. See gemm.go for
// the kernel contract (kernelFunc) and gemm_amd64.go for the Go
// declarations. Operand order is Go's: sources first, destination last, so
// VFMADD231PS X, Y, Z computes Z += Y*X.

#include "textflag.h"
#include "gemm_amd64.h"

// ---------------------------------------------------------------------------
// func sgemmKernelAVX512(kc int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int,
//	c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr int)
//
// 8×32 tile. Registers:
//	SI	A (advances csA bytes per k step); R8 = rsA, R9 = 3rsA, R10 = 5rsA,
//		R11 = 7rsA bytes, so row i of A is one addressing mode away
//	BX	B (advances ldb bytes = R13 per k step); R12 = csA bytes
//	DI, CX	k counters
//	K1, K2	column masks of the two 16-float halves (nr < 32 at the edge)
//	Z0, Z1	B row p; Z2-Z9 broadcasts of A[i][p]
//	Z16-Z31	accumulators, row i in Z(16+2i), Z(17+2i)

// STEP512F is STEP512 for a full-width tile: B's row loaded unmasked
// (masked loads measured 3-4% slower on Zen 4 at 1024³).
#define STEP512F \
	VMOVUPS (BX), Z0; \
	VMOVUPS 64(BX), Z1; \
	ROW512((SI), Z2, Z16, Z17); \
	ROW512((SI)(R8*1), Z3, Z18, Z19); \
	ROW512((SI)(R8*2), Z4, Z20, Z21); \
	ROW512((SI)(R9*1), Z5, Z22, Z23); \
	ROW512((SI)(R8*4), Z6, Z24, Z25); \
	ROW512((SI)(R10*1), Z7, Z26, Z27); \
	ROW512((SI)(R9*2), Z8, Z28, Z29); \
	ROW512((SI)(R11*1), Z9, Z30, Z31); \
	ADDQ R12, SI; \
	ADDQ R13, BX

#define ROW512(addr, bc, acc0, acc1) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Z0, bc, acc0; \
	VFMADD231PS  Z1, bc, acc1

#define STEP512 \
	VMOVUPS.Z (BX), K1, Z0; \
	VMOVUPS.Z 64(BX), K2, Z1; \
	ROW512((SI), Z2, Z16, Z17); \
	ROW512((SI)(R8*1), Z3, Z18, Z19); \
	ROW512((SI)(R8*2), Z4, Z20, Z21); \
	ROW512((SI)(R9*1), Z5, Z22, Z23); \
	ROW512((SI)(R8*4), Z6, Z24, Z25); \
	ROW512((SI)(R10*1), Z7, Z26, Z27); \
	ROW512((SI)(R9*2), Z8, Z28, Z29); \
	ROW512((SI)(R11*1), Z9, Z30, Z31); \
	ADDQ R12, SI; \
	ADDQ R13, BX

TEXT ·sgemmKernelAVX512(SB), NOSPLIT, $0-96
	MOVQ kc+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ rsA+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (R8)(R8*4), R10
	LEAQ (R9)(R8*4), R11
	MOVQ csA+24(FP), R12
	SHLQ $2, R12
	MOVQ b+32(FP), BX
	MOVQ ldb+40(FP), R13
	SHLQ $2, R13

	// Column masks: low nr bits of a 32-bit word, split in halves.
	MOVQ  nr+88(FP), CX
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVW AX, K1
	SHRQ  $16, AX
	KMOVW AX, K2

	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	VPXORD Z28, Z28, Z28
	VPXORD Z29, Z29, Z29
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31

	MOVQ DI, CX
	SHRQ $2, CX
	JZ   tail512
	CMPQ nr+88(FP), $32
	JNE  loop512

loop512f:
	STEP512F
	STEP512F
	STEP512F
	STEP512F
	DECQ CX
	JNZ  loop512f
	JMP  tail512

loop512:
	STEP512
	STEP512
	STEP512
	STEP512
	DECQ CX
	JNZ  loop512

tail512:
	ANDQ $3, DI
	JZ   epi512

loop512t:
	STEP512
	DECQ DI
	JNZ  loop512t

epi512:
	VBROADCASTSS alpha+64(FP), Z0
	VBROADCASTSS beta+68(FP), Z1
	MOVQ         c+48(FP), DX
	MOVQ         ldc+56(FP), R8
	SHLQ         $2, R8
	MOVQ         mr+80(FP), CX
	MOVQ         flags+72(FP), AX
	TESTQ        $1, AX
	JNZ          beta0

	STORE512B(Z16, Z17)
	NEXTROW
	STORE512B(Z18, Z19)
	NEXTROW
	STORE512B(Z20, Z21)
	NEXTROW
	STORE512B(Z22, Z23)
	NEXTROW
	STORE512B(Z24, Z25)
	NEXTROW
	STORE512B(Z26, Z27)
	NEXTROW
	STORE512B(Z28, Z29)
	NEXTROW
	STORE512B(Z30, Z31)
	JMP done

beta0:
	STORE512(Z16, Z17)
	NEXTROW
	STORE512(Z18, Z19)
	NEXTROW
	STORE512(Z20, Z21)
	NEXTROW
	STORE512(Z22, Z23)
	NEXTROW
	STORE512(Z24, Z25)
	NEXTROW
	STORE512(Z26, Z27)
	NEXTROW
	STORE512(Z28, Z29)
	NEXTROW
	STORE512(Z30, Z31)

done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// func sgemmKernelAVX512N16(kc int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int,
//	c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr int)
//
// The 8×32 kernel's left half, for edge tiles with nr ≤ 16 (like n = 10):
// same registers and the same arithmetic per element, half the work.

#define ROW512N(addr, bc, acc0) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Z0, bc, acc0

#define STEP512N \
	VMOVUPS.Z (BX), K1, Z0; \
	ROW512N((SI), Z2, Z16); \
	ROW512N((SI)(R8*1), Z3, Z18); \
	ROW512N((SI)(R8*2), Z4, Z20); \
	ROW512N((SI)(R9*1), Z5, Z22); \
	ROW512N((SI)(R8*4), Z6, Z24); \
	ROW512N((SI)(R10*1), Z7, Z26); \
	ROW512N((SI)(R9*2), Z8, Z28); \
	ROW512N((SI)(R11*1), Z9, Z30); \
	ADDQ R12, SI; \
	ADDQ R13, BX

#define STORE512NB(acc0) \
	VMULPS      Z0, acc0, acc0; \
	VMOVUPS.Z   (DX), K1, Z2; \
	VFMADD231PS Z1, Z2, acc0; \
	VMOVUPS     acc0, K1, (DX)

#define STORE512N(acc0) \
	VMULPS  Z0, acc0, acc0; \
	VMOVUPS acc0, K1, (DX)

#define NEXTROWN \
	DECQ CX; \
	JZ   doneN; \
	ADDQ R8, DX

TEXT ·sgemmKernelAVX512N16(SB), NOSPLIT, $0-96
	MOVQ kc+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ rsA+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (R8)(R8*4), R10
	LEAQ (R9)(R8*4), R11
	MOVQ csA+24(FP), R12
	SHLQ $2, R12
	MOVQ b+32(FP), BX
	MOVQ ldb+40(FP), R13
	SHLQ $2, R13

	MOVQ  nr+88(FP), CX
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVW AX, K1

	VPXORD Z16, Z16, Z16
	VPXORD Z18, Z18, Z18
	VPXORD Z20, Z20, Z20
	VPXORD Z22, Z22, Z22
	VPXORD Z24, Z24, Z24
	VPXORD Z26, Z26, Z26
	VPXORD Z28, Z28, Z28
	VPXORD Z30, Z30, Z30

	MOVQ DI, CX
	SHRQ $2, CX
	JZ   tailN

loopN:
	STEP512N
	STEP512N
	STEP512N
	STEP512N
	DECQ CX
	JNZ  loopN

tailN:
	ANDQ $3, DI
	JZ   epiN

loopNt:
	STEP512N
	DECQ DI
	JNZ  loopNt

epiN:
	VBROADCASTSS alpha+64(FP), Z0
	VBROADCASTSS beta+68(FP), Z1
	MOVQ         c+48(FP), DX
	MOVQ         ldc+56(FP), R8
	SHLQ         $2, R8
	MOVQ         mr+80(FP), CX
	MOVQ         flags+72(FP), AX
	TESTQ        $1, AX
	JNZ          beta0N

	STORE512NB(Z16)
	NEXTROWN
	STORE512NB(Z18)
	NEXTROWN
	STORE512NB(Z20)
	NEXTROWN
	STORE512NB(Z22)
	NEXTROWN
	STORE512NB(Z24)
	NEXTROWN
	STORE512NB(Z26)
	NEXTROWN
	STORE512NB(Z28)
	NEXTROWN
	STORE512NB(Z30)
	JMP doneN

beta0N:
	STORE512N(Z16)
	NEXTROWN
	STORE512N(Z18)
	NEXTROWN
	STORE512N(Z20)
	NEXTROWN
	STORE512N(Z22)
	NEXTROWN
	STORE512N(Z24)
	NEXTROWN
	STORE512N(Z26)
	NEXTROWN
	STORE512N(Z28)
	NEXTROWN
	STORE512N(Z30)

doneN:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// func sgemmKernelAVX2(kc int, a unsafe.Pointer, rsA, csA int, b unsafe.Pointer, ldb int,
//	c unsafe.Pointer, ldc int, alpha, beta float32, flags, mr, nr int)
//
// 6×16 tile, full tiles only (mr and nr are ignored). Registers as in the
// AVX-512 kernel; Y0, Y1 hold B row p, Y2/Y3 broadcasts, Y4-Y15 the
// accumulators (row i in Y(4+2i), Y(5+2i)).

#define ROW256(addr, bc, acc0, acc1) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Y0, bc, acc0; \
	VFMADD231PS  Y1, bc, acc1

#define STEP256 \
	VMOVUPS (BX), Y0; \
	VMOVUPS 32(BX), Y1; \
	ROW256((SI), Y2, Y4, Y5); \
	ROW256((SI)(R8*1), Y3, Y6, Y7); \
	ROW256((SI)(R8*2), Y2, Y8, Y9); \
	ROW256((SI)(R9*1), Y3, Y10, Y11); \
	ROW256((SI)(R8*4), Y2, Y12, Y13); \
	ROW256((SI)(R10*1), Y3, Y14, Y15); \
	ADDQ R12, SI; \
	ADDQ R13, BX

#define STORE256B(acc0, acc1) \
	VMULPS      Y0, acc0, acc0; \
	VMULPS      Y0, acc1, acc1; \
	VFMADD231PS (DX), Y1, acc0; \
	VFMADD231PS 32(DX), Y1, acc1; \
	VMOVUPS     acc0, (DX); \
	VMOVUPS     acc1, 32(DX); \
	ADDQ        R8, DX

#define STORE256(acc0, acc1) \
	VMULPS  Y0, acc0, acc0; \
	VMULPS  Y0, acc1, acc1; \
	VMOVUPS acc0, (DX); \
	VMOVUPS acc1, 32(DX); \
	ADDQ    R8, DX

TEXT ·sgemmKernelAVX2(SB), NOSPLIT, $0-96
	MOVQ kc+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ rsA+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (R8)(R8*4), R10
	MOVQ csA+24(FP), R12
	SHLQ $2, R12
	MOVQ b+32(FP), BX
	MOVQ ldb+40(FP), R13
	SHLQ $2, R13

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

	MOVQ DI, CX
	SHRQ $2, CX
	JZ   tail256

loop256:
	STEP256
	STEP256
	STEP256
	STEP256
	DECQ CX
	JNZ  loop256

tail256:
	ANDQ $3, DI
	JZ   epi256

loop256t:
	STEP256
	DECQ DI
	JNZ  loop256t

epi256:
	VBROADCASTSS alpha+64(FP), Y0
	VBROADCASTSS beta+68(FP), Y1
	MOVQ         c+48(FP), DX
	MOVQ         ldc+56(FP), R8
	SHLQ         $2, R8
	MOVQ         flags+72(FP), AX
	TESTQ        $1, AX
	JNZ          beta0avx2

	STORE256B(Y4, Y5)
	STORE256B(Y6, Y7)
	STORE256B(Y8, Y9)
	STORE256B(Y10, Y11)
	STORE256B(Y12, Y13)
	STORE256B(Y14, Y15)
	VZEROUPPER
	RET

beta0avx2:
	STORE256(Y4, Y5)
	STORE256(Y6, Y7)
	STORE256(Y8, Y9)
	STORE256(Y10, Y11)
	STORE256(Y12, Y13)
	STORE256(Y14, Y15)
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// func packT8AVX(dst unsafe.Pointer, dstStride int, src unsafe.Pointer, ldsrc int, nb int)
//
// Transposes nb consecutive 8×8 blocks: row r (r < 8, stride ldsrc floats)
// of src, columns 8q..8q+7, goes to column r of dst rows 8q..8q+7 (stride
// dstStride floats). Classic unpack/shuffle/permute 8×8 transpose.
TEXT ·packT8AVX(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ dstStride+8(FP), DX
	SHLQ $2, DX
	LEAQ (DX)(DX*2), R12
	LEAQ (DX)(DX*4), R13
	LEAQ (R12)(DX*4), AX
	MOVQ DX, BX
	SHLQ $3, BX
	MOVQ src+16(FP), SI
	MOVQ ldsrc+24(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (R8)(R8*4), R10
	LEAQ (R9)(R8*4), R11
	MOVQ nb+32(FP), CX
	TESTQ CX, CX
	JZ   doneT

loopT:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (SI)(R8*4), Y4
	VMOVUPS (SI)(R10*1), Y5
	VMOVUPS (SI)(R9*2), Y6
	VMOVUPS (SI)(R11*1), Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(DX*1)
	VMOVUPS Y10, (DI)(DX*2)
	VMOVUPS Y11, (DI)(R12*1)
	VMOVUPS Y12, (DI)(DX*4)
	VMOVUPS Y13, (DI)(R13*1)
	VMOVUPS Y14, (DI)(R12*2)
	VMOVUPS Y15, (DI)(AX*1)

	ADDQ $32, SI
	ADDQ BX, DI
	DECQ CX
	JNZ  loopT

doneT:
	VZEROUPPER
	RET
