# Runs the `salient` CLI once and checks its exit status and output; used by cli.cmake.
# A CTest PASS_REGULAR_EXPRESSION alone would pass whatever the exit status, hence this script.
#
#   cmake -DCLI=<salient> -DARGS=<args separated by |> -DEXPECT_EXIT=<n>
#         [-DEXPECT_STDOUT=<regex>] [-DEXPECT_STDERR=<regex>] [-DREMOVE=<file>]
#         [-DEXPECT_FILE=<file> -DEXPECT_FILE_REGEX=<regex>] -P run_cli.cmake
#   cmake -DCLI=<salient> -DFIXTURE=<bad-x.yaml> -P run_cli.cmake
#
# FIXTURE mode runs `salient config check <file>`, expects exit status 1 and stderr to be the
# single line `<file>:<the regex on the file's "# expect: " first line>`.
if(DEFINED FIXTURE)
  file(STRINGS "${FIXTURE}" expect LIMIT_COUNT 1 REGEX "^# expect: ")
  if(NOT expect)
    message(FATAL_ERROR "${FIXTURE} lacks a first line '# expect: LINE:COL: error: REGEX'")
  endif()
  string(REGEX REPLACE "^# expect: " "" expect "${expect}")
  set(ARGS "config|check|${FIXTURE}")
  set(EXPECT_EXIT 1)
endif()

string(REPLACE "|" ";" args "${ARGS}")
if(DEFINED REMOVE)
  file(REMOVE "${REMOVE}")
endif()
execute_process(COMMAND "${CLI}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REPLACE ";" " " command_line "${args}")
set(shown "salient ${command_line}\nexit status: ${rc}\nstdout:\n${out}\nstderr:\n${err}")

if(NOT rc STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "expected exit status ${EXPECT_EXIT}\n${shown}")
endif()
if(DEFINED EXPECT_STDOUT AND NOT out MATCHES "${EXPECT_STDOUT}")
  message(FATAL_ERROR "stdout does not match '${EXPECT_STDOUT}'\n${shown}")
endif()
if(DEFINED EXPECT_STDERR AND NOT err MATCHES "${EXPECT_STDERR}")
  message(FATAL_ERROR "stderr does not match '${EXPECT_STDERR}'\n${shown}")
endif()
if(DEFINED EXPECT_FILE)
  file(READ "${EXPECT_FILE}" content)
  if(NOT content MATCHES "${EXPECT_FILE_REGEX}")
    message(FATAL_ERROR "${EXPECT_FILE} does not match '${EXPECT_FILE_REGEX}':\n${content}")
  endif()
endif()
if(DEFINED FIXTURE)
  string(LENGTH "${FIXTURE}:" prefix_length)
  string(SUBSTRING "${err}" 0 ${prefix_length} prefix)
  string(SUBSTRING "${err}" ${prefix_length} -1 rest)
  string(REGEX REPLACE "\n$" "" rest "${rest}")
  if(NOT prefix STREQUAL "${FIXTURE}:" OR rest MATCHES "\n" OR NOT rest MATCHES "^${expect}")
    message(FATAL_ERROR "expected stderr to be the single line\n  ${FIXTURE}:${expect}\n${shown}")
  endif()
endif()
