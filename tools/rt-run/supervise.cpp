#include "supervise.hpp"

#include "container_ops.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "chain.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "populate.hpp"
#include "ports.hpp"
#include "process.hpp"
#include "relay.hpp"
#include "terminal.hpp"

namespace rt::run {
namespace {

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// Move an fd to >= 10 (CLOEXEC), out of the way of the numbers it is
// handed down as.
UniqueFd high_fd(UniqueFd fd) {
  int n = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 10);
  if (n < 0) throw_errno("cannot duplicate an fd");
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
    if (sigprocmask(SIG_BLOCK, &set, &old) != 0) throw_errno("cannot block signals");
    fd = UniqueFd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!fd) {
      int e = errno;
      restore();
      throw_errno("cannot create a signalfd", e);
    }
  }
  void restore() const { sigprocmask(SIG_SETMASK, &old, nullptr); }
};

// How the chain's stdio is set up: fds the chain gets as 0, 1, 2 (none:
// inherit rt-run's), closed in rt-run once the chain has them.
struct Stdio {
  UniqueFd in, out, err;
  std::string pty_slave;  // with -t: the chain gets this terminal
};

// In the chain's child (vfork_child: system calls on what we made before,
// no allocation, no exceptions; see process.hpp): stdio, the fds handed
// down by number, exec.
[[noreturn]] void exec_chain(char* const* argv, const Stdio& io, const Signals& sigs,
                             const std::vector<std::pair<int, int>>& handed) noexcept {
  sigs.restore();
  if (!io.pty_slave.empty()) {
    // a session of its own, the pty as its terminal
    if (const char* what = try_attach_to_pty(io.pty_slave.c_str()))
      vfork_die(errno, kExitToolFailure,
                {what, what == kCannotOpenPty ? std::string_view(io.pty_slave) : std::string_view()});
  } else {
    if (io.in) ::dup2(io.in.get(), 0);
    if (io.out) ::dup2(io.out.get(), 1);
    if (io.err) ::dup2(io.err.get(), 2);
    // A session of its own, with no controlling terminal: the caller's
    // terminal (still its stdio, maybe) can never become the container's,
    // which could otherwise push keystrokes into the caller's shell
    // (TIOCSTI, CVE-2017-5226) or take its signals. rt-run passes them on.
    if (::setsid() < 0) vfork_die(errno, kExitToolFailure, {"cannot start a new session for the container"});
  }
  // Sources are >= 10 (see high_fd), so no dup2 clobbers another's source;
  // dup2 clears CLOEXEC on the target.
  for (auto [from, to] : handed)
    if (::dup2(from, to) < 0) {
      int e = errno;
      char num[16];
      auto [end, ec] = std::to_chars(num, num + sizeof num, to);
      vfork_die(e, kExitToolFailure,
                {"cannot pass fd ", std::string_view(num, static_cast<size_t>(end - num)), " to the chain"});
    }
  vfork_exec(argv);
}

// The chain's child. Its argv is made here (the child runs in our memory
// until it execs: vfork_child) and freed once it has: what rt-run
// allocates after the fork reuses it, and the supervisor's heap stays as
// small as before that moved there (its first page fault later).
// `layout`, when read already, goes down the chain (RT_CGROUP_LAYOUT, in
// the chain's environment only: cgroup_host.hpp), so that rt-cgroup need
// not read the mount table.
pid_t start_chain(const Chain& chain, const Stdio& io, const Signals& sigs,
                  const std::vector<std::pair<int, int>>& handed, const cgroup::Host* layout) {
  std::vector<std::string> argv_s = chain.argv();
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  cgroup::hand_down_layout(layout);
  // On our own stack (callers_stack): no 260 KiB mapping made and unmapped
  // per start, and the child's frames fault in no fresh stack pages of
  // their own (exec_chain's are small: vfork_die's line of 1 KiB at most).
  pid_t pid = vfork_child([&]() noexcept -> int { exec_chain(argv.data(), io, sigs, handed); }, -1, nullptr, true);
  ::unsetenv(cgroup::kLayoutEnv);  // the child has exec'd (or failed): for the chain alone
  return pid;
}

// The container's pid, as rt-unshare writes it on the pipe at `pid_fd`
// (--pid-fd); 0 when the chain ends, or closes the pipe, without writing it.
pid_t read_pid(int pid_fd, int chain_pidfd) {
  std::string text;
  for (;;) {
    pollfd p[2] = {{pid_fd, POLLIN, 0}, {chain_pidfd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot wait for the container to start");
    }
    if (p[0].revents) {
      char buf[64];
      ssize_t n = ::read(pid_fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return 0;
      text.append(buf, static_cast<size_t>(n));
      if (text.find('\n') != std::string::npos) return static_cast<pid_t>(std::strtol(text.c_str(), nullptr, 10));
    } else if (p[1].revents) {
      return 0;
    }
  }
}

// True once rt-exec writes its byte on the ready pipe (--ready-fd): the
// container's root is in place and its limits applied. False when the chain
// ends without it.
bool wait_ready(int ready_fd, int chain_pidfd) {
  auto read_byte = [&] {
    char b;
    ssize_t n;
    do n = ::read(ready_fd, &b, 1);
    while (n < 0 && errno == EINTR);
    return n == 1;
  };
  for (;;) {
    pollfd p[2] = {{ready_fd, POLLIN, 0}, {chain_pidfd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot wait for the container to start");
    }
    if (p[0].revents) return read_byte();
    if (p[1].revents) {
      // The chain ended: a byte sent before that is in the pipe already.
      pollfd q{ready_fd, POLLIN, 0};
      return ::poll(&q, 1, 0) == 1 && (q.revents & POLLIN) && read_byte();
    }
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
  pid_t pid;
  try {
    pid = spawn({"/bin/sh", "-c", prog}, {.in = in.read.get(), .mask = &sigs.old});
  } catch (const Error& e) {
    warn(e.what());
    return e.status();
  }
  in.read.reset();
  std::string js = oci_state(c);
  ssize_t n = ::write(in.write.get(), js.data(), js.size());
  (void)n;
  in.write.reset();
  return exit_code_from_wait(wait_child(pid));
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

// The container's group. The chain's `rt-cgroup --no-wait` makes it,
// moves in and execs on: nothing of it waits, so the supervisor removes
// the group (with whatever is left in it) once the chain has ended, on
// every way out of supervise. It is looked up and locked while the
// container starts (hold), off the chain's critical path: at the end only
// the rmdirs are left, and meanwhile gc and rt-cgroup --list see its
// supervisor alive, as when rt-cgroup waited. A supervisor killed with
// SIGKILL leaves the group to gc (the record names it).
class ChainGroup {
 public:
  explicit ChainGroup(const Plan& p) : plan_(p) {
    if (!plan_.cgroup || plan_.cgroup_parent.empty() || plan_.leaf) return;
    // --cgroup-parent: rt-cgroup makes what is missing of it; the
    // supervisor takes it down again when nothing else lives there.
    prepare();
    if (!host_) return;
    try {
      made_ = cgroup::missing_parent_dirs(*host_, plan_.cgroup_parent);
    } catch (const Error& e) {
      log::debug("cannot read the cgroup layout: ", e.what());
    }
  }
  ChainGroup(const ChainGroup&) = delete;
  ChainGroup& operator=(const ChainGroup&) = delete;
  // The host's cgroup layout (rt-run's own cgroups and the hierarchies'
  // mounts, which the chain's start leaves as they are): read while the
  // chain starts and rt-run would only wait for it, so that hold() has
  // only the group's directories to look up.
  void prepare() {
    if (!plan_.cgroup || host_ || layout_failed_) return;
    if (plan_.cgroup_host) {  // read while planning (rootless)
      host_ = plan_.cgroup_host;
      return;
    }
    try {
      host_ = cgroup::detect();
    } catch (const Error& e) {
      layout_failed_ = true;
      log::debug("cannot read the cgroup layout: ", e.what());
    }
  }
  // The layout when it has been read already (handed down the chain).
  const cgroup::Host* host() const { return host_ ? &*host_ : nullptr; }
  // Once the chain's rt-cgroup is done (rt-unshare has said its pid).
  void hold() {
    if (!plan_.cgroup || group_ || removed_) return;
    prepare();
    if (!host_) return;
    try {
      group_ = cgroup::Group::find(*host_, plan_.id, cgroup::normalize_parent(plan_.cgroup_parent), true);
    } catch (const Error& e) {
      log::debug("cannot look up group ", cgroup::kPrefix, plan_.id, ": ", e.what());
    }
    if (!group_) return;
    group_->adopt_made(made_);
    log::step("holding group ", cgroup::kPrefix, plan_.id);
  }
  // Once the chain has ended (or been killed and reaped). Never throws.
  void remove() noexcept {
    if (!plan_.cgroup || removed_) return;
    try {
      // The chain ended before hold: it failed before rt-unshare said the
      // container's pid (rt-unshare itself, say), or ended at once.
      if (!group_) hold();
      removed_ = true;
      if (!group_) return;
      std::string err = group_->remove();
      if (!err.empty()) warn(err);
      else log::step("removed group ", cgroup::kPrefix, plan_.id);
    } catch (const std::exception& e) {
      removed_ = true;
      warn(e.what());
    }
  }

 private:
  const Plan& plan_;
  std::optional<cgroup::Host> host_;
  bool layout_failed_ = false;
  std::vector<std::string> made_;
  std::optional<cgroup::Group> group_;
  bool removed_ = false;
};

// Everything between fork and exit status.
struct Session {
  Session(const Signals& s, ChainGroup& g) : sigs(s), group(g) {}
  const Signals& sigs;
  ChainGroup& group;
  pid_t chain = -1;
  UniqueFd chain_fd;
  Relay relay;                // the container's pty or pipes (common/relay.hpp)
  bool follow_winch = false;  // foreground -t: the pty follows the terminal's size
  int status = -1;
  // The container's network and IPC namespaces, held from the time they
  // are known until the chain's end has been reaped (reap), then let go.
  // PID 1's exit would otherwise drop their last references, and each one's
  // teardown (cleanup_net, free_ipc: kernel workers) asks for an expedited
  // RCU grace period at that moment, while that exit, before it wakes us,
  // waits for two of its own (the mount namespace's, overlayfs's): queued
  // behind theirs, the overlay's often took 2-8 ms instead of 0.1-0.2 (perf
  // record of sched_switch with kernel stacks, the payload's exit). Let go
  // after the reap, their teardown overlaps rt-run's clean-up instead.
  // Not the mount namespace (tried, endpath session 2026-12-04): held as
  // these and let go at the reap by a thread of ours, PID 1's exit no
  // longer waited for its two grace periods (namespace_unlock's,
  // ovl_free_fs's) and woke us ~1.7-2 ms sooner under load 5, but the waits
  // were only moved into that thread, took as long there, and had little
  // to overlap: the cgroups' rmdirs (~0.15 ms), and of the layer only what
  // the container wrote, since a directory the overlay still holds is
  // freed (one discard each on the test VM's disk) in its teardown, after
  // the waits. Interleaved with main, payload exec to rt-run's exit, 200
  // rounds each, paired medians: +1.0 to +3.4 ms (all three variants).
  std::vector<UniqueFd> held_ns;

  // Forward signals, relay terminal/log, until the chain ends and its
  // output is drained. Returns the wait status. A container still running
  // kSettleMs after the loop began leaves a supervisor that only waits:
  // its code's mappings go then (release_code, populate.hpp), and come
  // back in one call once the chain's end wakes us, for the clean-up.
  int loop() {
    int64_t settle_at = log::now_us() / 1000 + kSettleMs;
    bool released = false;
    for (;;) {
      std::vector<pollfd> p;
      p.push_back({sigs.fd.get(), POLLIN, 0});
      if (status < 0) p.push_back({chain_fd.get(), POLLIN, 0});
      size_t first_io = p.size();
      relay.add_to_poll(p);
      if (status >= 0 && !relay.output_open()) return status;
      // Once the chain is gone, give its output a moment to drain.
      int timeout = status >= 0 ? 200
                    : released  ? -1
                                : static_cast<int>(std::max<int64_t>(settle_at - log::now_us() / 1000, 0));
      int r = ::poll(p.data(), p.size(), timeout);
      if (r < 0) {
        if (errno == EINTR) continue;
        throw_errno("cannot wait for the container (poll)");
      }
      if (r == 0 && status < 0) {
        release_code();
        released = true;
        log::debug("settled: released the code's mappings");
        continue;
      }
      if (r == 0) return status;  // drained (or a leftover holder of the pty)
      if (p[0].revents) handle_signals();
      if (status < 0 && p[1].revents) {
        if (released) populate_code();  // before the clean-up's code runs
        released = false;
        reap();
      }
      for (size_t i = first_io; i < p.size(); ++i)
        if (p[i].revents) relay.handle(p[i].fd);
    }
  }

  void handle_signals() {
    signalfd_siginfo si;
    while (::read(sigs.fd.get(), &si, sizeof si) == sizeof si) {
      int sig = static_cast<int>(si.ssi_signo);
      if (sig == SIGCHLD || sig == SIGPIPE) continue;
      if (sig == SIGWINCH) {
        if (follow_winch && relay.pty() >= 0) copy_winsize(STDIN_FILENO, relay.pty());
        continue;
      }
      // The chain is in a session of its own: what the terminal sends
      // (Ctrl-C, hangup) reaches rt-run alone, which passes it on.
      if (status < 0) ::kill(chain, sig);
    }
  }

  // rt-unshare --hand-over (Plan::hand_over): once the pid is known (and
  // the go-ahead sent), rt-unshare exits as soon as PID 1 has exec'd the
  // next link, and PID 1, orphaned, becomes our child: we are a subreaper
  // from before that exit. From then on PID 1 is the process waited for
  // and signalled, so that its end wakes us directly (no rt-unshare to
  // wake, exit and be reaped first) and the last reference to the
  // container's namespaces goes with it. Returns false when the chain
  // ended instead: rt-unshare failed and reaped what it forked; its
  // status is the chain's. Only a child of ours matches waitid(P_PID), so
  // a pid reused meanwhile is never taken for PID 1.
  bool adopt(pid_t pid1) {
    int st = 0;
    while (::waitpid(chain, &st, 0) < 0)
      if (errno != EINTR) throw_errno("cannot wait for rt-unshare");
    ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);  // PID 1 is ours (or gone): no more orphans wanted
    siginfo_t si{};
    if (pid1 > 0 && ::waitid(P_PID, static_cast<id_t>(pid1), &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
      UniqueFd fd(pidfd_open(pid1));
      if (!fd) throw_errno("cannot open a pidfd for the container's PID 1");
      chain = pid1;
      chain_fd = std::move(fd);
      // Our child now, so the pid names it until we reap it. Gone already
      // (exiting), it has no namespaces to hold: nothing to do.
      if (UniqueFd ipc(::open(str("/proc/", pid1, "/ns/ipc").c_str(), O_RDONLY | O_CLOEXEC)); ipc)
        held_ns.push_back(std::move(ipc));
      log::step("adopted PID 1 (", pid1, ") from rt-unshare");
      return true;
    }
    status = st;
    group.remove();
    return false;
  }

  // The chain's end: its group goes at once (a process left in it, which
  // could hold the output open, is killed with it).
  void reap() {
    int st = 0;
    if (::waitpid(chain, &st, WNOHANG) != chain) return;
    status = st;
    held_ns.clear();
    group.remove();
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
// `on_running` is called once the container has started, rt-exec's ready
// byte (or with an error message when it could not start).
template <typename OnRunning>
int supervise(Launch& l, const Signals& sigs, Stdio& io, Session& s, OnRunning on_running) {
  ContainerState& c = l.state;
  Pipe sync;
  std::vector<std::pair<int, int>> handed;
  bool hooks = !c.hooks.empty();
  // The chain waits for a go-ahead after making its namespaces when
  // something must happen in between (it has a --sync-fd then): prestart
  // hooks, a user-mode network attached to its network namespace, the maps
  // of a user namespace made ahead (not a cached one's: mapped already).
  bool early_userns = l.userns && l.userns->started();
  bool gate = l.plan.sync_fd >= 0;
  if (gate) {
    sync = make_pipe();
    sync.read = high_fd(std::move(sync.read));
    handed.emplace_back(sync.read.get(), l.plan.sync_fd);
  }
  if (l.plan.seccomp_fd >= 0) handed.emplace_back(l.seccomp_src, l.plan.seccomp_fd);
  Pipe pid_pipe = make_pipe();
  pid_pipe.write = high_fd(std::move(pid_pipe.write));
  handed.emplace_back(pid_pipe.write.get(), l.plan.pid_fd);
  Pipe ready = make_pipe();
  ready.write = high_fd(std::move(ready.write));
  handed.emplace_back(ready.write.get(), l.plan.ready_fd);
  if (l.plan.env_fd >= 0) handed.emplace_back(l.env_src, l.plan.env_fd);
  if (early_userns) handed.emplace_back(l.userns->ns_fd(), l.plan.userns_fd);
  // The network namespace's socket: rt-run sends the namespace on it once
  // the chain runs (netns_early.hpp).
  bool early_netns = l.netns && l.netns->prepared();
  if (early_netns) handed.emplace_back(l.netns->chain_end(), l.plan.net_from_fd);

  // rt-unshare --hand-over: its orphaned PID 1 must come to us, not to
  // init. With a go-ahead to send, from just before it (rt-net's helpers
  // and prestart hooks, run before, leave their orphans to init as ever).
  auto become_subreaper = [&] {
    if (l.plan.hand_over && ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) throw_errno("cannot become a subreaper");
  };
  if (!gate) become_subreaper();
  pid_t chain = start_chain(l.chain, io, sigs, handed, s.group.host());
  if (chain < 0) throw_errno("cannot fork");
  try {
    sync.read.reset();
    pid_pipe.write.reset();
    ready.write.reset();
    io.in.reset();
    io.out.reset();
    io.err.reset();
    s.chain = chain;
    s.chain_fd = UniqueFd(pidfd_open(chain));
    if (!s.chain_fd) throw_errno("cannot open a pidfd for the container");
    log::step("started chain, pid ", chain);
    // This process supervises (saves the record) from here on.
    claim_supervision(c);
    // While rt-cgroup runs (rt-unshare waits for the namespace before it
    // goes on): the container's files and record, then the namespace. A
    // failure of the namespace closes the socket, which ends the chain in
    // rt-unshare; its reason becomes the container's error below.
    if (l.write_container) l.write_container();
    if (early_netns) {
      l.netns->make_and_send();
      if (UniqueFd held = l.netns->take_held(); held) s.held_ns.push_back(std::move(held));
    }
    s.group.prepare();  // while rt-unshare makes the namespaces

    // PID 1 exists: recorded (rm -f and gc find it), but the container is
    // "created" until rt-exec reports ready: before that its mount
    // namespace is still a copy of the host's (no pivot_root yet), and an
    // exec into it would run there.
    pid_t pid = read_pid(pid_pipe.read.get(), s.chain_fd.get());
    bool started = false;
    if (pid > 0) {
      c.pid = pid;
      c.pid_start = process_start_time(pid).value_or(0);
      l.store.save(c);
      log::step("container pid ", pid);
      s.group.hold();  // while the chain goes on: rt-cgroup has made it
      std::string err;
      if (early_userns) try {
          l.userns->wait_mapped();
        } catch (const Error& e) {
          err = e.what();
        }
      if (err.empty() && l.plan.user_net) {
        try {
          network_up(c, l.plan, {str("/proc/", pid, "/ns/net")});
          l.store.save(c);
        } catch (const Error& e) {
          err = e.what();
        }
      }
      if (err.empty() && hooks) err = run_hooks("prestart", c, sigs);
      if (!err.empty()) {
        ::kill(pid, SIGKILL);
        sync.write.reset();
        on_running(err);
        wait_child(chain);
        s.status = 0;
        s.group.remove();
        c.error = err;
        if (!l.plan.net_up.empty()) ops::network_down(l.store, c.id, l.plan.tool_dir);
        record_exit(l.store, c, kExitToolFailure);
        run_hooks("poststop", c, sigs);
        return kExitToolFailure;
      }
      if (gate) {
        become_subreaper();
        try {
          send_go(sync.write, "the container after its network and prestart hooks");
        } catch (const Error& e) {
          warn(e.what());  // it is gone: the loop below records how it ended
        }
      }
      if (l.plan.hand_over) s.adopt(pid);
      // Signals for the container wait in the signalfd meanwhile: the loop
      // passes them on once it runs (and an --init forwards them).
      started = wait_ready(ready.read.get(), s.chain_fd.get());
      if (started) {
        c.status = "running";
        c.started = rfc3339_now();
        l.store.save(c);
        log::step("container ", c.short_id(), " running");
        on_running("");
        if (hooks) run_hooks("poststart", c, sigs);
      }
    }
    ready.read.reset();
    int st = s.loop();
    int code = exit_code_from_wait(st);
    // The network goes before the record says exited: whoever waits for
    // that (rm -f, stop) finds it gone.
    if (!l.plan.net_up.empty()) ops::network_down(l.store, c.id, l.plan.tool_dir);
    if (!started) {
      c.error = str("the container did not start (exit status ", code, ")");
      // rt-unshare said the namespace never came; this says why.
      if (early_netns && !l.netns->error().empty()) c.error = str("the container did not start: ", l.netns->error());
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
  } catch (...) {
    // Whatever failed, the container does not outlive its supervisor
    // unseen: it is killed, waited for, and recorded as ended (when the
    // store still takes it). The caller undoes the rest.
    if (c.pid > 0 && c.status != "exited") ::kill(c.pid, SIGKILL);
    if (s.status < 0) {  // not reaped yet
      ::kill(chain, SIGKILL);
      ::waitpid(chain, nullptr, 0);
    }
    s.group.remove();
    if (!l.plan.net_up.empty()) {
      try {
        ops::network_down(l.store, c.id, l.plan.tool_dir);
      } catch (const Error& e) {
        warn(e.what());
      }
    }
    if (c.status == "running") {
      c.error = "rt-run failed while supervising the container";
      try {
        record_exit(l.store, c, kExitToolFailure);
      } catch (const Error& e) {
        warn(e.what());
      }
    }
    throw;
  }
}

}  // namespace

void network_up(ContainerState& c, const Plan& p, const std::vector<std::string>& more) {
  std::string out;
  UniqueFd err(::memfd_create("rt-net-stderr", MFD_CLOEXEC));
  if (!err) throw_errno("cannot create a memfd");
  std::vector<std::string> argv = p.net_up;
  argv.insert(argv.end(), more.begin(), more.end());
  int rc = run_and_read(argv, out, {.err = err.get()});
  std::string msg;
  char buf[1024];
  ssize_t n = ::pread(err.get(), buf, sizeof buf - 1, 0);
  if (n > 0) msg.assign(buf, static_cast<size_t>(n));
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  if (rc == 0 && !msg.empty()) std::fprintf(stderr, "%s\n", msg.c_str());  // its warnings
  if (rc != 0) {
    if (starts_with(msg, "rt-net: ")) msg = msg.substr(8);
    throw Error(str("cannot attach the container to network ", c.network, ": ",
                    msg.empty() ? str("rt-net exit status ", rc) : msg));
  }
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded()) throw Error("rt-net up printed no JSON");
  for (const auto& a : j.value("ips", nlohmann::json::array())) c.ips.push_back(a.get<std::string>());
  for (const auto& m : j.value("ports", nlohmann::json::array()))
    c.ports.push_back(port_text({m.value("hostIP", ""), m.value("hostPort", uint16_t{0}),
                                 m.value("containerPort", uint16_t{0}), m.value("protocol", "tcp")}));
  log::step("network ", c.network, " up: ", join(c.ips, " "));
}

void claim_supervision(ContainerState& c) {
  pid_t self = ::getpid();
  if (c.supervisor == self) return;
  c.supervisor = self;
  c.supervisor_start = process_start_time(self).value_or(0);
}

void remove_container_files(const ContainerStore& store, const ContainerState& c) {
  try {
    store.remove(c);
  } catch (const Error& e) {
    warn(e.what());  // the record stays: rt-repl rm tries again
  }
}

int run_foreground(Launch& l) {
  Signals sigs;
  ChainGroup group(l.plan);
  Session s(sigs, group);
  Stdio io;
  UniqueFd master;
  std::optional<RawTerminal> raw;
  if (!l.spec.tty) {
    // No fd of the caller's terminal reaches the container: one could read
    // what is typed or change the terminal's modes. A pipe in its place,
    // relayed here, as docker does.
    auto c = s.relay.pipes_for_terminals(l.spec.interactive);
    io.in = std::move(c.in), io.out = std::move(c.out), io.err = std::move(c.err);
  } else {
    master = open_pty(io.pty_slave);
    if (::isatty(STDIN_FILENO)) copy_winsize(STDIN_FILENO, master.get());
    s.relay.set_pty(master.get(), l.spec.interactive);
    s.follow_winch = true;
    if (l.spec.interactive) raw.emplace(STDIN_FILENO);
  }
  int code = 0;
  try {
    code = supervise(l, sigs, io, s, [](const std::string& err) {
      if (!err.empty()) print_error(err);
    });
  } catch (...) {
    raw.reset();  // the terminal is cooked again before the error is printed
    if (l.spec.auto_remove) remove_container_files(l.store, l.state);
    throw;
  }
  raw.reset();
  if (l.spec.auto_remove) remove_container_files(l.store, l.state);
  return code;
}

int run_detached(Launch& l) {
  // newuidmap and newgidmap are this process's children: the maps are
  // written before the supervisor starts the chain.
  if (l.userns) l.userns->wait_mapped();
  Pipe ready = make_pipe();
  pid_t first = ::fork();
  if (first < 0) throw_errno("cannot fork the supervisor");
  if (first == 0)
    run_child([&]() -> int {
      // The supervisor: a session of its own, reparented to init (double
      // fork), stdio away from the caller's terminal and pipes. What fails
      // before the container runs goes to rt-run on the ready pipe.
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
        ChainGroup group(l.plan);
        Session s(sigs, group);
        LogWriter log;
        ContainerState& c = l.state;
        c.log_path = l.store.dir(c.id) + "/container.log";
        log.fd = UniqueFd(::open(c.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
        if (!log.fd) throw_errno(str("cannot create ", c.log_path));
        s.relay.set_sink([&log](int stream, const char* data, size_t len) { log.feed(stream, data, len); });
        Stdio io;
        io.in = UniqueFd(::dup(null));
        UniqueFd master;
        Pipe out, err;
        if (l.spec.tty) {
          master = open_pty(io.pty_slave);
          s.relay.set_pty(master.get(), false);
        } else {
          out = make_pipe();
          err = make_pipe();
          io.out = std::move(out.write);
          io.err = std::move(err.write);
          s.relay.set_output_pipes(out.read.get(), err.read.get());
        }
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
      if (l.leaf) l.leaf->leave();
      return rc;
    });
  ready.write.reset();
  if (l.netns) l.netns->release();  // the supervisor's to send
  wait_child(first);
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
