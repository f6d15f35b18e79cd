package proto

import "encoding/binary"

// ESP is a view of an IPsec ESP header (RFC 4303); what follows is
// encrypted:
//
//	0     4     8
//	| SPI | seq | payload ...
type ESP []byte

// ESPLen is the length of the ESP header.
const ESPLen = 8

// IsValid reports whether b holds the header.
func (e ESP) IsValid() bool { return len(e) >= ESPLen }

// SPI returns the security parameters index.
func (e ESP) SPI() uint32 { return binary.BigEndian.Uint32(e[0:4]) }

// Seq returns the sequence number.
func (e ESP) Seq() uint32 { return binary.BigEndian.Uint32(e[4:8]) }

// Payload returns the (encrypted) data after the header.
func (e ESP) Payload() []byte { return e[ESPLen:] }

// Encode writes the header.
func (e ESP) Encode(spi, seq uint32) {
	binary.BigEndian.PutUint32(e[0:4], spi)
	binary.BigEndian.PutUint32(e[4:8], seq)
}
