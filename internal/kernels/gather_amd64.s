//go:build !purego

#include "textflag.h"

// func prefetchRows(src unsafe.Pointer, rowBytes int, idx *int, n int)
//
// Asks for the n rows idx[0..n) of src (rowBytes apart) to be brought
// into the cache, a PREFETCHT0 per 64-byte line: the rows a gather is
// about to copy, so that their memory latencies overlap. A prefetch never
// faults; the callers check the rows are src's.
TEXT ·prefetchRows(SB), NOSPLIT, $0-32
	MOVQ  src+0(FP), SI
	MOVQ  rowBytes+8(FP), R8
	MOVQ  idx+16(FP), R9
	MOVQ  n+24(FP), R10
	TESTQ R10, R10
	JEQ   done

row:
	MOVQ  (R9), AX
	IMULQ R8, AX
	LEAQ  (SI)(AX*1), DX
	XORQ  CX, CX

line:
	PREFETCHT0 (DX)(CX*1)
	ADDQ       $64, CX
	CMPQ       CX, R8
	JLT        line
	PREFETCHT0 -1(DX)(R8*1) // the row's last line, when it does not start on one
	ADDQ       $8, R9
	DECQ       R10
	JNZ        row

done:
	RET

// func gatherU8AVX512(dst *float32, src *uint8, rowLen int, idx *int, n int, k float32, divide int)
//
// Row i of dst (rowLen floats) is row idx[i] of src (rowLen bytes), each
// byte v turned into v/k (divide 1) or v·k (divide 0), rounded once.
TEXT ·gatherU8AVX512(SB), NOSPLIT, $0-56
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         rowLen+16(FP), R8
	MOVQ         idx+24(FP), R9
	MOVQ         n+32(FP), R10
	VBROADCASTSS k+40(FP), Z1
	MOVQ         divide+48(FP), R11
	TESTQ        R10, R10
	JEQ          u8done

u8row:
	MOVQ  (R9), AX
	IMULQ R8, AX
	LEAQ  (SI)(AX*1), DX // the source row
	MOVQ  R8, CX

u8vec:
	CMPQ CX, $16
	JGE  u8full
	TESTQ CX, CX
	JEQ  u8next
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVW AX, K1
	VPMOVZXBD.Z (DX), K1, Z0
	VCVTDQ2PS   Z0, Z0
	TESTQ       R11, R11
	JEQ         2(PC)
	VDIVPS      Z1, Z0, Z0
	TESTQ       R11, R11
	JNE         2(PC)
	VMULPS      Z1, Z0, Z0
	VMOVUPS     Z0, K1, (DI)
	SHLQ        $2, CX
	ADDQ        CX, DI
	JMP         u8next

u8full:
	VPMOVZXBD (DX), Z0
	VCVTDQ2PS Z0, Z0
	TESTQ     R11, R11
	JEQ       2(PC)
	VDIVPS    Z1, Z0, Z0
	TESTQ     R11, R11
	JNE       2(PC)
	VMULPS    Z1, Z0, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      $16, DX
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       u8vec

u8next:
	ADDQ $8, R9
	DECQ R10
	JNZ  u8row

u8done:
	VZEROUPPER
	RET
