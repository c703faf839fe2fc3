// Unit tests of dir.cpp: directory listings.
#include "dir.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "unit_support.hpp"

using namespace rt;

TEST_CASE("dir_names and subdir_names: sorted, no . and .., links not followed") {
  std::string d = unit::temp_dir();
  REQUIRE(::mkdir((d + "/b").c_str(), 0755) == 0);
  REQUIRE(::mkdir((d + "/.hidden").c_str(), 0755) == 0);
  std::ofstream(d + "/a") << "x";
  REQUIRE(::symlink("b", (d + "/c").c_str()) == 0);
  CHECK(dir_names(d) == std::vector<std::string>{".hidden", "a", "b", "c"});
  CHECK(subdir_names(d) == std::vector<std::string>{".hidden", "b"});
  CHECK(dir_names(d + "/b").empty());
  CHECK(dir_names(d + "/missing").empty());
  CHECK(dir_names(d + "/a").empty());  // not a directory
  ::unlink((d + "/c").c_str());
  ::unlink((d + "/a").c_str());
  ::rmdir((d + "/b").c_str());
  ::rmdir((d + "/.hidden").c_str());
  ::rmdir(d.c_str());
}
