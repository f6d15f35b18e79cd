//go:build !amd64

package hash

const haveCRC32 = false

func crc32cAsm(crc uint32, p *byte, n int) uint32 { panic("unreachable") }

func prefetch(addrs *uintptr, n int) {}

func scanBurst(s *burstScan) { scanBurstGo(s) }
