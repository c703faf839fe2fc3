// What a group uses: memory, CPU, pids and I/O, as its control files say.
#pragma once
#include <cstdint>
#include <optional>

#include "cgroup_group.hpp"
#include "cgroup_limits.hpp"

namespace rt::cgroup {

struct Stats {
  int64_t time_us = 0;  // CLOCK_MONOTONIC when read
  // Absent: not available here (controller not in the group, or an old
  // kernel). Limits are kUnlimited when there is none.
  std::optional<uint64_t> memory_usage, memory_limit, memory_peak, memory_anon;
  std::optional<uint64_t> oom_kills;
  std::optional<uint64_t> cpu_usage_ns, cpu_user_ns, cpu_system_ns;
  std::optional<double> cpu_limit;  // CPUs; absent when unlimited or unknown
  std::optional<uint64_t> cpu_periods, cpu_throttled_periods, cpu_throttled_ns;
  std::optional<uint64_t> pids_current, pids_limit;
  std::optional<uint64_t> io_read_bytes, io_write_bytes;
};

// Read the statistics of a group (no error when a file is missing: the
// field stays absent). Throws rt::Error only when the group is gone.
Stats read_stats(const Group& g);
// CPU use between two readings in percent of one CPU (200 = two CPUs busy).
std::optional<double> cpu_percent(const Stats& before, const Stats& after);

}  // namespace rt::cgroup
