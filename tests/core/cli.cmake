# CTest tests of the `salient` CLI (included by CMakeLists.txt beside this file). They run the
# built binary through run_cli.cmake, which checks the exit status as well as the output.
# Every tests/fixtures/config/bad-*.yaml becomes a test; its first line holds the expected
# error: `# expect: LINE:COL: error: REGEX` (the file name is prepended).
set(SALIENT_CLI_FIXTURES ${CMAKE_SOURCE_DIR}/tests/fixtures/config)
set(SALIENT_CLI_OUT ${CMAKE_CURRENT_BINARY_DIR}/cli)

# salient_cli_test(<name> EXIT <n> ARGS <arg>... [STDOUT <regex>] [STDERR <regex>]
#                  [REMOVE <file>] [FILE <file> FILE_REGEX <regex>]) — regexes without ';'.
function(salient_cli_test name)
  cmake_parse_arguments(PARSE_ARGV 1 T "" "EXIT;STDOUT;STDERR;REMOVE;FILE;FILE_REGEX" "ARGS")
  string(REPLACE ";" "|" args "${T_ARGS}")
  set(defs "-DCLI=$<TARGET_FILE:salient>" "-DARGS=${args}" "-DEXPECT_EXIT=${T_EXIT}")
  foreach(opt STDOUT STDERR)
    if(DEFINED T_${opt})
      list(APPEND defs "-DEXPECT_${opt}=${T_${opt}}")
    endif()
  endforeach()
  if(DEFINED T_REMOVE)
    list(APPEND defs "-DREMOVE=${T_REMOVE}")
  endif()
  if(DEFINED T_FILE)
    list(APPEND defs "-DEXPECT_FILE=${T_FILE}" "-DEXPECT_FILE_REGEX=${T_FILE_REGEX}")
  endif()
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} ${defs} -P ${CMAKE_CURRENT_SOURCE_DIR}/run_cli.cmake)
endfunction()

salient_cli_test(cli.help EXIT 0 ARGS --help STDOUT "salient config check <file.yaml>")
salient_cli_test(cli.version EXIT 0 ARGS --version STDOUT "^salient ${PROJECT_VERSION}\n$")
salient_cli_test(cli.usage-error EXIT 2 ARGS config STDERR "missing subcommand")
salient_cli_test(cli.unknown-option EXIT 2 ARGS config check -x ${SALIENT_CLI_FIXTURES}/good.yaml
                 STDERR "unknown option -x")
salient_cli_test(cli.missing-file EXIT 1 ARGS config check ${SALIENT_CLI_OUT}/no-such.yaml
                 STDERR "^salient: error: cannot read .*no-such.yaml: ")

salient_cli_test(cli.check-good EXIT 0 ARGS config check ${SALIENT_CLI_FIXTURES}/good.yaml STDOUT "good.yaml: ok\n$")
salient_cli_test(cli.compile-to-stdout EXIT 0 ARGS config compile ${SALIENT_CLI_FIXTURES}/good.yaml
                 STDOUT "\"support\": {\n +\"name\": \"Help desk\"")

# Compiling writes the file; compiling again leaves it alone; the output is itself a valid
# input (JSON is YAML) that compiles to the same bytes.
salient_cli_test(cli.compile-good EXIT 0 ARGS config compile ${SALIENT_CLI_FIXTURES}/good.yaml -o ${SALIENT_CLI_OUT}/good.json
                 REMOVE ${SALIENT_CLI_OUT}/good.json STDOUT "^wrote .*good.json\n$"
                 FILE ${SALIENT_CLI_OUT}/good.json FILE_REGEX "\"default_agent\": \"support\"")
salient_cli_test(cli.compile-unchanged EXIT 0 ARGS config compile ${SALIENT_CLI_FIXTURES}/good.yaml -o ${SALIENT_CLI_OUT}/good.json
                 STDOUT "good.json is up to date\n$")
salient_cli_test(cli.compile-output-round-trips EXIT 0 ARGS config compile ${SALIENT_CLI_OUT}/good.json -o ${SALIENT_CLI_OUT}/good.json
                 STDOUT "good.json is up to date\n$")
set_tests_properties(cli.compile-good PROPERTIES FIXTURES_SETUP salient_good_json)
set_tests_properties(cli.compile-unchanged cli.compile-output-round-trips PROPERTIES FIXTURES_REQUIRED salient_good_json)

# The repository's own configuration.
salient_cli_test(cli.compile-repo-salient-yaml EXIT 0 ARGS config compile ${CMAKE_SOURCE_DIR}/salient.yaml -o ${SALIENT_CLI_OUT}/salient.json
                 REMOVE ${SALIENT_CLI_OUT}/salient.json FILE ${SALIENT_CLI_OUT}/salient.json
                 FILE_REGEX "\"name\": \"Brightleaf Gardens\"")

file(GLOB SALIENT_BAD_CONFIGS CONFIGURE_DEPENDS ${SALIENT_CLI_FIXTURES}/bad-*.yaml)
foreach(fixture ${SALIENT_BAD_CONFIGS})
  get_filename_component(name ${fixture} NAME_WE)
  add_test(NAME cli.${name}
           COMMAND ${CMAKE_COMMAND} "-DCLI=$<TARGET_FILE:salient>" "-DFIXTURE=${fixture}"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/run_cli.cmake)
endforeach()

# `salient ingest` over tests/fixtures/knowledge/ (its README says what each folder holds).
set(SALIENT_KNOWLEDGE_FIXTURES ${CMAKE_SOURCE_DIR}/tests/fixtures/knowledge)
salient_cli_test(cli.ingest-help EXIT 0 ARGS ingest --help STDOUT "salient ingest \\[<dir>\\] \\[-o <out>\\]")
salient_cli_test(cli.ingest-usage-error EXIT 2 ARGS ingest a b STDERR "^salient: more than one knowledge directory\n")
salient_cli_test(cli.ingest-output-needs-file EXIT 2 ARGS ingest ${SALIENT_KNOWLEDGE_FIXTURES}/site -o STDERR "-o needs a file name")
salient_cli_test(cli.ingest-pinecone-bad-batch EXIT 2 ARGS ingest --pinecone --batch 0 STDERR "--batch must be a number from 1 to 96")
salient_cli_test(cli.ingest-agent-needs-pinecone EXIT 2 ARGS ingest --agent x STDERR "--agent needs --pinecone")
salient_cli_test(cli.ingest-missing-dir EXIT 1 ARGS ingest ${SALIENT_CLI_OUT}/no-such-dir -o ${SALIENT_CLI_OUT}/never.bin
                 STDERR "^[^\n]*/no-such-dir: error: no such directory\n$")
salient_cli_test(cli.ingest-bad-utf8 EXIT 1 ARGS ingest ${SALIENT_KNOWLEDGE_FIXTURES}/bad-utf8 -o ${SALIENT_CLI_OUT}/never.bin
                 STDERR "^[^\n]*/bad-utf8/menu.txt: error: not valid UTF-8 \\(line 1, byte 4\\): save it as UTF-8\n$")
# Writes the index (removed first, so it is written, not "unchanged") and the chunks as JSON;
# the empty file is skipped with a warning; the second run leaves the index alone.
salient_cli_test(cli.ingest-site EXIT 0
                 ARGS ingest ${SALIENT_KNOWLEDGE_FIXTURES}/site -o ${SALIENT_CLI_OUT}/knowledge.bin --json ${SALIENT_CLI_OUT}/chunks.json
                 REMOVE ${SALIENT_CLI_OUT}/knowledge.bin STDOUT "^$"
                 STDERR "site/empty.md: warning: empty file, skipped\ningest: 3 documents, 3 chunks, [0-9]+ B text → [^\n]*/knowledge.bin \\([0-9.]+ KB\\), chunks → [^\n]*/chunks.json\n$"
                 FILE ${SALIENT_CLI_OUT}/chunks.json
                 FILE_REGEX "\"id\": 2,\n    \"source\": \"pricing.md\",\n    \"title\": \"Prices & booking\",\n    \"heading\": \"Prices and booking\",\n    \"url\": \"https://harbour-bikes.example/pricing#prices-and-booking\"")
salient_cli_test(cli.ingest-site-unchanged EXIT 0
                 ARGS ingest ${SALIENT_KNOWLEDGE_FIXTURES}/site -o ${SALIENT_CLI_OUT}/knowledge.bin
                 STDERR "→ [^\n]*/knowledge.bin \\([0-9.]+ KB, unchanged\\)\n$")
set_tests_properties(cli.ingest-site PROPERTIES FIXTURES_SETUP salient_knowledge_bin)
set_tests_properties(cli.ingest-site-unchanged PROPERTIES FIXTURES_REQUIRED salient_knowledge_bin)

# docs/CONFIG.md's reference tables (config_table.test.cpp checks the docs hold the same).
salient_cli_test(cli.config-reference EXIT 0 ARGS config reference
                 STDOUT "^<!-- generated: salient config reference app -->\n\\| key \\| type \\| default")

# `salient sweep` asks a running dev server to sweep (tests/hosts/sweep-entry.test.mjs runs it
# against one); here: its usage, and a clear error when nothing listens (port 1 refuses).
salient_cli_test(cli.sweep-bad-limit EXIT 2 ARGS sweep --limit 0 STDERR "--limit must be a number from 1 to 1000")
salient_cli_test(cli.sweep-bad-url EXIT 2 ARGS sweep --url localhost:8787 STDERR "--url must be the dev server's origin")
salient_cli_test(cli.sweep-unreachable EXIT 1 ARGS sweep --url http://127.0.0.1:1
                 STDERR "^salient: error: cannot reach the dev server at http://127.0.0.1:1 \\([^\n]*\\): start it with ./scripts/dev")
