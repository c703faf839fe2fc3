// Unit tests of cgroup_systemd.cpp: --systemd-cgroup's SLICE:PREFIX:NAME
// as the cgroupfs path systemd gives the unit.
#include "cgroup_systemd.hpp"

#include <doctest/doctest.h>

#include "error.hpp"

using namespace rt;
using rt::cgroup::systemd_path;

TEST_CASE("systemd_path: slices expand at their dashes, the unit is PREFIX-NAME.scope") {
  CHECK(systemd_path("machine.slice:libpod:abc") == "/machine.slice/libpod-abc.scope");
  CHECK(systemd_path("system.slice:docker:1") == "/system.slice/docker-1.scope");
  CHECK(systemd_path("a-b-c.slice:p:n") == "/a.slice/a-b.slice/a-b-c.slice/p-n.scope");
  CHECK(systemd_path("kubepods-besteffort.slice:cri-containerd:x") ==
        "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-x.scope");
  CHECK(systemd_path(":rt:x") == "/system.slice/rt-x.scope");
  CHECK(systemd_path("-.slice:rt:x") == "/rt-x.scope");
  CHECK(systemd_path("user.slice::x") == "/user.slice/x.scope");
}

TEST_CASE("systemd_path: a NAME that is a slice is placed by its own name, below SLICE") {
  CHECK(systemd_path("a.slice::a-b.slice") == "/a.slice/a-b.slice");
  CHECK(systemd_path("-.slice::a.slice") == "/a.slice");
  CHECK_THROWS_WITH_AS(systemd_path("a.slice::b-c.slice"), doctest::Contains("does not sit in 'a.slice'"), Error);
}

TEST_CASE("systemd_path: malformed values are one clear error") {
  CHECK_THROWS_WITH_AS(systemd_path("/a/b", "linux.cgroupsPath"),
                       doctest::Contains("invalid linux.cgroupsPath '/a/b': expected SLICE:PREFIX:NAME"), Error);
  CHECK_THROWS_AS(systemd_path("a:b"), Error);
  CHECK_THROWS_AS(systemd_path("a.slice:b:c:d"), Error);
  CHECK_THROWS_WITH_AS(systemd_path("machine:p:n"), doctest::Contains("not a slice name"), Error);
  CHECK_THROWS_AS(systemd_path(".slice:p:n"), Error);
  CHECK_THROWS_AS(systemd_path("a--b.slice:p:n"), Error);
  CHECK_THROWS_AS(systemd_path("-a.slice:p:n"), Error);
  CHECK_THROWS_AS(systemd_path("a/b.slice:p:n"), Error);
  CHECK_THROWS_WITH_AS(systemd_path("a.slice:p:"), doctest::Contains("empty NAME"), Error);
  CHECK_THROWS_AS(systemd_path("a.slice:p:x/y"), Error);
  CHECK_THROWS_AS(systemd_path("a.slice:p/q:x"), Error);
  CHECK_THROWS_AS(systemd_path("a.slice::x y"), Error);
}

TEST_CASE("systemd_unit: the unit and its slice, as StartTransientUnit takes them") {
  auto u = rt::cgroup::systemd_unit("machine.slice:libpod:abc");
  CHECK(u.slice == "machine.slice");
  CHECK(u.unit == "libpod-abc.scope");
  CHECK(u.path == "/machine.slice/libpod-abc.scope");
  CHECK(rt::cgroup::systemd_unit(":rt-oci:x").slice == "system.slice");
  CHECK(rt::cgroup::systemd_unit("user.slice::x").unit == "x.scope");
  CHECK(rt::cgroup::systemd_unit("a.slice::a-b.slice").unit == "a-b.slice");
}
