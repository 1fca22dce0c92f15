#pragma once
// The `salient` CLI's subcommands, one source file each, dispatched by main.cpp:
//
//   salient config check|compile …   config_command.cpp
//   salient ingest …                 ingest_command.cpp (with --pinecone: pinecone_command.cpp)
//   salient sweep …                  sweep_command.cpp (asks a running dev server to sweep)
//
// A new subcommand gets a `<name>_command` here, its own file, a line in main.cpp's dispatch and
// its usage in main.cpp's usage_text. Each returns the exit status: 0 ok, 1 invalid
// configuration or input, or a file error (sweep: the server unreachable or the sweep failed),
// 2 bad usage.
#include <optional>
#include <string>
#include <vector>

#include "salient/config/config.h"

namespace salient::cli {

/// `salient --help`.
extern const char* const usage_text;

/// Prints "salient: <message>" and the usage on stderr; returns 2.
int usage_error(const std::string& message);

int config_command(const std::vector<std::string>& args);
int ingest_command(const std::vector<std::string>& args);
int sweep_command(const std::vector<std::string>& args);

/// The configuration in a valid YAML file, or nullopt after printing the error (as
/// FILE:LINE:COLUMN: error: MESSAGE).
std::optional<config> load_config(const std::string& file);

}  // namespace salient::cli
