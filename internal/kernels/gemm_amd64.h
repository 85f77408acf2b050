// The epilogue of the 8×32 AVX-512 tiles, shared by the float32 kernel
// (gemm_amd64.s) and the bfloat16 ones (bf16_amd64.s): DX walks the rows of
// C (R8 bytes apart), CX counts down the tile's rows, Z0 and Z1 hold alpha
// and beta, K1 and K2 the column masks, and the code at label done returns.

// C = alpha*acc + beta*C on one row (DX), masked.
#define STORE512B(acc0, acc1) \
	VMULPS      Z0, acc0, acc0; \
	VMULPS      Z0, acc1, acc1; \
	VMOVUPS.Z   (DX), K1, Z2; \
	VMOVUPS.Z   64(DX), K2, Z3; \
	VFMADD231PS Z1, Z2, acc0; \
	VFMADD231PS Z1, Z3, acc1; \
	VMOVUPS     acc0, K1, (DX); \
	VMOVUPS     acc1, K2, 64(DX)

// C = alpha*acc on one row (DX), masked.
#define STORE512(acc0, acc1) \
	VMULPS  Z0, acc0, acc0; \
	VMULPS  Z0, acc1, acc1; \
	VMOVUPS acc0, K1, (DX); \
	VMOVUPS acc1, K2, 64(DX)

#define NEXTROW \
	DECQ CX; \
	JZ   done; \
	ADDQ R8, DX

