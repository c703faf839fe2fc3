// rt-cgroup: run a program in a cgroup of its own, with limits; report its
// statistics; remove groups and collect stale ones.
//
//   rt-cgroup [--name NAME] [--parent PATH] [LIMITS...] [--] PROGRAM [ARGS...]
//   rt-cgroup --path CGPATH [LIMITS...] [--] PROGRAM [ARGS...]
//   rt-cgroup --no-wait (--name NAME [--parent PATH] | --path CGPATH) [LIMITS...] [--] PROGRAM [ARGS...]
//   rt-cgroup --join NAME|CGPATH [--parent PATH] [LIMITS...] [--] PROGRAM [ARGS...]
//   rt-cgroup --stats NAME|CGPATH [--parent PATH] [--json] [--watch SECONDS]
//   rt-cgroup --remove NAME|CGPATH [--parent PATH]
//   rt-cgroup --update NAME|CGPATH [--parent PATH] LIMITS...
//   rt-cgroup --gc [--name NAME] [--parent PATH] [--json]
//   rt-cgroup --list [--parent PATH] [--json]
//   rt-cgroup --info [--json]
//
// Running a program, it creates the group, applies the limits, forks: the
// child joins the group and execs the program, the parent stays outside,
// forwards signals, and when the program ends kills whatever is left in the
// group and removes it on every hierarchy, then exits with the program's
// status. With --no-wait nothing stays: the process moves in and execs,
// and the group stays until --remove NAME. A group is rt-NAME below a
// parent, or (--path, or a group argument with a '/') exactly the cgroup
// path given, as an OCI cgroupsPath asks.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cgroup.hpp"
#include "cgroup_json.hpp"
#include "cgroup_limit_options.hpp"
#include "chain.hpp"
#include "format.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "process.hpp"

namespace {
using namespace rt;
namespace cg = rt::cgroup;

std::string opt_bytes(const std::optional<uint64_t>& v, const char* unlimited = "-") {
  if (!v) return "-";
  return *v == cg::kUnlimited ? unlimited : bytes_size(*v);
}

std::string opt_num(const std::optional<uint64_t>& v, const char* unlimited = "-") {
  if (!v) return "-";
  return *v == cg::kUnlimited ? unlimited : std::to_string(*v);
}

void print_stats_header() {
  std::printf("%-20s %7s %10s %23s %10s %11s %5s %16s %21s\n", "NAME", "CPU %", "CPU TIME", "MEM USAGE / LIMIT",
              "MEM PEAK", "PIDS", "OOM", "THROTTLED", "IO READ / WRITE");
}

void print_stats_line(const std::string& name, const cg::Stats& s, std::optional<double> pct) {
  char cpu[16] = "-", time[24] = "-", thr[40] = "-";
  if (pct) std::snprintf(cpu, sizeof cpu, "%.1f%%", *pct);
  if (s.cpu_usage_ns) std::snprintf(time, sizeof time, "%.2fs", static_cast<double>(*s.cpu_usage_ns) / 1e9);
  if (s.cpu_throttled_periods)
    std::snprintf(thr, sizeof thr, "%llu (%.2fs)", static_cast<unsigned long long>(*s.cpu_throttled_periods),
                  static_cast<double>(s.cpu_throttled_ns.value_or(0)) / 1e9);
  std::string mem = opt_bytes(s.memory_usage) + " / " + opt_bytes(s.memory_limit, "unlimited");
  std::string pids = opt_num(s.pids_current) + " / " + opt_num(s.pids_limit, "max");
  std::string io = opt_bytes(s.io_read_bytes) + " / " + opt_bytes(s.io_write_bytes);
  std::printf("%-20s %7s %10s %23s %10s %11s %5s %16s %21s\n", name.c_str(), cpu, time, mem.c_str(),
              opt_bytes(s.memory_peak).c_str(), pids.c_str(), opt_num(s.oom_kills).c_str(), thr, io.c_str());
  std::fflush(stdout);
}

cg::Group find_or_die(const cg::Host& host, const std::string& name, const std::string& parent) {
  auto g = cg::Group::find(host, name, parent);
  if (!g && cg::is_path(name)) die(str("no group at ", name, " in any hierarchy"));
  if (!g) {
    die(str("no group named ", name, " (no ", cg::kPrefix, name, " below ",
            parent.empty() ? std::string("the caller's cgroups") : parent, "; see --list)"));
  }
  return std::move(*g);
}

int do_stats(const cg::Host& host, const std::string& name, const std::string& parent, bool json,
             std::optional<int64_t> watch_ms) {
  cg::Group g = find_or_die(host, name, parent);
  int64_t interval = watch_ms.value_or(100);
  cg::Stats before = cg::read_stats(g);
  bool first = true;
  for (;;) {
    ::usleep(static_cast<useconds_t>(interval * 1000));
    cg::Stats now;
    try {
      now = cg::read_stats(g);
    } catch (const Error&) {
      if (!first) return 0;  // the group went away while watched
      throw;
    }
    auto pct = cg::cpu_percent(before, now);
    if (json) {
      std::printf("%s\n", cg::stats_json(name, now, pct, interval).c_str());
      std::fflush(stdout);
    } else {
      if (first) print_stats_header();
      print_stats_line(name, now, pct);
    }
    if (!watch_ms) return 0;
    first = false;
    before = now;
  }
}

int do_list(const cg::Host& host, const std::string& parent, bool json) {
  auto groups = cg::list(host, parent);
  if (json) {
    std::printf("%s\n", cg::list_json(groups).c_str());
    return 0;
  }
  std::printf("%-24s %-8s %9s  %s\n", "NAME", "STATE", "PROCESSES", "DIRECTORIES");
  for (const auto& l : groups)
    std::printf("%-24s %-8s %9zu  %s\n", l.name.c_str(),
                l.in_use      ? "running"
                : l.processes ? "orphaned"
                              : "stale",
                l.processes, join(l.dirs, " ").c_str());
  return 0;
}

int do_gc(const cg::Host& host, const std::string& parent, const std::string& only, bool json) {
  auto done = cg::gc(host, parent, only);
  if (json) {
    std::printf("%s\n", cg::gc_json(done).c_str());
  } else {
    for (const auto& c : done) {
      if (c.skipped.empty())
        std::printf("removed %s%s: %s\n", std::string(cg::kPrefix).c_str(), c.name.c_str(), join(c.dirs, " ").c_str());
      else std::printf("kept %s%s: %s\n", std::string(cg::kPrefix).c_str(), c.name.c_str(), c.skipped.c_str());
    }
  }
  std::fflush(stdout);
  if (!only.empty() && done.empty()) die(str("no group named ", only, " to collect"));
  for (const auto& c : done)
    if (!c.skipped.empty() && !only.empty()) return 1;
  return 0;
}

int do_info(const cg::Host& host, bool json) {
  if (json) {
    std::printf("%s\n", cg::host_json(host).c_str());
    return 0;
  }
  std::printf("cgroup %s%s%s\n", cg::mode_name(host.mode), host.fake() ? " (fake tree, RT_CGROUP_FS)" : "",
              host.hybrid_unified ? " (using the v2 hierarchy too, RT_CGROUP_UNIFIED)" : "");
  for (const auto& h : host.hierarchies)
    std::printf("%-2s %-16s %-28s %s\n", h.v2 ? "v2" : "v1", h.label().c_str(), h.mount.c_str(), h.self.c_str());
  return 0;
}

// Create the group, run the program in it, take the group down.
// An exact `path` replaces name and parent.
// The links after this one get the layout (RT_CGROUP_LAYOUT,
// cgroup_host.hpp) with the group as their cgroup wherever it has a part:
// rt-mount then reads no mount table to show the container its groups.
void hand_down(const cg::Host& host, const cg::Group& g) {
  cg::Host next = host;
  for (auto& h : next.hierarchies)
    for (const auto& p : g.parts)
      if (p.h.v2 == h.v2 && p.h.id == h.id) h.self = p.leaf == p.dir ? p.cg : p.cg + "/" + std::string(cg::kLeaf);
  cg::hand_down_layout(&next);
}

int do_run(const cg::Host& host, std::string name, const std::string& parent, const std::string& path,
           const cg::Limits& limits, char** prog) {
  // Signals wait (blocked) until the payload runs, then go to it: a SIGTERM
  // during set-up still ends in the clean-up below.
  SignalForwarder sigs;
  bool named = !name.empty() || !path.empty();
  if (!named) name = std::to_string(::getpid());
  std::optional<cg::Group> made;
  try {
    made.emplace(path.empty() ? cg::Group::create(host, name, parent, limits)
                              : cg::Group::create_at(host, path, limits));
  } catch (const cg::Exists&) {
    if (named) throw;
    // A stale group of a dead process that had our pid: take another name.
    name += "-" + std::to_string(log::now_us() % 1000000);
    made.emplace(cg::Group::create(host, name, parent, limits));
  }
  cg::Group& g = *made;
  hand_down(host, g);
  Pipe alive = make_pipe();
  // The child joins the group and execs the program. It runs in our
  // memory until it execs (vfork_child, see the rule in process.hpp): it
  // closes the pipe's ends by number, leaving our UniqueFds as they are,
  // and writes the files of a join planned here. What it did is logged
  // here once it has exec'd.
  cg::Group::Leaf leaf = g.v2_leaf();
  cg::Group::JoinPlan in_all = g.join_plan(false), but_v2 = g.join_plan(true);
  const cg::Group::JoinPlan* join = &but_v2;  // started in the v2 leaf already: join the rest
  // The child's report: when each write was done, when it got to its exec.
  std::vector<int64_t> moved_at(in_all.writes.size());
  int64_t exec_at = 0;
  auto body = [&]() noexcept -> int {
    ::close(alive.write.get());
    die_with_parent(alive.read.get());
    ::close(alive.read.get());
    sigs.restore();
    if (const auto* failed = join->run(moved_at.data())) {
      int e = errno;
      char pid[16];
      auto [end, ec] = std::to_chars(pid, pid + sizeof pid, ::getpid());
      vfork_die(
          e, kExitToolFailure,
          {"cannot move process ", std::string_view(pid, static_cast<size_t>(end - pid)), " into ", failed->leaf});
    }
    exec_at = log::now_us();
    vfork_exec(prog);
  };
  pid_t child = -1;
  if (leaf.fd) {
    child = vfork_child(body, leaf.fd.get());
    if (child < 0) {
      // An old kernel (ENOSYS, E2BIG), another architecture, or a group
      // that refuses it: move the child instead, which reports the real
      // error if there is one.
      log::debug("clone3 CLONE_INTO_CGROUP: ", std::strerror(errno), "; moving the child instead");
    } else {
      log::step("started ", child, " in ", leaf.path);
    }
    leaf.fd.reset();
  }
  if (child < 0) {
    join = &in_all;
    child = vfork_child(body);
  }
  if (child < 0) {
    int e = errno;
    g.remove();
    die_sys(e, "cannot fork");
  }
  if (exec_at) {
    for (size_t i = 0; i < join->writes.size(); ++i)
      log::step_at(moved_at[i], "moved ", child, " into ", join->writes[i].leaf);
    log::step_at(exec_at, "joined group ", g.name);
    log::step_at(exec_at, "exec ", prog[0], " in ", g.exact ? "" : cg::kPrefix, g.name);
  }
  alive.read.reset();
  ::signal(SIGPIPE, SIG_IGN);  // a closed stderr must not stop the clean-up
  int status = sigs.wait(child);
  int code = exit_code_from_wait(status);
  log::step("payload ", child, " ended, exit ", code);
  std::string err = g.remove();
  if (!err.empty()) warn(err);
  else log::step("removed group ", g.exact ? "" : cg::kPrefix, g.name);
  // Started by a rootless rt-run in its leaf (cgroup_leaf.hpp): left as
  // rt-run leaves it, so that the last of rt's processes there removes it.
  if (auto leaf = cg::RunLeaf::own(host)) leaf->leave();
  return code;
}

int run(int argc, char** argv) {
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("name", po::value<std::string>()->value_name("NAME"), "group name: the directory is rt-NAME (default: the pid)")
      ("parent", po::value<std::string>()->value_name("PATH"), "create the group below PATH in every hierarchy (default: the caller's cgroups)")
      ("path", po::value<std::string>()->value_name("CGPATH"), "create the group at exactly CGPATH instead of rt-NAME: absolute from each hierarchy's root, or relative (below the caller's cgroup; on v2 its parent's)");
  cg::add_limit_options(desc, cg::LimitTool::cgroup);
  desc.add_options()
      ("update", po::value<std::string>()->value_name("NAME"), "change the limits of the existing group NAME (or CGPATH) to those given")
      ("no-wait", po::bool_switch(), "create the group, move into it and exec PROGRAM in place: nothing stays to wait; the group stays until --remove NAME")
      ("join", po::value<std::string>()->value_name("NAME"), "move into the existing group NAME (or CGPATH: a value with a '/') and exec PROGRAM; limits given are set first")
      ("stats", po::value<std::string>()->value_name("NAME"), "print the statistics of group NAME (or CGPATH)")
      ("watch", po::value<std::string>()->value_name("SECONDS"), "with --stats: print them every SECONDS until the group goes")
      ("json", po::bool_switch(), "with --stats, --list, --gc, --info: JSON output")
      ("remove", po::value<std::string>()->value_name("NAME"), "kill everything in group NAME (or CGPATH) and remove it")
      ("gc", po::bool_switch(), "remove stale groups (no supervisor, no process)")
      ("list", po::bool_switch(), "list the rt groups")
      ("info", po::bool_switch(), "print the cgroup layout of this host");
  // clang-format on
  po::variables_map vm;
  int prog = parse_chain(argc, argv, desc, vm,
                         {"rt-cgroup [OPTIONS] [--] PROGRAM [ARGS...]\n"
                          "       rt-cgroup --stats NAME|CGPATH [--json] [--watch SECONDS] | --remove NAME|CGPATH | "
                          "--gc | --list | --info",
                          "Run PROGRAM in a cgroup of its own with limits; report, remove and collect groups.", false});

  // Which mode; each takes only its own options.
  int modes = vm.count("join") + vm.count("stats") + vm.count("remove") + vm.count("update") + flag(vm, "gc") +
              flag(vm, "list") + flag(vm, "info");
  if (modes > 1) die("give one of --join, --stats, --remove, --update, --gc, --list and --info");
  bool no_wait = flag(vm, "no-wait");
  if (no_wait && modes) die("--no-wait only applies when running a program in a new group");
  if (no_wait && !vm.count("name") && !vm.count("path"))
    die("--no-wait needs --name or --path (the group outlives this process: name it to remove it)");
  if (vm.count("path") && (vm.count("name") || vm.count("parent")))
    die("--path is the group's exact place: it takes neither --name nor --parent");
  bool has_prog = prog < argc;
  if (modes == 1 && !vm.count("update")) {
    if (!vm.count("join"))
      if (auto o = cg::first_limit_given(vm, cg::LimitTool::cgroup))
        die(str("--", *o, " only applies when running a program, with --join or with --update"));
    bool wants_prog = vm.count("join") > 0;
    if (has_prog && !wants_prog)
      die(str("unexpected program '", argv[prog], "' with ",
              vm.count("stats")    ? "--stats"
              : vm.count("remove") ? "--remove"
              : flag(vm, "gc")     ? "--gc"
              : flag(vm, "list")   ? "--list"
                                   : "--info"));
    if (!has_prog && wants_prog) die("--join needs a program to run");
    if (vm.count("name") && !flag(vm, "gc")) die("--name only applies when running a program, or with --gc");
    if (vm.count("path")) die("--path only applies when running a program (--join, --stats, --remove take a CGPATH)");
  } else if (vm.count("update")) {
    if (has_prog) die(str("unexpected program '", argv[prog], "' with --update"));
    if (vm.count("name")) die("--name only applies when running a program, or with --gc");
    if (vm.count("path")) die("--path only applies when running a program (--update takes a CGPATH)");
  } else if (!has_prog) {
    die("no program given (usage: rt-cgroup [OPTIONS] [--] PROGRAM [ARGS...]; see --help)");
  }
  if (vm.count("watch") && !vm.count("stats")) die("--watch only applies with --stats");
  if (flag(vm, "json") && !(vm.count("stats") || flag(vm, "list") || flag(vm, "gc") || flag(vm, "info")))
    die("--json only applies with --stats, --list, --gc or --info");

  // Validate every value before touching anything.
  std::string parent = cg::normalize_parent(opt<std::string>(vm, "parent"));
  std::string name = opt<std::string>(vm, "name");
  if (!name.empty()) cg::check_name(name);
  std::string path = vm.count("path") ? cg::normalize_path(opt<std::string>(vm, "path")) : "";
  for (const char* o : {"join", "stats", "remove", "update"}) {
    if (!vm.count(o)) continue;
    std::string v = opt<std::string>(vm, o);
    if (!cg::is_path(v)) {
      cg::check_name(v);
      continue;
    }
    cg::normalize_path(v, str("--", o));
    if (vm.count("parent")) die(str("--", o, " ", v, " is a cgroup path: it takes no --parent"));
  }
  std::optional<int64_t> watch_ms;
  if (vm.count("watch")) {
    watch_ms = parse_duration_ms(opt<std::string>(vm, "watch"), "--watch");
    if (*watch_ms < 10) die(str("invalid --watch '", opt<std::string>(vm, "watch"), "': at least 10ms"));
  }
  cg::Limits limits = cg::parse_limits(cg::limit_args(vm, cg::LimitTool::cgroup));

  cg::Host host = cg::detect();
  bool json = flag(vm, "json");
  if (vm.count("stats")) return do_stats(host, opt<std::string>(vm, "stats"), parent, json, watch_ms);
  if (flag(vm, "list")) return do_list(host, parent, json);
  if (flag(vm, "gc")) return do_gc(host, parent, name, json);
  if (flag(vm, "info")) return do_info(host, json);
  if (vm.count("update")) {
    if (!limits.any()) die("--update needs at least one limit to change");
    cg::Group g = find_or_die(host, opt<std::string>(vm, "update"), parent);
    g.update(limits);
    return 0;
  }
  if (vm.count("remove")) {
    cg::Group g = find_or_die(host, opt<std::string>(vm, "remove"), parent);
    std::string err = g.remove();
    if (!err.empty()) die(err);
    return 0;
  }
  if (vm.count("join")) {
    cg::Group g = find_or_die(host, opt<std::string>(vm, "join"), parent);
    // Limits first: a group someone else made (a systemd scope) gets
    // those its maker did not set; device rules too (it has none yet).
    std::vector<cg::DeviceRule> devices = std::move(limits.device_rules);
    limits.device_rules.clear();
    if (limits.any()) g.update(limits);
    g.set_devices(devices);
    g.join(0);
    hand_down(host, g);
    log::step("exec ", argv[prog]);
    exec_program(argv + prog);
  }
  if (no_wait) {
    // The group is made, then this process moves in and becomes PROGRAM.
    // A failure before the exec removes the group again.
    cg::Group g =
        path.empty() ? cg::Group::create(host, name, parent, limits) : cg::Group::create_at(host, path, limits);
    try {
      g.join(0);
      hand_down(host, g);
    } catch (...) {
      g.remove();
      throw;
    }
    log::step("exec ", argv[prog], " in ", g.exact ? "" : cg::kPrefix, g.name, " (nothing waits: the group stays)");
    exec_program(argv + prog);
  }
  return do_run(host, name, parent, path, limits, argv + prog);
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run, argc, argv); }
