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

// func lookupX4(t *Table, ips, hops *[4]uint32, def uint32)
//
// Table.LookupX4. Four first-level loads; one branch, when any of the
// four links a group, to read those group entries; then the entries go
// into one vector and a blend writes valid ? next hop : def. That is about
// half the instructions of the Go version, with one branch on the loaded
// entries instead of two per address, so that more lookups are in flight
// while the first-level reads miss the cache. t.l1 and t.l2 are the first
// two words of Table (TestTableLayout). Without AVX2 it jumps to
// lookupX4Go.
TEXT ·lookupX4(SB), NOSPLIT, $0-28
	CMPB ·useAVX2(SB), $0
	JEQ x4go
	MOVQ t+0(FP), AX
	MOVQ 8(AX), BX
	MOVQ 0(AX), AX
	MOVQ ips+8(FP), SI
	MOVQ hops+16(FP), DI
	MOVL def+24(FP), DX
	MOVQ DX, X9
	VPBROADCASTD X9, X9
	MOVL $0xffffff, DX
	MOVQ DX, X8
	VPBROADCASTD X8, X8
	MOVL 0(SI), R8
	MOVL 4(SI), R9
	MOVL 8(SI), R10
	MOVL 12(SI), R11
	SHRL $8, R8
	SHRL $8, R9
	SHRL $8, R10
	SHRL $8, R11
	MOVL (AX)(R8*4), R8
	MOVL (AX)(R9*4), R9
	MOVL (AX)(R10*4), R10
	MOVL (AX)(R11*4), R11
	MOVL R8, DX
	ORL R9, DX
	ORL R10, DX
	ORL R11, DX
	JS xext
xvec:
	MOVQ R8, X3
	VPINSRD $1, R9, X3, X3
	VPINSRD $2, R10, X3, X3
	VPINSRD $3, R11, X3, X3
	VPAND X8, X3, X5
	VPSLLD $1, X3, X4
	VBLENDVPS X4, X5, X9, X6
	VMOVDQU X6, (DI)
	RET
xext:
	TESTL R8, R8
	JNS xok0
	SHLL $8, R8
	MOVBLZX 0(SI), DX
	ORL DX, R8
	MOVL (BX)(R8*4), R8
xok0:
	TESTL R9, R9
	JNS xok1
	SHLL $8, R9
	MOVBLZX 4(SI), DX
	ORL DX, R9
	MOVL (BX)(R9*4), R9
xok1:
	TESTL R10, R10
	JNS xok2
	SHLL $8, R10
	MOVBLZX 8(SI), DX
	ORL DX, R10
	MOVL (BX)(R10*4), R10
xok2:
	TESTL R11, R11
	JNS xok3
	SHLL $8, R11
	MOVBLZX 12(SI), DX
	ORL DX, R11
	MOVL (BX)(R11*4), R11
xok3:
	JMP xvec
x4go:
	JMP ·lookupX4Go(SB)
