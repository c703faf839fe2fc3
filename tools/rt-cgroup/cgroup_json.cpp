#include "cgroup_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace rt::cgroup {
namespace {

using json = nlohmann::ordered_json;

json num(const std::optional<uint64_t>& v) { return v ? json(*v) : json(nullptr); }
json limit(const std::optional<uint64_t>& v) { return v && *v != kUnlimited ? json(*v) : json(nullptr); }
json real(const std::optional<double>& v, double scale) {
  return v ? json(std::round(*v * scale) / scale) : json(nullptr);
}

}  // namespace

std::string stats_json(const std::string& name, const Stats& s, std::optional<double> cpu_pct, int64_t interval_ms) {
  json j;
  j["name"] = name;
  j["memory_usage_bytes"] = num(s.memory_usage);
  j["memory_limit_bytes"] = limit(s.memory_limit);
  j["memory_peak_bytes"] = num(s.memory_peak);
  j["memory_anon_bytes"] = num(s.memory_anon);
  j["oom_kills"] = num(s.oom_kills);
  j["cpu_usage_ns"] = num(s.cpu_usage_ns);
  j["cpu_user_ns"] = num(s.cpu_user_ns);
  j["cpu_system_ns"] = num(s.cpu_system_ns);
  j["cpu_percent"] = real(cpu_pct, 100);
  j["cpu_interval_ms"] = cpu_pct ? json(interval_ms) : json(nullptr);
  j["cpu_limit"] = real(s.cpu_limit, 1000);
  j["cpu_periods"] = num(s.cpu_periods);
  j["cpu_throttled_periods"] = num(s.cpu_throttled_periods);
  j["cpu_throttled_ns"] = num(s.cpu_throttled_ns);
  j["pids_current"] = num(s.pids_current);
  j["pids_limit"] = limit(s.pids_limit);
  j["io_read_bytes"] = num(s.io_read_bytes);
  j["io_write_bytes"] = num(s.io_write_bytes);
  return j.dump();
}

std::string list_json(const std::vector<Listed>& groups) {
  json a = json::array();
  for (const auto& g : groups)
    a.push_back({{"name", g.name}, {"dirs", g.dirs}, {"in_use", g.in_use}, {"processes", g.processes}});
  return a.dump();
}

std::string gc_json(const std::vector<Collected>& groups) {
  json a = json::array();
  for (const auto& g : groups) {
    json o = {{"name", g.name}, {"dirs", g.dirs}, {"removed", g.skipped.empty()}};
    o["reason"] = g.skipped.empty() ? json(nullptr) : json(g.skipped);
    a.push_back(std::move(o));
  }
  return a.dump();
}

std::string host_json(const Host& host) {
  json hs = json::array();
  for (const auto& h : host.hierarchies)
    hs.push_back({{"version", h.v2 ? 2 : 1}, {"controllers", h.controllers}, {"mount", h.mount}, {"cgroup", h.self}});
  json j = {{"mode", mode_name(host.mode)},
            {"fake", host.fake()},
            {"hybrid_unified", host.hybrid_unified},
            {"hierarchies", hs}};
  return j.dump();
}

}  // namespace rt::cgroup
