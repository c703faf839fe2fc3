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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <optional>

#include "chain.hpp"
#include "error.hpp"
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

// Relay between the terminal and the pty master until the child exits and
// its output is drained. SIGWINCH arrives through `sigfd`.
void relay(int master, bool input, int pidfd, int sigfd, pid_t child) {
  bool in_open = input;
  bool exited = false;
  for (;;) {
    pollfd p[4];
    nfds_t n = 0;
    p[n++] = {master, POLLIN, 0};
    p[n++] = {sigfd, POLLIN, 0};
    if (!exited) p[n++] = {pidfd, POLLIN, 0};
    if (in_open) p[n++] = {STDIN_FILENO, POLLIN, 0};
    int r = ::poll(p, n, exited ? 200 : -1);
    if (r < 0) {
      if (errno != EINTR) return;
      // Ctrl-C with -t but no -i: the terminal is not raw and the command
      // has a session of its own, so pass it on.
      if (interrupted()) {
        ::kill(child, SIGINT);
        clear_interrupt();
      }
      continue;
    }
    if (r == 0) return;  // exited and drained
    for (nfds_t i = 0; i < n; ++i) {
      if (!p[i].revents) continue;
      if (p[i].fd == sigfd) {
        signalfd_siginfo si;
        while (::read(sigfd, &si, sizeof si) == sizeof si) copy_winsize(STDIN_FILENO, master);
      } else if (p[i].fd == pidfd) {
        exited = true;
      } else {
        char buf[16384];
        ssize_t got = ::read(p[i].fd, buf, sizeof buf);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (p[i].fd == STDIN_FILENO) {
          if (got <= 0) in_open = false;
          else write_all(master, buf, static_cast<size_t>(got));
        } else {
          if (got <= 0) return;  // EIO: every holder of the slave is gone
          write_all(STDOUT_FILENO, buf, static_cast<size_t>(got));
        }
      }
    }
  }
}

// A pty of the container's own devpts, so that the command finds its
// terminal there (ttyname, /dev/pts/N) as with docker exec -t: the master
// through /proc/PID/root/dev/ptmx, the slave by TIOCGPTPEER (no path to
// resolve). Without a devpts in the container, one of the host's.
struct Pty {
  UniqueFd master, slave;
  std::string slave_path;  // the host's pty
};

Pty container_pty(pid_t pid) {
  Pty p;
  UniqueFd m(::open(str("/proc/", pid, "/root/dev/ptmx").c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  int unlock = 0;
  if (m && ::ioctl(m.get(), TIOCSPTLCK, &unlock) == 0) {
    int s = ::ioctl(m.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s >= 0) {
      p.master = std::move(m);
      p.slave = UniqueFd(s);
      return p;
    }
  }
  p.master = open_pty(p.slave_path);
  return p;
}

// In the child: a session of its own with the pty as controlling terminal
// and stdio.
void attach(const Pty& p) {
  if (!p.slave) {
    attach_to_pty(p.slave_path);
    return;
  }
  if (::setsid() < 0 || ::ioctl(p.slave.get(), TIOCSCTTY, 0) != 0) die_errno("cannot attach the terminal");
  for (int i = 0; i < 3; ++i)
    if (::dup2(p.slave.get(), i) < 0) die_errno("cannot attach the terminal");
}

}  // namespace

int cmd_exec(Env& env, const Parsed& p) {
  if (p.operands.size() < 2)
    throw Failure("expected a container and a command (usage: exec [OPTIONS] CONTAINER COMMAND [ARG...])");
  ops::ExecOptions o;
  o.command.assign(p.operands.begin() + 1, p.operands.end());
  o.env = p.get<Words>("env");
  o.user = p.get<std::string>("user");
  o.workdir = p.get<std::string>("workdir");
  o.tty = p.has("tty");
  o.interactive = p.has("interactive") && !env.script;
  bool detach = p.has("detach");
  if (detach && (o.tty || p.has("interactive"))) throw Failure("-d cannot be combined with -i or -t");
  if (o.tty && o.interactive && !::isatty(STDIN_FILENO)) throw Failure("the input device is not a TTY (drop -t)");
  ContainerState c = env.ctx.store.resolve(p.operands[0]);
  Words argv_s = ops::exec_argv(env.ctx, c, o);
  auto group = ops::container_group(c);

  Pty pty;
  if (o.tty) {
    pty = container_pty(c.pid);
    if (::isatty(STDIN_FILENO)) copy_winsize(STDIN_FILENO, pty.master.get());
  }
  // SIGWINCH through a signalfd while the command runs; the child gets
  // the mask back before exec.
  sigset_t winch, old;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  sigprocmask(SIG_BLOCK, &winch, &old);
  struct Restore {
    sigset_t m;
    ~Restore() { sigprocmask(SIG_SETMASK, &m, nullptr); }
  } restore{old};
  UniqueFd sigfd(::signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sigfd) throw_errno("cannot create a signalfd");

  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("cannot fork");
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &old, nullptr);
    try {
      if (group) group->join(0);
    } catch (const std::exception& e) {
      print_error(str(env.prefix, e.what()));
      _exit(kExitToolFailure);
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
    } else if (!o.interactive) {
      int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null >= 0) ::dup2(null, STDIN_FILENO);
    }
    exec_program(argv.data());
  }
  pty.slave.reset();
  if (o.tty) {
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    std::optional<RawTerminal> raw;
    if (o.interactive) raw.emplace(STDIN_FILENO);
    relay(pty.master.get(), o.interactive, pidfd.get(), sigfd.get(), pid);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) throw_errno("cannot wait for the command");
  return exit_code_from_wait(st);
}

}  // namespace rt::repl
