#include "textflag.h"

// func prefetch24(tbl memBase, ips []uint32)
TEXT ·prefetch24(SB), NOSPLIT|NOFRAME, $0-32
	MOVQ tbl_p+0(FP), AX
	MOVQ ips_base+8(FP), SI
	MOVQ ips_len+16(FP), CX
	TESTQ CX, CX
	JEQ done
loop:
	MOVL (SI), DX
	SHRL $8, DX
	PREFETCHT0 (AX)(DX*4)
	ADDQ $4, SI
	DECQ CX
	JNE loop
done:
	RET

// func prefetch24x6(tbl *tbl24, ips [][16]byte)
TEXT ·prefetch24x6(SB), NOSPLIT|NOFRAME, $0-32
	MOVQ tbl+0(FP), AX
	MOVQ ips_base+8(FP), SI
	MOVQ ips_len+16(FP), CX
	TESTQ CX, CX
	JEQ done6
loop6:
	MOVL (SI), DX
	BSWAPL DX
	SHRL $8, DX
	PREFETCHT0 (AX)(DX*4)
	ADDQ $16, SI
	DECQ CX
	JNE loop6
done6:
	RET
