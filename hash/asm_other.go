//go:build !amd64 || purego

package hash

const haveCRC32 = false

func crc32cAsm(crc uint32, p *byte, n int) uint32 { panic("unreachable") }
