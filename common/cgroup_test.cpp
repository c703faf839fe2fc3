// Unit tests of cgroup.cpp's pure parts: names, paths, shares <-> weight.
#include "cgroup.hpp"

#include <doctest/doctest.h>

using namespace rt;
using namespace rt::cgroup;

TEST_CASE("group_cg: rt-NAME below a cgroup path") {
  CHECK(group_cg("/", "abc") == "/rt-abc");
  CHECK(group_cg("", "abc") == "/rt-abc");
  CHECK(group_cg("/a/b", "abc") == "/a/b/rt-abc");
  CHECK(group_cg("/a/b/", "abc") == "/a/b/rt-abc");
}

TEST_CASE("check_name and normalize_parent") {
  CHECK_NOTHROW(check_name("web_1.x-2"));
  CHECK_THROWS_AS(check_name(""), Error);
  CHECK_THROWS_AS(check_name(".hidden"), Error);
  CHECK_THROWS_AS(check_name("-x"), Error);
  CHECK_THROWS_AS(check_name("a/b"), Error);
  CHECK_THROWS_AS(check_name(std::string(129, 'a')), Error);
  CHECK(normalize_parent("").empty());
  CHECK(normalize_parent("a/b") == "/a/b");
  CHECK(normalize_parent("/a/b") == "/a/b");
  CHECK_THROWS_AS(normalize_parent("/a/../b"), Error);
}

TEST_CASE("shares <-> weight: as runc 1.3.2 and crun 1.23") {
  CHECK(shares_to_weight(2) == 1);
  CHECK(shares_to_weight(1024) == 100);
  CHECK(shares_to_weight(262144) == 10000);
  CHECK(weight_to_shares(100) == 1024);
  CHECK(weight_to_shares(1) == 2);
  CHECK(weight_to_shares(10000) == 262144);
  for (uint64_t s : {2u, 100u, 512u, 1024u, 4096u, 100000u})
    CHECK(weight_to_shares(shares_to_weight(s)) == doctest::Approx(s).epsilon(0.05));
  CHECK(blkio_to_io_weight(10) == 1);
  CHECK(blkio_to_io_weight(1000) == 10000);
}

TEST_CASE("parse_cpu_list") {
  CHECK(parse_cpu_list("0-3,5", "--cpuset-cpus") == std::vector<unsigned>{0, 1, 2, 3, 5});
  CHECK(parse_cpu_list("7", "--cpuset-cpus") == std::vector<unsigned>{7});
  CHECK_THROWS_AS(parse_cpu_list("3-1", "--cpuset-cpus"), Error);
  CHECK_THROWS_AS(parse_cpu_list("x", "--cpuset-cpus"), Error);
}

TEST_CASE("normalize_path and resolve_path: exact group paths as runc places cgroupsPath") {
  CHECK(normalize_path("/a//b/") == "/a/b");
  CHECK(normalize_path("a/b") == "a/b");
  CHECK(normalize_path("./c") == "c");
  CHECK_THROWS_AS(normalize_path(""), Error);
  CHECK_THROWS_AS(normalize_path("/"), Error);
  CHECK_THROWS_AS(normalize_path("a/../b"), Error);
  CHECK_THROWS_AS(normalize_path("/a/./b"), Error);
  CHECK(is_path("./c"));
  CHECK(!is_path("c"));
  Hierarchy v1;
  v1.self = "/user/1";
  Hierarchy v2;
  v2.v2 = true;
  v2.self = "/user.slice/session-1.scope";
  CHECK(resolve_path(v1, "/x/y") == "/x/y");
  CHECK(resolve_path(v2, "/x/y") == "/x/y");
  CHECK(resolve_path(v1, "x/y") == "/user/1/x/y");
  CHECK(resolve_path(v2, "x/y") == "/user.slice/x/y");
  v1.self = "/";
  v2.self = "/";
  CHECK(resolve_path(v1, "x") == "/x");
  CHECK(resolve_path(v2, "x") == "/x");
}
