// FTZ_ON saves MXCSR in saved-4(SP) and sets flush-to-zero (bit 15) and
// denormals-are-zero (bit 6); FTZ_OFF restores it. The functions that use
// them have an 8-byte frame. Clobbers AX. Shared by the optimizer updates
// (optimizer_amd64.s) and the emulated bfloat16 kernels (bf16_amd64.s).
#define FTZ_ON \
	STMXCSR saved-4(SP); \
	MOVL    saved-4(SP), AX; \
	ORL     $0x8040, AX; \
	MOVL    AX, ftz-8(SP); \
	LDMXCSR ftz-8(SP)

#define FTZ_OFF \
	LDMXCSR saved-4(SP)
