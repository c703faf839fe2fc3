// Unit tests of cgroup_limit_options.cpp: the limit options rt-cgroup and
// rt-systemd share, parsed back into LimitArgs.
#include "cgroup_limit_options.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace rt::cgroup;

namespace {

po::variables_map parse(LimitTool tool, const std::vector<std::string>& args) {
  po::options_description desc;
  add_limit_options(desc, tool);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  return vm;
}

}  // namespace

TEST_CASE("limit options: each value reaches its LimitArgs field") {
  auto vm = parse(LimitTool::cgroup, {"--memory", "64M", "--cpu-quota", "5000", "--hugetlb", "2MB=4M", "--hugetlb",
                                      "1GB=1G", "--oom-kill-disable", "--memory-swappiness", "10"});
  LimitArgs a = limit_args(vm, LimitTool::cgroup);
  CHECK(a.memory == "64M");
  CHECK(a.cpu_quota == "5000");
  CHECK(a.hugetlb == std::vector<std::string>{"2MB=4M", "1GB=1G"});
  CHECK(a.oom_kill_disable);
  CHECK(a.swappiness == "10");
  CHECK(a.cpus.empty());
  CHECK(first_limit_given(vm, LimitTool::cgroup) == "memory");
}

TEST_CASE("limit options: an unset switch is no limit given") {
  auto vm = parse(LimitTool::cgroup, {});
  CHECK(!first_limit_given(vm, LimitTool::cgroup));
  CHECK(!limit_args(vm, LimitTool::cgroup).oom_kill_disable);
  CHECK(first_limit_given(parse(LimitTool::cgroup, {"--oom-kill-disable"}), LimitTool::cgroup) == "oom-kill-disable");
}

TEST_CASE("limit options: a scope takes the unit properties' subset") {
  po::options_description scope, cgroup;
  add_limit_options(scope, LimitTool::scope);
  add_limit_options(cgroup, LimitTool::cgroup);
  CHECK(scope.options().size() == 12);
  for (const auto& o : scope.options()) CHECK(cgroup.find_nothrow(o->long_name(), false) != nullptr);
  CHECK(scope.find_nothrow("devices", false) == nullptr);
  CHECK(scope.find_nothrow("oom-kill-disable", false) == nullptr);
  LimitArgs a = limit_args(parse(LimitTool::scope, {"--cpus", "0.5", "--pids", "20"}), LimitTool::scope);
  CHECK(a.cpus == "0.5");
  CHECK(a.pids == "20");
}
