// rt-exec: the last link of the chain. Set the payload's identity,
// privileges, limits, environment and working directory, then exec it.
//
//   rt-exec [--user U[:G]] [--groups LIST] [--caps SET] [--cap-drop LIST]
//           [--cap-add LIST] [--no-new-privs] [--seccomp FILE|default|unconfined]
//           [--rlimit NAME=SOFT[:HARD]]... [--env K=V]... [--env-file FILE]...
//           [--env-fd N]...
//           [--clear-env] [--workdir DIR] [--preserve-fds N] [--setsid] [--umask MODE]
//           [--oom-score-adj N] [--personality LINUX|LINUX32]
//           [--console-socket-fd FD [--console-size COLSxROWS] [--bind-console]]
//           [--ready-fd FD] [--sync-fd FD] [--init] [--] PROGRAM [ARGS...]
//   rt-exec --print-default-seccomp
//
// Everything is parsed and checked first (users, groups, capability names,
// limits, env files, the seccomp profile), so bad input changes nothing.
// Then, in this order: the terminal of --console-socket-fd, session, oom_score_adj, umask, personality, rlimits,
// no_new_privs, seccomp when no_new_privs is off (it needs CAP_SYS_ADMIN), bounding set, groups and ids, capabilities,
// working directory, close-on-exec for the fds, seccomp when no_new_privs
// is on (as late as possible), the ready byte, the wait for the go-ahead,
// exec; with --init, fork first and stay as the program's init, under all
// of the above.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdio>

#include "chain.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "init.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "passwd.hpp"
#include "process.hpp"
#include "seccomp.hpp"
#include "steps.hpp"
#include "terminal.hpp"

namespace {
using namespace rt;
using strings = std::vector<std::string>;

// An fd handed down by number: open, and never passed on to the program.
int handed_fd(const po::variables_map& vm, const char* name) {
  int fd = opt<int>(vm, name, -1);
  if (vm.count(name) && (fd < 3 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0))
    die(str("--", name, " ", fd, ": not an open file descriptor above 2"));
  return fd;
}

seccomp::Filter make_filter(const std::string& spec, caps::Set bounding) {
  if (spec.empty() || spec == "unconfined") return {};
  if (spec == "default") return seccomp::default_profile(bounding);
  return seccomp::from_file(spec, bounding);
}

int run(int argc, char** argv) {
  // The cgroup layout handed down the chain (RT_CGROUP_LAYOUT: rt-run and
  // rt-cgroup set it for the links after them, cgroup_host.hpp) ends here:
  // the payload, and whatever it starts, never inherits it.
  ::unsetenv("RT_CGROUP_LAYOUT");
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("user", po::value<std::string>()->value_name("USER[:GROUP]"), "run as USER (name or uid) and GROUP (name or gid), resolved in the current root's /etc/passwd and /etc/group")
      ("groups", po::value<std::string>()->value_name("LIST"), "supplementary groups, names or gids separated by commas ('' for none); default with --user: the user's groups in /etc/group")
      ("caps", po::value<std::string>()->value_name("SET"), "base capability set: a list of names, ALL, docker or none (default: the current bounding set)")
      ("cap-drop", po::value<strings>()->composing()->value_name("LIST"), "drop capabilities from the base set (names or ALL); repeatable")
      ("cap-add", po::value<strings>()->composing()->value_name("LIST"), "add capabilities after the drops (names or ALL); repeatable")
      ("cap-inheritable", po::value<std::string>()->value_name("LIST"), "the inheritable set (names or ALL, within the bounding set; default: empty, or the ambient set)")
      ("cap-ambient", po::value<std::string>()->value_name("LIST"), "the ambient set (names or ALL, within the bounding set; also for root), replacing what --cap-add raises")
      ("no-new-privs", po::bool_switch(), "set no_new_privs: execve can never grant privileges again")
      ("seccomp", po::value<std::string>()->value_name("PROFILE"), "seccomp filter: a docker/OCI JSON profile FILE, default (rt's built-in profile) or unconfined")
      ("print-default-seccomp", po::bool_switch(), "print the built-in default profile as a docker JSON profile and exit")
      ("rlimit", po::value<strings>()->composing()->value_name("NAME=SOFT[:HARD]"), "set a resource limit (nofile, nproc, core, ...; unlimited); repeatable")
      ("env", po::value<strings>()->composing()->value_name("K=V"), "set K to V (K alone: copy K from this environment); repeatable")
      ("env-file", po::value<strings>()->composing()->value_name("FILE"), "read K=V lines from FILE (docker's --env-file format); repeatable")
      ("env-fd", po::value<strings>()->composing()->value_name("N"), "read NUL-separated K=V entries (the format of /proc/PID/environ, env -0) from fd N, then close it; repeatable")
      ("clear-env", po::bool_switch(), "start from an empty environment instead of this one")
      ("workdir", po::value<std::string>()->value_name("DIR"), "change to DIR (it must exist)")
      ("preserve-fds", po::value<std::string>()->value_name("N"), "keep fds 3 to 2+N open in the program (default 0: only stdin, stdout, stderr)")
      ("setsid", po::bool_switch(), "start a session of its own; a terminal on stdin becomes its controlling terminal")
      ("umask", po::value<std::string>()->value_name("MODE"), "set the file mode creation mask (octal, e.g. 022)")
      ("oom-score-adj", po::value<int>()->value_name("N"), "set the OOM killer's score adjustment, -1000..1000")
      ("personality", po::value<std::string>()->value_name("DOMAIN"), "execution domain: LINUX, or LINUX32 (uname -m reports a 32-bit machine, as setarch linux32)")
      ("console-socket-fd", po::value<int>()->value_name("FD"), "first: a pty of the root's devpts (/dev/ptmx); its master is sent over the connected unix socket FD (SCM_RIGHTS, as runc's console socket), its other end becomes stdin, stdout and stderr")
      ("console-size", po::value<std::string>()->value_name("COLSxROWS"), "with --console-socket-fd: the terminal's window size")
      ("bind-console", po::bool_switch(), "with --console-socket-fd: bind the terminal on /dev/console too (a container's init, as runc)")
      ("ready-fd", po::value<int>()->value_name("FD"), "once everything is set up, write one byte on fd FD and close it (tells a caller the program is about to run)")
      ("sync-fd", po::value<int>()->value_name("FD"), "as the very last step, wait for one byte on fd FD, then exec (a caller's go-ahead: rt-oci start)")
      ("init", po::bool_switch(), "stay as a minimal init (reaps zombies, forwards signals) with the program as its child; the init has every limit above");
  // clang-format on
  po::variables_map vm;
  int prog = parse_chain(argc, argv, desc, vm,
                         {"rt-exec [OPTIONS] [--] PROGRAM [ARGS...]",
                          "Set the program's user, capabilities, seccomp filter, limits, environment and working "
                          "directory, then exec it.",
                          false});
  if (flag(vm, "print-default-seccomp")) {
    std::fputs(seccomp::default_profile_json().c_str(), stdout);
    if (std::fflush(stdout) != 0) die_errno("cannot write the profile");
    return 0;
  }
  if (prog >= argc) die("no program given (usage: rt-exec [OPTIONS] [--] PROGRAM [ARGS...])");

  // 1. Work everything out before changing anything.
  exec::Privileges privs;
  if (vm.count("user")) privs.user = resolve_user(opt<std::string>(vm, "user"));
  if (vm.count("groups")) privs.groups = resolve_groups(opt<std::string>(vm, "groups"));
  exec::plan_caps(privs, vm.count("caps") ? std::optional(opt<std::string>(vm, "caps")) : std::nullopt,
                  opts<std::string>(vm, "cap-add"), opts<std::string>(vm, "cap-drop"));
  if (vm.count("cap-inheritable") || vm.count("cap-ambient")) {
    if (!privs.set_caps) die("--cap-inheritable and --cap-ambient need --caps, --cap-add or --cap-drop");
    try {
      exec::set_extra_caps(
          privs, vm.count("cap-inheritable") ? std::optional(opt<std::string>(vm, "cap-inheritable")) : std::nullopt,
          vm.count("cap-ambient") ? std::optional(opt<std::string>(vm, "cap-ambient")) : std::nullopt);
    } catch (const Error& e) {
      die(e.what());
    }
  }

  std::vector<Rlimit> limits;
  for (const auto& r : opts<std::string>(vm, "rlimit")) limits.push_back(parse_rlimit(r));

  std::vector<int> env_fds;
  for (const auto& n : opts<std::string>(vm, "env-fd"))
    env_fds.push_back(static_cast<int>(parse_uint(n, "--env-fd", INT_MAX)));
  exec::Environment env = exec::build_env(
      {flag(vm, "clear-env"), opts<std::string>(vm, "env-file"), env_fds, opts<std::string>(vm, "env")});
  // HOME: the target user's, unless --env/--env-file gave one (or, without
  // --user, this environment has one).
  if (privs.user ? !env.given("HOME") : !env.get("HOME"))
    env.set("HOME", privs.user ? privs.user->home : home_of(::geteuid()));
  if (!env.get("PATH")) env.set("PATH", kDefaultPath);

  unsigned keep_fds =
      static_cast<unsigned>(parse_uint(opt<std::string>(vm, "preserve-fds", "0"), "--preserve-fds", INT_MAX - 3));
  std::string workdir = opt<std::string>(vm, "workdir");
  if (vm.count("workdir") && workdir.empty()) die("invalid --workdir '': expected a directory");

  bool new_session = flag(vm, "setsid");
  std::optional<mode_t> umask_value;
  if (vm.count("umask")) {
    std::string m = opt<std::string>(vm, "umask");
    unsigned long v = 0;
    for (char ch : m) v = ch >= '0' && ch <= '7' && v <= 0777 ? v * 8 + static_cast<unsigned long>(ch - '0') : ~0UL;
    if (m.empty() || v > 0777) die(str("invalid --umask '", m, "': expected an octal mode, 0 to 777"));
    umask_value = static_cast<mode_t>(v);
  }
  std::optional<int> oom_adj;
  if (vm.count("oom-score-adj")) {
    oom_adj = opt<int>(vm, "oom-score-adj");
    if (*oom_adj < -1000 || *oom_adj > 1000) die(str("invalid --oom-score-adj ", *oom_adj, ": expected -1000..1000"));
  }
  std::optional<unsigned long> persona;
  if (vm.count("personality")) {
    std::string d = opt<std::string>(vm, "personality");
    if (d == "LINUX") persona = PER_LINUX;
    else if (d == "LINUX32") persona = PER_LINUX32;
    else die(str("invalid --personality '", d, "': expected LINUX or LINUX32"));
  }
  int console_fd = handed_fd(vm, "console-socket-fd");
  std::optional<winsize> console_size;
  if (vm.count("console-size")) {
    std::string v = opt<std::string>(vm, "console-size");
    auto x = v.find('x');
    if (x == std::string::npos) die(str("invalid --console-size '", v, "': expected COLSxROWS, e.g. 80x24"));
    winsize ws{};
    ws.ws_col = static_cast<unsigned short>(parse_uint(v.substr(0, x), "--console-size columns", 65535));
    ws.ws_row = static_cast<unsigned short>(parse_uint(v.substr(x + 1), "--console-size rows", 65535));
    console_size = ws;
  }
  if ((console_size || flag(vm, "bind-console")) && console_fd < 0)
    die("--console-size and --bind-console need --console-socket-fd");
  int ready_fd = handed_fd(vm, "ready-fd"), sync_fd = handed_fd(vm, "sync-fd");
  if (ready_fd >= 0 && ready_fd == sync_fd) die("--ready-fd and --sync-fd must be different fds");

  bool nnp = flag(vm, "no-new-privs");
  if (vm.count("seccomp") && opt<std::string>(vm, "seccomp").empty())
    die("invalid --seccomp '': expected a profile FILE, default or unconfined");
  seccomp::Filter filter = make_filter(opt<std::string>(vm, "seccomp"), exec::holdable_caps(privs, nnp));
  log::step("checked options");

  // 2. Apply, in the documented order.
  if (console_fd >= 0) exec::attach_console(UniqueFd(console_fd), console_size, flag(vm, "bind-console"));
  if (new_session) {
    if (::setsid() < 0 && errno != EPERM) die_errno("cannot start a session");  // EPERM: leads one already
    if (::isatty(STDIN_FILENO) && ::ioctl(STDIN_FILENO, TIOCSCTTY, 0) != 0)
      die_errno("cannot make the terminal on stdin the controlling terminal");
    log::step("new session", ::isatty(STDIN_FILENO) ? " with the terminal on stdin" : "");
  }
  if (oom_adj) {
    std::string v = std::to_string(*oom_adj);
    if (std::error_code ec = write_file("/proc/self/oom_score_adj", v))
      die_sys(ec.value(), str("cannot set oom_score_adj to ", v));
  }
  if (umask_value) ::umask(*umask_value);
  if (persona) {
    if (::personality(*persona) < 0) die_errno(str("cannot set the personality ", opt<std::string>(vm, "personality")));
    log::step("personality ", opt<std::string>(vm, "personality"));
  }
  for (const auto& l : limits) exec::apply_rlimit(l);
  if (nnp) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die_errno("cannot set no_new_privs");
    log::step("no_new_privs set");
  }
  if (filter && !nnp) {
    filter.load();  // while CAP_SYS_ADMIN is still there
    log::step("seccomp filter loaded (", filter.rules(), " rules)");
  }
  exec::apply_privileges(privs);
  if (!workdir.empty()) exec::change_dir(workdir);
  exec::cloexec_from(3 + keep_fds);
  if (filter && nnp) {
    filter.load();
    log::step("seccomp filter loaded (", filter.rules(), " rules)");
  }

  std::string path = env.get("PATH");
  auto envp = env.envp();
  auto ready_and_go = [&] {
    if (ready_fd >= 0) {
      UniqueFd ready(ready_fd);
      send_go(ready, "the caller on --ready-fd");
      log::step("ready fd ", ready_fd, ": sent");
    }
    if (sync_fd >= 0) {
      if (!wait_go(sync_fd)) throw Error(str("sync fd ", sync_fd, " was closed before the go-ahead byte"));
      ::close(sync_fd);
      log::step("sync fd ", sync_fd, ": go");
    }
  };
  // With --init, "ready" once the init holds the signals it forwards.
  if (flag(vm, "init")) exec::run_init(argv + prog, envp.data(), path.c_str(), ready_and_go);
  ready_and_go();
  log::step("exec ", argv[prog]);
  exec_program_env(argv + prog, envp.data(), path.c_str());
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run, argc, argv); }
