// Limits of a group: the options that set them, checked and converted
// (no file is touched here; cgroup_apply.cpp writes them into a group).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgroup_devices.hpp"

namespace rt::cgroup {

// What a control file says for "no limit", and what rt reports for it.
inline constexpr uint64_t kUnlimited = UINT64_MAX;

struct Limits {
  std::optional<uint64_t> memory;              // bytes
  std::optional<int64_t> memory_swap;          // memory+swap in bytes, -1 unlimited
  std::optional<uint64_t> memory_reservation;  // bytes
  std::optional<double> cpus;                  // CPUs of quota per 100 ms period
  std::optional<uint64_t> cpu_shares;          // v1 scale, 2..262144
  std::optional<uint64_t> cpu_weight;          // v2 scale, 1..10000
  std::string cpuset_cpus, cpuset_mems;        // "0-3,5"
  std::optional<int64_t> pids;                 // -1 unlimited
  std::optional<uint64_t> io_weight;           // v1 blkio scale, 10..1000
  std::vector<DeviceRule> device_rules;        // --devices docker, then each --device-rule (see cgroup_devices.hpp)
  std::optional<int64_t> cpu_quota;            // us per period, -1 unlimited
  std::optional<uint64_t> cpu_period;          // us
  std::optional<uint64_t> swappiness;          // v1 only, 0..100
  bool oom_kill_disable = false;               // v1 only
  std::optional<uint64_t> kernel_tcp;          // v1 only: TCP buffer memory, bytes
  struct Hugetlb {
    std::string size;  // as the kernel names the files: 2MB, 1GB
    uint64_t limit;    // bytes
  };
  std::vector<Hugetlb> hugetlb;
  std::vector<std::pair<std::string, std::string>> unified;  // v2 only: file, value
  struct DeviceRate {
    unsigned major, minor;
    uint64_t rate;
  };
  std::vector<DeviceRate> read_bps, write_bps, read_iops, write_iops;
  bool any() const;
};

// Option values as given on a command line; empty = not given.
struct LimitArgs {
  std::string memory, memory_swap, memory_reservation, cpus, cpu_shares, cpu_weight, cpuset_cpus, cpuset_mems, pids,
      io_weight, devices, cpu_quota, cpu_period, swappiness, kernel_tcp;
  bool oom_kill_disable = false;
  std::vector<std::string> hugetlb, unified, read_bps, write_bps, read_iops, write_iops, device_rules;
};

// Validate and convert. Throws rt::Error "invalid --memory 'x': why".
Limits parse_limits(const LimitArgs& a);

// The CFS period every --cpus quota is expressed in (us).
inline constexpr uint64_t kCpuPeriodUs = 100000;
// Docker's smallest memory limit.
inline constexpr uint64_t kMinMemory = 6ULL * 1024 * 1024;

// cpu.shares (2..262144, default 1024) -> cpu.weight (1..10000, default
// 100): the formula of runc >= 1.3.2, crun >= 1.23 and opencontainers/cgroups
// (weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(shares)), which
// maps 2 -> 1, 1024 -> 100 and 262144 -> 10000.
uint64_t shares_to_weight(uint64_t shares);
// Its inverse (nearest shares giving at least `weight`), for --cpu-weight on v1.
uint64_t weight_to_shares(uint64_t weight);
// blkio.weight (10..1000) -> io.weight (1..10000), as runc and crun do:
// 1 + (w - 10) * 9999 / 990.
uint64_t blkio_to_io_weight(uint64_t w);

// A cpuset list ("0-3,5") as the set of its numbers; throws rt::Error.
std::vector<unsigned> parse_cpu_list(std::string_view s, std::string_view what);

}  // namespace rt::cgroup
