// Unit tests of cgroup_leaf.cpp: where the leaf of rt's processes goes,
// cgroup.procs and cgroup.subtree_control, and what entering and leaving
// the leaf decide.
#include "cgroup_leaf.hpp"

#include <doctest/doctest.h>

using namespace rt::cgroup;
using V = std::vector<std::string>;

TEST_CASE("leaf_base: the caller's cgroup, or its parent when it is the leaf already") {
  auto b = leaf_base("/user.slice/app.slice/run-r1.scope");
  CHECK(b.base == "/user.slice/app.slice/run-r1.scope");
  CHECK_FALSE(b.inside);
  b = leaf_base("/user.slice/app.slice/run-r1.scope/rt.run");
  CHECK(b.base == "/user.slice/app.slice/run-r1.scope");
  CHECK(b.inside);
  b = leaf_base("/rt.run");
  CHECK(b.base == "/");
  CHECK(b.inside);
  // a name that merely contains it is no leaf
  CHECK_FALSE(leaf_base("/a/xrt.run").inside);
  CHECK_FALSE(leaf_base("/a/rt.run.x").inside);
  CHECK_FALSE(leaf_base("/a/rt-run").inside);
  CHECK(leaf_base("").base == "/");
  CHECK(leaf_cg("/a/b") == "/a/b/rt.run");
  CHECK(leaf_cg("/") == "/rt.run");
  CHECK(leaf_cg("") == "/rt.run");
}

TEST_CASE("parse_procs: one pid a line, nothing else") {
  CHECK(parse_procs("").empty());
  CHECK(parse_procs("12\n345\n") == std::vector<pid_t>{12, 345});
  CHECK(parse_procs("7") == std::vector<pid_t>{7});
  CHECK(parse_procs("0\nx\n-3\n8\n") == std::vector<pid_t>{8});
}

TEST_CASE("to_enable: the needed controllers the group does not enable yet, once each") {
  CHECK(to_enable({"memory", "pids"}, "") == V{"memory", "pids"});
  CHECK(to_enable({"memory", "pids"}, "pids\n") == V{"memory"});
  CHECK(to_enable({"memory", "memory", "cpu"}, "io") == V{"memory", "cpu"});
  CHECK(to_enable({"memory"}, "cpu memory pids\n").empty());
  CHECK(to_enable({}, "").empty());
}

TEST_CASE("leave_steps: the last of rt's with no group beside the leaf gives the controllers back and moves out") {
  auto s = leave_steps({"rt.run"}, "memory pids\n", 0);
  CHECK(s.disable == V{"memory", "pids"});
  CHECK(s.move_back);
  // a container's group beside it: its limits need them; no way out
  s = leave_steps({"rt-abc", "rt.run"}, "memory pids\n", 0);
  CHECK(s.disable.empty());
  CHECK_FALSE(s.move_back);
  // another process of rt's in the leaf (a supervisor starting its chain)
  s = leave_steps({"rt.run"}, "memory\n", 1);
  CHECK(s.disable.empty());
  CHECK_FALSE(s.move_back);
  // a group of the user's beside it keeps them too
  s = leave_steps({"mine", "rt.run"}, "memory\n", 0);
  CHECK(s.disable.empty());
  CHECK_FALSE(s.move_back);
  // nothing enabled: out, whoever else is there
  s = leave_steps({"rt-abc", "rt.run"}, "", 3);
  CHECK(s.disable.empty());
  CHECK(s.move_back);
  s = leave_steps({"rt.run"}, "\n", 0);
  CHECK(s.disable.empty());
  CHECK(s.move_back);
}

TEST_CASE("collect_disable: the controllers go back once no group is left below") {
  CHECK(collect_disable({}, "memory pids\n") == V{"memory", "pids"});
  CHECK(collect_disable({"rt-abc"}, "memory pids\n").empty());
  CHECK(collect_disable({}, "").empty());
}
