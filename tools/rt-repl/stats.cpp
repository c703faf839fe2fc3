// stats: CPU, memory, pids and I/O of running containers, from their
// cgroups (cgroup::read_stats) and network namespaces (/proc/PID/net/dev).
#include <poll.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cgroup.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "repl.hpp"
#include "table.hpp"

namespace rt::repl {
using json = nlohmann::ordered_json;

void opts_stats(po::options_description& d) {
  // clang-format off
  d.add_options()
      ("all,a", po::bool_switch(), "show every container (stopped ones with empty rows)")
      ("no-stream", po::bool_switch(), "print one snapshot and exit")
      ("json", po::bool_switch(), "JSON: one array (or, streaming, one array a line); fields in rt-repl(1)");
  // clang-format on
}

namespace {

struct Net {
  uint64_t rx = 0, tx = 0;
  bool known = false;
};

// Bytes through the container's interfaces but lo.
Net net_of(pid_t pid) {
  Net n;
  auto text = try_read_file(str("/proc/", pid, "/net/dev"));
  if (!text) return n;
  n.known = true;
  auto lines = split(*text, '\n');
  for (size_t i = 2; i < lines.size(); ++i) {
    auto colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    std::string name = lines[i].substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::vector<uint64_t> f;
    for (const auto& w : split(lines[i].substr(colon + 1), ' '))
      if (!w.empty()) f.push_back(std::strtoull(w.c_str(), nullptr, 10));
    if (f.size() >= 9) {
      n.rx += f[0];
      n.tx += f[8];
    }
  }
  return n;
}

uint64_t host_memory() {
  struct sysinfo si {};
  if (::sysinfo(&si) != 0) return 0;
  return static_cast<uint64_t>(si.totalram) * si.mem_unit;
}

struct Sample {
  ContainerState c;
  bool running = false;
  std::optional<cgroup::Stats> st;
  bool no_cgroup = false;  // running without a cgroup of its own (none recorded)
  Net net;
};

// Why a container has no figures but its network's: it was given no cgroup.
const char* kNoCgroup =
    "no cgroup: it runs without one (rootless, on a host that delegates no cgroup to you), so its CPU, memory, pids "
    "and block I/O are not measured";

std::vector<Sample> sample(Env& env, const Words& names, bool all) {
  std::vector<ContainerState> list;
  if (names.empty()) {
    list = ops::list(env.ctx, all);
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  } else {
    for (const auto& n : names) list.push_back(env.ctx.store.resolve(n));
  }
  std::vector<Sample> out;
  for (auto& c : list) {
    Sample s;
    s.running = ops::effective_status(c) == "running";
    s.no_cgroup = s.running && c.cgroup_paths.empty();
    if (s.running) {
      try {
        if (auto g = ops::container_group(c)) s.st = cgroup::read_stats(*g);
      } catch (const Error&) {
        // gone between the listing and the reading: an empty row
      }
      s.net = net_of(c.pid);
    }
    s.c = std::move(c);
    out.push_back(std::move(s));
  }
  return out;
}

struct Row {
  std::optional<double> cpu;
  std::optional<uint64_t> mem, limit, pids, pids_limit, rd, wr;
  std::optional<double> mem_pct;
  Net net;
};

Row row_of(const Sample& s, const std::map<std::string, cgroup::Stats>& before, uint64_t host_mem) {
  Row r;
  if (!s.st) return r;
  const auto& st = *s.st;
  if (auto it = before.find(s.c.id); it != before.end()) r.cpu = cgroup::cpu_percent(it->second, st);
  r.mem = st.memory_usage;
  if (st.memory_limit && *st.memory_limit != cgroup::kUnlimited) r.limit = st.memory_limit;
  uint64_t eff = r.limit ? std::min(*r.limit, host_mem ? host_mem : *r.limit) : host_mem;
  if (r.mem && eff) r.mem_pct = 100.0 * static_cast<double>(*r.mem) / static_cast<double>(eff);
  r.pids = st.pids_current;
  if (st.pids_limit && *st.pids_limit != cgroup::kUnlimited) r.pids_limit = st.pids_limit;
  r.rd = st.io_read_bytes;
  r.wr = st.io_write_bytes;
  r.net = s.net;
  return r;
}

template <typename T> json opt_json(const std::optional<T>& v) { return v ? json(*v) : json(nullptr); }

json to_json(const std::vector<Sample>& samples, const std::vector<Row>& rows) {
  json arr = json::array();
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& r = rows[i];
    arr.push_back({{"id", samples[i].c.id},
                   {"name", samples[i].c.name},
                   {"running", samples[i].running},
                   {"cpu_percent", opt_json(r.cpu)},
                   {"memory_usage", opt_json(r.mem)},
                   {"memory_limit", opt_json(r.limit)},
                   {"memory_percent", opt_json(r.mem_pct)},
                   {"pids", opt_json(r.pids)},
                   {"pids_limit", opt_json(r.pids_limit)},
                   {"block_read", opt_json(r.rd)},
                   {"block_write", opt_json(r.wr)},
                   {"net_rx", r.net.known ? json(r.net.rx) : json(nullptr)},
                   {"net_tx", r.net.known ? json(r.net.tx) : json(nullptr)},
                   {"no_cgroup", samples[i].no_cgroup ? json(kNoCgroup) : json(nullptr)}});
  }
  return arr;
}

std::string bar(double pct) {
  constexpr int kWidth = 20;
  int n = static_cast<int>(std::lround(pct / 100.0 * kWidth));
  n = std::clamp(n, pct > 0 ? 1 : 0, kWidth);
  return "[" + std::string(static_cast<size_t>(n), '|') + std::string(static_cast<size_t>(kWidth - n), ' ') + "]";
}

std::string table(const std::vector<Sample>& samples, const std::vector<Row>& rows, uint64_t host_mem) {
  Table t({"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"});
  char buf[64];
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& r = rows[i];
    const auto& c = samples[i].c;
    std::string cpu = "--", mem = "--", pct = "--", net = "--", io = "--", pids = "--";
    if (r.cpu) {
      std::snprintf(buf, sizeof buf, "%.2f%%", *r.cpu);
      cpu = buf;
    }
    if (r.mem) mem = bytes_size(*r.mem) + " / " + bytes_size(r.limit ? *r.limit : host_mem);
    if (r.mem_pct) {
      std::snprintf(buf, sizeof buf, "%6.2f%% ", *r.mem_pct);
      pct = buf + bar(*r.mem_pct);
    }
    if (r.net.known) net = human_size(r.net.rx) + " / " + human_size(r.net.tx);
    if (r.rd || r.wr) io = human_size(r.rd.value_or(0)) + " / " + human_size(r.wr.value_or(0));
    if (r.pids) pids = std::to_string(*r.pids);
    t.add({c.short_id(), c.name, cpu, mem, pct, net, io, pids});
  }
  return t.render();
}

// Sleep `ms`, waking early on Ctrl-C. False when interrupted.
bool pause_ms(int ms) {
  int64_t end = (log::now_us() / 1000) + ms;
  while (!interrupted()) {
    int64_t left = end - (log::now_us() / 1000);
    if (left <= 0) return true;
    ::poll(nullptr, 0, static_cast<int>(left));
  }
  return false;
}

}  // namespace

int cmd_stats(Env& env, const Parsed& p) {
  bool stream = !p.has("no-stream"), as_json = p.has("json"), all = p.has("all");
  bool live = stream && !as_json && ::isatty(STDOUT_FILENO);
  uint64_t host_mem = host_memory();
  std::map<std::string, cgroup::Stats> before;
  for (auto& s : sample(env, p.operands, all)) {
    if (s.st) before[s.c.id] = *s.st;
    // Said once, on stderr: the table's "--" are not figures.
    if (s.no_cgroup && !as_json) std::cerr << "rt-repl: " << s.c.name << ": " << kNoCgroup << "\n";
  }
  if (live) std::cout << "\033[?25l\033[2J" << std::flush;  // hide the cursor, clear
  struct ShowCursor {
    bool on;
    ~ShowCursor() {
      if (on) std::cout << "\033[?25h" << std::flush;
    }
  } show{live};
  for (;;) {
    if (!pause_ms(stream ? 1000 : 500)) break;
    auto samples = sample(env, p.operands, all);
    std::vector<Row> rows;
    for (const auto& s : samples) rows.push_back(row_of(s, before, host_mem));
    before.clear();
    for (const auto& s : samples)
      if (s.st) before[s.c.id] = *s.st;
    if (as_json) {
      std::cout << to_json(samples, rows).dump(stream ? -1 : 2) << "\n" << std::flush;
    } else if (live) {
      std::string text = table(samples, rows, host_mem), out = "\033[H";
      for (const auto& line : split(text, '\n')) out += line + "\033[K\n";
      out.pop_back();
      std::cout << out << "\033[J" << std::flush;
    } else {
      std::cout << table(samples, rows, host_mem) << (stream ? "\n" : "") << std::flush;
    }
    if (!stream) return 0;
  }
  return kInterruptedStatus;
}

}  // namespace rt::repl
