// Unit tests of properties.cpp: rt-systemd's limits as unit properties.
#include "properties.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace rt;
using namespace rt::systemd;

namespace {
std::map<std::string, uint64_t> numbers(const cgroup::LimitArgs& a) {
  std::map<std::string, uint64_t> m;
  for (const auto& p : scope_properties(cgroup::parse_limits(a)))
    if (auto v = std::get_if<uint64_t>(&p.value)) m[p.name] = *v;
  return m;
}
}  // namespace

TEST_CASE("scope_properties: memory, swap as systemd counts it (swap alone), reservation") {
  cgroup::LimitArgs a;
  a.memory = "64M";
  auto m = numbers(a);
  CHECK(m["MemoryMax"] == 64ull << 20);
  CHECK(m["MemorySwapMax"] == 64ull << 20);  // rt-cgroup's default: as much swap as memory
  a.memory_swap = "100M";
  a.memory_reservation = "32M";
  m = numbers(a);
  CHECK(m["MemorySwapMax"] == 36ull << 20);
  CHECK(m["MemoryLow"] == 32ull << 20);
  a.memory_swap = "-1";
  CHECK(numbers(a)["MemorySwapMax"] == kInfinity);
  cgroup::LimitArgs u;
  u.memory = "64M";
  CHECK(scope_properties(cgroup::parse_limits(u), true).size() == 1);  // --update: the swap limit stays
}

TEST_CASE("scope_properties: CPU quota per second, weights on v2's scale, tasks") {
  cgroup::LimitArgs a;
  a.cpus = "0.5";
  a.pids = "20";
  a.cpu_shares = "1024";
  auto m = numbers(a);
  CHECK(m["CPUQuotaPerSecUSec"] == 500000);
  CHECK(m["TasksMax"] == 20);
  CHECK(m["CPUWeight"] == 100);
  CHECK(m.count("CPUQuotaPeriodUSec") == 0);
  cgroup::LimitArgs b;
  b.cpu_quota = "25000";
  b.cpu_period = "50000";
  b.pids = "-1";
  b.io_weight = "10";
  m = numbers(b);
  CHECK(m["CPUQuotaPerSecUSec"] == 500000);
  CHECK(m["CPUQuotaPeriodUSec"] == 50000);
  CHECK(m["TasksMax"] == kInfinity);
  CHECK(m["IOWeight"] == 1);
  b.cpu_quota = "-1";
  CHECK(numbers(b)["CPUQuotaPerSecUSec"] == kInfinity);
  CHECK(numbers(cgroup::LimitArgs{}).empty());
}

TEST_CASE("cpu_mask: a cpuset list as a bit mask, byte by byte") {
  CHECK(cpu_mask("0", "x") == std::vector<uint8_t>{0x01});
  CHECK(cpu_mask("0-2,9", "x") == std::vector<uint8_t>{0x07, 0x02});
  CHECK_THROWS(cpu_mask("a", "x"));
}
