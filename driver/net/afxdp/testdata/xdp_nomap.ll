; xdp_nomap.ll: an XDP program with no xsks_map (XDP_PASS), for the test
; of xdp_prog='s error. Built into xdp_nomap.o by `go generate`.
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpf"

@_license = dso_local global [4 x i8] c"GPL\00", section "license", align 1

define dso_local i32 @xdp_pass(ptr %ctx) section "xdp" {
entry:
  ret i32 2
}
