# kainjow/mustache 4.1 (Debian's libkainjow-mustache-dev): one header, no exceptions thrown, used
# by the render layer's templates (shared/render/templates.cpp) in every build of the core.
#
# Only the header's own folder goes on the include path (as SYSTEM: its warnings are not ours),
# and the source includes <mustache.hpp>. Adding /usr/include itself would put glibc's headers in
# front of the wasm32-wasi sysroot's in the wasi build.
find_path(SALIENT_MUSTACHE_INCLUDE_DIR NAMES mustache.hpp PATH_SUFFIXES kainjow
          HINTS /usr/include DOC "Folder holding kainjow's mustache.hpp")
if(NOT SALIENT_MUSTACHE_INCLUDE_DIR)
  message(FATAL_ERROR "kainjow/mustache.hpp not found: install the Debian package libkainjow-mustache-dev "
                      "(./scripts/bootstrap does), or set SALIENT_MUSTACHE_INCLUDE_DIR to the folder holding mustache.hpp")
endif()
add_library(salient_mustache INTERFACE)
target_include_directories(salient_mustache SYSTEM INTERFACE ${SALIENT_MUSTACHE_INCLUDE_DIR})
