//go:build !purego && !race

#include "textflag.h"
#include "jhash_amd64.h"

// Offsets in burstScan (scan.go).
#define S_BUCKETS 0
#define S_KEYS 8
#define S_QUERY 16
#define S_HASHES 24
#define S_N 32
#define S_MASK 40
#define S_KEYLEN 48
#define S_STRIDE 56
#define S_CAND 64
#define S_POS 72
#define S_DATA 80
#define S_HASHFN 88
#define S_SEED 96
#define S_HITS 104

// func scanBurst(s *burstScan)
//
// See burstScan. Four loops over the n keys: hash (CRC32C, if asked) and
// prefetch both buckets; compare signatures (PCMPEQW of the key's
// signature against a bucket's 8, PMOVMSKB: 2 bits per slot, the even one
// kept), read the first candidate's key index and prefetch its key;
// compare each key with its candidate (16 bytes at a time, the last 16
// overlapping; shorter keys with two overlapping 8- or 4-byte loads, or
// bytes); store positions or data.
TEXT ·scanBurst(SB), NOSPLIT, $16-8
	MOVQ s+0(FP), DI
	MOVQ S_BUCKETS(DI), R8
	MOVQ S_HASHES(DI), R11
	MOVQ S_MASK(DI), R12
	MOVQ S_N(DI), CX
	MOVQ S_HASHFN(DI), AX
	CMPQ AX, $1
	JEQ  crc
	CMPQ AX, $2
	JEQ  jhash

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
	JMP  sig

	// Loop 1 with hashing: lookup3's hashlittle (rte_jhash, JHash) of
	// each key onto the seed, into hashes; prefetch. a, b, c: AX, BX, DX;
	// R9: the bytes left at R10; DI: scratch.
jhash:
	MOVQ S_QUERY(DI), R13
	MOVQ S_SEED(DI), AX
	MOVQ AX, seed-8(SP)
	XORQ SI, SI
pfj:
	LEAQ (SI)(SI*2), AX
	SHLQ $3, AX
	MOVQ (R13)(AX*1), R10
	MOVQ 8(R13)(AX*1), R9
	MOVL seed-8(SP), AX
	ADDL R9, AX
	ADDL $0xdeadbeef, AX
	MOVL AX, BX
	MOVL AX, DX
	TESTQ R9, R9
	JEQ  jdone
	JHASH
jdone:
	MOVL DX, AX
	MOVL AX, (R11)(SI*4)
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
	JB   pfj
	JMP  sig

	// Loop 1 with hashing: CRC32C of each key (its own length) onto the
	// seed, 8, 4, 2, then 1 byte at a time, into hashes; prefetch.
crc:
	MOVQ S_QUERY(DI), R13
	MOVQ S_SEED(DI), R9
	XORQ SI, SI
pfc:
	LEAQ (SI)(SI*2), AX
	SHLQ $3, AX
	MOVQ (R13)(AX*1), DX
	MOVQ 8(R13)(AX*1), BX
	MOVL R9, AX
	XORQ DI, DI
c8:
	LEAQ 8(DI), R10
	CMPQ R10, BX
	JA   c4
	CRC32Q (DX)(DI*1), AX
	MOVQ R10, DI
	JMP  c8
c4:
	LEAQ 4(DI), R10
	CMPQ R10, BX
	JA   c2
	CRC32L (DX)(DI*1), AX
	MOVQ R10, DI
c2:
	LEAQ 2(DI), R10
	CMPQ R10, BX
	JA   c1
	CRC32W (DX)(DI*1), AX
	MOVQ R10, DI
c1:
	CMPQ DI, BX
	JAE  c0
	CRC32B (DX)(DI*1), AX
c0:
	MOVL AX, (R11)(SI*4)
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
	JB   pfc

	// Loop 2: signatures, first candidate, prefetch of its key.
sig:
	MOVQ s+0(FP), DI
	MOVQ S_KEYS(DI), R9
	MOVQ S_CAND(DI), R10
	MOVQ S_STRIDE(DI), R13
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
	MOVOU (BX), X2
	PCMPEQW X0, X2
	PMOVMSKB X2, DI
	ANDL $0x5555, DI
	ANDL $0x5555, DX
	CMOVQEQ BX, AX // no primary hit: the secondary bucket, without a branch
	CMOVLEQ DI, DX
	TESTL DX, DX
	JNE  sghave
	MOVL $0, (R10)(SI*4)
	JMP  sgnext
sghave:
	BSFL DX, DX
	SHRL $1, DX
	MOVL 16(AX)(DX*4), DX
	MOVL DX, (R10)(SI*4)
	IMULQ R13, DX
	PREFETCHT0 (R9)(DX*1)
sgnext:
	INCQ SI
	CMPQ SI, CX
	JB   sg

	// Loop 3: each key against its candidate. R8: hits, R11: query
	// slice headers, R12: key length.
	MOVQ s+0(FP), DI
	MOVQ S_QUERY(DI), R11
	MOVQ S_KEYLEN(DI), R12
	XORQ R8, R8
	XORQ SI, SI
kc:
	MOVL (R10)(SI*4), DX
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

	// Loop 4: results.
	MOVQ s+0(FP), DI
	MOVQ R8, S_HITS(DI)
	MOVQ S_POS(DI), DX
	TESTQ DX, DX
	JEQ  data
	MOVL $-1, BX
	XORQ SI, SI
op:
	MOVL (R10)(SI*4), AX
	DECL AX
	BTQ  SI, R8
	CMOVLCC BX, AX
	MOVL AX, (DX)(SI*4)
	INCQ SI
	CMPQ SI, CX
	JB   op
	RET
data:
	MOVQ S_DATA(DI), DX
	XORQ SI, SI
od:
	BTQ  SI, R8
	JCC  odnext
	MOVL (R10)(SI*4), AX
	IMULQ R13, AX
	MOVQ -8(R9)(AX*1), AX
	MOVQ AX, (DX)(SI*8)
odnext:
	INCQ SI
	CMPQ SI, CX
	JB   od
	RET
