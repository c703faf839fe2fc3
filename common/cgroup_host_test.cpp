// Unit tests of cgroup_host.cpp: the layout handed down a chain
// (RT_CGROUP_LAYOUT), encoded, decoded and checked.
#include "cgroup_host.hpp"

#include <doctest/doctest.h>

using namespace rt::cgroup;

namespace {

// A hybrid host: two v1 hierarchies and the v2 one; the caller in
// /user.slice on memory, at the root elsewhere.
Host hybrid() {
  Host h;
  h.mode = Mode::hybrid;
  Hierarchy mem;
  mem.id = 4;
  mem.controllers = {"memory"};
  mem.mount = "/sys/fs/cgroup/memory";
  mem.self = "/user.slice";
  Hierarchy cpu;
  cpu.id = 2;
  cpu.controllers = {"cpu", "cpuacct"};
  cpu.mount = "/sys/fs/cgroup/cpu,cpuacct";
  Hierarchy v2;
  v2.v2 = true;
  v2.id = 0;
  v2.mount = "/sys/fs/cgroup/unified";
  h.hierarchies = {mem, cpu, v2};
  return h;
}

const std::vector<Membership> kSelf = parse_memberships("4:memory:/user.slice\n2:cpu,cpuacct:/\n0::/\n");
constexpr NsIds kNs{4026531841, 4026531835};
constexpr uint64_t kNow = 1000000000;

}  // namespace

TEST_CASE("a layout from the parent, in the same namespaces, is taken; the caller's cgroups come from its own") {
  std::string v = encode_layout(hybrid(), 100, kNs, kNow - 1000);
  std::string why;
  auto self = parse_memberships("4:memory:/user.slice/x\n2:cpu,cpuacct:/\n0::/\n");
  auto hs = decode_layout(v, Handed::same_namespaces, self, 100, kNs, kNow, why);
  REQUIRE(hs);
  REQUIRE(hs->size() == 3);
  CHECK((*hs)[0].mount == "/sys/fs/cgroup/memory");
  CHECK((*hs)[0].self == "/user.slice/x");
  CHECK((*hs)[1].controllers == std::vector<std::string>{"cpu", "cpuacct"});
  CHECK((*hs)[1].mount == "/sys/fs/cgroup/cpu,cpuacct");
  CHECK((*hs)[2].v2);
  CHECK((*hs)[2].root == "/");
}

TEST_CASE("paths with blanks, ';' and backslashes survive the round trip") {
  Host h = hybrid();
  h.hierarchies[0].mount = "/a b;c\\d\n";
  h.hierarchies[0].root = "/r t";
  std::string v = encode_layout(h, 100, kNs, kNow);
  CHECK(v.find('\n') == std::string::npos);
  std::string why;
  auto hs = decode_layout(v, Handed::same_namespaces, kSelf, 100, kNs, kNow, why);
  REQUIRE(hs);
  CHECK((*hs)[0].mount == "/a b;c\\d\n");
  CHECK((*hs)[0].root == "/r t");
}

TEST_CASE("a layout that does not check out is not taken, and says why") {
  std::string v = encode_layout(hybrid(), 100, kNs, kNow - 1000);
  std::string why;
  // another parent (a shell that kept it)
  CHECK_FALSE(decode_layout(v, Handed::same_namespaces, kSelf, 101, kNs, kNow, why));
  CHECK(why.find("not by this one's parent") != std::string::npos);
  // other namespaces
  CHECK_FALSE(decode_layout(v, Handed::same_namespaces, kSelf, 100, NsIds{1, kNs.cgroup}, kNow, why));
  CHECK_FALSE(decode_layout(v, Handed::same_namespaces, kSelf, 100, NsIds{kNs.mnt, 1}, kNow, why));
  // too old, or from the future (another boot)
  CHECK_FALSE(decode_layout(v, Handed::same_namespaces, kSelf, 100, kNs, kNow + kLayoutMaxAgeUs, why));
  CHECK(why.find(" s ago") != std::string::npos);
  CHECK_FALSE(decode_layout(v, Handed::same_namespaces, kSelf, 100, kNs, kNow - 2000, why));
  // a hierarchy this process does not have, or other controllers for its id
  CHECK_FALSE(
      decode_layout(v, Handed::same_namespaces, parse_memberships("2:cpu,cpuacct:/\n0::/\n"), 100, kNs, kNow, why));
  CHECK_FALSE(decode_layout(v, Handed::same_namespaces, parse_memberships("4:memory:/\n2:cpu:/\n3:cpuacct:/\n0::/\n"),
                            100, kNs, kNow, why));
  // one of its v1 hierarchies left out
  CHECK_FALSE(decode_layout(v, Handed::same_namespaces,
                            parse_memberships("4:memory:/\n2:cpu,cpuacct:/\n7:pids:/\n0::/\n"), 100, kNs, kNow, why));
  CHECK(why.find("lacks hierarchy pids") != std::string::npos);
  // malformed, another version, or no hierarchy at all
  for (const char* bad :
       {"", "garbage", "2 100 4026531841 4026531835 999999000", "1 100 4026531841 4026531835 x",
        "1 100 4026531841 4026531835 999999000;4 memory /sys/fs/cgroup/memory /",
        "1 100 4026531841 4026531835 999999000;4 - /m / /", "1 100 4026531841 4026531835 999999000;0 memory /m / /",
        "1 100 4026531841 4026531835 999999000;4 memory /m / /;4 memory /n / /",
        "1 100 4026531841 4026531835 999999000;4 memory relative / /", "1 100 4026531841 4026531835 999999000"}) {
    CAPTURE(bad);
    CHECK_FALSE(
        decode_layout(bad, Handed::same_namespaces, parse_memberships("4:memory:/\n0::/\n"), 100, kNs, kNow, why));
  }
}

TEST_CASE("in a new cgroup namespace: roots as seen from the cgroup the setter was in") {
  Host h = hybrid();
  h.hierarchies[0].self = "/user.slice/rt-x";  // the group rt-cgroup joined
  h.hierarchies[2].self = "/rt-x/payload";
  std::string v = encode_layout(h, 100, kNs, kNow);
  std::string why;
  auto at_root = parse_memberships("4:memory:/\n2:cpu,cpuacct:/\n0::/\n");
  NsIds fresh{kNs.mnt + 1, kNs.cgroup + 1};
  auto hs = decode_layout(v, Handed::new_cgroup_namespace, at_root, 1, fresh, kNow, why);
  REQUIRE(hs);
  CHECK((*hs)[0].root == "/../..");  // its own group: the host's mount is above it
  CHECK((*hs)[1].root == "/");       // no group of its own: the namespace's root is the mount's
  CHECK((*hs)[2].root == "/../..");
  for (const auto& x : *hs) CHECK(x.self == "/");
  // The same cgroup namespace as the setter's: not a new one.
  CHECK_FALSE(decode_layout(v, Handed::new_cgroup_namespace, at_root, 1, NsIds{fresh.mnt, kNs.cgroup}, kNow, why));
  // Moved since the namespace was made: its root is no longer known.
  CHECK_FALSE(decode_layout(v, Handed::new_cgroup_namespace, parse_memberships("4:memory:/a\n2:cpu,cpuacct:/\n0::/\n"),
                            1, fresh, kNow, why));
}

TEST_CASE("cgroup_path_from") {
  CHECK(cgroup_path_from("/a/b", "/a/b") == "/");
  CHECK(cgroup_path_from("/a/b", "/") == "/../..");
  CHECK(cgroup_path_from("/", "/a") == "/a");
  CHECK(cgroup_path_from("/a/b", "/a/c/d") == "/../c/d");
  CHECK(cgroup_path_from("/", "/") == "/");
}
