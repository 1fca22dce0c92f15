# salient_ingest: the extraction and chunking behind `salient ingest` (ingest.h), with md4c
# (Markdown) and gumbo (HTML) from pkg-config (Debian: libmd4c-dev, libgumbo-dev). A library of
# its own so that the CLI, the Catch2 tests and the fuzz target (tests/fuzz, where cli/ is not
# added) all build the same code; included from cli/CMakeLists.txt and tests/fuzz/CMakeLists.txt.
if(NOT TARGET salient_ingest)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(SALIENT_MD4C REQUIRED IMPORTED_TARGET GLOBAL md4c)
  pkg_check_modules(SALIENT_GUMBO REQUIRED IMPORTED_TARGET GLOBAL gumbo)
  add_library(salient_ingest STATIC ${CMAKE_CURRENT_LIST_DIR}/ingest.cpp)
  target_include_directories(salient_ingest PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(salient_ingest PUBLIC salient::core PRIVATE PkgConfig::SALIENT_MD4C PkgConfig::SALIENT_GUMBO)
endif()
