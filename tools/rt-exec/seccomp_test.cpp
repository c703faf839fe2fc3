// Unit tests of seccomp.cpp's JSON profile loader (compiled, never loaded)
// and of the built-in profile's JSON form.
#include "seccomp.hpp"

#include <doctest/doctest.h>
#include <linux/capability.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "error.hpp"

using namespace rt;

namespace {

// A profile in a file of its own; removed at the end of the test.
struct Profile {
  std::string path;
  explicit Profile(const std::string& text) {
    char tpl[] = "/tmp/rt-seccomp-test-XXXXXX";
    int fd = ::mkstemp(tpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = tpl;
    std::ofstream(path) << text;
  }
  ~Profile() { std::remove(path.c_str()); }
};

std::string error_of(const std::string& text, caps::Set bounding = 0) {
  Profile p(text);
  try {
    seccomp::from_file(p.path, bounding);
  } catch (const Error& e) {
    std::string msg = e.what();
    auto at = msg.find(p.path);
    if (at != std::string::npos) msg.replace(at, p.path.size(), "FILE");
    return msg;
  }
  return "";
}

size_t rules_of(const std::string& text, caps::Set bounding = 0) {
  Profile p(text);
  return seccomp::from_file(p.path, bounding).rules();
}

}  // namespace

TEST_CASE("a docker profile compiles: a rule per known name, unknown names skipped") {
  CHECK(rules_of(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
      "syscalls": [{"names": ["read", "write", "no_such_call"], "action": "SCMP_ACT_ALLOW"},
                   {"name": "getpid", "action": "SCMP_ACT_ALLOW"}]})") == 3);
  // A rule with the default action adds nothing.
  CHECK(rules_of(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]})") == 0);
  CHECK(rules_of(R"({"defaultAction": "SCMP_ACT_ALLOW"})") == 0);
}

TEST_CASE("conditions: on distinct arguments one rule, on the same argument a rule each (as runc)") {
  CHECK(rules_of(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["personality"],
      "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"},
                                           {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]})") == 2);
  CHECK(rules_of(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["socket"],
      "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                                           {"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]}]})") == 1);
}

TEST_CASE("includes.caps and excludes.caps follow the bounding set") {
  const char* prof = R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["reboot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT"]}},
      {"names": ["getpid"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_BOOT"]}}]})";
  caps::Set boot = caps::Set{1} << CAP_SYS_BOOT;
  CHECK(rules_of(prof, 0) == 1);
  CHECK(rules_of(prof, boot) == 1);
  CHECK(rules_of(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["reboot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT"]}}]})",
                 boot) == 1);
  CHECK(rules_of(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
      {"names": ["reboot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT"]}}]})",
                 0) == 0);
}

TEST_CASE("bad profiles: one line naming the file and the place") {
  CHECK(error_of("{").find("invalid seccomp profile FILE: ") == 0);
  CHECK(error_of("[]") == "invalid seccomp profile FILE: expected a JSON object");
  CHECK(error_of("{}") == "invalid seccomp profile FILE: defaultAction is required");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_NOPE"})") ==
        "invalid seccomp profile FILE: defaultAction: unknown action 'SCMP_ACT_NOPE'");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]})") ==
        "invalid seccomp profile FILE: syscalls[0]: action is required");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
      "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]}]})") ==
        "invalid seccomp profile FILE: syscalls[0].args[0]: index 6 is out of range (0-5)");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
      "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_ALMOST"}]}]})") ==
        "invalid seccomp profile FILE: syscalls[0].args[0].op: unknown operator 'SCMP_CMP_ALMOST'");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]})") ==
        "invalid seccomp profile FILE: architectures: unknown architecture 'SCMP_ARCH_PDP11'");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NOPE"]})") ==
        "invalid seccomp profile FILE: flags: unknown flag 'SECCOMP_FILTER_FLAG_NOPE'");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
      "includes": {"caps": ["CAP_NOPE"]}}]})") ==
        "invalid seccomp profile FILE: syscalls[0].includes.caps: unknown capability 'CAP_NOPE'");
  CHECK(error_of(R"({"defaultAction": "SCMP_ACT_NOTIFY"})").find("not supported") != std::string::npos);
  CHECK(error_of("").find("invalid seccomp profile FILE") == 0);
}

TEST_CASE("the built-in profile's JSON form loads back through the loader") {
  std::string json = seccomp::default_profile_json();
  Profile p(json);
  auto f = seccomp::from_file(p.path, caps::docker_default());
  CHECK(f.rules() > 250);
}

TEST_CASE("the built-in profile: the compile-time table gives the program the names give at run time") {
  // Bounding sets: docker's, none, all, and each capability a rule names
  // alone; kernels below, at and above the rules' minimum (4.8).
  std::vector<caps::Set> sets{caps::docker_default(), 0, caps::all_known()};
  for (const auto& a : seccomp::default_allow())
    if (a.cap >= 0) {
      sets.push_back(caps::Set{1} << a.cap);
      sets.push_back(caps::docker_default() | (caps::Set{1} << a.cap));
    }
  for (caps::Set s : sets)
    for (int kernel : {0, 4007, 4008, 6001, 99000}) {
      CAPTURE(s);
      CAPTURE(kernel);
      auto table = seccomp::default_profile(s, kernel, false);
      auto names = seccomp::default_profile(s, kernel, true);
      CHECK(table.rules() == names.rules());
      REQUIRE(table.program().size() == names.program().size());
      bool same = true;
      for (size_t i = 0; i < table.program().size(); ++i) {
        const sock_filter &x = table.program()[i], &y = names.program()[i];
        same = same && x.code == y.code && x.jt == y.jt && x.jf == y.jf && x.k == y.k;
      }
      CHECK(same);
    }
  // And the profile rt-exec builds is the run-time one for this kernel.
  auto now = seccomp::default_profile(caps::docker_default());
  auto ref = seccomp::default_profile(caps::docker_default(), seccomp::kernel_version(), true);
  CHECK(now.rules() == ref.rules());
  CHECK(now.instructions() == ref.instructions());
}
