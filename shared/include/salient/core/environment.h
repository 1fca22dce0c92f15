#pragma once
// The host environment variables the core may read (docs/ABI.md lists the prefixes). They come
// in with the instance's configuration: the core never calls getenv.
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace salient {

class environment {
 public:
  void set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  std::string_view get(std::string_view name) const {
    auto it = vars_.find(name);
    return it == vars_.end() ? std::string_view{} : std::string_view(it->second);
  }

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace salient
