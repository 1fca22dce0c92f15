# libsodium provides HMAC-SHA256, constant-time comparison, base64url and a seedable CSPRNG.
# Native builds use Debian's libsodium-dev; wasm builds use a static libsodium compiled for
# wasm32-wasi from Debian's source package by scripts/build-libsodium-wasm (called by bootstrap).
if(SALIENT_TARGET STREQUAL "wasi")
  set(SALIENT_SODIUM_WASM_DIR "${CMAKE_SOURCE_DIR}/.deps/libsodium-wasm32" CACHE PATH
      "Prefix of libsodium built for wasm32-wasi")
  if(NOT EXISTS "${SALIENT_SODIUM_WASM_DIR}/lib/libsodium.a")
    message(FATAL_ERROR "libsodium for wasm32-wasi not found in ${SALIENT_SODIUM_WASM_DIR}; "
                        "run ./scripts/bootstrap (it runs scripts/build-libsodium-wasm)")
  endif()
  add_library(salient_sodium STATIC IMPORTED GLOBAL)
  set_target_properties(salient_sodium PROPERTIES
    IMPORTED_LOCATION "${SALIENT_SODIUM_WASM_DIR}/lib/libsodium.a"
    INTERFACE_INCLUDE_DIRECTORIES "${SALIENT_SODIUM_WASM_DIR}/include"
    INTERFACE_LINK_LIBRARIES "wasi-emulated-signal")
elseif(SALIENT_TARGET STREQUAL "native")
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
  add_library(salient_sodium INTERFACE)
  target_link_libraries(salient_sodium INTERFACE PkgConfig::SODIUM)
endif()
