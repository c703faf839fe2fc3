#include "cgroup_limit_options.hpp"

#include "error.hpp"

namespace rt::cgroup {
namespace {

using strings = std::vector<std::string>;

// One limit option: exactly one of the three fields is set (a value, a
// switch, a repeatable value). scope_help is rt-systemd's text; nullptr: a
// scope does not take it.
struct LimitOption {
  const char* name;
  const char* value_name;
  std::string LimitArgs::*value;
  bool LimitArgs::*flag;
  strings LimitArgs::*many;
  const char* help;
  const char* scope_help;
};

constexpr std::string LimitArgs::*kNoValue = nullptr;
constexpr bool LimitArgs::*kNoFlag = nullptr;
constexpr strings LimitArgs::*kNoMany = nullptr;

// clang-format off
const LimitOption kLimits[] = {
    {"memory", "SIZE", &LimitArgs::memory, kNoFlag, kNoMany, "memory limit (e.g. 64M; at least 6M)", "MemoryMax (e.g. 64M; at least 6M)"},
    {"memory-swap", "SIZE", &LimitArgs::memory_swap, kNoFlag, kNoMany, "memory plus swap limit; -1: unlimited swap (default: twice --memory)", "memory plus swap, as MemorySwapMax (the swap part); -1: unlimited (default: as much swap as --memory)"},
    {"memory-reservation", "SIZE", &LimitArgs::memory_reservation, kNoFlag, kNoMany, "soft memory limit (v1 soft_limit, v2 memory.low)", "MemoryLow"},
    {"cpus", "N", &LimitArgs::cpus, kNoFlag, kNoMany, "CPU quota in CPUs per 100 ms period (e.g. 0.5)", "CPUQuota in CPUs (e.g. 0.5)"},
    {"cpu-quota", "US", &LimitArgs::cpu_quota, kNoFlag, kNoMany, "CPU time per period in microseconds (-1: no limit)", "CPU time per period in microseconds (-1: no limit)"},
    {"cpu-period", "US", &LimitArgs::cpu_period, kNoFlag, kNoMany, "CFS period in microseconds, 1000..1000000 (default 100000)", "CPUQuotaPeriodSec in microseconds, 1000..1000000"},
    {"cpu-shares", "N", &LimitArgs::cpu_shares, kNoFlag, kNoMany, "relative CPU weight, v1 scale 2..262144 (converted on v2)", "relative CPU weight, v1 scale 2..262144 (as CPUWeight)"},
    {"cpu-weight", "N", &LimitArgs::cpu_weight, kNoFlag, kNoMany, "relative CPU weight, v2 scale 1..10000 (converted on v1)", "CPUWeight, 1..10000"},
    {"cpuset-cpus", "LIST", &LimitArgs::cpuset_cpus, kNoFlag, kNoMany, "CPUs allowed (e.g. 0-1,3)", "AllowedCPUs (e.g. 0-1,3)"},
    {"cpuset-mems", "LIST", &LimitArgs::cpuset_mems, kNoFlag, kNoMany, "memory nodes allowed (e.g. 0)", "AllowedMemoryNodes (e.g. 0)"},
    {"pids", "N", &LimitArgs::pids, kNoFlag, kNoMany, "maximum number of processes (-1: no limit)", "TasksMax (-1: no limit)"},
    {"io-weight", "N", &LimitArgs::io_weight, kNoFlag, kNoMany, "relative block I/O weight, 10..1000", "block I/O weight, v1 scale 10..1000 (as IOWeight)"},
    {"devices", "docker", &LimitArgs::devices, kNoFlag, kNoMany, "allow only the device nodes Docker allows", nullptr},
    {"device-rule", "RULE", kNoValue, kNoFlag, &LimitArgs::device_rules, "a device access rule after --devices, in order, as 'deny a' or 'allow c 1:3 rwm' (KIND TYPE [MAJOR:MINOR [ACCESS]]); for each access the last matching rule decides (repeatable)", nullptr},
    {"memory-swappiness", "N", &LimitArgs::swappiness, kNoFlag, kNoMany, "v1: memory.swappiness, 0..100", nullptr},
    {"oom-kill-disable", nullptr, kNoValue, &LimitArgs::oom_kill_disable, kNoMany, "v1: no OOM killer in the group (its tasks wait at the limit)", nullptr},
    {"kernel-memory-tcp", "SIZE", &LimitArgs::kernel_tcp, kNoFlag, kNoMany, "v1: TCP buffer memory limit", nullptr},
    {"hugetlb", "PAGESIZE=SIZE", kNoValue, kNoFlag, &LimitArgs::hugetlb, "huge page limit, as 2MB=64M (repeatable)", nullptr},
    {"unified", "FILE=VALUE", kNoValue, kNoFlag, &LimitArgs::unified, "v2: write VALUE to the group's FILE, as memory.high=64M (repeatable)", nullptr},
    {"device-read-bps", "MAJ:MIN=RATE", kNoValue, kNoFlag, &LimitArgs::read_bps, "read bytes per second from a block device (repeatable)", nullptr},
    {"device-write-bps", "MAJ:MIN=RATE", kNoValue, kNoFlag, &LimitArgs::write_bps, "write bytes per second (repeatable)", nullptr},
    {"device-read-iops", "MAJ:MIN=RATE", kNoValue, kNoFlag, &LimitArgs::read_iops, "read operations per second (repeatable)", nullptr},
    {"device-write-iops", "MAJ:MIN=RATE", kNoValue, kNoFlag, &LimitArgs::write_iops, "write operations per second (repeatable)", nullptr},
};
// clang-format on

bool takes(const LimitOption& o, LimitTool tool) { return tool == LimitTool::cgroup || o.scope_help; }

}  // namespace

void add_limit_options(po::options_description& desc, LimitTool tool) {
  for (const auto& o : kLimits) {
    if (!takes(o, tool)) continue;
    const char* help = tool == LimitTool::cgroup ? o.help : o.scope_help;
    if (o.flag) desc.add_options()(o.name, po::bool_switch(), help);
    else if (o.many) desc.add_options()(o.name, po::value<strings>()->composing()->value_name(o.value_name), help);
    else desc.add_options()(o.name, po::value<std::string>()->value_name(o.value_name), help);
  }
}

std::optional<std::string> first_limit_given(const po::variables_map& vm, LimitTool tool) {
  for (const auto& o : kLimits) {
    if (!takes(o, tool) || !vm.count(o.name)) continue;
    if (o.flag ? vm[o.name].as<bool>() : !vm[o.name].defaulted()) return o.name;
  }
  return std::nullopt;
}

LimitArgs limit_args(const po::variables_map& vm, LimitTool tool) {
  LimitArgs a;
  for (const auto& o : kLimits) {
    if (!takes(o, tool) || !vm.count(o.name)) continue;
    bool empty = false;
    if (o.flag) {
      a.*o.flag = vm[o.name].as<bool>();
    } else if (o.many) {
      a.*o.many = vm[o.name].as<strings>();
      for (const auto& v : a.*o.many) empty = empty || v.empty();
    } else {
      a.*o.value = vm[o.name].as<std::string>();
      empty = (a.*o.value).empty();
    }
    if (empty) die(str("invalid --", o.name, " '': empty value"));
  }
  return a;
}

}  // namespace rt::cgroup
