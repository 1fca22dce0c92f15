# salient_ingest: the extraction and chunking behind `salient ingest` (ingest.h), with md4c
# (Markdown) and gumbo (HTML) from pkg-config (Debian: libmd4c-dev, libgumbo-dev). A library of
# its own so that the CLI, the Catch2 tests and the fuzz target (tests/fuzz, where cli/ is not
# added) all build the same code; included from cli/CMakeLists.txt and tests/fuzz/CMakeLists.txt.
if(NOT TARGET salient_ingest)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(SALIENT_MD4C REQUIRED IMPORTED_TARGET GLOBAL md4c)
  pkg_check_modules(SALIENT_GUMBO REQUIRED IMPORTED_TARGET GLOBAL gumbo)
  # ingest.cpp: extract_document and the folder walk; ingest_builder.cpp: the sections builder and
  # plain text; ingest_html.cpp, ingest_markdown.cpp: the two readers; chunking.cpp: chunk_document.
  set(SALIENT_INGEST_DIR ${CMAKE_CURRENT_LIST_DIR})
  add_library(salient_ingest STATIC ${SALIENT_INGEST_DIR}/ingest.cpp ${SALIENT_INGEST_DIR}/ingest_builder.cpp
              ${SALIENT_INGEST_DIR}/ingest_html.cpp ${SALIENT_INGEST_DIR}/ingest_markdown.cpp
              ${SALIENT_INGEST_DIR}/chunking.cpp)
  target_include_directories(salient_ingest PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(salient_ingest PUBLIC salient::core PRIVATE PkgConfig::SALIENT_MD4C PkgConfig::SALIENT_GUMBO)
endif()
