// Unit tests of cgroup_stats.cpp: the /proc fields a group without memory
// or pids controller is measured by.
#include "cgroup_stats.hpp"

#include <doctest/doctest.h>

using namespace rt::cgroup;

TEST_CASE("proc_field: smaps_rollup's Pss and status's Threads") {
  const char* rollup =
      "55d0c0a3e000-7ffd6d3f8000 ---p 00000000 00:00 0                          [rollup]\n"
      "Rss:                1424 kB\n"
      "Pss:                 517 kB\n"
      "Pss_Dirty:           108 kB\n";
  CHECK(proc_field(rollup, "Pss") == 517u);
  CHECK(proc_field(rollup, "Rss") == 1424u);
  CHECK(proc_field(rollup, "Swap") == std::nullopt);
  const char* status = "Name:\tsh\nUmask:\t0022\nState:\tS (sleeping)\nThreads:\t3\nSigQ:\t0/94208\n";
  CHECK(proc_field(status, "Threads") == 3u);
  CHECK(proc_field(status, "Thread") == std::nullopt);  // a prefix is not the key
  CHECK(proc_field(status, "State") == std::nullopt);   // not a number
  CHECK(proc_field("Pss: 12 MB\n", "Pss") == std::nullopt);
  CHECK(proc_field("", "Pss") == std::nullopt);
}
