// The second size peer: a minimal C++ reactor that touches the libc++ pieces any real C++20
// module uses (std::string, std::vector, std::unordered_map, std::to_string), built with the
// same flags as the function modules (-fno-exceptions, -Oz, reactor). Its size is the fixed
// cost of libc++ + wasi-libc before any application code.
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

static std::unordered_map<std::string, std::vector<std::string>> table;

extern "C" __attribute__((export_name("peer_alloc"))) void* peer_alloc(size_t n) { return std::malloc(n); }
extern "C" __attribute__((export_name("peer_free"))) void peer_free(void* p) { std::free(p); }
extern "C" __attribute__((export_name("peer_put"))) size_t peer_put(const char* key, size_t len, int value) {
  auto& list = table[std::string(key, len)];
  list.push_back(std::to_string(value));
  return list.size();
}
