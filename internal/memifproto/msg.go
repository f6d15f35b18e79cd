package memifproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Protocol constants (memif version 2.0).
const (
	Cookie   = 0x3E31F20 // in every ring header
	Version  = 0x0200    // major 2 <<8 | minor 0
	NameSize = 32        // names in HELLO, INIT, CONNECT, CONNECTED
	// SecretSize is the room for the secret in INIT.
	SecretSize = 24
	// ReasonSize is the room for the reason in DISCONNECT.
	ReasonSize = 96
	// MsgSize is the size of every control message: a 2-byte type and the
	// packed payload, padded to 128 bytes.
	MsgSize = 128
	// MaxLog2RingSize is the largest ring this package accepts: 2^14
	// descriptors, DPDK's limit.
	MaxLog2RingSize = 14
)

// MsgType is the type of a control message.
type MsgType uint16

// The message types, in their wire values.
const (
	MsgNone MsgType = iota
	MsgAck
	MsgHello
	MsgInit
	MsgAddRegion
	MsgAddRing
	MsgConnect
	MsgConnected
	MsgDisconnect
)

var msgNames = [...]string{"NONE", "ACK", "HELLO", "INIT", "ADD_REGION", "ADD_RING", "CONNECT", "CONNECTED", "DISCONNECT"}

func (t MsgType) String() string {
	if int(t) < len(msgNames) {
		return msgNames[t]
	}
	return fmt.Sprintf("MsgType(%d)", uint16(t))
}

// Interface modes (INIT).
const (
	ModeEthernet    = 0
	ModeIP          = 1
	ModePuntInject  = 2
	AddRingFlagC2S  = 1 // ADD_RING flags: the ring carries client-to-server traffic
	DescFlagNext    = 1 // descriptor flags: the packet continues in the next descriptor
	RingFlagMaskInt = 1 // ring flags: the receiver polls, do not signal its eventfd
)

// Msg is a decoded control message: Type says which of the other fields
// is meaningful. Msg holds no pointers and is small enough to pass by value.
type Msg struct {
	Type       MsgType
	Hello      Hello
	Init       Init
	AddRegion  AddRegion
	AddRing    AddRing
	Connect    Connect // CONNECT and CONNECTED
	Disconnect Disconnect
}

// Hello is sent by the server first: its name and limits.
type Hello struct {
	Name            string
	MinVersion      uint16
	MaxVersion      uint16
	MaxRegion       uint16 // the highest region index it accepts
	MaxS2CRing      uint16 // the highest server-to-client ring index
	MaxC2SRing      uint16 // the highest client-to-server ring index
	MaxLog2RingSize uint8
}

// Init is the client's answer: which interface it wants and how.
type Init struct {
	Version uint16
	ID      uint32
	Mode    uint8
	Secret  string
	Name    string
}

// AddRegion announces a shared memory region; its fd travels with it.
type AddRegion struct {
	Index uint16
	Size  uint64
}

// AddRing announces a ring in a region; its interrupt eventfd travels
// with it.
type AddRing struct {
	Flags          uint16 // AddRingFlagC2S for a client-to-server ring
	Index          uint16
	Region         uint16
	Offset         uint32 // of the ring header in the region
	Log2RingSize   uint8
	PrivateHdrSize uint16
}

// C2S reports whether the ring carries client-to-server traffic.
func (r AddRing) C2S() bool { return r.Flags&AddRingFlagC2S != 0 }

// Connect is CONNECT (client) and CONNECTED (server): the sender's
// interface name.
type Connect struct {
	IfName string
}

// Disconnect closes the connection with a reason.
type Disconnect struct {
	Code   uint32
	Reason string
}

// Errors of Decode and Encode.
var (
	ErrShortMsg   = errors.New("memif: control message shorter than 128 bytes")
	ErrMsgType    = errors.New("memif: unknown control message type")
	ErrNameTooBig = errors.New("memif: string longer than its field")
)

var le = binary.LittleEndian

// Encode writes m into b, zero-padded. Strings longer than their field
// are an error (ErrNameTooBig), never silently cut.
func (m *Msg) Encode(b *[MsgSize]byte) error {
	*b = [MsgSize]byte{}
	le.PutUint16(b[0:], uint16(m.Type))
	p := b[2:]
	switch m.Type {
	case MsgNone, MsgAck:
	case MsgHello:
		h := &m.Hello
		if err := putString(p[0:NameSize], h.Name); err != nil {
			return err
		}
		le.PutUint16(p[32:], h.MinVersion)
		le.PutUint16(p[34:], h.MaxVersion)
		le.PutUint16(p[36:], h.MaxRegion)
		le.PutUint16(p[38:], h.MaxS2CRing)
		le.PutUint16(p[40:], h.MaxC2SRing)
		p[42] = h.MaxLog2RingSize
	case MsgInit:
		in := &m.Init
		le.PutUint16(p[0:], in.Version)
		le.PutUint32(p[2:], in.ID)
		p[6] = in.Mode
		if err := putString(p[7:7+SecretSize], in.Secret); err != nil {
			return err
		}
		if err := putString(p[31:31+NameSize], in.Name); err != nil {
			return err
		}
	case MsgAddRegion:
		le.PutUint16(p[0:], m.AddRegion.Index)
		le.PutUint64(p[2:], m.AddRegion.Size)
	case MsgAddRing:
		r := &m.AddRing
		le.PutUint16(p[0:], r.Flags)
		le.PutUint16(p[2:], r.Index)
		le.PutUint16(p[4:], r.Region)
		le.PutUint32(p[6:], r.Offset)
		p[10] = r.Log2RingSize
		le.PutUint16(p[11:], r.PrivateHdrSize)
	case MsgConnect, MsgConnected:
		if err := putString(p[0:NameSize], m.Connect.IfName); err != nil {
			return err
		}
	case MsgDisconnect:
		le.PutUint32(p[0:], m.Disconnect.Code)
		// A reason is for humans: cut it rather than fail a disconnect.
		r := m.Disconnect.Reason
		if len(r) > ReasonSize {
			r = r[:ReasonSize]
		}
		copy(p[4:4+ReasonSize], r)
	default:
		return fmt.Errorf("%w %d", ErrMsgType, m.Type)
	}
	return nil
}

// Decode parses a control message. It reads only the first MsgSize bytes
// of b (peers send exactly 128) and never fails on field values: checking
// them against the connection's state is the handshake's job.
func Decode(b []byte) (Msg, error) {
	var m Msg
	if len(b) < MsgSize {
		return m, fmt.Errorf("%w (got %d)", ErrShortMsg, len(b))
	}
	m.Type = MsgType(le.Uint16(b[0:]))
	p := b[2:MsgSize]
	switch m.Type {
	case MsgNone, MsgAck:
	case MsgHello:
		m.Hello = Hello{
			Name:            getString(p[0:NameSize]),
			MinVersion:      le.Uint16(p[32:]),
			MaxVersion:      le.Uint16(p[34:]),
			MaxRegion:       le.Uint16(p[36:]),
			MaxS2CRing:      le.Uint16(p[38:]),
			MaxC2SRing:      le.Uint16(p[40:]),
			MaxLog2RingSize: p[42],
		}
	case MsgInit:
		m.Init = Init{
			Version: le.Uint16(p[0:]),
			ID:      le.Uint32(p[2:]),
			Mode:    p[6],
			Secret:  getString(p[7 : 7+SecretSize]),
			Name:    getString(p[31 : 31+NameSize]),
		}
	case MsgAddRegion:
		m.AddRegion = AddRegion{Index: le.Uint16(p[0:]), Size: le.Uint64(p[2:])}
	case MsgAddRing:
		m.AddRing = AddRing{
			Flags:          le.Uint16(p[0:]),
			Index:          le.Uint16(p[2:]),
			Region:         le.Uint16(p[4:]),
			Offset:         le.Uint32(p[6:]),
			Log2RingSize:   p[10],
			PrivateHdrSize: le.Uint16(p[11:]),
		}
	case MsgConnect, MsgConnected:
		m.Connect = Connect{IfName: getString(p[0:NameSize])}
	case MsgDisconnect:
		m.Disconnect = Disconnect{Code: le.Uint32(p[0:]), Reason: getString(p[4 : 4+ReasonSize])}
	default:
		return m, fmt.Errorf("%w %d", ErrMsgType, uint16(m.Type))
	}
	return m, nil
}

// putString stores s NUL-padded in f; it must fit (a C peer reads the
// field with strlcpy-like bounds, so a full field without a NUL is fine).
func putString(f []byte, s string) error {
	if len(s) > len(f) {
		return fmt.Errorf("%w: %q has %d bytes, the field %d", ErrNameTooBig, s, len(s), len(f))
	}
	copy(f, s)
	return nil
}

// getString reads a NUL-terminated (or field-long) string.
func getString(f []byte) string {
	if i := bytes.IndexByte(f, 0); i >= 0 {
		f = f[:i]
	}
	return string(f)
}
