// Unit tests of userns.cpp: id maps and /etc/subuid parsing.
#include "userns.hpp"

#include <doctest/doctest.h>

#include "error.hpp"

using namespace rt;

TEST_CASE("subid_ranges: by name or number, in file order, malformed lines skipped") {
  std::string text =
      "alice:100000:65536\n"
      "bob:165536:65536\n"
      "# a comment\n"
      "1001:300000:1000\n"
      "alice:x:5\n"
      "alice:400000:0\n"
      "alice:500000:10:extra\n"
      "alice:600000:10\n"
      "\n";
  auto a = subid_ranges(text, "alice", 1001);
  REQUIRE(a.size() == 3);
  CHECK(a[0].start == 100000);
  CHECK(a[0].count == 65536);
  CHECK(a[1].start == 300000);
  CHECK(a[1].count == 1000);
  CHECK(a[2].start == 600000);
  CHECK(subid_ranges(text, "carol", 1002).empty());
  // a user without a name (no passwd entry) is matched by number only
  CHECK(subid_ranges(text, "", 1001).size() == 1);
  CHECK(subid_ranges("bob:4294967290:100\n", "bob", 7).empty());  // past the id space
}

TEST_CASE("parse_id_map") {
  IdMap m = parse_id_map("1:100000:65536", "--uid-map");
  CHECK(m.inner == 1);
  CHECK(m.outer == 100000);
  CHECK(m.count == 65536);
  CHECK_THROWS_AS(parse_id_map("1:2", "--uid-map"), Error);
  CHECK_THROWS_AS(parse_id_map("1:2:0", "--uid-map"), Error);
}
