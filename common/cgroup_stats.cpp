// Statistics of a group: see cgroup_stats.hpp.
#include "cgroup_stats.hpp"

#include <unistd.h>

#include <set>

#include "cgroup_files.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"

namespace rt::cgroup {

std::optional<uint64_t> proc_field(std::string_view text, std::string_view key) {
  auto rest = line_value(text, key, ':');
  if (!rest) return std::nullopt;
  auto w = words(*rest);
  if (w.empty() || (w.size() == 2 && w[1] != "kB") || w.size() > 2) return std::nullopt;
  auto v = to_u64(w[0]);
  return v && *v != kUnlimited ? v : std::nullopt;
}

namespace {

// A v2 group without the memory or pids controller: memory as the sum of
// its processes' proportional set sizes (smaps_rollup's Pss: a page that N
// processes map counts 1/N for each, so none twice), pids as the sum of their
// threads (what pids.current counts). Processes gone meanwhile count
// nothing.
void from_processes(const Group& g, const Part& p, bool memory, bool pids, Stats& s) {
  std::set<pid_t> procs;
  procs_into(*g.tree, p.dir, procs);
  uint64_t pss = 0, threads = 0;
  for (pid_t pid : procs) {
    std::string proc = str("/proc/", pid, "/");
    if (memory)
      if (auto r = try_read_file(proc + "smaps_rollup"))
        if (auto kib = proc_field(*r, "Pss")) pss += *kib * 1024;
    if (pids)
      if (auto st = try_read_file(proc + "status"))
        if (auto n = proc_field(*st, "Threads")) threads += *n;
  }
  if (memory) s.memory_usage = pss;
  if (pids) s.pids_current = threads;
  s.from_processes = true;
}

}  // namespace

Stats read_stats(const Group& g) {
  Stats s;
  s.time_us = log::now_us();
  bool any = false;
  for (const auto& p : g.parts) any = any || is_dir(p.dir);
  if (!any) throw Error(str("no group ", g.exact ? "" : kPrefix, g.name, " any more"));

  if (const Part* p = g.part_with("memory")) {
    const std::string& d = p->dir;
    if (!p->h.v2) {
      s.memory_usage = read_u64(d + "/memory.usage_in_bytes");
      s.memory_limit = read_u64(d + "/memory.limit_in_bytes");
      if (s.memory_limit && *s.memory_limit >= (uint64_t{1} << 62)) s.memory_limit = kUnlimited;
      s.memory_peak = read_u64(d + "/memory.max_usage_in_bytes");
      if (auto st = try_read_file(d + "/memory.stat")) {
        s.memory_anon = key_value(*st, "total_rss");
        if (!s.memory_anon) s.memory_anon = key_value(*st, "rss");
      }
      s.oom_kills = read_key(d + "/memory.oom_control", "oom_kill");
    } else if (exists(d + "/memory.current")) {
      s.memory_usage = read_u64(d + "/memory.current");
      s.memory_limit = read_u64(d + "/memory.max");
      s.memory_peak = read_u64(d + "/memory.peak");
      s.memory_anon = read_key(d + "/memory.stat", "anon");
      s.oom_kills = read_key(d + "/memory.events", "oom_kill");
    }
  }
  if (const Part* p = g.part_with("cpuacct"); p && !p->h.v2) {
    s.cpu_usage_ns = read_u64(p->dir + "/cpuacct.usage");
    s.cpu_user_ns = read_u64(p->dir + "/cpuacct.usage_user");
    s.cpu_system_ns = read_u64(p->dir + "/cpuacct.usage_sys");
    if (!s.cpu_user_ns) {
      long hz = ::sysconf(_SC_CLK_TCK);
      if (auto st = try_read_file(p->dir + "/cpuacct.stat"); st && hz > 0) {
        if (auto u = key_value(*st, "user")) s.cpu_user_ns = *u * (1000000000 / static_cast<uint64_t>(hz));
        if (auto y = key_value(*st, "system")) s.cpu_system_ns = *y * (1000000000 / static_cast<uint64_t>(hz));
      }
    }
  }
  if (const Part* p = g.part_with("cpu")) {
    auto st = try_read_file(p->dir + "/cpu.stat");
    if (p->h.v2) {
      if (st) {
        auto us = [&](const char* k) -> std::optional<uint64_t> {
          auto v = key_value(*st, k);
          return v ? std::optional<uint64_t>(*v * 1000) : std::nullopt;
        };
        s.cpu_usage_ns = us("usage_usec");
        s.cpu_user_ns = us("user_usec");
        s.cpu_system_ns = us("system_usec");
        s.cpu_periods = key_value(*st, "nr_periods");
        s.cpu_throttled_periods = key_value(*st, "nr_throttled");
        s.cpu_throttled_ns = us("throttled_usec");
      }
      if (auto m = try_read_file(p->dir + "/cpu.max")) {
        auto w = words(*m);
        auto q = w.size() == 2 ? to_u64(w[0]) : std::nullopt;
        auto per = w.size() == 2 ? to_u64(w[1]) : std::nullopt;
        if (q && per && *q != kUnlimited && *per) s.cpu_limit = static_cast<double>(*q) / static_cast<double>(*per);
      }
    } else if (p->h.has("cpu")) {
      if (st) {
        s.cpu_periods = key_value(*st, "nr_periods");
        s.cpu_throttled_periods = key_value(*st, "nr_throttled");
        s.cpu_throttled_ns = key_value(*st, "throttled_time");
      }
      auto q = try_read_file(p->dir + "/cpu.cfs_quota_us");
      auto per = read_u64(p->dir + "/cpu.cfs_period_us");
      if (q && per && *per && !q->empty() && (*q)[0] != '-')
        if (auto qv = to_u64(*q)) s.cpu_limit = static_cast<double>(*qv) / static_cast<double>(*per);
    }
  }
  if (const Part* p = g.part_with("pids"); p && exists(p->dir + "/pids.current")) {
    s.pids_current = read_u64(p->dir + "/pids.current");
    s.pids_limit = read_u64(p->dir + "/pids.max");
  }
  const Part* m = g.part_with("memory");
  const Part* n = g.part_with("pids");
  bool memory = !s.memory_usage && m && m->h.v2, pids = !s.pids_current && n && n->h.v2;
  if ((memory || pids) && g.tree && g.tree->live()) from_processes(g, memory ? *m : *n, memory, pids, s);
  if (const Part* p = g.part_with("blkio")) {
    if (p->h.v2) {
      if (auto st = try_read_file(p->dir + "/io.stat")) {
        uint64_t r = 0, w = 0;
        for (const auto& tok : words(*st)) {
          if (starts_with(tok, "rbytes=")) r += to_u64(tok.substr(7)).value_or(0);
          if (starts_with(tok, "wbytes=")) w += to_u64(tok.substr(7)).value_or(0);
        }
        s.io_read_bytes = r;
        s.io_write_bytes = w;
      }
    } else if (p->h.has("blkio")) {
      auto st = try_read_file(p->dir + "/blkio.throttle.io_service_bytes_recursive");
      if (!st) st = try_read_file(p->dir + "/blkio.throttle.io_service_bytes");
      if (st) {
        uint64_t r = 0, w = 0;
        for (const auto& line : split(*st, '\n')) {
          auto f = words(line);
          if (f.size() != 3) continue;
          if (f[1] == "Read") r += to_u64(f[2]).value_or(0);
          if (f[1] == "Write") w += to_u64(f[2]).value_or(0);
        }
        s.io_read_bytes = r;
        s.io_write_bytes = w;
      }
    }
  }
  return s;
}

std::optional<double> cpu_percent(const Stats& a, const Stats& b) {
  if (!a.cpu_usage_ns || !b.cpu_usage_ns || b.time_us <= a.time_us || *b.cpu_usage_ns < *a.cpu_usage_ns)
    return std::nullopt;
  double used = static_cast<double>(*b.cpu_usage_ns - *a.cpu_usage_ns);
  double wall = static_cast<double>(b.time_us - a.time_us) * 1000.0;
  return used / wall * 100.0;
}

}  // namespace rt::cgroup
