package pcap

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dpkit/dpkit/internal/pcapfile"
	"github.com/dpkit/dpkit/mbuf"
)

// rxFile is a capture file an rx queue reads.
type rxFile struct {
	path string
	f    *os.File
	rd   *pcapfile.Reader

	// pending is a packet read but not yet delivered (the pool was
	// empty): its bytes are the reader's until the next read.
	pending     []byte
	pendingTS   int64
	havePending bool
	failed      bool   // the file's error has been counted
	idle        uint32 // bursts since the end of the file was seen

	// infinite_rx: every packet of the file, back to back, where each
	// starts (and, one past the last, where the last ends), and the
	// longest.
	all    []byte
	starts []int
	maxLen int
	next   int
}

func openRxFile(path string) (*rxFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	rd, err := pcapfile.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &rxFile{path: path, f: f, rd: rd}, nil
}

// start rewinds the file, as DPDK reopens it at every start.
func (r *rxFile) start() error {
	if _, err := r.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rx_pcap=%s: %w", r.path, err)
	}
	if err := r.rd.Reset(r.f); err != nil {
		return fmt.Errorf("rx_pcap=%s: %w", r.path, err)
	}
	r.havePending, r.failed, r.next, r.idle = false, false, 0, 0
	return nil
}

func (r *rxFile) close() error { return r.f.Close() }

// load reads every packet of the file into memory for infinite_rx.
func (r *rxFile) load() error {
	if r.starts != nil {
		return nil
	}
	if err := r.start(); err != nil {
		return err
	}
	for {
		data, _, err := r.rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("rx_pcap=%s: %w", r.path, err)
		}
		r.starts = append(r.starts, len(r.all))
		r.all = append(r.all, data...)
		r.maxLen = max(r.maxLen, len(data))
	}
	if len(r.starts) == 0 {
		r.starts = nil
		return fmt.Errorf("rx_pcap=%s: no packet to replay", r.path)
	}
	r.starts = append(r.starts, len(r.all))
	return nil
}

// eofRetry is how many bursts an rx queue at the end of its file returns
// nothing before it reads the file again (it may have grown).
const eofRetry = 64

// fileRxQueue receives the packets of a file, once.
type fileRxQueue struct {
	src *rxFile
	m   mbufFiller
	st  *rxStats
}

func (q *fileRxQueue) RxBurst(pkts []*mbuf.Mbuf) int {
	r := q.src
	n := 0
	for n < len(pkts) {
		if !r.havePending {
			if r.failed {
				break
			}
			if r.idle > 0 {
				// At the end of the file, look for more only every
				// eofRetry bursts: a read call each poll is a waste.
				if r.idle++; r.idle <= eofRetry {
					break
				}
				r.idle = 0
			}
			data, info, err := r.rd.Next()
			if err != nil {
				if err == io.EOF {
					r.idle = 1
				} else {
					r.failed = true // one error per bad file
					q.st.errors.Add(1)
				}
				break
			}
			r.pending, r.pendingTS, r.havePending = data, info.Timestamp, true
		}
		m := q.m.packet(r.pending)
		if m == nil {
			q.st.nombuf.Add(1)
			break
		}
		m.SetTimestamp(uint64(r.pendingTS))
		m.AddOlFlags(mbuf.RxTimestamp)
		r.havePending = false
		pkts[n] = m
		n++
	}
	return n
}

// replayQueue receives the packets of a file in a loop (infinite_rx).
type replayQueue struct {
	src  *rxFile
	m    mbufFiller
	st   *rxStats
	fits bool // the longest packet fits in one mbuf of the pool
}

// RxBurst allocates the whole burst at once when the pool has it (as
// DPDK's does) and one mbuf at a time otherwise.
func (q *replayQueue) RxBurst(pkts []*mbuf.Mbuf) int {
	r := q.src
	last := len(r.starts) - 1
	if q.fits && q.m.pool.AllocBulk(q.m.lcore, pkts) {
		// Every packet fits in one mbuf: no chains, no checks.
		next := r.next
		for _, m := range pkts {
			data := r.all[r.starts[next]:r.starts[next+1]]
			copy(m.Append(len(data)), data)
			if next++; next == last {
				next = 0
			}
		}
		r.next = next
		return len(pkts)
	}
	for i := range pkts {
		m := q.m.packet(r.all[r.starts[r.next]:r.starts[r.next+1]])
		if m == nil {
			q.st.nombuf.Add(1)
			return i
		}
		pkts[i] = m
		if r.next++; r.next == last {
			r.next = 0
		}
	}
	return len(pkts)
}

// txFile is a pcap file a tx queue writes.
type txFile struct {
	path string
	f    *os.File
	w    *pcapfile.Writer
}

func createTxFile(path string) (*txFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w, err := pcapfile.NewWriter(f, pcapfile.WriterOptions{SnapLen: snapLen})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return &txFile{path: path, f: f, w: w}, nil
}

func (t *txFile) flush() error {
	if err := t.w.Flush(); err != nil && !errors.Is(err, pcapfile.ErrClosed) {
		return fmt.Errorf("tx_pcap=%s: %w", t.path, err)
	}
	return nil
}

func (t *txFile) close() error {
	err := t.flush()
	return errors.Join(err, t.f.Close())
}

// fileTxQueue writes each packet as one record, flushes once per burst
// and frees the packets.
type fileTxQueue struct {
	f     *txFile
	lcore uint
	st    *txStats
	parts [][]byte // the segments of the packet being written
}

func (q *fileTxQueue) TxBurst(pkts []*mbuf.Mbuf) int {
	if len(pkts) == 0 {
		return 0
	}
	ts := time.Now().UnixNano()
	var failed uint64
	for _, m := range pkts {
		var err error
		if m.IsContiguous() {
			err = q.f.w.WritePacket(ts, m.Data())
		} else {
			q.parts = q.parts[:0]
			for s := m; s != nil; s = s.Next() {
				q.parts = append(q.parts, s.Data())
			}
			err = q.f.w.WriteRecord(ts, m.PktLen(), q.parts)
		}
		if err != nil {
			failed++
		}
	}
	if q.f.w.Flush() != nil && failed == 0 {
		failed = uint64(len(pkts))
	}
	if failed > 0 {
		q.st.errors.Add(failed)
	}
	mbuf.FreeBulk(q.lcore, pkts)
	return len(pkts)
}
