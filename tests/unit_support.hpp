// Helpers the unit tests (common/*_test.cpp, tools/rt-NAME/*_test.cpp)
// share; on their include path as "unit_support.hpp" (the Makefile adds
// -Itests for them alone).
#pragma once
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

namespace rt::unit {

// A fresh directory under $TMPDIR (or /tmp), removed by the test itself.
inline std::string temp_dir() {
  const char* t = std::getenv("TMPDIR");
  std::string tmpl = std::string(t && *t ? t : "/tmp") + "/rt-unit.XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

}  // namespace rt::unit
