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
