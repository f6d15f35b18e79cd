#include "textflag.h"

// func filterAVX512(fl *filt, n int, fr *uint32, nfilt, strideBytes int)
//
// For each filt {f [4]uint32; start, cnt, end, _ uint32; mask [4]uint64}
// (64 bytes): bit j of mask, in chunks of 16 entries below cnt rounded up,
// is set when for every field k < nfilt
//
//	f[k] - lo_k[start+j] <= span_k[start+j]   (unsigned)
//
// where lo_k is fr + 2k*strideBytes and span_k is lo_k + strideBytes.
TEXT ·filterAVX512(SB), NOSPLIT, $0-40
	MOVQ fl+0(FP), SI
	MOVQ n+8(FP), R8
	MOVQ fr+16(FP), R9
	MOVQ nfilt+24(FP), R13
	MOVQ strideBytes+32(FP), DI
	SHLQ $6, R8
	ADDQ SI, R8            // R8: end of fl
	SHLQ $2, R13           // bytes of f used

key:
	MOVL 16(SI), AX        // start
	MOVL 20(SI), R11       // cnt
	LEAQ (R9)(AX*4), BX    // &lo_0[start]
	LEAQ 32(SI), R12       // the mask's next 16 bits
	LEAQ (SI)(R13*1), R10  // end of f
	XORL CX, CX            // entries done

chunk:
	CMPL CX, R11
	JGE next
	KXNORW K1, K1, K1      // every lane
	MOVQ BX, AX
	MOVQ SI, DX

field:
	VPBROADCASTD (DX), Z0  // f[k] in every lane
	VMOVDQU32 (AX), Z1
	VPSUBD Z1, Z0, Z2      // f[k] - lo
	VPCMPUD $2, (AX)(DI*1), Z2, K1, K1 // and f[k] - lo <= span
	LEAQ (AX)(DI*2), AX
	ADDQ $4, DX
	CMPQ DX, R10
	JNE field

	KMOVW K1, (R12)
	ADDQ $64, BX
	ADDQ $2, R12
	ADDL $16, CX
	JMP chunk

next:
	ADDQ $64, SI
	CMPQ SI, R8
	JNE key
	VZEROUPPER
	RET
