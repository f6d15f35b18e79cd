// Package toeplitz computes the Toeplitz hash that NICs use for receive side
// scaling (RSS), and maps a hash to a queue through a redirection table.
//
// The hash of an input of n bytes under a key K is the XOR, over every bit
// of the input that is set (most significant bit of byte 0 first), of the
// 32-bit window of K starting at that bit's offset. With a 40-byte key the
// input may be up to 36 bytes long (a TCP/IPv6 tuple is 36); key bits past
// the end of K count as zero, so longer inputs hash without panicking but
// their tail bytes only partly matter.
//
// The input is the tuple in network byte order, as the packet carries it:
// IPv4 source address, destination address, then source and destination
// ports (12 bytes; 8 without ports), or the IPv6 addresses and the ports
// (36 bytes; 32 without ports). That is the order of Microsoft's RSS
// specification, Intel's datasheets and DPDK's rte_softrss.
//
// Hash is the bit-by-bit reference. Table precomputes, for one key, the
// contribution of every byte value at every input offset, so hashing costs
// one table load and one XOR per input byte and never allocates.
//
// Symmetric RSS (both directions of a flow to the same queue) is done with
// SymmetricKey, a 16-bit pattern repeated: the key window at the offset of
// the source address equals the one at the destination address (both are
// multiples of 16 bits apart), and likewise for the ports, so swapping
// source and destination does not change the hash. This is what NICs that
// lack a symmetric mode are given; it costs hash quality (addresses and
// ports that differ only by an XOR-symmetric pattern collide), and that is
// the trade. The tuple is not sorted.
package toeplitz

import "errors"

// DefaultKey is the 40-byte RSS key of Microsoft's RSS specification, the
// default of Intel's NICs and of DPDK's testpmd.
var DefaultKey = [40]byte{
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
}

// SymmetricKey is a 40-byte key whose hash of a tuple equals the hash of
// the tuple with source and destination swapped (0x6d5a repeated).
var SymmetricKey = [40]byte{
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
}

// keyWindow returns the 64 key bits starting at byte i of key (bits past
// the end are zero).
func keyWindow(key []byte, i int) uint64 {
	var w uint64
	for j := 0; j < 8; j++ {
		w <<= 8
		if i+j < len(key) {
			w |= uint64(key[i+j])
		}
	}
	return w
}

// Hash returns the Toeplitz hash of data under key, bit by bit.
func Hash(key, data []byte) uint32 {
	var h uint32
	for i, b := range data {
		w := keyWindow(key, i)
		for bit := 0; bit < 8; bit++ {
			if b&(0x80>>bit) != 0 {
				h ^= uint32(w >> (32 - bit))
			}
		}
	}
	return h
}

// Table is a Toeplitz hash precomputed for one key. It is read-only after
// New and safe for concurrent use.
type Table struct {
	t   [][256]uint32
	key []byte
}

// New precomputes the tables for key: 1 KiB for each input byte offset the
// key covers (len(key)-4 offsets; 36 KiB for a 40-byte key).
func New(key []byte) *Table {
	n := len(key) - 4
	if n < 0 {
		n = 0
	}
	t := &Table{t: make([][256]uint32, n), key: append([]byte(nil), key...)}
	for i := range t.t {
		w := keyWindow(key, i)
		var bits [8]uint32
		for bit := 0; bit < 8; bit++ {
			bits[bit] = uint32(w >> (32 - bit))
		}
		for v := 1; v < 256; v++ {
			var h uint32
			for bit := 0; bit < 8; bit++ {
				if v&(0x80>>bit) != 0 {
					h ^= bits[bit]
				}
			}
			t.t[i][v] = h
		}
	}
	return t
}

// Key returns a copy of the table's key.
func (t *Table) Key() []byte { return append([]byte(nil), t.key...) }

// MaxLen is the longest input whose every bit the key covers
// (len(key)-4 bytes).
func (t *Table) MaxLen() int { return len(t.t) }

// Hash returns the Toeplitz hash of data under the table's key; it equals
// Hash(key, data) for data up to MaxLen bytes. Bytes past MaxLen are hashed
// bit by bit (slow, and only their first bits meet key bits).
func (t *Table) Hash(data []byte) uint32 {
	var h uint32
	tt := t.t
	if len(data) > len(tt) {
		h = Hash(t.key, data) ^ Hash(t.key, data[:len(tt)])
		data = data[:len(tt)]
	}
	tt = tt[:len(data)]
	i := 0
	for ; i+4 <= len(data); i += 4 {
		h ^= tt[i][data[i]] ^ tt[i+1][data[i+1]] ^ tt[i+2][data[i+2]] ^ tt[i+3][data[i+3]]
	}
	for ; i < len(data); i++ {
		h ^= tt[i][data[i]]
	}
	return h
}

// ErrRETASize is returned by NewRETA for a size that is not a power of two
// in [1, 65536].
var ErrRETASize = errors.New("toeplitz: RETA size must be a power of two from 1 to 65536")

// RETA is a redirection table: entry hash&(size-1) names the queue of a
// packet with that hash, as in a NIC's RSS RETA (DPDK's reta_size is 64,
// 128 or 512 on most NICs).
type RETA struct {
	q    []uint16
	mask uint32
}

// NewRETA returns a redirection table of size entries spreading queues
// queues round robin (entry i -> queue i % queues), as DPDK's ethdev fills
// the default RETA.
func NewRETA(size, queues int) (*RETA, error) {
	if size < 1 || size > 1<<16 || size&(size-1) != 0 {
		return nil, ErrRETASize
	}
	if queues < 1 || queues > 1<<16 {
		return nil, errors.New("toeplitz: RETA queue count must be from 1 to 65536")
	}
	r := &RETA{q: make([]uint16, size), mask: uint32(size - 1)}
	for i := range r.q {
		r.q[i] = uint16(i % queues)
	}
	return r, nil
}

// Size returns the number of entries.
func (r *RETA) Size() int { return len(r.q) }

// Set points entry i at queue q.
func (r *RETA) Set(i int, q uint16) { r.q[i] = q }

// Entry returns the queue of entry i.
func (r *RETA) Entry(i int) uint16 { return r.q[i] }

// Queue returns the queue for hash: entry hash & (size-1), the hash's low
// bits, as NICs index their RETA.
func (r *RETA) Queue(hash uint32) uint16 { return r.q[hash&r.mask] }
