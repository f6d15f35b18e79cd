//go:build !purego && !race

#include "textflag.h"
#include "jhash_amd64.h"

// Offsets in tableHdr (scan.go).
#define H_BUCKETS 0
#define H_KEYS 8
#define H_MASK 16
#define H_STRIDE 24
#define H_KEYLEN 32

// FIND looks up the key of CX bytes at SI, hash in AX, in the table whose
// header is at DI: the first signature hit of the primary bucket, or if it
// has none of the secondary, compared with the key (both buckets are
// read, at the same time, and one chosen without a branch: a key in its
// secondary bucket costs no mispredicted branch); the key index goes to
// ret+32(FP), 0 when that was not it (the caller then searches the slow
// way). Clobbers AX, BX, DX, R8, R9, X0, X1, X2.
#define FIND \
	MOVL AX, BX \
	SHRL $16, BX \
	MOVQ BX, X0 \
	PSHUFLW $0, X0, X0 \
	PSHUFL $0, X0, X0 \
	MOVQ H_MASK(DI), DX \
	ANDL DX, AX \
	XORL AX, BX \
	ANDL DX, BX \
	MOVQ H_BUCKETS(DI), R8 \
	SHLQ $6, AX \
	ADDQ R8, AX \
	SHLQ $6, BX \
	ADDQ R8, BX \
	MOVOU (AX), X1 \
	PCMPEQW X0, X1 \
	PMOVMSKB X1, DX \
	MOVOU (BX), X2 \
	PCMPEQW X0, X2 \
	PMOVMSKB X2, R9 \
	ANDL $0x5555, R9 \
	ANDL $0x5555, DX \
	CMOVQEQ BX, AX \
	CMOVLEQ R9, DX \
	TESTL DX, DX \
	JEQ  miss \
	BSFL DX, DX \
	SHRL $1, DX \
	MOVL 16(AX)(DX*4), R9 \
	TESTL R9, R9 \
	JEQ  miss \
	MOVQ R9, AX \
	IMULQ H_STRIDE(DI), AX \
	ADDQ H_KEYS(DI), AX \
	CMPQ CX, $16 \
	JAE  c16 \
	CMPQ CX, $8 \
	JAE  c8 \
	CMPQ CX, $4 \
	JAE  c4 \
	MOVBLZX (AX), DX \
	CMPB DX, (SI) \
	JNE  miss \
	MOVQ CX, BX \
	SHRQ $1, BX \
	MOVBLZX (AX)(BX*1), DX \
	CMPB DX, (SI)(BX*1) \
	JNE  miss \
	MOVBLZX -1(AX)(CX*1), DX \
	CMPB DX, -1(SI)(CX*1) \
	JNE  miss \
	JMP  hit \
c4: \
	MOVL (AX), DX \
	CMPL DX, (SI) \
	JNE  miss \
	MOVL -4(AX)(CX*1), DX \
	CMPL DX, -4(SI)(CX*1) \
	JNE  miss \
	JMP  hit \
c8: \
	MOVQ (AX), DX \
	CMPQ DX, (SI) \
	JNE  miss \
	MOVQ -8(AX)(CX*1), DX \
	CMPQ DX, -8(SI)(CX*1) \
	JNE  miss \
	JMP  hit \
c16: \
	XORQ BX, BX \
c16loop: \
	MOVOU (AX)(BX*1), X1 \
	MOVOU (SI)(BX*1), X2 \
	PCMPEQB X2, X1 \
	PMOVMSKB X1, DX \
	CMPL DX, $0xffff \
	JNE  miss \
	ADDQ $16, BX \
	LEAQ 16(BX), DX \
	CMPQ DX, CX \
	JBE  c16loop \
	CMPQ BX, CX \
	JEQ  hit \
	MOVOU -16(AX)(CX*1), X1 \
	MOVOU -16(SI)(CX*1), X2 \
	PCMPEQB X2, X1 \
	PMOVMSKB X1, DX \
	CMPL DX, $0xffff \
	JNE  miss \
hit: \
	MOVL R9, ret+32(FP) \
	RET \
miss: \
	MOVL $0, ret+32(FP) \
	RET

// func find1(h *tableHdr, key *byte, n int, hash uint32) uint32
TEXT ·find1(SB), NOSPLIT, $0-36
	MOVQ h+0(FP), DI
	MOVQ key+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL hash+24(FP), AX
	CMPQ CX, H_KEYLEN(DI)
	JNE  miss
	FIND

// func find1CRC(h *tableHdr, key *byte, n int, seed uint32) uint32
//
// find1 of the key's CRC32-C accumulated onto seed (CRC32C's value).
TEXT ·find1CRC(SB), NOSPLIT, $0-36
	MOVQ h+0(FP), DI
	MOVQ key+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL seed+24(FP), AX
	CMPQ CX, H_KEYLEN(DI)
	JNE  miss
	MOVQ SI, DX
	MOVQ CX, BX
crc16:
	CMPQ BX, $16
	JB   crc8
	CRC32Q (DX), AX
	CRC32Q 8(DX), AX
	ADDQ $16, DX
	SUBQ $16, BX
	JMP  crc16
crc8:
	TESTQ $8, BX
	JEQ  crc4
	CRC32Q (DX), AX
	ADDQ $8, DX
crc4:
	TESTQ $4, BX
	JEQ  crc2
	CRC32L (DX), AX
	ADDQ $4, DX
crc2:
	TESTQ $2, BX
	JEQ  crc1
	CRC32W (DX), AX
	ADDQ $2, DX
crc1:
	TESTQ $1, BX
	JEQ  crcdone
	CRC32B (DX), AX
crcdone:
	FIND

// func find1J(h *tableHdr, key *byte, n int, seed uint32) uint32
//
// find1 of the key's JHash onto seed.
TEXT ·find1J(SB), NOSPLIT, $0-36
	MOVQ h+0(FP), DI
	MOVQ key+8(FP), SI
	MOVQ n+16(FP), CX
	CMPQ CX, H_KEYLEN(DI)
	JNE  miss
	MOVQ SI, R10
	MOVQ CX, R9
	MOVL seed+24(FP), AX
	ADDL CX, AX
	ADDL $0xdeadbeef, AX
	MOVL AX, BX
	MOVL AX, DX
	JHASH
	MOVL DX, AX
	MOVQ h+0(FP), DI
	FIND
