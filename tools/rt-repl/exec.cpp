// exec: run a command inside a running container. The child joins the
// container's cgroup, then execs the chain ops::exec_argv builds
// (rt-unshare --join ... -- rt-exec ... -- CMD); with -t it gets a pty of
// its own, which this process relays to the terminal, as rt-run does; with
// -d it runs in the background, detached from rt-repl.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>

#include "chain.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "process.hpp"
#include "relay.hpp"
#include "repl.hpp"
#include "terminal.hpp"

namespace rt::repl {

void opts_exec(po::options_description& d) {
  using strings = std::vector<std::string>;
  // clang-format off
  d.add_options()
      ("detach,d", po::bool_switch(), "start the command in the background and return")
      ("interactive,i", po::bool_switch(), "keep stdin attached")
      ("tty,t", po::bool_switch(), "give the command a terminal (pseudo-tty)")
      ("user,u", po::value<std::string>()->value_name("USER[:GROUP]"), "user (name or uid) and group to run as")
      ("env,e", po::value<strings>()->composing()->value_name("K=V"), "set an environment variable; repeatable")
      ("workdir,w", po::value<std::string>()->value_name("DIR"), "working directory inside the container");
  // clang-format on
}

namespace {

// The fd the chain's rt-exec reads the environment from (as rt-run's).
constexpr int kExecEnvFd = 6;

// Relay the command's pty or pipes (common/relay.hpp) until it exits and
// its output is drained, passing Ctrl-C on (the command has a session of
// its own, so the terminal's SIGINT reaches only rt-repl; with -it the
// terminal is raw and Ctrl-C is a byte for the pty). SIGWINCH and SIGPIPE
// arrive through `sigfd`. Returns the wait status.
int relay_until_exit(Relay& relay, int sigfd, pid_t child) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));
  if (!pidfd) throw_errno(str("cannot open a pidfd for process ", child));
  bool exited = false;
  for (;;) {
    if (exited && !relay.output_open()) break;
    std::vector<pollfd> p{{sigfd, POLLIN, 0}};
    if (!exited) p.push_back({pidfd.get(), POLLIN, 0});
    size_t first_io = p.size();
    relay.add_to_poll(p);
    int r = ::poll(p.data(), p.size(), exited ? 200 : -1);
    if (r < 0) {
      if (errno != EINTR) throw_errno("cannot wait for the command (poll)");
      if (interrupted()) {
        ::kill(child, SIGINT);
        clear_interrupt();
      }
      continue;
    }
    if (r == 0) break;  // exited and drained (or a leftover holder of the pty)
    if (p[0].revents) {
      signalfd_siginfo si;
      while (::read(sigfd, &si, sizeof si) == sizeof si)
        if (si.ssi_signo == SIGWINCH && relay.pty() >= 0) copy_winsize(STDIN_FILENO, relay.pty());
    }
    if (!exited && p[1].revents) exited = true;
    for (size_t i = first_io; i < p.size(); ++i)
      if (p[i].revents) relay.handle(p[i].fd);
  }
  return wait_child(child);
}

// A pty of the container's own devpts, so that the command finds its
// terminal there (ttyname, /dev/pts/N) as with docker exec -t. The
// container owns the path /dev/ptmx (its /dev is writable), so it is
// resolved inside the container's root with no magic link, must be the
// devpts ptmx (5:2 on a devpts) before it is opened, and is then opened
// through that fd, never by path again; the slave by TIOCGPTPEER (no path
// at all). Without such a ptmx (none yet, or something planted), one of
// the host's.
struct Pty {
  UniqueFd master, slave;
  std::string slave_path;  // the host's pty
};

Pty container_pty(const ops::Handle& h) {
  Pty p;
  UniqueFd root(::openat(h.proc.get(), "root", O_PATH | O_DIRECTORY | O_CLOEXEC));
  DevptsPty d = root ? open_devpts_pty(root.get()) : DevptsPty{};
  if (d.master) {
    p.master = std::move(d.master);
    p.slave = std::move(d.slave);
    return p;
  }
  log::info("the container's /dev/ptmx is not its devpts ptmx: the command gets a pty of the host's");
  p.master = open_pty(p.slave_path);
  return p;
}

// In the child (inside run_child): a session of its own with the pty as
// controlling terminal and stdio. Throws rt::Error.
void attach(const Pty& p) {
  if (!p.slave) {
    attach_to_pty(p.slave_path);
    return;
  }
  if (::setsid() < 0 || ::ioctl(p.slave.get(), TIOCSCTTY, 0) != 0) throw_errno("cannot attach the terminal");
  for (int i = 0; i < 3; ++i)
    if (::dup2(p.slave.get(), i) < 0) throw_errno("cannot attach the terminal");
}

}  // namespace

int cmd_exec(Env& env, const Parsed& p) {
  if (p.operands.size() < 2)
    throw Error("expected a container and a command (usage: exec [OPTIONS] CONTAINER COMMAND [ARG...])");
  ops::ExecOptions o;
  o.command.assign(p.operands.begin() + 1, p.operands.end());
  o.env = p.get<Words>("env");
  o.user = p.get<std::string>("user");
  o.workdir = p.get<std::string>("workdir");
  o.tty = p.has("tty");
  o.interactive = p.has("interactive") && !env.script;
  bool detach = p.has("detach");
  if (detach && (o.tty || p.has("interactive"))) throw Error("-d cannot be combined with -i or -t");
  if (o.tty && o.interactive && !::isatty(STDIN_FILENO)) throw Error("the input device is not a TTY (drop -t)");
  ContainerState c = env.ctx.store.resolve(p.operands[0]);
  // The container's namespaces through a pidfd-checked handle, never a
  // /proc/PID path that a recycled pid could make another process's.
  ops::Handle handle = ops::open_container(c);
  // A seccomp profile of the container's own: the copy rt-run kept.
  UniqueFd seccomp = ops::kept_seccomp_profile(env.ctx, c);
  o.seccomp_fd = seccomp.get();
  // The environment reaches rt-exec through a memfd, never the argv.
  o.env_fd = kExecEnvFd;
  Words argv_s = ops::exec_argv(env.ctx, c, handle, o);
  UniqueFd env_fd(::fcntl(env_memfd(ops::exec_env(c, o)).get(), F_DUPFD_CLOEXEC, 10));
  if (!env_fd) throw_errno("cannot duplicate an fd");
  auto group = ops::container_group(c);

  // The command's terminal: a pty of its own (-t), or pipes in place of
  // the caller's terminal fds, as rt-run's: it can neither read what is
  // typed (beyond what -i relays) nor change the terminal's modes.
  Pty pty;
  Relay relay;
  Relay::ChildStdio child_io;
  if (o.tty) {
    pty = container_pty(handle);
    if (::isatty(STDIN_FILENO)) copy_winsize(STDIN_FILENO, pty.master.get());
    relay.set_pty(pty.master.get(), o.interactive);
  } else if (!detach) {
    child_io = relay.pipes_for_terminals(o.interactive);
  }
  // SIGWINCH and SIGPIPE (a relay writing to a command that is gone)
  // through a signalfd while the command runs; the child gets the mask
  // back before exec.
  sigset_t sigs, old;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGWINCH);
  sigaddset(&sigs, SIGPIPE);
  sigprocmask(SIG_BLOCK, &sigs, &old);
  UniqueFd sigfd(::signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK));
  struct Restore {
    sigset_t m;
    int fd;
    ~Restore() {
      // A SIGPIPE still pending would kill rt-repl once unblocked.
      signalfd_siginfo si;
      if (fd >= 0)
        while (::read(fd, &si, sizeof si) == sizeof si) {
        }
      sigprocmask(SIG_SETMASK, &m, nullptr);
    }
  } restore{old, sigfd.get()};
  if (!sigfd) throw_errno("cannot create a signalfd");

  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("cannot fork");
  if (pid == 0)
    run_child([&]() -> int {
      sigprocmask(SIG_SETMASK, &old, nullptr);
      try {
        if (group) group->join(0);
      } catch (const Error& e) {
        // Rootless: cgroup v2 lets a user move a process only within the
        // subtree delegated to them, and rt-repl may run outside it (a
        // terminal's session scope, the container's group in another scope).
        bool outside = ::geteuid() != 0 && (e.err() == EACCES || e.err() == EPERM);
        if (!outside) {
          print_error(str(env.prefix, e.what()));
          _exit(kExitToolFailure);
        }
        warn(str(env.prefix, "the command runs in your own cgroup, not the container's (", e.what(),
                 ": a user may move a process only within the cgroup subtree delegated to them, and rt-repl runs "
                 "outside it; run it from there to join)"));
      }
      if (detach) {
        // A session of its own, no stdio, and not our child: the middle
        // process exits at once, so the command outlives rt-repl.
        pid_t g = ::setsid() < 0 ? -1 : ::fork();
        if (g < 0) {
          print_error(str(env.prefix, "cannot start the command in the background: ", std::strerror(errno)));
          _exit(kExitToolFailure);
        }
        if (g > 0) _exit(0);
        if (int null = ::open("/dev/null", O_RDWR | O_CLOEXEC); null >= 0)
          for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
        if (::chdir("/") != 0) _exit(kExitToolFailure);  // hold no directory of rt-repl's
      } else if (o.tty) {
        attach(pty);
      } else {
        for (const auto& [from, to] : {std::pair{&child_io.in, 0}, {&child_io.out, 1}, {&child_io.err, 2}})
          if (*from && ::dup2(from->get(), to) < 0) throw_errno("cannot set up the command's standard streams");
        // No controlling terminal, as rt-run's payload: the caller's
        // terminal is never the command's (no TIOCSTI into the caller's
        // shell); Ctrl-C reaches rt-repl, which passes it on.
        if (::setsid() < 0) throw_errno("cannot start a new session for the command");
      }
      if (::dup2(env_fd.get(), kExecEnvFd) < 0) throw_errno("cannot pass the environment to rt-exec");
      for (const auto& [ns, fd] : handle.ns)
        if (::fcntl(fd.get(), F_SETFD, 0) != 0) throw_errno("cannot pass a namespace to rt-unshare");
      if (seccomp && ::fcntl(seccomp.get(), F_SETFD, 0) != 0) throw_errno("cannot pass the seccomp profile to rt-exec");
      exec_program(argv.data());
    });
  pty.slave.reset();
  env_fd.reset();
  child_io = {};
  std::optional<RawTerminal> raw;
  if (o.tty && o.interactive) raw.emplace(STDIN_FILENO);
  try {
    return exit_code_from_wait(relay_until_exit(relay, sigfd.get(), pid));
  } catch (...) {
    ::kill(pid, SIGKILL);  // not left running unseen
    ::waitpid(pid, nullptr, 0);
    throw;
  }
}

}  // namespace rt::repl
