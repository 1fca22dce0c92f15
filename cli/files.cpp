#include "files.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <unistd.h>

namespace salient::cli {

namespace fs = std::filesystem;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return s.str();
}

write_outcome write_file_if_changed(const std::string& path, const std::string& content) {
  if (read_file(path) == content) return write_outcome::unchanged;
  std::error_code ec;
  fs::path target(path);
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) {
      std::cerr << "salient: error: cannot write " << tmp << ": " << std::strerror(errno) << "\n";
      fs::remove(tmp, ec);
      return write_outcome::failed;
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::cerr << "salient: error: cannot replace " << path << ": " << ec.message() << "\n";
    fs::remove(tmp, ec);
    return write_outcome::failed;
  }
  return write_outcome::written;
}

}  // namespace salient::cli
