//go:build !purego

// The float32 convolution tile: the 8×32 tile of sgemmKernelAVX512 (same
// registers, same arithmetic, same epilogue) whose eight rows of A are
// windows of a padded image, each given by its own address, read segment
// by segment (one per kernel row) in place instead of from an unfolded
// copy. See convdirect.go.

#include "textflag.h"
#include "gemm_amd64.h"

#define TROW(addr, bc, acc0, acc1) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Z0, bc, acc0; \
	VFMADD231PS  Z1, bc, acc1

// TSTEP is one k step: B's packed row (32 floats, zero past nr, so read
// unmasked) times the eight windows' values at byte offset AX.
#define TSTEP \
	VMOVUPS (BX), Z0; \
	VMOVUPS 64(BX), Z1; \
	TROW((R8)(AX*1), Z2, Z16, Z17); \
	TROW((R9)(AX*1), Z3, Z18, Z19); \
	TROW((R10)(AX*1), Z4, Z20, Z21); \
	TROW((R11)(AX*1), Z5, Z22, Z23); \
	TROW((R12)(AX*1), Z6, Z24, Z25); \
	TROW((R13)(AX*1), Z7, Z26, Z27); \
	TROW((SI)(AX*1), Z8, Z28, Z29); \
	TROW((DI)(AX*1), Z9, Z30, Z31); \
	ADDQ $4, AX; \
	ADDQ $128, BX

// func convTileAVX512(rows *[8]uintptr, segs *int, b, c unsafe.Pointer, ldc, flags, mr, nr int, beta float32)
//
// For the mr×nr tile at c (rows ldc floats apart):
//
//	C = Σ_s Σ_{q<n_s} A_i[o_s + 4q]·B[·][j] + beta·C   (beta ignored if flags&1)
//
// where A_i is the address rows[i] (all eight readable), segs holds pairs
// (o_s bytes, n_s values) ended by a pair with n_s = 0, and B runs on, 32
// floats a row, from b through all the segments' rows.
TEXT ·convTileAVX512(SB), NOSPLIT, $8-68
	MOVQ rows+0(FP), AX
	MOVQ 0(AX), R8
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ 24(AX), R11
	MOVQ 32(AX), R12
	MOVQ 40(AX), R13
	MOVQ 48(AX), SI
	MOVQ 56(AX), DI
	MOVQ b+16(FP), BX

	// Column masks: low nr bits of a 32-bit word, split in halves.
	MOVQ  nr+56(FP), CX
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

	MOVQ segs+8(FP), DX

seg:
	MOVQ  8(DX), CX
	TESTQ CX, CX
	JEQ   epi
	MOVQ  (DX), AX
	ADDQ  $16, DX
	MOVQ  DX, segp-8(SP)
	MOVQ  CX, DX
	SHRQ  $2, CX
	JZ    tail

loop:
	TSTEP
	TSTEP
	TSTEP
	TSTEP
	DECQ CX
	JNZ  loop

tail:
	ANDQ $3, DX
	JZ   segend

loopt:
	TSTEP
	DECQ DX
	JNZ  loopt

segend:
	MOVQ segp-8(SP), DX
	JMP  seg

epi:
	MOVL         $0x3f800000, AX // alpha = 1
	MOVQ         AX, X0
	VPBROADCASTD X0, Z0
	VBROADCASTSS beta+64(FP), Z1
	MOVQ         c+24(FP), DX
	MOVQ         ldc+32(FP), R8
	SHLQ         $2, R8
	MOVQ         mr+48(FP), CX
	MOVQ         flags+40(FP), AX
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
