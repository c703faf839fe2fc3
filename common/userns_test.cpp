// Unit tests of userns.cpp: id maps, /etc/subuid parsing, the reasons a
// user namespace is refused.
#include "userns.hpp"

#include <doctest/doctest.h>

#include <cstring>

#include "error.hpp"
#include "parse.hpp"

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

namespace {
// sysctl values for userns_blocked(): "name=value" in `table`.
const char* table = "";
std::optional<std::string> fake_sysctl(const char* name) {
  for (const auto& kv : split(table, ' '))
    if (kv.rfind(std::string(name) + "=", 0) == 0) return kv.substr(std::strlen(name) + 1);
  return std::nullopt;
}
}  // namespace

TEST_CASE("userns_blocked: each sysctl that disables user namespaces, named with its remedy") {
  table = "user.max_user_namespaces=15000";
  CHECK(userns_blocked(fake_sysctl) == std::nullopt);
  table = "user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=1";
  CHECK(userns_blocked(fake_sysctl) == std::nullopt);
  table = "user.max_user_namespaces=15000 kernel.unprivileged_userns_clone=0";
  CHECK(userns_blocked(fake_sysctl) ==
        "unprivileged user namespaces are disabled on this host (kernel.unprivileged_userns_clone=0; as root: sysctl "
        "-w kernel.unprivileged_userns_clone=1)");
  table = "user.max_user_namespaces=0";
  CHECK(userns_blocked(fake_sysctl) ==
        "user namespaces are disabled on this host (user.max_user_namespaces=0; as root: sysctl -w "
        "user.max_user_namespaces=15000)");
  table = "";
  CHECK(userns_blocked(fake_sysctl) == std::nullopt);
}

TEST_CASE("apparmor_label_restricted: Ubuntu's unprivileged_userns profile, with the remedy") {
  CHECK(apparmor_label_restricted("unconfined\n") == std::nullopt);
  CHECK(apparmor_label_restricted("") == std::nullopt);
  auto why = apparmor_label_restricted("unprivileged_userns (enforce)\n");
  REQUIRE(why);
  CHECK(why->find("kernel.apparmor_restrict_unprivileged_userns=1") != std::string::npos);
  CHECK(why->find("sysctl -w kernel.apparmor_restrict_unprivileged_userns=0") != std::string::npos);
}
