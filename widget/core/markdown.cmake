# salient_widget_markdown: the widget core's markdown renderer and SSE parser (markdown.h,
# sse_parser.h) with the vendored md4c (third_party/md4c). A library of its own so that the
# web build (widget/core/CMakeLists.txt), the Catch2 tests and the fuzz targets (native
# compiler, included from the root CMakeLists.txt) all build the same code.
if(NOT TARGET salient_widget_markdown)
  set(_salient_md4c ${CMAKE_CURRENT_LIST_DIR}/../../third_party/md4c)
  add_library(salient_widget_markdown STATIC
    ${CMAKE_CURRENT_LIST_DIR}/markdown.cpp
    ${CMAKE_CURRENT_LIST_DIR}/markdown_render.cpp
    ${CMAKE_CURRENT_LIST_DIR}/html_text.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sse_parser.cpp
    ${_salient_md4c}/md4c.c)
  target_include_directories(salient_widget_markdown PUBLIC ${CMAKE_CURRENT_LIST_DIR} PRIVATE ${_salient_md4c})
  # Vendored code is kept as released: its warnings are not ours to fix (and -Werror is on).
  set_source_files_properties(${_salient_md4c}/md4c.c PROPERTIES COMPILE_OPTIONS "-w")
  # The CLI links Debian's libmd4c (cli/ingest.cmake) into the same test binary: rename our
  # copy's only external symbol so the two can never be mixed up.
  target_compile_definitions(salient_widget_markdown PRIVATE md_parse=salient_md4c_parse)
  if(EMSCRIPTEN)
    target_compile_options(salient_widget_markdown PRIVATE -Oz -fno-rtti -flto)
  endif()
endif()
