// The size/instantiate peer: the smallest useful WASI reactor built with the same toolchain as
// the function modules (clang-19, wasi-libc, crt1-reactor, wasm-opt -Oz via clang). It links
// malloc/free and a string routine, so it carries wasi-libc's fixed cost and nothing of ours.
#include <stdlib.h>
#include <string.h>

__attribute__((export_name("peer_alloc"))) void* peer_alloc(size_t n) { return malloc(n); }
__attribute__((export_name("peer_free"))) void peer_free(void* p) { free(p); }
__attribute__((export_name("peer_len"))) size_t peer_len(const char* s) { return strlen(s); }
