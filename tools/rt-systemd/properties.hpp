// The limits rt-systemd gives a scope as systemd unit properties (the
// names and units of org.freedesktop.systemd1's D-Bus API), so that
// systemd, which owns the group, keeps them.
#pragma once
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "cgroup_limits.hpp"

namespace rt::systemd {

// systemd's "infinity" for every uint64 property below.
inline constexpr uint64_t kInfinity = UINT64_MAX;

struct Property {
  std::string name;
  std::variant<uint64_t, std::vector<uint8_t>> value;  // D-Bus "t", or "ay" (a CPU or node bit mask)
};

// MemoryMax, MemorySwapMax, MemoryLow, CPUQuotaPerSecUSec,
// CPUQuotaPeriodUSec, CPUWeight, AllowedCPUs, AllowedMemoryNodes, TasksMax,
// IOWeight: as rt-cgroup writes the same limits (swap: as much as --memory
// when --memory-swap is not given; --cpu-shares and --io-weight converted
// to v2's scales). Limits with no property here are not in rt-systemd's
// options (rt-cgroup --join writes them).
// UPDATE: for a scope that has limits already (--memory alone leaves the
// swap limit as it is, as rt-cgroup --update does).
std::vector<Property> scope_properties(const cgroup::Limits& l, bool update = false);

// A cpuset list ("0-2,5") as systemd's bit mask: bit N of byte N/8.
std::vector<uint8_t> cpu_mask(const std::string& list, const char* what);

}  // namespace rt::systemd
