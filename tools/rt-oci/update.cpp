// update (the limits, through rt-cgroup --update) and pause/resume (the
// freezer; systemd's, through rt-systemd --freeze, for a container that is
// a systemd scope).
#include <unistd.h>

#include <cstdio>

#include "chain.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "parse.hpp"
#include "paths.hpp"
#include "process.hpp"
#include "state.hpp"

namespace rt::oci {

// update: the new limits as a linux.resources object (from --resources,
// then the single options over it), applied by rt-cgroup --update.
int do_update(const Args& a) {
  std::string id = one_id(a, "update");
  State st = load_state_or_die(g_opts.root, id);
  json r = json::object();
  if (a.has("resources")) {
    std::string file = a.get("resources");
    std::optional<std::string> text;
    if (file == "-") {
      std::string in;
      char buf[4096];
      ssize_t n;
      while ((n = ::read(0, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) in.append(buf, static_cast<size_t>(n));
      text = in;
    } else {
      text = try_read_file(file);
      if (!text) fail_errno(str("update: cannot read --resources ", file));
    }
    try {
      r = json::parse(*text);
    } catch (const json::exception& e) {
      fail(str("update: --resources ", file, ": not JSON: ", e.what()));
    }
    if (!r.is_object()) fail(str("update: --resources ", file, ": expected a linux.resources object"));
  }
  auto num = [&](const char* opt) -> json {
    std::string v = a.get(opt);
    if (v == "-1") return -1;
    return static_cast<int64_t>(starts_with(opt, "memory") || starts_with(opt, "kernel")
                                    ? parse_size(v, str("--", opt))
                                    : parse_uint(v, str("--", opt)));
  };
  // clang-format off
  const std::pair<const char*, std::vector<const char*>> single[] = {
      {"memory", {"memory", "limit"}},          {"memory-swap", {"memory", "swap"}},
      {"memory-reservation", {"memory", "reservation"}}, {"kernel-memory-tcp", {"memory", "kernelTCP"}},
      {"cpu-shares", {"cpu", "shares"}},        {"cpu-quota", {"cpu", "quota"}},
      {"cpu-period", {"cpu", "period"}},        {"pids-limit", {"pids", "limit"}},
      {"blkio-weight", {"blockIO", "weight"}}};
  // clang-format on
  for (const auto& [opt, where] : single)
    if (a.has(opt)) r[where[0]][where[1]] = num(opt);
  if (a.has("cpuset-cpus")) r["cpu"]["cpus"] = a.get("cpuset-cpus");
  if (a.has("cpuset-mems")) r["cpu"]["mems"] = a.get("cpuset-mems");
  if (a.has("kernel-memory"))
    log_line("warning", "update: --kernel-memory ignored: kernel memory limits are deprecated");
  // Limits rt cannot set are refused, never dropped (as in config.json,
  // where a real-time value of 0 passes too).
  for (const char* opt : {"cpu-rt-period", "cpu-rt-runtime"})
    if (a.has(opt) && num(opt) != 0) fail(str("update: --", opt, ": not supported (rt sets no real-time CPU limits)"));
  for (const char* opt : {"l3-cache-schema", "mem-bw-schema"})
    if (a.has(opt)) fail(str("update: --", opt, ": not supported (rt has no Intel RDT support)"));
  if (r.contains("devices")) fail("update: linux.resources.devices: a container's device rules are set at create");
  std::vector<std::string> argv = {self_dir() + "/rt-cgroup", "--update", st.cgroup_name};
  if (!st.cgroup_parent.empty()) argv.insert(argv.end(), {"--parent", st.cgroup_parent});
  // A systemd scope (--systemd-cgroup where systemd runs): the limits it
  // has properties for go to systemd (rt-systemd --update), which writes
  // them and keeps them; rt-cgroup --update writes the others.
  std::vector<std::string> unit_argv;
  try {
    auto flags = resource_flags(r);
    if (flags.empty()) fail("update: nothing to change (give --resources or a limit option)");
    if (!st.systemd_unit.empty()) {
      auto [ours, rest] = split_systemd_limits(std::move(flags));
      if (!ours.empty()) unit_argv = {self_dir() + "/rt-systemd", "--update", st.systemd_unit};
      unit_argv.insert(unit_argv.end(), ours.begin(), ours.end());
      flags = std::move(rest);
    }
    if (flags.empty()) argv.clear();
    else argv.insert(argv.end(), flags.begin(), flags.end());
  } catch (const Error& e) {
    fail(str("update: ", e.what()));
  }
  if (g_opts.explain) {
    for (const auto* cmd : {&unit_argv, &argv}) {
      std::string out;
      for (const auto& w : *cmd) out += (out.empty() ? "" : " ") + shell_quote(w);
      if (!out.empty()) std::printf("%s\n", out.c_str());
    }
    return 0;
  }
  std::string s = status_of(g_opts.root, st);
  if (s == "stopped") fail(str("update: container ", id, " is stopped"));
  if (!unit_argv.empty() && run_and_wait(unit_argv) != 0)
    fail(str("update: rt-systemd --update failed for container ", id, " (its message is above)"));
  if (!argv.empty() && run_and_wait(argv) != 0)
    fail(str("update: rt-cgroup --update failed for container ", id, " (its message is above)"));
  return 0;
}

void do_freeze(const Args& a, bool freeze) {
  const char* cmd = freeze ? "pause" : "resume";
  std::string id = one_id(a, cmd);
  State st = load_state_or_die(g_opts.root, id);
  std::string s = status_of(g_opts.root, st);
  if (freeze ? s != "running" : s != "paused") fail(str(cmd, ": container ", id, " is ", s));
  if (!st.systemd_unit.empty()) {
    // systemd freezes its scope itself (FreezeUnit), so that it knows the
    // unit is frozen; rt-systemd exits 3 when this systemd cannot (no v2
    // freezer, or before 246): then the cgroup freezer, as without systemd.
    int rc = run_and_wait({self_dir() + "/rt-systemd", freeze ? "--freeze" : "--thaw", st.systemd_unit});
    if (rc == 0) return;
    if (rc != 3)
      fail(str(cmd, ": rt-systemd --", freeze ? "freeze" : "thaw", " failed for container ", id,
               " (its message is above)"));
    log_line("info", str(cmd, ": systemd cannot freeze ", st.systemd_unit, ": the cgroup freezer"));
  }
  set_frozen(st, freeze);
}

}  // namespace rt::oci
