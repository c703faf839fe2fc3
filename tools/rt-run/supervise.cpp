#include "supervise.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "chain.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "process.hpp"
#include "terminal.hpp"

namespace rt::run {
namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Move an fd to >= 10 (CLOEXEC), out of the way of the numbers it is
// handed down as.
UniqueFd high_fd(UniqueFd fd) {
  int n = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 10);
  if (n < 0) die_errno("cannot duplicate an fd");
  return UniqueFd(n);
}

// The signals rt-run passes on, plus SIGCHLD; read through a signalfd.
struct Signals {
  sigset_t set{}, old{};
  UniqueFd fd;
  Signals() {
    sigemptyset(&set);
    for (int s : kForwardedSignals) sigaddset(&set, s);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGPIPE);
    if (sigprocmask(SIG_BLOCK, &set, &old) != 0) die_errno("cannot block signals");
    fd = UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd) die_errno("cannot create a signalfd");
  }
  void restore() const { sigprocmask(SIG_SETMASK, &old, nullptr); }
};

// How the chain's stdio is set up: fds the chain gets as 0, 1, 2 (none:
// inherit rt-run's), closed in rt-run once the chain has them.
struct Stdio {
  UniqueFd in, out, err;
  std::string pty_slave;  // with -t: the chain gets this terminal
};

// In the forked child: stdio, the fds handed down by number, exec.
[[noreturn]] void exec_chain(const Chain& chain, const Stdio& io, const Signals& sigs,
                             const std::vector<std::pair<int, int>>& handed) {
  sigs.restore();
  if (!io.pty_slave.empty()) {
    attach_to_pty(io.pty_slave);
  } else {
    if (io.in) ::dup2(io.in.get(), 0);
    if (io.out) ::dup2(io.out.get(), 1);
    if (io.err) ::dup2(io.err.get(), 2);
  }
  // Sources are >= 10 (see high_fd), so no dup2 clobbers another's source;
  // dup2 clears CLOEXEC on the target.
  for (auto [from, to] : handed)
    if (::dup2(from, to) < 0) die_errno(str("cannot pass fd ", to, " to the chain"));
  auto argv_s = chain.argv();
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  exec_program(argv.data());
}

// Wait for rt-unshare to write the container's pid into the FIFO at
// `pid_fd` (opened for reading before the chain started), or for the chain
// to end first. Returns 0 when the chain ended without one.
pid_t wait_pid_fifo(int pid_fd, int chain_pidfd) {
  std::string text;
  for (;;) {
    pollfd p[2] = {{pid_fd, POLLIN, 0}, {chain_pidfd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die_errno("cannot wait for the container to start");
    }
    char buf[64];
    ssize_t n;
    while ((n = ::read(pid_fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
    if (text.find('\n') != std::string::npos) return static_cast<pid_t>(std::strtol(text.c_str(), nullptr, 10));
    // The writer came and went without a whole line, or the chain ended.
    if ((p[0].revents & POLLHUP) || (p[1].revents && !(p[0].revents & POLLIN))) return 0;
  }
}

std::string oci_state(const ContainerState& c) {
  nlohmann::json j = {{"ociVersion", "1.0.2"}, {"id", c.id},         {"status", c.status},
                      {"pid", c.pid},          {"bundle", c.bundle}, {"annotations", {{"rt.name", c.name}}}};
  return j.dump();
}

// Run a hook with `sh -c PROG`, the container's state as JSON on stdin.
// Returns its exit code.
int run_hook(const std::string& prog, const ContainerState& c, const Signals& sigs) {
  Pipe in = make_pipe();
  pid_t pid = ::fork();
  if (pid < 0) die_errno("cannot fork a hook");
  if (pid == 0) {
    sigs.restore();
    ::dup2(in.read.get(), 0);
    const char* argv[] = {"/bin/sh", "-c", prog.c_str(), nullptr};
    ::execv("/bin/sh", const_cast<char* const*>(argv));
    _exit(127);
  }
  in.read.reset();
  std::string js = oci_state(c);
  ssize_t n = ::write(in.write.get(), js.data(), js.size());
  (void)n;
  in.write.reset();
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return exit_code_from_wait(st);
}

// Returns the first failing hook's message, or "".
std::string run_hooks(const std::string& stage, const ContainerState& c, const Signals& sigs) {
  for (const auto& h : c.hooks) {
    auto [st, prog] = parse_kv(h, "--hook");
    if (st != stage) continue;
    int rc = run_hook(prog, c, sigs);
    log::step(stage, " hook '", prog, "' exited ", rc);
    if (rc != 0) return str(stage, " hook '", prog, "' failed with status ", rc);
  }
  return "";
}

// Output of a detached container, one JSON object per line:
// {"time":"...","stream":"stdout","log":"text\n"}.
struct LogWriter {
  UniqueFd fd;
  std::string partial[2];
  void write_line(int stream, const std::string& text) {
    nlohmann::json j = {{"time", rfc3339_now()}, {"stream", stream ? "stderr" : "stdout"}, {"log", text}};
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    ssize_t n = ::write(fd.get(), line.data(), line.size());
    (void)n;
  }
  void feed(int stream, const char* data, size_t len) {
    std::string& p = partial[stream];
    p.append(data, len);
    size_t start = 0, nl;
    while ((nl = p.find('\n', start)) != std::string::npos) {
      write_line(stream, p.substr(start, nl + 1 - start));
      start = nl + 1;
    }
    p.erase(0, start);
    if (p.size() > 16384) {
      write_line(stream, p);
      p.clear();
    }
  }
  void flush() {
    for (int s = 0; s < 2; ++s)
      if (!partial[s].empty()) {
        write_line(s, partial[s]);
        partial[s].clear();
      }
  }
};

// Everything between fork and exit status.
struct Session {
  explicit Session(const Signals& s) : sigs(s) {}
  const Signals& sigs;
  pid_t chain = -1;
  UniqueFd chain_fd;
  int pty_master = -1;       // -t
  int relay_in = -1;         // host stdin copied to the pty (-it)
  int relay_out = -1;        // pty output copied here (foreground -t)
  LogWriter* log = nullptr;  // detached: pty or pipes into the log
  int out_pipe = -1, err_pipe = -1;
  int status = -1;

  // Forward signals, relay terminal/log, until the chain ends and its
  // output is drained. Returns the wait status.
  int loop() {
    bool in_open = relay_in >= 0;
    for (;;) {
      std::vector<pollfd> p;
      p.push_back({sigs.fd.get(), POLLIN, 0});
      if (status < 0) p.push_back({chain_fd.get(), POLLIN, 0});
      size_t first_io = p.size();
      if (pty_master >= 0) p.push_back({pty_master, POLLIN, 0});
      if (out_pipe >= 0) p.push_back({out_pipe, POLLIN, 0});
      if (err_pipe >= 0) p.push_back({err_pipe, POLLIN, 0});
      if (in_open && pty_master >= 0) p.push_back({relay_in, POLLIN, 0});
      bool io_left = pty_master >= 0 || out_pipe >= 0 || err_pipe >= 0;
      if (status >= 0 && !io_left) return status;
      // Once the chain is gone, give its output a moment to drain.
      int timeout = status >= 0 ? 200 : -1;
      int r = ::poll(p.data(), p.size(), timeout);
      if (r < 0) {
        if (errno == EINTR) continue;
        die_errno("poll");
      }
      if (r == 0) return status;  // drained (or a leftover holder of the pty)
      if (p[0].revents) handle_signals();
      if (status < 0 && p[1].revents) reap();
      for (size_t i = first_io; i < p.size(); ++i) {
        if (!p[i].revents) continue;
        int fd = p[i].fd;
        char buf[16384];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (fd == relay_in) {
          if (n <= 0) in_open = false;  // EOF on stdin: stop relaying (like docker, the pty stays)
          else write_all(pty_master, buf, static_cast<size_t>(n));
          continue;
        }
        if (n <= 0) {  // EOF, or EIO on a pty whose slave is closed everywhere
          if (fd == pty_master) pty_master = -1;
          if (fd == out_pipe) out_pipe = -1;
          if (fd == err_pipe) err_pipe = -1;
          continue;
        }
        if (log) log->feed(fd == err_pipe ? 1 : 0, buf, static_cast<size_t>(n));
        else if (relay_out >= 0) write_all(relay_out, buf, static_cast<size_t>(n));
      }
    }
  }

  void handle_signals() {
    signalfd_siginfo si;
    while (::read(sigs.fd.get(), &si, sizeof si) == sizeof si) {
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGCHLD || sig == SIGPIPE) continue;
      if (sig == SIGWINCH) {
        if (pty_master >= 0 && relay_out >= 0) copy_winsize(STDIN_FILENO, pty_master);
        continue;
      }
      // Terminal-generated signals already reached the chain (same
      // foreground group) unless it has a terminal of its own.
      bool from_kernel = si.ssi_code > 0;
      if (from_kernel && pty_master < 0) continue;
      if (status < 0) ::kill(chain, sig);
    }
  }

  void reap() {
    int st = 0;
    if (::waitpid(chain, &st, WNOHANG) == chain) status = st;
  }
};

void record_exit(const ContainerStore& store, ContainerState& c, int code) {
  c.status = "exited";
  c.exit_code = code;
  c.finished = rfc3339_now();
  store.save(c);
}

// Start the chain and supervise it to the end. Used in the foreground by
// rt-run itself and in the background by the detached supervisor.
// `on_running` is called once the container's PID 1 exists (or with an
// error message when it could not start).
template <typename OnRunning>
int supervise(Launch& l, const Signals& sigs, Stdio& io, Session& s, OnRunning on_running) {
  ContainerState& c = l.state;
  Pipe sync;
  std::vector<std::pair<int, int>> handed;
  bool hooks = !c.hooks.empty();
  if (hooks) {
    sync = make_pipe();
    sync.read = high_fd(std::move(sync.read));
    handed.emplace_back(sync.read.get(), l.plan.sync_fd);
  }
  if (l.plan.seccomp_fd >= 0) handed.emplace_back(l.seccomp_src, l.plan.seccomp_fd);

  pid_t chain = ::fork();
  if (chain < 0) die_errno("cannot fork");
  if (chain == 0) exec_chain(l.chain, io, sigs, handed);
  sync.read.reset();
  io.in.reset();
  io.out.reset();
  io.err.reset();
  s.chain = chain;
  s.chain_fd = UniqueFd(pidfd_open(chain));
  if (!s.chain_fd) die_errno("cannot open a pidfd for the container");
  log::step("started chain, pid ", chain);

  pid_t pid = wait_pid_fifo(l.pid_fifo, s.chain_fd.get());
  if (pid > 0) {
    c.pid = pid;
    c.pid_start = process_start_time(pid).value_or(0);
    c.status = "running";
    c.started = rfc3339_now();
    l.store.save(c);
    log::step("container pid ", pid, " running");
    std::string err = hooks ? run_hooks("prestart", c, sigs) : "";
    if (!err.empty()) {
      ::kill(pid, SIGKILL);
      sync.write.reset();
      on_running(err);
      int st;
      while (::waitpid(chain, &st, 0) < 0 && errno == EINTR) {
      }
      c.error = err;
      record_exit(l.store, c, kExitToolFailure);
      run_hooks("poststop", c, sigs);
      return kExitToolFailure;
    }
    if (hooks) {
      char go = 'g';
      if (::write(sync.write.get(), &go, 1) != 1) warn("cannot release the container after its prestart hooks");
      sync.write.reset();
    }
    on_running("");
    if (hooks) run_hooks("poststart", c, sigs);
  }
  int st = s.loop();
  int code = exit_code_from_wait(st);
  if (pid <= 0) {
    c.error = str("the container did not start (exit status ", code, ")");
    on_running(c.error);
  }
  log::step("container exited with ", code);
  // A foreground --rm container's record is removed right away: not worth
  // a write (each replaced file is a freed block, a discard on some disks).
  if (!(c.auto_remove && !c.detached)) record_exit(l.store, c, code);
  else c.status = "exited", c.exit_code = code;
  if (hooks) {
    std::string err = run_hooks("poststop", c, sigs);
    if (!err.empty()) warn(err);
  }
  return code;
}

}  // namespace

void remove_container_files(const ContainerStore& store, const ContainerState& c) {
  if (!c.bundle.empty())
    if (auto ec = remove_tree(c.bundle)) warn(str("cannot remove ", c.bundle, ": ", ec.message()));
  store.remove(c);
}

int run_foreground(Launch& l) {
  Signals sigs;
  Session s(sigs);
  Stdio io;
  UniqueFd master;
  std::optional<RawTerminal> raw;
  if (!l.spec.interactive && !l.spec.tty) {
    io.in = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!io.in) die_errno("cannot open /dev/null");
  }
  if (l.spec.tty) {
    master = open_pty(io.pty_slave);
    if (::isatty(STDIN_FILENO)) copy_winsize(STDIN_FILENO, master.get());
    s.pty_master = master.get();
    s.relay_out = STDOUT_FILENO;
    if (l.spec.interactive) {
      s.relay_in = STDIN_FILENO;
      raw.emplace(STDIN_FILENO);
    }
  }
  l.state.supervisor = ::getpid();
  l.state.supervisor_start = process_start_time(::getpid()).value_or(0);
  int code = supervise(l, sigs, io, s, [](const std::string& err) {
    if (!err.empty()) print_error(err);
  });
  raw.reset();
  if (l.spec.auto_remove) remove_container_files(l.store, l.state);
  return code;
}

int run_detached(Launch& l) {
  Pipe ready = make_pipe();
  pid_t first = ::fork();
  if (first < 0) die_errno("cannot fork the supervisor");
  if (first == 0) {
    // The supervisor: a session of its own, reparented to init (double
    // fork), stdio away from the caller's terminal and pipes.
    ready.read.reset();
    ::setsid();
    pid_t second = ::fork();
    if (second != 0) _exit(second < 0 ? kExitToolFailure : 0);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; i < 3; ++i) ::dup2(null, i);
    if (::chdir("/") != 0) _exit(kExitToolFailure);
    int rc = kExitToolFailure;
    try {
      Signals sigs;
      Session s(sigs);
      LogWriter log;
      ContainerState& c = l.state;
      c.log_path = l.store.dir(c.id) + "/container.log";
      log.fd = UniqueFd(::open(c.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
      if (!log.fd) throw_errno(str("cannot create ", c.log_path));
      s.log = &log;
      Stdio io;
      io.in = UniqueFd(::dup(null));
      UniqueFd master;
      Pipe out, err;
      if (l.spec.tty) {
        master = open_pty(io.pty_slave);
        s.pty_master = master.get();
      } else {
        out = make_pipe();
        err = make_pipe();
        io.out = std::move(out.write);
        io.err = std::move(err.write);
        s.out_pipe = out.read.get();
        s.err_pipe = err.read.get();
      }
      c.supervisor = ::getpid();
      c.supervisor_start = process_start_time(::getpid()).value_or(0);
      int ready_fd = ready.write.get();
      rc = supervise(l, sigs, io, s, [&](const std::string& e) {
        if (ready_fd < 0) return;
        std::string msg = e.empty() ? "ok\n" : e + "\n";
        ssize_t n = ::write(ready_fd, msg.data(), msg.size());
        (void)n;
        ready.write.reset();
        ready_fd = -1;
      });
      log.flush();
      if (c.auto_remove) remove_container_files(l.store, c);
    } catch (const std::exception& e) {
      std::string msg = str(e.what(), "\n");
      ssize_t n = ::write(ready.write.get(), msg.data(), msg.size());
      (void)n;
    }
    _exit(rc);
  }
  ready.write.reset();
  int st;
  while (::waitpid(first, &st, 0) < 0 && errno == EINTR) {
  }
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = ::read(ready.read.get(), buf, sizeof buf)) > 0) {
    msg.append(buf, static_cast<size_t>(n));
    if (msg.find('\n') != std::string::npos) break;
  }
  if (msg == "ok\n") {
    std::printf("%s\n", l.state.id.c_str());
    return 0;
  }
  if (!msg.empty() && msg.back() == '\n') msg.pop_back();
  print_error(msg.empty() ? "the container's supervisor died before the container started" : msg);
  return kExitToolFailure;
}

}  // namespace rt::run
