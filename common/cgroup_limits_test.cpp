// Unit tests of cgroup_limits.cpp: shares <-> weight, cpuset lists.
#include "cgroup_limits.hpp"

#include <doctest/doctest.h>

#include "error.hpp"

using namespace rt;
using namespace rt::cgroup;

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
