// Macros shared by the AVX-512 loops of this package.

// tailMask sets K1 to the low CX bits (CX < 16); clobbers AX.
#define TAILMASK \
	MOVQ  $1, AX; \
	SHLQ  CX, AX; \
	DECQ  AX; \
	KMOVW AX, K1
