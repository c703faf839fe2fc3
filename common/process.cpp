#include "process.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>

#include "error.hpp"
#include "fs.hpp"

namespace rt {

namespace {

// posix_spawn's two attribute objects, destroyed on every path.
struct SpawnAttrs {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  SpawnAttrs() {
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttrs() {
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttrs(const SpawnAttrs&) = delete;
  SpawnAttrs& operator=(const SpawnAttrs&) = delete;

  void stdio(int target, int source) {
    if (source == kDevNull)
      posix_spawn_file_actions_addopen(&fa, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0);
    else if (source >= 0)  // dup2 onto itself clears CLOEXEC (glibc)
      posix_spawn_file_actions_adddup2(&fa, source, target);
  }
};

#if defined(__x86_64__)
// clone3 with a stack of the child's own: the child comes back from the
// system call on that stack, with no frame to return to, so it calls `fn`
// and exits from here (as glibc's own clone does). Without a stack
// (args->stack 0) the child runs on the caller's, below this frame, as a
// vfork child does: the caller is suspended until it has exec'd or exited.
// Only the x86-64 system call ABI is written out; other architectures fall
// back (ENOSYS).
long clone3_call(clone_args* args, int (*fn)(void*), void* arg) {
  long ret = SYS_clone3;
  asm volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"
      "and $-16, %%rsp\n\t"  // on the caller's stack (no stack given):
      "sub $128, %%rsp\n\t"  // aligned, below the caller's red zone
      "mov %[arg], %%rdi\n\t"
      "call *%[fn]\n\t"
      "mov %%eax, %%edi\n\t"
      "mov $60, %%eax\n\t"  // SYS_exit
      "syscall\n\t"
      "hlt\n\t"
      "1:\n\t"
      : "+a"(ret)
      : "D"(args), "S"(sizeof *args), [fn] "r"(fn), [arg] "r"(arg)
      : "rcx", "r11", "memory");
  return ret;
}
#endif

}  // namespace

namespace detail {

#if defined(__SANITIZE_ADDRESS__) && defined(__x86_64__)
extern "C" void __asan_handle_vfork(void* sp);  // libasan: unpoisons the stack below sp
#endif

SameCpu::SameCpu() noexcept {
  if (::sched_getaffinity(0, sizeof mask_, &mask_) != 0 || CPU_COUNT(&mask_) < 2) return;
  int cpu = ::sched_getcpu();
  if (cpu < 0 || !CPU_ISSET(cpu, &mask_)) return;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (::sched_setaffinity(0, sizeof one, &one) != 0) return;
  caller_ = ::gettid();
  pinned_ = true;
}

SameCpu::~SameCpu() {
  if (pinned_) ::sched_setaffinity(0, sizeof mask_, &mask_);
}

void SameCpu::release() const noexcept {
  if (!pinned_) return;
  ::sched_setaffinity(0, sizeof mask_, &mask_);
  // The caller by its number only where that number is the caller: in a
  // pid namespace the caller joined or made for its children, getppid()
  // is 0 and the number may be another process's there.
  if (::getppid() == caller_) ::sched_setaffinity(caller_, sizeof mask_, &mask_);
}

#if defined(__x86_64__)
// The child on the caller's own stack, below its red zone, as vfork(2).
pid_t clone_on_callers_stack(int (*fn)(void*), void* arg, int cgroup_fd, pid_t* child_pid) {
  clone_args args{};
  args.flags =
      CLONE_VM | CLONE_VFORK | (child_pid ? CLONE_PARENT_SETTID : 0) | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.parent_tid = reinterpret_cast<uint64_t>(child_pid);
  args.exit_signal = SIGCHLD;
  args.cgroup = cgroup_fd >= 0 ? static_cast<uint64_t>(cgroup_fd) : 0;
  long pid = clone3_call(&args, fn, arg);
#if defined(__SANITIZE_ADDRESS__)
  // The child's frames below ours left their redzones poisoned in ASan's
  // shadow of our stack: clear it below here, as ASan's own vfork
  // interceptor does, or our next calls there are reported as overflows.
  int here = 0;
  __asan_handle_vfork(&here);
#endif
  if (pid < 0) {
    errno = static_cast<int>(-pid);
    return -1;
  }
  return static_cast<pid_t>(pid);
}
#endif

pid_t clone_vm(int (*fn)(void*), void* arg, int cgroup_fd, pid_t* child_pid, bool callers_stack) {
#if defined(__SANITIZE_ADDRESS__) && defined(__x86_64__)
  // The sanitizer build (make asan): AddressSanitizer keeps its state per
  // thread, and a child in our memory is the same thread to it. On a stack
  // it does not know, the child's first [[noreturn]] call (vfork_die,
  // _exit) made it report a stack switch and abort with "nested bug" (exit
  // 1). On the caller's own stack, as vfork, it knows the stack. The
  // release and debug builds keep a stack of the child's own (below)
  // unless the caller asks for its own.
  (void)callers_stack;
  return clone_on_callers_stack(fn, arg, cgroup_fd, child_pid);
#else
#if defined(__x86_64__)
  if (callers_stack) return clone_on_callers_stack(fn, arg, cgroup_fd, child_pid);
#else
  (void)callers_stack;
#endif
  // The child's stack, with a guard page below it: an overflow faults
  // instead of writing over the caller's memory. 256 KiB is room enough
  // for what a child does before exec (error lines, an exception).
  constexpr size_t kGuard = 4096, kStack = size_t{256} * 1024;
  void* map = ::mmap(nullptr, kGuard + kStack, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (map == MAP_FAILED) return -1;
  char* base = static_cast<char*>(map);
  long pid = -1;
  if (::mprotect(base, kGuard, PROT_NONE) == 0) {
    if (cgroup_fd < 0) {
      int flags = CLONE_VM | CLONE_VFORK | SIGCHLD | (child_pid ? CLONE_PARENT_SETTID : 0);
      pid = ::clone(fn, base + kGuard + kStack, flags, arg, child_pid);
    } else {
#if defined(__x86_64__)
      clone_args args{};
      args.flags = CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP | (child_pid ? CLONE_PARENT_SETTID : 0);
      args.parent_tid = reinterpret_cast<uint64_t>(child_pid);
      args.exit_signal = SIGCHLD;
      args.stack = reinterpret_cast<uint64_t>(base + kGuard);
      args.stack_size = kStack;
      args.cgroup = static_cast<uint64_t>(cgroup_fd);
      pid = clone3_call(&args, fn, arg);
      if (pid < 0) {
        errno = static_cast<int>(-pid);
        pid = -1;
      }
#else
      errno = ENOSYS;
#endif
    }
  }
  int e = errno;
  ::munmap(map, kGuard + kStack);  // the child has exec'd or exited
  errno = e;
  return static_cast<pid_t>(pid);
#endif
}

}  // namespace detail

void vfork_die(int err, int status, std::initializer_list<std::string_view> parts) noexcept {
  char line[1024];
  size_t n = 0;
  auto add = [&](std::string_view s) {
    for (char c : s)
      if (n < sizeof line - 1) line[n++] = c == '\n' ? ' ' : c;
  };
  add(tool_name());
  add(": ");
  for (auto p : parts) add(p);
  if (err) {
    add(": ");
    const char* desc = ::strerrordesc_np(err);  // a constant string: no buffer, no locale
    add(desc ? desc : "unknown error");
  }
  line[n++] = '\n';
  ssize_t w = ::write(STDERR_FILENO, line, n);
  (void)w;
  ::_exit(status);
}

void vfork_exec(char* const* argv) noexcept {
  ::execvp(argv[0], argv);  // glibc's PATH search uses the stack, not malloc
  int e = errno;
  vfork_die(e, e == ENOENT ? kExitNotFound : kExitCannotExec, {"cannot execute ", argv[0]});
}

bool vfork_wait_go(int fd) noexcept {
  char c;
  ssize_t n;
  do n = ::read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  return n == 1;
}

pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& o) {
  if (argv.empty()) throw Error("cannot execute an empty command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  SpawnAttrs sa;
  sa.stdio(0, o.in);
  sa.stdio(1, o.out);
  sa.stdio(2, o.err);
  for (auto [from, to] : o.fds) posix_spawn_file_actions_adddup2(&sa.fa, from, to);
  if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&sa.fa, o.cwd.c_str());
  short flags = 0;
  if (o.mask) {
    posix_spawnattr_setsigmask(&sa.attr, o.mask);
    flags |= POSIX_SPAWN_SETSIGMASK;
  }
  if (o.new_session) flags |= POSIX_SPAWN_SETSID;
  if (flags) posix_spawnattr_setflags(&sa.attr, flags);
  pid_t pid = -1;
  int e = posix_spawnp(&pid, args[0], &sa.fa, &sa.attr, args.data(), environ);
  if (e != 0) throw Error(str("cannot execute ", argv[0]), e, e == ENOENT ? kExitNotFound : kExitCannotExec);
  return pid;
}

int wait_child(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) throw_errno(str("cannot wait for process ", pid));
  return st;
}

std::optional<int> wait_child_for(pid_t pid, int64_t timeout_ms) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) throw_errno(str("cannot open a pidfd for process ", pid));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{pidfd.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::clamp<int64_t>(left.count(), 0, INT_MAX)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw_errno(str("cannot wait for process ", pid));
    if (r == 0) return std::nullopt;
    return wait_child(pid);  // readable: it has ended
  }
}

int exit_code_from_wait(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return kExitSignalBase + WTERMSIG(wstatus);
  return kExitToolFailure;
}

int run_and_wait(const std::vector<std::string>& argv, const SpawnOptions& o) {
  return exit_code_from_wait(wait_child(spawn(argv, o)));
}

int run_and_read(const std::vector<std::string>& argv, std::string& output, SpawnOptions o) {
  Pipe p = make_pipe();
  o.out = p.write.get();
  pid_t pid = spawn(argv, o);
  p.write.reset();
  char buf[4096];
  ssize_t n;
  while ((n = ::read(p.read.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) output.append(buf, static_cast<size_t>(n));
  return exit_code_from_wait(wait_child(pid));
}

void send_go(UniqueFd& fd, const char* to_whom) {
  ssize_t n;
  do n = ::write(fd.get(), "g", 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) throw_errno(str("cannot release ", to_whom));
  fd.reset();
}

bool wait_go(int fd) {
  char c;
  ssize_t n;
  do n = ::read(fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno(str("cannot read the go-ahead on fd ", fd));
  return n == 1;
}

SignalForwarder::SignalForwarder() {
  sigemptyset(&set_);
  for (int s : kForwardedSignals) sigaddset(&set_, s);
  sigaddset(&set_, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set_, &old_) != 0) throw_errno("cannot block signals");
}

void SignalForwarder::restore() const { sigprocmask(SIG_SETMASK, &old_, nullptr); }

int SignalForwarder::wait(pid_t child, WaitOptions o) const {
  for (;;) {
    int st = 0;
    pid_t r;
    while ((r = ::waitpid(o.reap_others ? -1 : child, &st, WNOHANG)) > 0)
      if (r == child) return st;
    if (r < 0 && errno != EINTR) throw_errno(str("cannot wait for process ", child));
    siginfo_t si{};
    int sig = ::sigwaitinfo(&set_, &si);
    if (sig < 0 || sig == SIGCHLD) continue;
    // si_code > 0 means the kernel sent it (a terminal's ^C, ^\, resize):
    // the child is in our foreground process group and got it too.
    if (si.si_code > 0 && !o.forward_tty) continue;
    ::kill(child, sig);
  }
}

void die_with_parent(int alive_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died before prctl: then the pipe's write end is
  // closed and poll reports POLLHUP.
  pollfd p{alive_fd, POLLIN, 0};
  if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLIN))) std::_Exit(kExitToolFailure);
}

void wait_for_parent(int go_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  bool go = false;
  try {
    go = wait_go(go_fd);
  } catch (const Error&) {
  }
  if (!go) std::_Exit(kExitToolFailure);  // the parent is gone
}

void hide_argv_values(int argc, char** argv, int end, const std::vector<std::string>& secrets) {
  if (argc < 1 || end > argc) return;
  for (int i = 0; i + 1 < argc; ++i)  // as the kernel lays them out, or leave them be
    if (argv[i + 1] != argv[i] + std::strlen(argv[i]) + 1) return;
  std::vector<std::string> args(argv, argv + argc);
  bool changed = false;
  for (int i = 1; i < end; ++i) {
    std::string& a = args[static_cast<size_t>(i)];
    for (const auto& kv : secrets) {
      auto eq = kv.find('=');
      if (eq == std::string::npos || a.size() < kv.size() || a.compare(a.size() - kv.size(), kv.size(), kv) != 0)
        continue;
      // The argument is K=V itself, or an option with it attached.
      size_t at = a.size() - kv.size();
      if (at != 0 && a[0] != '-') continue;
      size_t value = kv.size() - eq - 1;
      if (value == 0) continue;
      a.replace(at + eq + 1, value, std::string(std::min<size_t>(value, 3), '*'));
      changed = true;
      break;
    }
  }
  if (!changed) return;
  // The original strings lie one after the other from argv[0] on.
  char* area = argv[0];
  size_t room = static_cast<size_t>(argv[argc - 1] + std::strlen(argv[argc - 1]) + 1 - area);
  size_t off = 0;
  for (int i = 0; i < argc; ++i) {
    const std::string& a = args[static_cast<size_t>(i)];
    if (off + a.size() + 1 > room) break;  // cannot happen: nothing grew
    std::memcpy(area + off, a.c_str(), a.size() + 1);
    argv[i] = area + off;
    off += a.size() + 1;
  }
  std::memset(area + off, 0, room - off);
}

std::optional<uint64_t> parse_proc_stat_field(std::string_view stat, int n) {
  // The command name (field 2) may hold spaces and parentheses: skip to the
  // last ')'.
  auto rp = stat.rfind(')');
  if (n < 3 || rp == std::string_view::npos || rp + 2 >= stat.size()) return std::nullopt;
  size_t p = rp + 2;                                          // field 3: the state
  if (stat[p] == 'Z' || stat[p] == 'X') return std::nullopt;  // a zombie is not alive
  for (int field = 3; field < n; ++field) {
    p = stat.find(' ', p);
    if (p == std::string_view::npos) return std::nullopt;
    ++p;
  }
  uint64_t v = 0;
  size_t start = p;
  for (; p < stat.size() && stat[p] >= '0' && stat[p] <= '9'; ++p) v = v * 10 + static_cast<uint64_t>(stat[p] - '0');
  if (p == start) return std::nullopt;
  return v;
}

std::optional<uint64_t> proc_stat_field(pid_t pid, int n) {
  auto stat = try_read_file(pid ? "/proc/" + std::to_string(pid) + "/stat" : std::string("/proc/self/stat"));
  if (!stat) return std::nullopt;
  return parse_proc_stat_field(*stat, n);
}

std::optional<uint64_t> process_start_time(pid_t pid) { return proc_stat_field(pid, 22); }

long own_thread_count() { return static_cast<long>(proc_stat_field(0, 20).value_or(0)); }

bool process_matches(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto st = process_start_time(pid);
  return st && *st == start_time;
}

UniqueFd input_fd(const char* name, std::string_view data) {
  UniqueFd fd(::memfd_create(name, MFD_CLOEXEC));
  if (!fd) throw_errno(str("cannot create a memfd for ", name));
  if (::write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size()) ||
      ::lseek(fd.get(), 0, SEEK_SET) != 0)
    throw_errno(str("cannot write ", name));
  return fd;
}

}  // namespace rt
