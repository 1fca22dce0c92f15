#pragma once
// Reading and writing the CLI's files.
#include <optional>
#include <string>

namespace salient::cli {

/// The whole file, or nullopt (errno says why).
std::optional<std::string> read_file(const std::string& path);

enum class write_outcome { unchanged, written, failed };

/// Writes `content` to `path` via a temporary file and a rename, and only if it differs from
/// what is there, so that build steps depending on the file do not rerun needlessly. Prints
/// only errors.
write_outcome write_file_if_changed(const std::string& path, const std::string& content);

}  // namespace salient::cli
