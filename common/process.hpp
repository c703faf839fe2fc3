// Processes: running a program and waiting for it, the one-byte go-ahead
// between two processes, waiting for a child while forwarding signals to
// it, and identifying a process reliably (pid + start time). Every tool
// that starts or waits for a process uses these; do not write another copy.
#pragma once
#include <sched.h>
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "error.hpp"
#include "fd.hpp"

namespace rt {

// ---- A child after fork ----

// Run `body` in a child after fork(2) and _exit with what it returns (a
// body that execs does not return). An exception ends the child with its
// one-line message and status: it never unwinds into the parent's code,
// whose destructors and catch blocks would undo the parent's work a second
// time. Every fork in rt goes through this (see HACKING.md, "Errors").
template <typename Body> [[noreturn]] void run_child(Body&& body) {
  int code = kExitToolFailure;
  try {
    code = body();
  } catch (const Error& e) {
    print_error(e.what());
    code = e.status();
  } catch (const std::exception& e) {
    print_error(e.what());
  } catch (...) {
    print_error("internal error");
  }
  std::_Exit(code);
}

// ---- A child that borrows the caller's memory until it execs ----

namespace detail {
pid_t clone_vm(int (*fn)(void*), void* arg, int cgroup_fd, pid_t* child_pid, bool callers_stack);

// vfork_child's child starts on the caller's CPU. The caller sleeps until
// the child has exec'd, so that CPU is free, and awake; left to itself the
// scheduler starts a new task on the idlest CPU, which on a quiet machine
// is a halted one: on a VM, waking it goes through the host. Measured on
// the test VM (2 vCPUs, cpuidle "none"): a pipe hand-off to a thread on
// the other vCPU took 35 us after a busy moment and 85-100 us after 50 ms
// of idle, against 2.4 us on the same vCPU; under load the new task
// queued behind others there (perf: rt-unshare's PID 1 first ran a median
// 1.8 ms after its clone, 4 us on the caller's CPU). Made before the
// clone, it pins the caller to the CPU it is on, which the child inherits
// (and starts on); the child's first act, release(), gives both their
// affinity back (the caller's by pid, as it sleeps), so the child goes on
// there and the caller, once woken, may go elsewhere. Widening a mask
// that holds a task's CPU moves nothing. A child that cannot name the
// caller (in a pid namespace the caller made for its children or joined:
// its getppid() is 0; or a caller that is not its process's main thread)
// leaves it be: then the caller wakes on that CPU and the destructor,
// which always runs in the caller, restores its affinity. Nothing is
// pinned when the caller may run on one CPU only or its affinity cannot
// be read or set: best effort, never an error.
class SameCpu {
 public:
  SameCpu() noexcept;
  ~SameCpu();
  SameCpu(const SameCpu&) = delete;
  SameCpu& operator=(const SameCpu&) = delete;
  void release() const noexcept;  // in the child: system calls only

 private:
  cpu_set_t mask_{};  // the caller's
  pid_t caller_ = 0;
  bool pinned_ = false;
};
}  // namespace detail

// Run `body` in a child that shares this process's memory, on a stack of
// its own, until it execs or exits (clone with CLONE_VM | CLONE_VFORK, as
// posix_spawn does): the caller is suspended meanwhile. For a child that
// sets a few things up and execs the next link: fork copies the page
// tables and then every page either side writes (measured 1.6-2.2 ms more
// per fork and exec than this on a VM, where page-table updates are
// hypercalls). The child _exits with what `body` returns (a body that
// execs does not return).
//
// The rule for a body (it runs on the caller's memory, with the caller's
// thread pointer, while the caller is stopped anywhere in its code):
//  - system calls and reads of the caller's objects only: no allocation
//    (malloc's state is the caller's), no locks, no stdio, no logging
//    (log::step keeps its clock in the caller's memory), no setenv;
//  - no exceptions: the body is noexcept (checked at compile time); a
//    failure is vfork_die(), one line written with write(2), then _exit;
//  - no change to the caller's objects (but a flag the caller set aside
//    for the child to report through, as "got as far as its exec"): close
//    fds by number, never UniqueFd::reset (the fds are the child's own
//    copies, the objects are not); errno is shared too (the caller's value
//    after the call is the child's last one);
//  - a stack of 256 KiB with a guard page below (or the caller's own, see
//    callers_stack): no large arrays;
//  - the caller is single-threaded and has no signal handler installed (one
//    would run in the child, on the caller's memory): rt's chain tools
//    install none (they block signals and read them with sigwaitinfo or a
//    signalfd).
// Whatever needs memory (argv, an environment, paths, messages) is made by
// the caller before, and what the caller logs about the child it logs once
// this returns: the child has exec'd or exited by then. The child starts
// on the caller's CPU (detail::SameCpu), then may run anywhere the caller
// may.
// `cgroup_fd` >= 0: an O_PATH fd of a v2 cgroup the child starts in
// (clone3 CLONE_INTO_CGROUP; x86-64 only, else -1 with ENOSYS: fall back
// to moving the child). `child_pid`: set to the child's pid as the caller
// sees it before the child runs, so the child can hand it on itself (a
// child in a new pid namespace sees itself as 1). Not in a new time
// namespace (the kernel refuses CLONE_VM there: fork). `callers_stack`
// (x86-64; elsewhere ignored): the child runs on the caller's own stack
// below its red zone, as vfork(2), instead of the 256 KiB mapping: no mmap,
// mprotect and munmap, and its frames land on pages the caller has touched
// already instead of fresh ones (a first touch 12-15 us each on the test
// VM, the munmap a TLB flush); for a main thread (its stack grows) whose
// body's frames are small. Returns the child's pid, or -1 with errno.
template <typename Body>
pid_t vfork_child(Body&& body, int cgroup_fd = -1, pid_t* child_pid = nullptr, bool callers_stack = false) {
  using B = std::remove_reference_t<Body>;
  static_assert(std::is_nothrow_invocable_r_v<int, B&>, "a vfork_child body is noexcept and returns int");
  detail::SameCpu here;
  auto wrapped = [&]() noexcept -> int {
    here.release();
    return body();
  };
  using W = decltype(wrapped);
  return detail::clone_vm([](void* b) -> int { return (*static_cast<W*>(b))(); }, &wrapped, cgroup_fd, child_pid,
                          callers_stack);
}

// In a vfork_child body: write "rt-TOOL: PARTS...: strerror(err)" (no
// ": strerror" when err is 0) with one write(2) from a buffer on the stack,
// and _exit(status). Allocates nothing.
[[noreturn]] void vfork_die(int err, int status, std::initializer_list<std::string_view> parts) noexcept;
// In a vfork_child body: execvp(argv[0], argv), or vfork_die "cannot
// execute ARGV0: why" with 127 (not found) or 126, as exec_program.
[[noreturn]] void vfork_exec(char* const* argv) noexcept;
// In a vfork_child body: the one-byte go-ahead (wait_go) without
// exceptions: true when it came, false when the other end was closed
// first or the read failed.
bool vfork_wait_go(int fd) noexcept;

// ---- Running a program ----

// What the child's stdin, stdout and stderr are: an fd of ours (dup'd), or
// one of these.
inline constexpr int kInherit = -1;  // the caller's own
inline constexpr int kDevNull = -2;  // /dev/null

struct SpawnOptions {
  int in = kInherit, out = kInherit, err = kInherit;
  // The child's signal mask (nullptr: the caller's). A tool that blocks
  // signals to read them with sigwaitinfo/signalfd passes its original mask.
  const sigset_t* mask = nullptr;
  // More fds handed down: (source, number in the child). Sources must not
  // be 0-2 or another pair's number.
  std::vector<std::pair<int, int>> fds = {};
  // A session of its own (setsid): a helper that outlives its caller.
  bool new_session = false;
  // The child's working directory ("": the caller's).
  std::string cwd = {};
};

// Start argv[0] (looked up in PATH when it has no '/') with posix_spawn:
// no code of ours runs in the child. Returns its pid. Throws rt::Error
// "cannot execute ARGV0: why" with status 127 (not found) or 126.
pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& o = {});
// Wait for a child, retrying on EINTR; returns the wait status. Throws
// rt::Error when there is no such child.
int wait_child(pid_t pid);
// Wait for a child at most `timeout_ms` (through a pidfd and poll(2): no
// polling loop, no signal handler): its wait status, or nullopt when the
// time ran out and it still runs (the caller decides: kill, then
// wait_child). Throws rt::Error when there is no such child.
std::optional<int> wait_child_for(pid_t pid, int64_t timeout_ms);
// Map a wait status to an exit code: status passes through, signal N -> 128+N.
int exit_code_from_wait(int wstatus);
// spawn, then wait: the exit code (status, 128+N for signal N).
int run_and_wait(const std::vector<std::string>& argv, const SpawnOptions& o = {});
// A program's standard input holding `data`: a memfd rewound to offset
// 0, so the writer never blocks on a reader and never gets SIGPIPE from one
// that exits without reading. `name` shows in /proc/PID/fd.
UniqueFd input_fd(const char* name, std::string_view data);
// The same, with the child's stdout collected (o.out is ignored).
int run_and_read(const std::vector<std::string>& argv, std::string& output, SpawnOptions o = {});

// ---- The go-ahead: one byte on a pipe ----

// Write the byte on `fd` and close it. Throws rt::Error naming `to_whom`.
void send_go(UniqueFd& fd, const char* to_whom);
// Block until the byte arrives (true), or the other end is closed without
// it (false: the sender failed or died). Throws rt::Error on a read error.
bool wait_go(int fd);

// The signals a resident tool passes on to its child.
inline constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

class SignalForwarder {
 public:
  // Block the forwarded signals and SIGCHLD (call before fork). Throws
  // rt::Error.
  SignalForwarder();
  // In the child after fork: restore the mask the tool started with.
  void restore() const;
  struct WaitOptions {
    // Forward what the terminal generates too (^C, ^\, a resize). Off, it is
    // not forwarded: the child, in the same foreground process group, got
    // it already.
    bool forward_tty = false;
    // Reap every child that ends meanwhile, not only `child`: what an init
    // or a subreaper does for the orphans handed to it.
    bool reap_others = false;
  };
  // In the parent: forward signals to `child` until it ends; return its
  // wait status. Throws rt::Error.
  int wait(pid_t child, WaitOptions o) const;
  int wait(pid_t child) const { return wait(child, WaitOptions{}); }
  const sigset_t& original_mask() const { return old_; }

 private:
  sigset_t set_{};
  sigset_t old_{};
};

// In a child after fork: die with SIGKILL when the parent dies, and exit at
// once if the parent is already gone. `alive_fd` is the read end of a pipe
// whose write end only the parent holds (POLLHUP there means it is gone).
void die_with_parent(int alive_fd);

// The same, but block until the parent sends the go-ahead on `go_fd` (e.g.
// it has written the child's pid). Exits at once if the parent dies first.
void wait_for_parent(int go_fd);

// Rewrite this process's command line in place (what ps(1) and
// /proc/PID/cmdline show every user): in argv[1..end), the value of each
// K=V of `secrets` ("-e K=V", "-eK=V", "--env=K=V", ...) becomes "***". The
// arguments move up to fill the room and argv[] points at them again; the
// environment after them is left alone.
void hide_argv_values(int argc, char** argv, int end, const std::vector<std::string>& secrets);

// Field `n` (1-based, as proc(5) counts; n >= 3) of /proc/PID/stat (`pid`
// 0: the calling process), parsed as a number; nullopt when there is no such
// process or field, or the process is a zombie.
std::optional<uint64_t> proc_stat_field(pid_t pid, int n);
// The same on the text of a stat file (for tests).
std::optional<uint64_t> parse_proc_stat_field(std::string_view stat, int n);
// Start time of a process in clock ticks since boot (field 22);
// nullopt when there is no such process or it is a zombie.
std::optional<uint64_t> process_start_time(pid_t pid);
// Number of threads of the calling process (field 20 of /proc/self/stat);
// 0 when it cannot be read.
long own_thread_count();
// True when `pid` is alive and started at `start_time`.
bool process_matches(pid_t pid, uint64_t start_time);

}  // namespace rt
