// Limits from options: see cgroup_limits.hpp.
#include "cgroup_limits.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "error.hpp"
#include "parse.hpp"

namespace rt::cgroup {

std::vector<unsigned> parse_cpu_list(std::string_view s, std::string_view what) {
  std::set<unsigned> out;
  auto bad = [&](std::string_view why) { return Error(str("invalid ", what, " '", s, "': ", why)); };
  if (s.empty()) throw bad("expected a list such as 0-3,5");
  for (const auto& item : split(s, ',')) {
    auto dash = item.find('-');
    std::string a = item.substr(0, dash), b = dash == std::string::npos ? a : item.substr(dash + 1);
    uint64_t lo, hi;
    try {
      lo = parse_uint(a, what, 8191);
      hi = parse_uint(b, what, 8191);
    } catch (const Error&) {
      throw bad("expected numbers and ranges such as 0-3,5 (at most 8191)");
    }
    if (lo > hi) throw bad(str("range ", item, " goes backwards"));
    for (uint64_t i = lo; i <= hi; ++i) out.insert(static_cast<unsigned>(i));
  }
  return {out.begin(), out.end()};
}

uint64_t shares_to_weight(uint64_t shares) {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  double l = std::log2(static_cast<double>(shares));
  double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return static_cast<uint64_t>(std::ceil(std::pow(10, exponent)));
}

uint64_t weight_to_shares(uint64_t weight) {
  if (weight <= 1) return 2;
  if (weight >= 10000) return 262144;
  // Solve l^2 + 125 l - 612 (log10(w) + 7/34) = 0 for l = log2(shares).
  double c = 612.0 * (std::log10(static_cast<double>(weight)) + 7.0 / 34.0);
  double l = (-125.0 + std::sqrt(125.0 * 125.0 + 4.0 * c)) / 2.0;
  auto s = static_cast<uint64_t>(std::llround(std::exp2(l)));
  return std::clamp<uint64_t>(s, 2, 262144);
}

uint64_t blkio_to_io_weight(uint64_t w) { return w < 10 ? 1 : 1 + (w - 10) * 9999 / 990; }

Limits parse_limits(const LimitArgs& a) {
  Limits l;
  if (!a.memory.empty()) {
    l.memory = parse_size(a.memory, "--memory");
    if (*l.memory < kMinMemory) throw Error(str("invalid --memory '", a.memory, "': at least 6M (as Docker)"));
  }
  if (!a.memory_swap.empty() && a.memory_swap != "0") {
    if (a.memory_swap == "-1") {
      l.memory_swap = -1;
    } else {
      uint64_t v = parse_size(a.memory_swap, "--memory-swap");
      if (v > static_cast<uint64_t>(INT64_MAX))
        throw Error(str("invalid --memory-swap '", a.memory_swap, "': too large"));
      l.memory_swap = static_cast<int64_t>(v);
    }
    if (!l.memory)
      throw Error(str("invalid --memory-swap '", a.memory_swap, "': it is memory plus swap, so it needs --memory"));
    if (*l.memory_swap >= 0 && static_cast<uint64_t>(*l.memory_swap) < *l.memory)
      throw Error(str("invalid --memory-swap '", a.memory_swap,
                      "': less than --memory (it is memory plus swap; -1: unlimited swap)"));
  }
  if (!a.memory_reservation.empty()) {
    l.memory_reservation = parse_size(a.memory_reservation, "--memory-reservation");
    if (l.memory && *l.memory_reservation > *l.memory)
      throw Error(str("invalid --memory-reservation '", a.memory_reservation, "': more than --memory"));
  }
  if (!a.cpus.empty()) {
    double v = parse_double(a.cpus, "--cpus");
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (v < 0.01) throw Error(str("invalid --cpus '", a.cpus, "': at least 0.01"));
    if (n > 0 && v > static_cast<double>(n))
      throw Error(str("invalid --cpus '", a.cpus, "': more than the ", n, " CPUs of this host"));
    l.cpus = v;
  }
  if (!a.cpu_shares.empty()) {
    l.cpu_shares = parse_uint(a.cpu_shares, "--cpu-shares", 262144);
    if (*l.cpu_shares < 2) throw Error(str("invalid --cpu-shares '", a.cpu_shares, "': between 2 and 262144"));
  }
  if (!a.cpu_weight.empty()) {
    if (l.cpu_shares) throw Error("--cpu-shares and --cpu-weight say the same thing on two scales: give one");
    l.cpu_weight = parse_uint(a.cpu_weight, "--cpu-weight", 10000);
    if (*l.cpu_weight < 1) throw Error(str("invalid --cpu-weight '", a.cpu_weight, "': between 1 and 10000"));
  }
  if (!a.cpuset_cpus.empty()) {
    parse_cpu_list(a.cpuset_cpus, "--cpuset-cpus");
    l.cpuset_cpus = a.cpuset_cpus;
  }
  if (!a.cpuset_mems.empty()) {
    parse_cpu_list(a.cpuset_mems, "--cpuset-mems");
    l.cpuset_mems = a.cpuset_mems;
  }
  if (!a.pids.empty()) {
    if (a.pids == "-1" || a.pids == "max") {
      l.pids = -1;
    } else {
      uint64_t v = parse_uint(a.pids, "--pids", 4194304);
      if (v < 1) throw Error(str("invalid --pids '", a.pids, "': at least 1 (-1 or max: no limit)"));
      l.pids = static_cast<int64_t>(v);
    }
  }
  if (!a.io_weight.empty()) {
    l.io_weight = parse_uint(a.io_weight, "--io-weight", 1000);
    if (*l.io_weight < 10) throw Error(str("invalid --io-weight '", a.io_weight, "': between 10 and 1000"));
  }
  if (!a.devices.empty()) {
    if (a.devices != "docker") throw Error(str("invalid --devices '", a.devices, "': expected docker"));
    l.device_rules = docker_device_rules();
  }
  for (const auto& r : a.device_rules) l.device_rules.push_back(parse_device_rule(r));
  if (!a.cpu_quota.empty()) {
    if (l.cpus) throw Error("--cpus and --cpu-quota say the same thing: give one");
    if (a.cpu_quota == "-1" || a.cpu_quota == "max") {
      l.cpu_quota = -1;
    } else {
      uint64_t v = parse_uint(a.cpu_quota, "--cpu-quota", INT64_MAX);
      if (v < 1000) throw Error(str("invalid --cpu-quota '", a.cpu_quota, "': at least 1000 (us; -1: no limit)"));
      l.cpu_quota = static_cast<int64_t>(v);
    }
  }
  if (!a.cpu_period.empty()) {
    if (l.cpus) throw Error("--cpus sets the period (100000 us): give --cpu-quota with --cpu-period");
    l.cpu_period = parse_uint(a.cpu_period, "--cpu-period", 1000000);
    if (*l.cpu_period < 1000)
      throw Error(str("invalid --cpu-period '", a.cpu_period, "': between 1000 and 1000000 (us)"));
  }
  if (!a.swappiness.empty()) l.swappiness = parse_uint(a.swappiness, "--memory-swappiness", 100);
  l.oom_kill_disable = a.oom_kill_disable;
  if (!a.kernel_tcp.empty()) l.kernel_tcp = parse_size(a.kernel_tcp, "--kernel-memory-tcp");
  for (const auto& h : a.hugetlb) {
    auto eq = h.find('=');
    std::string size = h.substr(0, eq);
    bool ok = eq != std::string::npos && size.size() > 2 && std::isdigit(static_cast<unsigned char>(size[0]));
    if (ok) {
      std::string unit = size.substr(size.find_first_not_of("0123456789"));
      ok = unit == "KB" || unit == "MB" || unit == "GB";
    }
    if (!ok) throw Error(str("invalid --hugetlb '", h, "': expected PAGESIZE=LIMIT, as 2MB=64M (KB, MB or GB pages)"));
    l.hugetlb.push_back({size, parse_size(h.substr(eq + 1), "--hugetlb")});
  }
  for (const auto& u : a.unified) {
    auto eq = u.find('=');
    std::string key = u.substr(0, eq);
    bool ok = eq != std::string::npos && key.find('.') != std::string::npos && key[0] != '.';
    for (char c : key) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
    if (!ok)
      throw Error(
          str("invalid --unified '", u, "': expected FILE=VALUE with a cgroup v2 file name, as memory.high=64M"));
    if (starts_with(key, "cgroup."))
      throw Error(str("invalid --unified '", u, "': the cgroup.* files are rt-cgroup's (no limits there)"));
    l.unified.emplace_back(key, u.substr(eq + 1));
  }
  auto rates = [](const std::vector<std::string>& in, const char* opt) {
    std::vector<Limits::DeviceRate> out;
    for (const auto& r : in) {
      auto colon = r.find(':'), eq = r.find('=');
      if (colon == std::string::npos || eq == std::string::npos || eq < colon)
        throw Error(str("invalid ", opt, " '", r, "': expected MAJOR:MINOR=RATE, as 8:0=1048576"));
      try {
        out.push_back({static_cast<unsigned>(parse_uint(r.substr(0, colon), opt, 4095)),
                       static_cast<unsigned>(parse_uint(r.substr(colon + 1, eq - colon - 1), opt, 1048575)),
                       parse_size(r.substr(eq + 1), opt)});
      } catch (const Error&) {
        throw Error(str("invalid ", opt, " '", r, "': expected MAJOR:MINOR=RATE, as 8:0=1048576"));
      }
    }
    return out;
  };
  l.read_bps = rates(a.read_bps, "--device-read-bps");
  l.write_bps = rates(a.write_bps, "--device-write-bps");
  l.read_iops = rates(a.read_iops, "--device-read-iops");
  l.write_iops = rates(a.write_iops, "--device-write-iops");
  return l;
}

bool Limits::any() const {
  return memory || memory_swap || memory_reservation || cpus || cpu_shares || cpu_weight || !cpuset_cpus.empty() ||
         !cpuset_mems.empty() || pids || io_weight || !device_rules.empty() || cpu_quota || cpu_period || swappiness ||
         oom_kill_disable || kernel_tcp || !hugetlb.empty() || !unified.empty() || !read_bps.empty() ||
         !write_bps.empty() || !read_iops.empty() || !write_iops.empty();
}

}  // namespace rt::cgroup
