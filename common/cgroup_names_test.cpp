// Unit tests of cgroup_names.cpp: names and paths of groups.
#include "cgroup_names.hpp"

#include <doctest/doctest.h>

#include "error.hpp"

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
