// The native `salient` CLI: checks salient.yaml and compiles it to the JSON the functions read
// (config_command.cpp), and builds the knowledge index from knowledge/ (`salient ingest`,
// ingest_command.cpp), which `--pinecone` also uploads to a Pinecone index
// (pinecone_command.cpp), and asks a running dev server to sweep idle conversations now
// (`salient sweep`, sweep_command.cpp). This file holds the usage and the dispatch; commands.h
// says where a subcommand goes.
//
// Exit status: 0 ok, 1 invalid configuration or input, unreadable/unwritable file, or a failed
// sweep, 2 bad usage.
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"

#ifndef SALIENT_VERSION
#define SALIENT_VERSION "0.0.0"
#endif

namespace salient::cli {

const char* const usage_text =
    "Usage:\n"
    "  salient config check <file.yaml>                 validate a configuration\n"
    "  salient config compile <file.yaml> [-o <out.json>]\n"
    "                                                   validate it and write the normalised JSON\n"
    "                                                   (to stdout without -o; the file is rewritten\n"
    "                                                   only when its content changes)\n"
    "  salient config reference                         print docs/CONFIG.md's tables of keys\n"
    "  salient ingest [<dir>] [-o <out>] [--json <chunks.json>]\n"
    "                                                   build the knowledge index from the .md,\n"
    "                                                   .html and .txt files under <dir> (default\n"
    "                                                   knowledge) into <out> (default\n"
    "                                                   build/knowledge.bin), rewritten only when\n"
    "                                                   its content changes; --json also writes the\n"
    "                                                   chunks as JSON\n"
    "  salient ingest [<dir>] --pinecone [--config <salient.yaml>] [--agent <code>]\n"
    "                 [--batch <n>] [--state <file>] [-o <out>] [--json <chunks.json>]\n"
    "                                                   the same, then upload the chunks to the\n"
    "                                                   Pinecone index of the configuration\n"
    "                                                   (default salient.yaml): only new or\n"
    "                                                   changed ones, deleting removed ones, as\n"
    "                                                   recorded in --state (default\n"
    "                                                   build/pinecone-ingest.json); --batch chunks\n"
    "                                                   per request (1-96, default 96); --agent\n"
    "                                                   picks the namespace when it is per agent.\n"
    "                                                   (keys and URLs from the environment:\n"
    "                                                   docs/KNOWLEDGE.md, \"Loading Pinecone\")\n"
    "  salient sweep [--url <origin>] [--limit <n>]\n"
    "                                                   ask the running dev server at <origin>\n"
    "                                                   (default http://127.0.0.1:8787) to email\n"
    "                                                   the summaries of idle conversations now,\n"
    "                                                   at most <n> (1-1000, default 50), and print\n"
    "                                                   what it did\n"
    "  salient --help | --version\n"
    "\n"
    "Errors are printed as FILE:LINE:COLUMN: error: MESSAGE (config) or FILE: error: MESSAGE\n"
    "(ingest). Exit status: 0 ok, 1 invalid configuration or input, file error, or a sweep that\n"
    "failed or found no server, 2 bad usage.\n"
    "Keys and defaults: docs/CONFIG.md; the knowledge index: docs/KNOWLEDGE.md.\n";

int usage_error(const std::string& message) {
  std::cerr << "salient: " << message << "\n\n" << usage_text;
  return 2;
}

}  // namespace salient::cli

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return salient::cli::usage_error("missing command");
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::cout << salient::cli::usage_text;
    return 0;
  }
  if (args[0] == "--version") {
    std::cout << "salient " << SALIENT_VERSION << "\n";
    return 0;
  }
  if (args[0] == "config") return salient::cli::config_command({args.begin() + 1, args.end()});
  if (args[0] == "ingest") return salient::cli::ingest_command({args.begin() + 1, args.end()});
  if (args[0] == "sweep") return salient::cli::sweep_command({args.begin() + 1, args.end()});
  return salient::cli::usage_error("unknown command: " + args[0]);
}
