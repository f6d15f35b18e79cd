// lookup3's mix and final on a, b, c = AX, BX, DX, DI scratch.
#define JMIX \
	SUBL DX, AX; MOVL DX, DI; ROLL $4, DI; XORL DI, AX; ADDL BX, DX \
	SUBL AX, BX; MOVL AX, DI; ROLL $6, DI; XORL DI, BX; ADDL DX, AX \
	SUBL BX, DX; MOVL BX, DI; ROLL $8, DI; XORL DI, DX; ADDL AX, BX \
	SUBL DX, AX; MOVL DX, DI; ROLL $16, DI; XORL DI, AX; ADDL BX, DX \
	SUBL AX, BX; MOVL AX, DI; ROLL $19, DI; XORL DI, BX; ADDL DX, AX \
	SUBL BX, DX; MOVL BX, DI; ROLL $4, DI; XORL DI, DX; ADDL AX, BX

#define JFINAL \
	XORL BX, DX; MOVL BX, DI; ROLL $14, DI; SUBL DI, DX \
	XORL DX, AX; MOVL DX, DI; ROLL $11, DI; SUBL DI, AX \
	XORL AX, BX; MOVL AX, DI; ROLL $25, DI; SUBL DI, BX \
	XORL BX, DX; MOVL BX, DI; ROLL $16, DI; SUBL DI, DX \
	XORL DX, AX; MOVL DX, DI; ROLL $4, DI; SUBL DI, AX \
	XORL AX, BX; MOVL AX, DI; ROLL $14, DI; SUBL DI, BX \
	XORL BX, DX; MOVL BX, DI; ROLL $24, DI; SUBL DI, DX

// JPART adds the R9 (1..3) bytes at R10, little-endian, to reg.
#define JPART(reg, l1, l2, l3) \
	CMPQ R9, $2 \
	JB   l1 \
	JEQ  l2 \
	MOVWLZX (R10), DI \
	MOVBLZX 2(R10), R9 \
	SHLL $16, R9 \
	ORL  R9, DI \
	JMP  l3 \
l2: \
	MOVWLZX (R10), DI \
	JMP  l3 \
l1: \
	MOVBLZX (R10), DI \
l3: \
	ADDL DI, reg

// JHASH finishes lookup3's hashlittle of the R9 (> 0) bytes at R10, a, b,
// c (AX, BX, DX) initialised: the hash is left in DX. Clobbers R9, R10, DI.
#define JHASH \
jloop: \
	CMPQ R9, $12 \
	JBE  jtail \
	ADDL (R10), AX \
	ADDL 4(R10), BX \
	ADDL 8(R10), DX \
	JMIX \
	ADDQ $12, R10 \
	SUBQ $12, R9 \
	JMP  jloop \
jtail: \
	CMPQ R9, $4 \
	JB   jpa \
	ADDL (R10), AX \
	CMPQ R9, $8 \
	JB   jpb \
	ADDL 4(R10), BX \
	CMPQ R9, $12 \
	JB   jpc \
	ADDL 8(R10), DX \
	JMP  jfin \
jpa: \
	JPART(AX, jpa1, jpa2, jpa3) \
	JMP  jfin \
jpb: \
	SUBQ $4, R9 \
	JEQ  jfin \
	ADDQ $4, R10 \
	JPART(BX, jpb1, jpb2, jpb3) \
	JMP  jfin \
jpc: \
	SUBQ $8, R9 \
	JEQ  jfin \
	ADDQ $8, R10 \
	JPART(DX, jpc1, jpc2, jpc3) \
jfin: \
	JFINAL
