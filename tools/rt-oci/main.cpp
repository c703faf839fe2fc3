// rt-oci: the OCI runtime command line (runc's) over a bundle, composing
// the rt chain. What containerd's runc shim and podman call.
//
//   rt-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug]
//          [--systemd-cgroup] [--explain] COMMAND [OPTIONS] [ID]
//
// create runs the chain (rt-oci --explain create prints it):
//   rt-cgroup --no-wait (the group stays; nothing waits)
//   rt-unshare --hand-over (the pid namespace's parent exits; the caller reaps)
//   rt-mount (the config's mounts in order)
//   rt-exec --ready-fd R --sync-fd S (signals "set up", waits for start)
// and returns once rt-exec is ready; no rt process stays. start writes the
// byte rt-exec waits for into the state directory's exec.fifo. The state,
// the cgroup and the FIFO are removed by delete.
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "format.hpp"
#include "log.hpp"
#include "parse.hpp"

namespace {
using namespace rt;
using namespace rt::oci;

const char* kUsage =
    "Usage: rt-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug] [--systemd-cgroup] [--explain]\n"
    "              COMMAND [OPTIONS] ID\n"
    "Run OCI bundles through the rt chain, with runc's command line.\n\n"
    "Commands:\n"
    "  create --bundle DIR [--pid-file F] [--console-socket PATH] [--no-pivot] [--no-new-keyring]\n"
    "         [--preserve-fds N] ID     set the container up; its process waits for start\n"
    "  start ID                          run the created container's process\n"
    "  run --bundle DIR [--detach] [--pid-file F] [--console-socket PATH] [--no-pivot] [--preserve-fds N] ID\n"
    "                                    create + start, and wait unless --detach\n"
    "  state ID                          the runtime-spec state as JSON\n"
    "  kill [--all] ID [SIGNAL]          send SIGNAL (name or number, default SIGTERM)\n"
    "  delete [--force] ID               remove a stopped container (--force: kill it first)\n"
    "  list [--format table|json] [--quiet]\n"
    "  ps [--format table|json] ID       the processes in the container's cgroup\n"
    "  exec [--process FILE] [--detach] [--pid-file F] [--console-socket PATH] [--tty] [--env K=V]\n"
    "       [--cwd DIR] [--user UID[:GID]] [--cap CAP] [--no-new-privs] [--preserve-fds N] ID [ARGS...]\n"
    "                                    run a process in a running container\n"
    "  pause ID, resume ID               freeze and thaw the container's cgroup\n"
    "  events [--interval D] [--stats] ID  stats every D (5s) and oom events until it stops; --stats: one reading\n"
    "  update [--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N]\n"
    "         [--kernel-memory-tcp N] [--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus L]\n"
    "         [--cpuset-mems L] [--pids-limit N] [--blkio-weight N] ID\n"
    "                                    change the limits of a container (rt-cgroup --update)\n"
    "  spec [--bundle DIR] [--rootless]  write a default config.json\n"
    "  features                          what rt-oci supports, as runtime-spec features JSON\n\n"
    "Global options:\n"
    "  --root DIR        state directory (default /run/rt-oci)\n"
    "  --log FILE        append messages to FILE\n"
    "  --log-format F    text or json (one object a line: level, msg, time)\n"
    "  --debug           log the chain's timeline (RT_LOG=debug)\n"
    "  --systemd-cgroup  cgroupsPath as SLICE:PREFIX:NAME, made at the path systemd would use (refused where systemd "
    "runs)\n"
    "  --explain         with create, run or update: print the chain (or rt-cgroup) as a shell command and exit\n"
    "  --help, --version\n";

int run_main(int argc, char** argv) {
  int i = 1;
  for (; i < argc; ++i) {
    std::string w = argv[i];
    auto value = [&](const char* name) -> std::string {
      std::string n = str("--", name);
      if (w == n || w == "-" + n.substr(2)) {
        if (i + 1 >= argc) fail(str(n, " needs a value"));
        return argv[++i];
      }
      return w.substr(n.size() + 1);
    };
    auto is = [&](const char* name) {
      std::string n = str("--", name);
      return w == n || w == "-" + n.substr(2) || starts_with(w, n + "=");
    };
    if (is("root")) g_opts.root = value("root");
    else if (is("log")) g_opts.log_file = value("log");
    else if (is("log-format")) g_opts.log_format = value("log-format");
    else if (is("rootless") || is("criu")) value(w.find("criu") != std::string::npos ? "criu" : "rootless");
    else if (w == "--debug") g_opts.debug = true;
    else if (w == "--systemd-cgroup") g_opts.systemd_cgroup = true;
    else if (w == "--explain") g_opts.explain = true;
    else if (w == "--help" || w == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (w == "--version" || w == "-v") {
      std::printf("rt-oci version %s\nspec: 1.0.2\n", RT_VERSION);
      return 0;
    } else if (starts_with(w, "-")) {
      fail(str("unknown option '", w, "' (see rt-oci --help)"));
    } else {
      break;
    }
  }
  if (g_opts.log_format != "text" && g_opts.log_format != "json")
    fail(str("invalid --log-format '", g_opts.log_format, "': expected text or json"));
  if (g_opts.debug) log::set_level(log::Level::debug, true);
  if (i >= argc) fail("no command given (see rt-oci --help)");
  std::string cmd = argv[i];
  std::vector<std::string> rest(argv + i + 1, argv + argc);
  const std::vector<std::string> create_vals = {"bundle", "pid-file", "console-socket", "preserve-fds"};
  const std::vector<std::string> create_sw = {"no-pivot", "no-new-keyring", "detach"};
  if (g_opts.explain && cmd != "create" && cmd != "run" && cmd != "update")
    fail("--explain applies to create, run and update");
  if (cmd == "create" || cmd == "run") {
    auto sw = create_sw;
    if (cmd == "create") sw.pop_back();
    Args a = parse_args(rest, cmd, create_vals, sw, {{"-b", "--bundle"}, {"-d", "--detach"}});
    std::string id = one_id(a, cmd);
    if (g_opts.explain) {
      do_create(a, id, true);
      return 0;
    }
    if (cmd == "run") return do_run(a, id);
    do_create(a, id, false);
    return 0;
  }
  if (cmd == "start") {
    do_start(one_id(parse_args(rest, cmd, {}, {}), cmd));
  } else if (cmd == "state") {
    print_state(one_id(parse_args(rest, cmd, {}, {}), cmd));
  } else if (cmd == "kill") {
    do_kill(parse_args(rest, cmd, {}, {"all"}, {{"-a", "--all"}}));
  } else if (cmd == "delete") {
    do_delete(parse_args(rest, cmd, {}, {"force"}, {{"-f", "--force"}}));
  } else if (cmd == "list") {
    Args a = parse_args(rest, cmd, {"format"}, {"quiet"}, {{"-f", "--format"}, {"-q", "--quiet"}});
    if (!a.words.empty()) fail(str("list: unexpected argument '", a.words[0], "'"));
    do_list(a);
  } else if (cmd == "exec") {
    return do_exec(parse_args(rest, cmd,
                              {"process", "pid-file", "console-socket", "env", "cwd", "user", "cap", "preserve-fds",
                               "process-label", "apparmor"},
                              {"detach", "tty", "no-new-privs"},
                              {{"-p", "--process"},
                               {"-d", "--detach"},
                               {"-t", "--tty"},
                               {"-e", "--env"},
                               {"-u", "--user"},
                               {"-c", "--cap"}}));
  } else if (cmd == "spec") {
    Args a = parse_args(rest, cmd, {"bundle"}, {"rootless"}, {{"-b", "--bundle"}});
    if (!a.words.empty()) fail(str("spec: unexpected argument '", a.words[0], "'"));
    do_spec(a);
  } else if (cmd == "features") {
    do_features();
  } else if (cmd == "events") {
    do_events(parse_args(rest, cmd, {"interval"}, {"stats"}));
  } else if (cmd == "update") {
    return do_update(
        parse_args(rest, cmd,
                   {"resources", "memory", "memory-swap", "memory-reservation", "kernel-memory", "kernel-memory-tcp",
                    "cpu-shares", "cpu-quota", "cpu-period", "cpuset-cpus", "cpuset-mems", "pids-limit", "blkio-weight",
                    "cpu-rt-period", "cpu-rt-runtime", "l3-cache-schema", "mem-bw-schema"},
                   {}, {{"-r", "--resources"}}));
  } else if (cmd == "pause" || cmd == "resume") {
    do_freeze(parse_args(rest, cmd, {}, {}), cmd == "pause");
  } else if (cmd == "ps") {
    do_ps(parse_args(rest, cmd, {"format"}, {}, {{"-f", "--format"}}));
  } else {
    fail(str("unknown command '", cmd, "' (see rt-oci --help)"));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Every failure also goes to --log, where the engines look for it.
  try {
    return run_main(argc, argv);
  } catch (const rt::Error& e) {
    log_line("error", e.what());
    rt::die(e.what(), e.status());
  } catch (const std::exception& e) {
    log_line("error", e.what());
    rt::die(e.what());
  }
}
