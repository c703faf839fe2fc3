// Limits into control files: see cgroup_apply.hpp.
#include "cgroup_apply.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "cgroup_devices.hpp"
#include "cgroup_files.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "log.hpp"

namespace rt::cgroup {
namespace {

// The cpus (or mems) a cpuset group may be given: its parent's effective set.
std::vector<unsigned> effective_set(const Hierarchy& h, const std::string& dir, bool cpus) {
  std::string f = h.v2 ? (cpus ? "cpuset.cpus.effective" : "cpuset.mems.effective")
                       : (cpus ? "cpuset.effective_cpus" : "cpuset.effective_mems");
  auto s = try_read_file(dir + "/" + f);
  if (!s && !h.v2) s = try_read_file(dir + (cpus ? "/cpuset.cpus" : "/cpuset.mems"));
  if (!s) return {};
  auto w = words(*s);
  if (w.empty()) return {};
  try {
    return parse_cpu_list(w[0], f);
  } catch (const Error&) {
    return {};
  }
}

// One line per device: "8:0 1048576" (v1 blkio.throttle.*).
void set_rates(const GroupDir& d, const char* file, const std::vector<Limits::DeviceRate>& rates) {
  for (const auto& r : rates) d.set(file, str(r.major, ":", r.minor, " ", r.rate));
}

}  // namespace

void check_cpuset(const Hierarchy& h, const std::string& anc_dir, const std::string& want, bool cpus) {
  if (want.empty()) return;
  auto allowed = effective_set(h, anc_dir, cpus);
  if (allowed.empty()) return;  // unknown: the kernel will say
  const char* opt = cpus ? "--cpuset-cpus" : "--cpuset-mems";
  for (unsigned c : parse_cpu_list(want, opt)) {
    if (std::binary_search(allowed.begin(), allowed.end(), c)) continue;
    std::string have;
    for (unsigned a : allowed) have += (have.empty() ? "" : ",") + std::to_string(a);
    throw Error(str("invalid ", opt, " '", want, "': ", cpus ? "CPU " : "memory node ", c, " is not available here (",
                    anc_dir, " has ", have, ")"));
  }
}

void init_cpuset_v1(const std::string& dir, const std::string& cpus, const std::string& mems) {
  std::string parent = dir.substr(0, dir.rfind('/'));
  auto first = [](const std::optional<std::string>& s) {
    auto w = words(s.value_or(""));
    return w.empty() ? std::string() : w[0];
  };
  std::string c = cpus.empty() ? first(try_read_file(parent + "/cpuset.cpus")) : cpus;
  std::string m = mems.empty() ? first(try_read_file(parent + "/cpuset.mems")) : mems;
  set(dir, "cpuset.cpus", c);
  set(dir, "cpuset.mems", m);
}

void apply_v1(const Hierarchy& h, const GroupDir& d, const Limits& l, bool bpf_devices, bool update, bool fresh) {
  if (h.has("cpuset")) {
    if (!update) init_cpuset_v1(d.path, l.cpuset_cpus, l.cpuset_mems);
    else {
      if (!l.cpuset_cpus.empty()) d.set("cpuset.cpus", l.cpuset_cpus);
      if (!l.cpuset_mems.empty()) d.set("cpuset.mems", l.cpuset_mems);
    }
  }
  if (h.has("memory")) {
    if (l.memory_reservation) d.set("memory.soft_limit_in_bytes", std::to_string(*l.memory_reservation));
    bool memsw = (l.memory || l.memory_swap) && d.has("memory.memsw.limit_in_bytes");
    // memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes:
    // raise the pair in the order that keeps it so at each step. A fresh
    // group has neither limit (memory first is right), so it is not read.
    std::optional<uint64_t> cur_memsw;
    if (memsw && !fresh) cur_memsw = read_u64(d.path + "/memory.memsw.limit_in_bytes");
    std::optional<uint64_t> new_memsw;
    if (l.memory_swap) {
      if (*l.memory_swap >= 0 && !memsw)
        throw Error(
            str("cannot apply --memory-swap: swap accounting is off on this host (no memory.memsw.limit_in_bytes in ",
                d.path, "; boot with swapaccount=1)"));
      if (memsw) new_memsw = *l.memory_swap < 0 ? kUnlimited : static_cast<uint64_t>(*l.memory_swap);
    } else if (l.memory && memsw) {
      if (!update) new_memsw = *l.memory * 2;  // Docker's default: as much swap as memory
      else if (cur_memsw && *cur_memsw < *l.memory) new_memsw = *l.memory;
    }
    auto memsw_text = [](uint64_t v) { return v == kUnlimited ? std::string("-1") : std::to_string(v); };
    bool memsw_first = new_memsw && l.memory && cur_memsw && *l.memory > *cur_memsw;
    if (memsw_first) d.set("memory.memsw.limit_in_bytes", memsw_text(*new_memsw));
    if (l.memory) d.set("memory.limit_in_bytes", std::to_string(*l.memory));
    if (new_memsw && !memsw_first) d.set("memory.memsw.limit_in_bytes", memsw_text(*new_memsw));
    if (l.swappiness) d.set("memory.swappiness", std::to_string(*l.swappiness));
    if (l.oom_kill_disable) d.set("memory.oom_control", "1");
    if (l.kernel_tcp) d.set("memory.kmem.tcp.limit_in_bytes", std::to_string(*l.kernel_tcp));
  }
  if (h.has("cpu")) {
    if (l.cpus) {
      d.set("cpu.cfs_period_us", std::to_string(kCpuPeriodUs));
      d.set("cpu.cfs_quota_us", std::to_string(std::llround(*l.cpus * kCpuPeriodUs)));
    }
    if (l.cpu_period) d.set("cpu.cfs_period_us", std::to_string(*l.cpu_period));
    if (l.cpu_quota) d.set("cpu.cfs_quota_us", std::to_string(*l.cpu_quota));
    if (l.cpu_shares) d.set("cpu.shares", std::to_string(*l.cpu_shares));
    if (l.cpu_weight) d.set("cpu.shares", std::to_string(weight_to_shares(*l.cpu_weight)));
  }
  if (h.has("pids") && l.pids) d.set("pids.max", *l.pids < 0 ? "max" : std::to_string(*l.pids));
  if (h.has("blkio")) {
    if (l.io_weight) {
      if (d.has("blkio.weight")) d.set("blkio.weight", std::to_string(*l.io_weight));
      else if (d.has("blkio.bfq.weight")) d.set("blkio.bfq.weight", std::to_string(*l.io_weight));
      else
        throw Error(str("cannot apply --io-weight: ", d.path,
                        " has neither blkio.weight nor blkio.bfq.weight (no proportional I/O scheduler)"));
    }
    set_rates(d, "blkio.throttle.read_bps_device", l.read_bps);
    set_rates(d, "blkio.throttle.write_bps_device", l.write_bps);
    set_rates(d, "blkio.throttle.read_iops_device", l.read_iops);
    set_rates(d, "blkio.throttle.write_iops_device", l.write_iops);
  }
  if (h.has("hugetlb"))
    for (const auto& hp : l.hugetlb) d.set(str("hugetlb.", hp.size, ".limit_in_bytes"), std::to_string(hp.limit));
  if (h.has("devices") && !l.device_rules.empty() && !bpf_devices) set_v1_devices(d, l.device_rules);
}

void set_v1_devices(const GroupDir& d, const std::vector<DeviceRule>& rules) {
  // The kernel takes one rule a write(2), but each file is opened once for
  // all its rules: an open and close of a control file costs about ten
  // writes (docker's 12 rules: 12 opens, now 2). Each line ends in "\n",
  // which the kernel strips; a fake tree's file keeps them one a line.
  UniqueFd allow, deny;
  for (const auto& w : v1_device_writes(rules)) {
    UniqueFd& fd = w.file == "devices.allow" ? allow : deny;
    std::error_code ec;
    if (!fd) {
      fd = UniqueFd(d.open(w.file, O_WRONLY | O_TRUNC | O_CLOEXEC));
      if (!fd) ec = errno_code();
    }
    if (!ec) ec = write_fd(fd.get(), w.line + "\n");
    if (ec) throw_set_failed(w.file, w.line, d.path, ec);
    log::step("set ", w.file, "=", w.line);
  }
}

void apply_v2(const std::string& d, const std::vector<std::string>& enabled, const Limits& l, bool update) {
  auto on = [&](const char* c) { return contains(enabled, c); };
  auto need = [&](const char* file, const char* option) {
    if (!exists(d + "/" + file))
      throw Error(
          str("cannot apply ", option, ": ", d, " has no ", file, " (controller not enabled, or not in this kernel)"));
  };
  if (on("cpuset")) {
    if (!l.cpuset_cpus.empty()) set(d, "cpuset.cpus", l.cpuset_cpus);
    if (!l.cpuset_mems.empty()) set(d, "cpuset.mems", l.cpuset_mems);
  }
  if (on("cpu")) {
    if (l.cpus) set(d, "cpu.max", str(std::llround(*l.cpus * kCpuPeriodUs), " ", kCpuPeriodUs));
    if (l.cpu_quota || l.cpu_period) {
      // cpu.max is "QUOTA PERIOD": one of them alone keeps the other.
      auto cur = words(try_read_file(d + "/cpu.max").value_or(""));
      std::string quota = cur.size() == 2 ? cur[0] : "max", period = cur.size() == 2 ? cur[1] : "100000";
      if (l.cpu_quota) quota = *l.cpu_quota < 0 ? "max" : std::to_string(*l.cpu_quota);
      if (l.cpu_period) period = std::to_string(*l.cpu_period);
      set(d, "cpu.max", str(quota, " ", period));
    }
    if (l.cpu_shares) set(d, "cpu.weight", std::to_string(shares_to_weight(*l.cpu_shares)));
    if (l.cpu_weight) set(d, "cpu.weight", std::to_string(*l.cpu_weight));
  }
  if (on("memory")) {
    if (l.memory_reservation) set(d, "memory.low", std::to_string(*l.memory_reservation));
    if (l.memory) set(d, "memory.max", std::to_string(*l.memory));
    bool swap = exists(d + "/memory.swap.max");
    if (l.memory_swap) {
      if (*l.memory_swap >= 0) need("memory.swap.max", "--memory-swap");
      std::optional<uint64_t> mem = l.memory;
      if (!mem) mem = read_u64(d + "/memory.max");
      if (swap)
        set(d, "memory.swap.max",
            *l.memory_swap < 0 || !mem || *mem == kUnlimited
                ? "max"
                : std::to_string(static_cast<uint64_t>(*l.memory_swap) - std::min<uint64_t>(*mem, *l.memory_swap)));
    } else if (l.memory && swap && !update) {
      set(d, "memory.swap.max", std::to_string(*l.memory));  // Docker's default: as much swap as memory
    }
  }
  if (on("pids") && l.pids) set(d, "pids.max", *l.pids < 0 ? "max" : std::to_string(*l.pids));
  if (on("io")) {
    if (l.io_weight) {
      if (exists(d + "/io.bfq.weight")) set(d, "io.bfq.weight", std::to_string(*l.io_weight));
      else if (exists(d + "/io.weight")) set(d, "io.weight", str("default ", blkio_to_io_weight(*l.io_weight)));
      else throw Error(str("cannot apply --io-weight: ", d, " has neither io.bfq.weight nor io.weight"));
    }
    // io.max: one line per device, "8:0 rbps=N wbps=N riops=N wiops=N".
    std::map<std::pair<unsigned, unsigned>, std::string> io_max;
    auto add = [&](const std::vector<Limits::DeviceRate>& rs, const char* key) {
      for (const auto& r : rs) io_max[{r.major, r.minor}] += str(" ", key, "=", r.rate);
    };
    add(l.read_bps, "rbps");
    add(l.write_bps, "wbps");
    add(l.read_iops, "riops");
    add(l.write_iops, "wiops");
    for (const auto& [dev, keys] : io_max) set(d, "io.max", str(dev.first, ":", dev.second, keys));
  }
  if (on("hugetlb"))
    for (const auto& hp : l.hugetlb) set(d, str("hugetlb.", hp.size, ".max"), std::to_string(hp.limit));
  for (const auto& [file, value] : l.unified) set(d, file, value);
}

void check_v1_only(const Limits& l, const std::string& where) {
  const char* what = l.swappiness         ? "--memory-swappiness"
                     : l.oom_kill_disable ? "--oom-kill-disable"
                     : l.kernel_tcp       ? "--kernel-memory-tcp"
                                          : nullptr;
  if (what) throw Error(str("cannot apply ", what, ": cgroup v2 has no such setting (", where, " is v2)"));
}

}  // namespace rt::cgroup
