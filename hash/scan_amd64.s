#include "textflag.h"

// Offsets in burstScan (scan.go).
#define S_BUCKETS 0
#define S_KEYS 8
#define S_QUERY 16
#define S_HASHES 24
#define S_N 32
#define S_MASK 40
#define S_KEYLEN 48
#define S_STRIDE 56
#define S_OUT 64
#define S_HITS 72

// func scanBurst(s *burstScan)
//
// See burstScan. Three loops over the n keys: prefetch both buckets;
// compare signatures (PCMPEQW of the key's signature against a bucket's
// 8, PMOVMSKB: 2 bits per slot, the even one kept), read the first
// candidate's key index, prefetch its key; compare each key with its
// first candidate (16 bytes at a time, the last 16 overlapping; shorter
// keys with two overlapping 8- or 4-byte loads).
TEXT ·scanBurst(SB), NOSPLIT, $0-8
	MOVQ s+0(FP), DI
	MOVQ S_BUCKETS(DI), R8
	MOVQ S_KEYS(DI), R9
	MOVQ S_OUT(DI), R10
	MOVQ S_HASHES(DI), R11
	MOVQ S_MASK(DI), R12
	MOVQ S_STRIDE(DI), R13
	MOVQ S_N(DI), CX

	// Loop 1: prefetch the two buckets of every key.
	XORQ SI, SI
pf:
	MOVL (R11)(SI*4), AX
	MOVL AX, BX
	SHRL $16, BX
	ANDL R12, AX
	XORL AX, BX
	ANDL R12, BX
	SHLQ $6, AX
	SHLQ $6, BX
	PREFETCHT0 (R8)(AX*1)
	PREFETCHT0 (R8)(BX*1)
	INCQ SI
	CMPQ SI, CX
	JB   pf

	// Loop 2: signatures, first candidate, prefetch of its key.
	XORQ SI, SI
sg:
	MOVL (R11)(SI*4), AX
	MOVL AX, BX
	SHRL $16, BX
	MOVQ BX, X0
	PSHUFLW $0, X0, X0
	PSHUFL $0, X0, X0
	ANDL R12, AX
	XORL AX, BX
	ANDL R12, BX
	SHLQ $6, AX
	ADDQ R8, AX
	SHLQ $6, BX
	ADDQ R8, BX
	MOVOU (AX), X1
	PCMPEQW X0, X1
	PMOVMSKB X1, DX
	ANDL $0x5555, DX
	MOVOU (BX), X2
	PCMPEQW X0, X2
	PMOVMSKB X2, DI
	ANDL $0x5555, DI
	SHLL $16, DI
	ORL  DX, DI
	MOVL DI, (R10)(SI*8)
	MOVL $0, 4(R10)(SI*8)
	TESTL DX, DX
	CMOVQEQ BX, AX
	BSFL DI, DX
	JEQ  sgnext
	ANDL $15, DX
	SHRL $1, DX
	MOVL 16(AX)(DX*4), DX
	MOVL DX, 4(R10)(SI*8)
	IMULQ R13, DX
	PREFETCHT0 (R9)(DX*1)
sgnext:
	INCQ SI
	CMPQ SI, CX
	JB   sg

	// Loop 3: each key against its first candidate. R8: hits, R11:
	// query slice headers, R12: key length.
	MOVQ s+0(FP), DI
	MOVQ S_QUERY(DI), R11
	MOVQ S_KEYLEN(DI), R12
	XORQ R8, R8
	XORQ SI, SI
kc:
	MOVL 4(R10)(SI*8), DX
	TESTL DX, DX
	JEQ  kcnext
	LEAQ (SI)(SI*2), AX
	SHLQ $3, AX
	CMPQ 8(R11)(AX*1), R12
	JNE  kcnext
	MOVQ (R11)(AX*1), BX // query key
	IMULQ R13, DX
	LEAQ (R9)(DX*1), AX  // stored key
	CMPQ R12, $16
	JAE  kc16
	CMPQ R12, $8
	JAE  kc8
	CMPQ R12, $4
	JAE  kc4
	// 1..3 bytes: first, middle, last.
	MOVBLZX (AX), DX
	CMPB DX, (BX)
	JNE  kcnext
	MOVQ R12, DI
	SHRQ $1, DI
	MOVBLZX (AX)(DI*1), DX
	CMPB DX, (BX)(DI*1)
	JNE  kcnext
	MOVBLZX -1(AX)(R12*1), DX
	CMPB DX, -1(BX)(R12*1)
	JNE  kcnext
	JMP  kchit
kc4:
	MOVL (AX), DX
	CMPL DX, (BX)
	JNE  kcnext
	MOVL -4(AX)(R12*1), DX
	CMPL DX, -4(BX)(R12*1)
	JNE  kcnext
	JMP  kchit
kc8:
	MOVQ (AX), DX
	CMPQ DX, (BX)
	JNE  kcnext
	MOVQ -8(AX)(R12*1), DX
	CMPQ DX, -8(BX)(R12*1)
	JNE  kcnext
	JMP  kchit
kc16:
	XORQ DI, DI
kc16loop:
	MOVOU (AX)(DI*1), X1
	MOVOU (BX)(DI*1), X2
	PCMPEQB X2, X1
	PMOVMSKB X1, DX
	CMPL DX, $0xffff
	JNE  kcnext
	ADDQ $16, DI
	LEAQ 16(DI), DX
	CMPQ DX, R12
	JBE  kc16loop
	CMPQ DI, R12
	JEQ  kchit
	MOVOU -16(AX)(R12*1), X1
	MOVOU -16(BX)(R12*1), X2
	PCMPEQB X2, X1
	PMOVMSKB X1, DX
	CMPL DX, $0xffff
	JNE  kcnext
kchit:
	BTSQ SI, R8
kcnext:
	INCQ SI
	CMPQ SI, CX
	JB   kc

	MOVQ s+0(FP), DI
	MOVQ R8, S_HITS(DI)
	RET
