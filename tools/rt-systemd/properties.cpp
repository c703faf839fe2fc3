#include "properties.hpp"

#include <cmath>

namespace rt::systemd {

std::vector<uint8_t> cpu_mask(const std::string& list, const char* what) {
  std::vector<uint8_t> mask;
  for (unsigned c : cgroup::parse_cpu_list(list, what)) {
    if (mask.size() <= c / 8) mask.resize(c / 8 + 1, 0);
    mask[c / 8] |= static_cast<uint8_t>(1u << (c % 8));
  }
  return mask;
}

std::vector<Property> scope_properties(const cgroup::Limits& l, bool update) {
  std::vector<Property> p;
  auto add = [&](const char* name, uint64_t v) { p.push_back({name, v}); };
  if (l.memory) add("MemoryMax", *l.memory);
  if (l.memory_swap) {
    add("MemorySwapMax", *l.memory_swap < 0 || !l.memory
                             ? kInfinity
                             : static_cast<uint64_t>(*l.memory_swap) - std::min(*l.memory, uint64_t(*l.memory_swap)));
  } else if (l.memory && !update) {
    add("MemorySwapMax", *l.memory);  // Docker's default, as rt-cgroup: as much swap as memory
  }
  if (l.memory_reservation) add("MemoryLow", *l.memory_reservation);
  // systemd takes a quota per second, whatever the period.
  if (l.cpus) add("CPUQuotaPerSecUSec", static_cast<uint64_t>(std::llround(*l.cpus * 1e6)));
  uint64_t period = l.cpu_period.value_or(cgroup::kCpuPeriodUs);
  if (l.cpu_quota)
    add("CPUQuotaPerSecUSec", *l.cpu_quota < 0 ? kInfinity : static_cast<uint64_t>(*l.cpu_quota) * 1000000 / period);
  if (l.cpu_period) add("CPUQuotaPeriodUSec", *l.cpu_period);
  if (l.cpu_shares) add("CPUWeight", cgroup::shares_to_weight(*l.cpu_shares));
  if (l.cpu_weight) add("CPUWeight", *l.cpu_weight);
  if (!l.cpuset_cpus.empty()) p.push_back({"AllowedCPUs", cpu_mask(l.cpuset_cpus, "--cpuset-cpus")});
  if (!l.cpuset_mems.empty()) p.push_back({"AllowedMemoryNodes", cpu_mask(l.cpuset_mems, "--cpuset-mems")});
  if (l.pids) add("TasksMax", *l.pids < 0 ? kInfinity : static_cast<uint64_t>(*l.pids));
  if (l.io_weight) add("IOWeight", cgroup::blkio_to_io_weight(*l.io_weight));
  return p;
}

}  // namespace rt::systemd
