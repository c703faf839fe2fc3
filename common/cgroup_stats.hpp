// What a group uses: memory, CPU, pids and I/O, as its control files say.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

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
  // memory_usage and pids_current were summed over the group's processes:
  // its v2 hierarchy has no memory or pids controller (a rootless
  // container's group on a hybrid host, where they are bound to v1).
  bool from_processes = false;
};

// Read the statistics of a group (no error when a file is missing: the
// field stays absent). Throws rt::Error only when the group is gone.
Stats read_stats(const Group& g);
// The number of a "Key:  N" or "Key:  N kB" line of /proc/PID/status or
// /proc/PID/smaps_rollup (N itself, kB not applied); nullopt without one.
std::optional<uint64_t> proc_field(std::string_view text, std::string_view key);

// CPU use between two readings in percent of one CPU (200 = two CPUs busy).
std::optional<double> cpu_percent(const Stats& before, const Stats& after);

}  // namespace rt::cgroup
