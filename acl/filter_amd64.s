#include "textflag.h"

// func filterAVX512(fl *filt, n int, lo, span *uint32)
//
// For each filt {f0, start, cnt, end uint32; mask uint64} (24 bytes):
// mask = the bits j, in chunks of 16 below cnt rounded up, for which
// f0 - lo[start+j] <= span[start+j] (unsigned).
TEXT ·filterAVX512(SB), NOSPLIT, $0-32
	MOVQ fl+0(FP), SI
	MOVQ n+8(FP), R8
	MOVQ lo+16(FP), R9
	MOVQ span+24(FP), R10
	IMUL3Q $24, R8, R8
	ADDQ SI, R8            // R8: end of fl

key:
	VPBROADCASTD (SI), Z0  // f0 in every lane
	MOVL 4(SI), AX         // start
	MOVL 8(SI), R11        // cnt
	LEAQ (R9)(AX*4), BX    // &lo[start]
	LEAQ (R10)(AX*4), DX   // &span[start]
	XORQ R12, R12          // mask
	XORL CX, CX            // bit of the chunk

chunk:
	CMPL CX, R11
	JGE store
	VMOVDQU32 (BX), Z1
	VPSUBD Z1, Z0, Z2      // f0 - lo
	VPCMPUD $2, (DX), Z2, K1 // f0 - lo <= span
	KMOVW K1, AX
	SHLQ CX, AX
	ORQ AX, R12
	ADDQ $64, BX
	ADDQ $64, DX
	ADDL $16, CX
	JMP chunk

store:
	MOVQ R12, 16(SI)
	ADDQ $24, SI
	CMPQ SI, R8
	JNE key
	VZEROUPPER
	RET
