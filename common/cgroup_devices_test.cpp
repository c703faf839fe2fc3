// Unit tests of cgroup_devices.cpp's pure parts: device rules, parsed and
// turned into v1 writes.
#include "cgroup_devices.hpp"

#include <doctest/doctest.h>

#include "error.hpp"

using namespace rt;
using namespace rt::cgroup;

namespace {
std::vector<std::string> writes(const std::vector<std::string>& rules) {
  std::vector<DeviceRule> rs;
  for (const auto& r : rules) rs.push_back(parse_device_rule(r));
  std::vector<std::string> out;
  for (const auto& w : v1_device_writes(rs)) out.push_back(w.file + " " + w.line);
  return out;
}
}  // namespace

TEST_CASE("parse_device_rule: KIND TYPE [MAJOR:MINOR [ACCESS]]") {
  DeviceRule r = parse_device_rule("allow c 1:3 rwm");
  CHECK(r.allow);
  CHECK(r.type == 'c');
  CHECK(r.major == 1);
  CHECK(r.minor == 3);
  CHECK(r.access == kDevAll);
  r = parse_device_rule("deny a");
  CHECK(!r.allow);
  CHECK(r.type == 'a');
  CHECK(r.major == -1);
  CHECK(r.minor == -1);
  CHECK(r.access == kDevAll);
  r = parse_device_rule("allow b *:0 m");
  CHECK(r.major == -1);
  CHECK(r.minor == 0);
  CHECK(r.access == kDevMknod);
  CHECK(parse_device_rule("deny  c 136:*  wr").access == (kDevRead | kDevWrite));
  CHECK(device_rule_text(parse_device_rule("allow c 10:200 rw")) == "allow c 10:200 rw");
  for (const char* bad :
       {"", "allow", "permit c 1:3 rwm", "allow x 1:3 rwm", "allow c 1 rwm", "allow c 1:3 rwx", "allow c a:3 rwm",
        "allow c 4096:0 rwm", "allow c 1:1048576 rwm", "allow c -1:3 rwm", "allow c 1:3 rwm extra"})
    CHECK_THROWS_AS(parse_device_rule(bad), Error);
  CHECK_THROWS_WITH(parse_device_rule("allow x 1:3 rwm"),
                    "invalid --device-rule 'allow x 1:3 rwm': type 'x' is not a, c or b (as 'allow c 1:3 rwm' or "
                    "'deny a')");
}

TEST_CASE("v1_device_writes: an OCI list (deny all, then allows) as written") {
  CHECK(writes({"deny a", "allow c 1:3 rwm", "allow c 10:200 rw"}) ==
        std::vector<std::string>{"devices.deny a", "devices.allow c 1:3 rwm", "devices.allow c 10:200 rw"});
  // Docker's list begins with deny a.
  auto docker = v1_device_writes(docker_device_rules());
  REQUIRE(docker.size() == docker_device_rules().size());
  CHECK(docker[0].file == "devices.deny");
  CHECK(docker[0].line == "a");
  CHECK(docker[1].line == "c *:* m");
}

TEST_CASE("v1_device_writes: type a with numbers or partial access is one rule a type") {
  CHECK(writes({"deny a", "allow a *:* m"}) ==
        std::vector<std::string>{"devices.deny a", "devices.allow c *:* m", "devices.allow b *:* m"});
  CHECK(writes({"allow a", "deny a 1:3 w"}) ==
        std::vector<std::string>{"devices.allow a", "devices.deny c 1:3 w", "devices.deny b 1:3 w"});
}

TEST_CASE("v1_device_writes: a rule of the default's kind undoes identical rules only") {
  // Identical numbers: the kernel takes the access off.
  CHECK(writes({"deny a", "allow c 1:3 rwm", "deny c 1:3 w"}) ==
        std::vector<std::string>{"devices.deny a", "devices.allow c 1:3 rwm", "devices.deny c 1:3 w"});
  // Overlapping nothing: written, harmless.
  CHECK(writes({"deny a", "allow c 1:3 rwm", "deny c 1:5 rwm"}).size() == 3);
  // Cutting into a wider rule: v1 cannot.
  CHECK_THROWS_WITH(writes({"deny a", "allow c 1:* rwm", "deny c 1:3 w"}),
                    "device rule 'deny c 1:3 w' cannot be applied on cgroup v1 after 'allow c 1:* rwm': there a deny "
                    "rule only undoes an identical earlier one (the v2 filter takes any order)");
  // A later "a" starts over.
  CHECK(
      writes({"deny a", "allow c 1:* rwm", "allow a", "deny c 1:3 w"}) ==
      std::vector<std::string>{"devices.deny a", "devices.allow c 1:* rwm", "devices.allow a", "devices.deny c 1:3 w"});
}
