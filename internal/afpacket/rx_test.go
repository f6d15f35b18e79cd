package afpacket

import (
	"bytes"
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeBlock writes a TPACKET_V3 block holding frames into mem at block
// index blk, as the kernel lays it out, and hands it to user space.
func fakeBlock(mem []byte, blockSize, blk int, frames [][]byte) {
	base := blk * blockSize
	b := mem[base : base+blockSize]
	clear(b)
	ne := binary.NativeEndian
	ne.PutUint32(b[blkNumPkts:], uint32(len(frames)))
	ne.PutUint32(b[blkFirstPkt:], blkDescLen)
	off := blkDescLen
	for i, f := range frames {
		const mac = 82 // what the kernel uses for a V3 SOCK_RAW ring
		next := (mac + len(f) + 15) &^ 15
		h := b[off:]
		if i < len(frames)-1 {
			ne.PutUint32(h[hdrNextOffset:], uint32(next))
		}
		ne.PutUint32(h[hdrSnaplen:], uint32(len(f)))
		ne.PutUint32(h[hdrLen:], uint32(len(f)))
		ne.PutUint32(h[hdrStatus:], unix.TP_STATUS_USER|unix.TP_STATUS_CSUM_VALID)
		ne.PutUint16(h[hdrMac:], mac)
		ne.PutUint32(h[hdrRxHash:], uint32(i))
		copy(h[mac:], f)
		off += next
	}
	ne.PutUint32(b[blkStatus:], unix.TP_STATUS_USER)
}

func TestRxRingWalk(t *testing.T) {
	const bs, nb = 4096, 4
	mem := make([]byte, bs*nb)
	r := rxRing{mem: mem, blockSize: bs, nblocks: nb}
	var p Packet
	if r.next(&p) {
		t.Fatal("packet from an empty ring")
	}
	seq := 0
	for round := range 3 { // wraps the ring
		for blk := range nb {
			var frames [][]byte
			for k := range 1 + (round+blk)%5 {
				frames = append(frames, frame(seq+k, 60+k*300))
			}
			fakeBlock(mem, bs, blk, frames)
			for k, want := range frames {
				if !r.next(&p) {
					t.Fatalf("round %d block %d: packet %d missing", round, blk, k)
				}
				if !bytes.Equal(p.Data, want) || p.Len != len(want) || p.RxHash != uint32(k) || p.Status&unix.TP_STATUS_CSUM_VALID == 0 {
					t.Fatalf("round %d block %d packet %d: got %+v", round, blk, k, p)
				}
			}
			seq += len(frames)
			if r.next(&p) {
				t.Fatalf("round %d block %d: packet past the end", round, blk)
			}
			// The block went back to the kernel on the empty call.
			if st := binary.NativeEndian.Uint32(mem[blk*bs+blkStatus:]); st != unix.TP_STATUS_KERNEL {
				t.Fatalf("block %d status %#x after reading, want TP_STATUS_KERNEL", blk, st)
			}
		}
	}
	if r.bad != 0 {
		t.Errorf("bad = %d", r.bad)
	}
}

// FuzzRxRing walks a ring of arbitrary bytes (every block handed over):
// no panic, no packet outside its block.
func FuzzRxRing(f *testing.F) {
	const bs = 4096
	seed := make([]byte, 2*bs)
	fakeBlock(seed, bs, 0, [][]byte{frame(1, 60), frame(2, 1514)})
	fakeBlock(seed, bs, 1, [][]byte{frame(3, 200)})
	f.Add(seed[:256], seed[bs:bs+256])
	f.Fuzz(func(t *testing.T, b0, b1 []byte) {
		mem := make([]byte, 2*bs)
		copy(mem, b0)
		copy(mem[bs:], b1)
		binary.NativeEndian.PutUint32(mem[blkStatus:], unix.TP_STATUS_USER)
		binary.NativeEndian.PutUint32(mem[bs+blkStatus:], unix.TP_STATUS_USER)
		r := rxRing{mem: mem, blockSize: bs, nblocks: 2}
		var p Packet
		for i := 0; i < 2*bs && r.next(&p); i++ {
			if cap(p.Data) > len(p.Data) {
				t.Fatal("packet slice reaches past its frame")
			}
		}
	})
}

// FuzzRxRingV2 walks a TPACKET_V2 ring of arbitrary bytes (every frame
// handed over): no panic, no packet outside its frame.
func FuzzRxRingV2(f *testing.F) {
	const bs, fs = 4096, 2048
	seed := make([]byte, fs)
	binary.NativeEndian.PutUint32(seed[v2Snaplen:], 60)
	binary.NativeEndian.PutUint16(seed[v2Mac:], 66)
	f.Add(seed[:128], seed[:128])
	f.Fuzz(func(t *testing.T, f0, f1 []byte) {
		mem := make([]byte, bs)
		copy(mem, f0)
		copy(mem[fs:], f1)
		binary.NativeEndian.PutUint32(mem[v2Status:], unix.TP_STATUS_USER)
		binary.NativeEndian.PutUint32(mem[fs+v2Status:], unix.TP_STATUS_USER)
		r := rxRingV2{mem: mem, blockSize: bs, frameSize: fs, framesPerBlock: 2, nframes: 2}
		var p Packet
		for i := 0; i < 4 && r.next(&p); i++ {
			if cap(p.Data) > len(p.Data) || len(p.Data) > fs {
				t.Fatal("packet slice reaches past its frame")
			}
		}
	})
}
