#include "textflag.h"

// func copyWordsAVX2(d, s unsafe.Pointer, n uint)
// Copies n 8-byte words from s to d (not overlapping) with 32-byte AVX2
// moves, four at a time, then the rest.
TEXT ·copyWordsAVX2(SB), NOSPLIT, $0-24
	MOVQ	d+0(FP), DI
	MOVQ	s+8(FP), SI
	MOVQ	n+16(FP), CX
	SHLQ	$3, CX
loop128:
	CMPQ	CX, $128
	JB	loop32
	VMOVDQU	0(SI), Y0
	VMOVDQU	32(SI), Y1
	VMOVDQU	64(SI), Y2
	VMOVDQU	96(SI), Y3
	VMOVDQU	Y0, 0(DI)
	VMOVDQU	Y1, 32(DI)
	VMOVDQU	Y2, 64(DI)
	VMOVDQU	Y3, 96(DI)
	ADDQ	$128, SI
	ADDQ	$128, DI
	SUBQ	$128, CX
	JMP	loop128
loop32:
	CMPQ	CX, $32
	JB	tail
	VMOVDQU	0(SI), Y0
	VMOVDQU	Y0, 0(DI)
	ADDQ	$32, SI
	ADDQ	$32, DI
	SUBQ	$32, CX
	JMP	loop32
tail:
	VZEROUPPER
	TESTQ	CX, CX
	JE	done
	MOVQ	0(SI), AX
	MOVQ	AX, 0(DI)
	ADDQ	$8, SI
	ADDQ	$8, DI
	SUBQ	$8, CX
	JMP	tail
done:
	RET
