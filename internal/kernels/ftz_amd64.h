// FTZ_ON saves MXCSR in saved-4(SP) and sets it to 0x9fc0: flush-to-zero
// (bit 15), denormals-are-zero (bit 6), every exception masked and
// rounding to nearest even — Go's own MXCSR (0x1f80) with FTZ and DAZ,
// whatever a caller such as cgo code left there. FTZ_OFF restores it. The
// functions that use them have an 8-byte frame. Clobbers AX. Shared by
// the optimizer updates (optimizer_amd64.s) and the emulated bfloat16
// kernels (bf16_amd64.s).
#define FTZ_ON \
	STMXCSR saved-4(SP); \
	MOVL    $0x9fc0, AX; \
	MOVL    AX, ftz-8(SP); \
	LDMXCSR ftz-8(SP)

#define FTZ_OFF \
	LDMXCSR saved-4(SP)
