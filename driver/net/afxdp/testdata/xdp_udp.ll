; xdp_udp.ll: an XDP program for the xdp_prog= test, in LLVM IR (no C
; compiler here): IPv4 UDP packets go to the AF_XDP socket of their queue
; in the XSKMAP xsks_map; everything else (ARP, ICMP...) goes on to the
; kernel's stack. Built into xdp_udp.o by `go generate` (llc, Debian
; package llvm); the object is committed so the test needs no llc.
;
;   if (data + 34 > data_end) return XDP_PASS;      // Ethernet + IPv4 header
;   if (eth->h_proto != htons(ETH_P_IP)) return XDP_PASS;
;   if (ip->protocol != IPPROTO_UDP) return XDP_PASS;
;   return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);

target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpf"

; struct bpf_map_def { type, key_size, value_size, max_entries, map_flags }:
; BPF_MAP_TYPE_XSKMAP (17), u32 -> socket fd, 64 queues.
%struct.bpf_map_def = type { i32, i32, i32, i32, i32 }

@xsks_map = dso_local global %struct.bpf_map_def { i32 17, i32 4, i32 4, i32 64, i32 0 }, section "maps", align 4
@_license = dso_local global [4 x i8] c"GPL\00", section "license", align 1

define dso_local i32 @xdp_udp(ptr %ctx) section "xdp" {
entry:
  %d32 = load i32, ptr %ctx, align 4
  %dep = getelementptr inbounds i32, ptr %ctx, i64 1
  %de32 = load i32, ptr %dep, align 4
  %d = zext i32 %d32 to i64
  %de = zext i32 %de32 to i64
  %data = inttoptr i64 %d to ptr
  %dend = inttoptr i64 %de to ptr
  %lim = getelementptr i8, ptr %data, i64 34
  %short = icmp ugt ptr %lim, %dend
  br i1 %short, label %pass, label %eth

eth:
  %tp = getelementptr i8, ptr %data, i64 12
  %t = load i16, ptr %tp, align 1
  ; 0x0800 in network order, read little-endian
  %isip = icmp eq i16 %t, 8
  br i1 %isip, label %ip, label %pass

ip:
  %pp = getelementptr i8, ptr %data, i64 23
  %p = load i8, ptr %pp, align 1
  %isudp = icmp eq i8 %p, 17
  br i1 %isudp, label %redirect, label %pass

redirect:
  %qp = getelementptr inbounds i32, ptr %ctx, i64 4
  %q = load i32, ptr %qp, align 4
  ; helper 51: bpf_redirect_map(map, key, flags); flags' low bits are the
  ; action when the queue has no socket: XDP_PASS
  %fn = inttoptr i64 51 to ptr
  %r = call i64 %fn(ptr @xsks_map, i32 %q, i64 2)
  %r32 = trunc i64 %r to i32
  ret i32 %r32

pass:
  ret i32 2
}
