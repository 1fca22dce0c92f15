#pragma once
// parse_config with the test's expectation: a config, or a misconfigured error. Shared by the
// config*.test.cpp files.
#include <string>

#include <catch2/catch_test_macros.hpp>

#include "salient/config/config.h"

inline salient::config parse_ok(const std::string& text) {
  auto r = salient::parse_config(text);
  INFO(text);
  if (!r) FAIL("unexpected error at " << r.err().path << ": " << r.err().message);
  return *r;
}

inline salient::error parse_err(const std::string& text) {
  auto r = salient::parse_config(text);
  INFO(text);
  REQUIRE_FALSE(r);
  CHECK(r.err().kind == salient::errc::misconfigured);
  return r.err();
}
