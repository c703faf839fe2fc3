// events: the container's cgroup statistics and OOM kills, as runc's JSON
// events.
#include <unistd.h>

#include <cstdio>

#include "cgroup.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "parse.hpp"
#include "state.hpp"

namespace rt::oci {

namespace {

// One runc-style stats event of a group.
json stats_event(const std::string& id, const cgroup::Stats& s) {
  auto num = [](const std::optional<uint64_t>& v) { return v && *v != cgroup::kUnlimited ? json(*v) : json(0); };
  json data = {
      {"cpu",
       {{"usage", {{"total", num(s.cpu_usage_ns)}, {"user", num(s.cpu_user_ns)}, {"kernel", num(s.cpu_system_ns)}}},
        {"throttling",
         {{"periods", num(s.cpu_periods)},
          {"throttledPeriods", num(s.cpu_throttled_periods)},
          {"throttledTime", num(s.cpu_throttled_ns)}}}}},
      {"memory",
       {{"usage", {{"usage", num(s.memory_usage)}, {"limit", num(s.memory_limit)}, {"max", num(s.memory_peak)}}},
        {"oom_kill", num(s.oom_kills)}}},
      {"pids", {{"current", num(s.pids_current)}, {"limit", num(s.pids_limit)}}},
  };
  return json{{"type", "stats"}, {"id", id}, {"data", data}};
}

}  // namespace

// events: a stats event every --interval (default 5s) and an oom event
// whenever the group's OOM kill counter rises (checked every 100 ms), one
// JSON object a line, until the container stops; --stats: one stats event.
void do_events(const Args& a) {
  std::string id = one_id(a, "events");
  int64_t interval_ms = parse_duration_ms(a.get("interval", "5s"), "--interval");
  if (interval_ms <= 0) fail("events: --interval must be positive");
  State st = load_state_or_die(g_opts.root, id);
  auto g = group_of(st);
  if (!g) fail(str("events: container ", id, " has no cgroup"));
  auto emit = [](const json& e) {
    std::printf("%s\n", e.dump().c_str());
    if (std::fflush(stdout) != 0) throw_errno("events: cannot write");
  };
  cgroup::Stats s = cgroup::read_stats(*g);
  if (a.has("stats")) {
    emit(stats_event(id, s));
    return;
  }
  constexpr int64_t kTick = 100;
  uint64_t ooms = s.oom_kills.value_or(0);
  for (int64_t since = interval_ms;; since += kTick) {
    auto gone = [&] { return !path_exists(g_opts.root + "/" + id) || status_of(g_opts.root, st) == "stopped"; };
    // An OOM kill can end the container between two ticks (the killer may
    // take the init too): read the counter once more before leaving.
    bool last = gone();
    try {
      s = cgroup::read_stats(*g);
    } catch (const Error&) {
      if (last || gone()) return;  // deleted meanwhile
      throw;
    }
    if (s.oom_kills.value_or(0) > ooms) {
      ooms = *s.oom_kills;
      emit(json{{"type", "oom"}, {"id", id}});
    }
    if (last) return;
    if (since >= interval_ms) {
      emit(stats_event(id, s));
      since = 0;
    }
    ::usleep(kTick * 1000);
  }
}

}  // namespace rt::oci
