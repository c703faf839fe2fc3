// Unit tests of paths.cpp: which root each kind of rt's files goes to.
#include "paths.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>

using namespace rt;

TEST_CASE("roots: the variable first, then root's places (as root)") {
  ::setenv("RT_STATE", "/s", 1);
  ::setenv("RT_ROOT", "/r", 1);
  ::setenv("RT_CONFIG", "/c", 1);
  CHECK(default_state_root() == "/s");
  CHECK(default_image_root() == "/r");
  CHECK(default_config_root() == "/c");
  ::setenv("RT_STATE", "", 1);  // empty: as unset
  ::unsetenv("RT_ROOT");
  ::unsetenv("RT_CONFIG");
  ::setenv("XDG_RUNTIME_DIR", "/x", 1);
  ::setenv("XDG_DATA_HOME", "/d", 1);
  ::setenv("XDG_CONFIG_HOME", "/h", 1);
  if (::geteuid() == 0) {
    CHECK(default_state_root() == "/run/rt");
    CHECK(default_image_root() == "/var/lib/rt");
    CHECK(default_config_root() == "/etc/rt");
  } else {
    CHECK(default_state_root() == "/x/rt");
    CHECK(default_image_root() == "/d/rt");
    CHECK(default_config_root() == "/h/rt");
    ::unsetenv("XDG_DATA_HOME");
    ::unsetenv("XDG_CONFIG_HOME");
    ::setenv("HOME", "/home/u", 1);
    CHECK(default_image_root() == "/home/u/.local/share/rt");
    CHECK(default_config_root() == "/home/u/.config/rt");
  }
}
