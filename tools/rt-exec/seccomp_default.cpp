// rt's built-in seccomp profile: the allow-list (the effect of docker's
// default.json, in rt's own words), its BPF emitter and its JSON form.
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "error.hpp"
#include "seccomp.hpp"

namespace rt::seccomp {

// ---------------------------------------------------------------- the table

namespace {

// The tables are constexpr: on x86 the filter's numbers are worked out from
// them at compile time (kNums below).
// clang-format off
constexpr Allow kAllow[] = {
  // processes: start, replace, end, wait
  {"execve execveat exit exit_group fork vfork wait4 waitid waitpid restart_syscall"},
  {"clone", -1, Arg0::clone_flags},
  // identity and credentials
  {"getuid getuid32 geteuid geteuid32 getgid getgid32 getegid getegid32 getresuid getresuid32 "
   "getresgid getresgid32 getgroups getgroups32 setuid setuid32 setgid setgid32 setreuid setreuid32 "
   "setregid setregid32 setresuid setresuid32 setresgid setresgid32 setfsuid setfsuid32 setfsgid "
   "setfsgid32 setgroups setgroups32 capget capset"},
  // process attributes, scheduling, limits, the thread's own state
  {"getpid getppid gettid getpgid getpgrp getsid setpgid setsid getpriority setpriority getrlimit "
   "setrlimit ugetrlimit prlimit64 getrusage times umask prctl ioprio_get ioprio_set getcpu uname "
   "sysinfo sched_yield sched_getaffinity sched_setaffinity sched_getattr sched_setattr sched_getparam "
   "sched_setparam sched_getscheduler sched_setscheduler sched_get_priority_max sched_get_priority_min "
   "sched_rr_get_interval sched_rr_get_interval_time64 set_tid_address get_robust_list set_robust_list "
   "rseq set_thread_area get_thread_area seccomp landlock_create_ruleset landlock_add_rule "
   "landlock_restrict_self getrandom uretprobe"},
  {"personality", -1, Arg0::personality},
  // signals
  {"kill tkill tgkill pidfd_open pidfd_send_signal rt_sigaction rt_sigprocmask rt_sigpending "
   "rt_sigqueueinfo rt_tgsigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 "
   "sigaltstack sigprocmask sigreturn signalfd signalfd4 pause"},
  // clocks and timers (reading and adjtimex queries; setting needs CAP_SYS_TIME, below)
  {"time gettimeofday clock_gettime clock_gettime64 clock_getres clock_getres_time64 clock_nanosleep "
   "clock_nanosleep_time64 nanosleep adjtimex clock_adjtime clock_adjtime64 alarm getitimer setitimer "
   "timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime "
   "timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64"},
  // memory
  {"brk mmap mmap2 munmap mremap mprotect madvise mincore msync mlock mlock2 mlockall munlock munlockall "
   "membarrier memfd_create memfd_secret remap_file_pages pkey_alloc pkey_free pkey_mprotect "
   "map_shadow_stack mseal process_mrelease"},
  // file descriptors and their data
  {"read readv pread64 preadv preadv2 write writev pwrite64 pwritev pwritev2 lseek _llseek close "
   "close_range dup dup2 dup3 fcntl fcntl64 ioctl flock fsync fdatasync sync syncfs sync_file_range "
   "fallocate fadvise64 fadvise64_64 readahead sendfile sendfile64 splice tee vmsplice copy_file_range "
   "cachestat pipe pipe2 eventfd eventfd2"},
  // paths and file metadata
  {"open openat openat2 creat access faccessat faccessat2 stat stat64 lstat lstat64 fstat fstat64 "
   "fstatat64 newfstatat statx statfs statfs64 fstatfs fstatfs64 truncate truncate64 ftruncate "
   "ftruncate64 chdir fchdir getcwd mkdir mkdirat mknod mknodat rmdir rename renameat renameat2 link "
   "linkat symlink symlinkat unlink unlinkat readlink readlinkat chmod fchmod fchmodat fchmodat2 chown "
   "chown32 fchown fchown32 fchownat lchown lchown32 utime utimes utimensat utimensat_time64 futimesat "
   "getdents getdents64 name_to_handle_at statmount listmount"},
  {"getxattr lgetxattr fgetxattr getxattrat setxattr lsetxattr fsetxattr setxattrat listxattr "
   "llistxattr flistxattr listxattrat removexattr lremovexattr fremovexattr removexattrat"},
  // waiting for events (io_uring is not here: it bypasses the filter)
  {"select _newselect pselect6 pselect6_time64 poll ppoll ppoll_time64 epoll_create epoll_create1 "
   "epoll_ctl epoll_ctl_old epoll_wait epoll_wait_old epoll_pwait epoll_pwait2 inotify_init "
   "inotify_init1 inotify_add_watch inotify_rm_watch fanotify_mark futex futex_time64 futex_waitv "
   "futex_wait futex_wake futex_requeue io_setup io_destroy io_submit io_cancel io_getevents "
   "io_pgetevents io_pgetevents_time64"},
  // System V and POSIX IPC (namespaced)
  {"ipc semget semctl semop semtimedop semtimedop_time64 msgget msgsnd msgrcv msgctl shmget shmat shmdt "
   "shmctl mq_open mq_unlink mq_timedsend mq_timedsend_time64 mq_timedreceive mq_timedreceive_time64 "
   "mq_notify mq_getsetattr"},
  // sockets (socketcall is i386's multiplexer: its arguments are out of
  // a filter's reach, so the family check below does not apply there)
  {"socketpair socketcall bind connect listen accept accept4 getsockname getpeername getsockopt "
   "setsockopt send sendto sendmsg sendmmsg recv recvfrom recvmsg recvmmsg recvmmsg_time64 shutdown"},
  {"socket", -1, Arg0::socket_family},
  // architecture-specific calls (each exists on its architecture only)
  {"arch_prctl modify_ldt arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush "
   "set_tls swapcontext s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr riscv_flush_icache "
   "riscv_hwprobe"},
  // tracing other processes of the container (before 4.8 it could bypass seccomp)
  {"ptrace process_vm_readv process_vm_writev", -1, Arg0::any, 4008},
  // when the program can hold the capability that guards them anyway
  {"bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie lsm_get_self_attr "
   "lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount open_tree perf_event_open quotactl "
   "quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare", CAP_SYS_ADMIN},
  {"open_by_handle_at", CAP_DAC_READ_SEARCH},
  {"reboot", CAP_SYS_BOOT},
  {"chroot", CAP_SYS_CHROOT},
  {"init_module finit_module delete_module", CAP_SYS_MODULE},
  {"acct", CAP_SYS_PACCT},
  {"ptrace process_vm_readv process_vm_writev kcmp pidfd_getfd process_madvise", CAP_SYS_PTRACE},
  {"iopl ioperm", CAP_SYS_RAWIO},
  {"settimeofday stime clock_settime clock_settime64", CAP_SYS_TIME},
  {"vhangup", CAP_SYS_TTY_CONFIG},
  {"get_mempolicy set_mempolicy mbind set_mempolicy_home_node", CAP_SYS_NICE},
  {"syslog", CAP_SYSLOG},
  {"bpf", CAP_BPF},
  {"perf_event_open", CAP_PERFMON},
};
// clang-format on

// clone3 passes its flags in memory a filter cannot read: ENOSYS makes
// the C library fall back to clone, whose flags it can.
constexpr Refuse kRefuse[] = {{"clone3", ENOSYS}};

}  // namespace

const std::vector<Allow>& default_allow() {
  static const std::vector<Allow> table(std::begin(kAllow), std::end(kAllow));
  return table;
}

const std::vector<Refuse>& default_refuse() {
  static const std::vector<Refuse> table(std::begin(kRefuse), std::end(kRefuse));
  return table;
}

namespace {

// PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32|UNAME26 and 0xffffffff (a query).
constexpr uint32_t kPersonalities[] = {PER_LINUX, PER_LINUX32, UNAME26, uint32_t{PER_LINUX32} | UNAME26, 0xffffffff};
constexpr uint32_t kDeniedFamilies[] = {AF_ALG, AF_VSOCK};  // sorted
constexpr uint32_t kNamespaceFlags =
    CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

template <class F> constexpr void for_each_name(const char* names, F f) {
  std::string_view s(names);
  while (!s.empty()) {
    size_t sp = s.find(' ');
    std::string_view n = s.substr(0, sp);
    if (!n.empty()) f(n);
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
}

constexpr int refusal_errno(std::string_view name) {
  for (const auto& r : kRefuse)
    if (name == r.name) return r.err;
  return EPERM;
}

// ---------------------------------------------------------------- numbers

// The ABIs a process on this machine can make syscalls with: the filter
// must cover them all, or `int $0x80` would bypass it. Each is reported to
// the filter as one AUDIT_ARCH value, a section of the filter; x32 shares
// x86-64's (its numbers have bit 30 set).
#if defined(__x86_64__)
constexpr uint32_t kSections[] = {AUDIT_ARCH_X86_64, AUDIT_ARCH_I386};
constexpr uint32_t kX32Bit = 0x40000000;

struct X86Call {
  const char* name;
  int x86_64, i386, x32;
};
constexpr X86Call kX86Calls[] = {
#include "seccomp_x86_syscalls.inc"
};

// Calls `f(section, number)` for each ABI that has the call `name`.
template <class F> constexpr void numbers_of(std::string_view name, F f) {
  auto it = std::lower_bound(std::begin(kX86Calls), std::end(kX86Calls), name,
                             [](const X86Call& c, std::string_view n) { return std::string_view(c.name) < n; });
  if (it == std::end(kX86Calls) || name != it->name) return;
  if (it->x86_64 >= 0) f(0, static_cast<uint32_t>(it->x86_64));
  if (it->x32 >= 0) f(0, static_cast<uint32_t>(it->x32) | kX32Bit);
  if (it->i386 >= 0) f(1, static_cast<uint32_t>(it->i386));
}
#else
// Elsewhere the numbers come from libseccomp's tables, and for calls newer
// than some of its releases from this list: since Linux 5.1 a new call has
// one number on every architecture (but alpha, ia64 and mips).
struct Late {
  const char* name;
  int nr;
};
// clang-format off
constexpr Late kLate[] = {
    {"cachestat", 451}, {"fchmodat2", 452}, {"map_shadow_stack", 453}, {"futex_wake", 454},
    {"futex_wait", 455}, {"futex_requeue", 456}, {"statmount", 457}, {"listmount", 458},
    {"lsm_get_self_attr", 459}, {"lsm_set_self_attr", 460}, {"lsm_list_modules", 461}, {"mseal", 462},
    {"setxattrat", 463}, {"getxattrat", 464}, {"listxattrat", 465}, {"removexattrat", 466},
};
// clang-format on
#if defined(__aarch64__)
constexpr uint32_t kSections[] = {AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM};
constexpr uint32_t kTokens[] = {SCMP_ARCH_AARCH64, SCMP_ARCH_ARM};
constexpr bool kGeneric = true;  // both number new calls as asm-generic does
#else
const uint32_t kSections[] = {seccomp_arch_native()};
const uint32_t kTokens[] = {seccomp_arch_native()};
constexpr bool kGeneric = false;
#endif

template <class F> void numbers_of(std::string_view name, F f) {
  std::string n(name);
  for (size_t s = 0; s < std::size(kTokens); ++s) {
    int nr = seccomp_syscall_resolve_name_arch(kTokens[s], n.c_str());
    if (nr == __NR_SCMP_ERROR && kGeneric)
      for (const auto& l : kLate)
        if (name == l.name) nr = l.nr;
    if (nr >= 0) f(s, static_cast<uint32_t>(nr));
  }
}
#endif
constexpr size_t kNumSections = std::size(kSections);

// ---------------------------------------------------------------- BPF

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the filter reads the low word of arguments");
constexpr uint32_t kNrOff = offsetof(seccomp_data, nr);
constexpr uint32_t kArchOff = offsetof(seccomp_data, arch);
constexpr uint32_t kArg0LowOff = offsetof(seccomp_data, args);

sock_filter stmt(uint16_t code, uint32_t k) { return {code, 0, 0, k}; }
sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { return {code, jt, jf, k}; }
constexpr uint32_t errno_ret(int err) { return SECCOMP_RET_ERRNO | (static_cast<uint32_t>(err) & SECCOMP_RET_DATA); }

// What the filter does with one syscall number: return `ret`, or check the
// first argument (`arg0`) and return ALLOW or `ret`.
struct Verdict {
  uint32_t ret = errno_ret(EPERM);
  Arg0 arg0 = Arg0::any;
  constexpr bool operator==(const Verdict&) const = default;
  constexpr bool plain() const { return arg0 == Arg0::any; }
  // When several rules give one number a verdict: an unconditional ALLOW
  // wins over a condition, a condition over a refusal.
  constexpr int rank() const { return ret == SECCOMP_RET_ALLOW ? 0 : plain() ? 2 : 1; }
};

// A run of numbers [first, next run's first) with one verdict.
struct Run {
  uint32_t first;
  Verdict v;
};

size_t verdict_size(const Verdict& v) {
  switch (v.arg0) {
    case Arg0::any: return 1;
    case Arg0::personality: return 1 + std::size(kPersonalities) + 2;
    case Arg0::socket_family: return 1 + std::size(kDeniedFamilies) + 2;
    case Arg0::clone_flags: return 4;
  }
  return 0;
}

void emit_verdict(std::vector<sock_filter>& p, const Verdict& v) {
  if (v.plain()) {
    p.push_back(stmt(BPF_RET | BPF_K, v.ret));
    return;
  }
  // The accumulator is no longer needed: the verdict is final.
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kArg0LowOff));
  switch (v.arg0) {
    case Arg0::personality: {
      // jeq each value -> ALLOW (after the refusal)
      uint8_t n = std::size(kPersonalities);
      for (uint8_t i = 0; i < n; ++i) p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, kPersonalities[i], n - i, 0));
      p.push_back(stmt(BPF_RET | BPF_K, v.ret));
      p.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
      break;
    }
    case Arg0::socket_family: {
      // jeq each denied family -> refusal (after the ALLOW)
      uint8_t n = std::size(kDeniedFamilies);
      for (uint8_t i = 0; i < n; ++i) p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, kDeniedFamilies[i], n - i, 0));
      p.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
      p.push_back(stmt(BPF_RET | BPF_K, v.ret));
      break;
    }
    case Arg0::clone_flags:
      p.push_back(jump(BPF_JMP | BPF_JSET | BPF_K, kNamespaceFlags, 1, 0));
      p.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
      p.push_back(stmt(BPF_RET | BPF_K, v.ret));
      break;
    case Arg0::any: break;
  }
}

// The length of the search tree over `n` runs (see emit_tree).
size_t tree_size(const Run* r, size_t n) {
  if (n == 1) return verdict_size(r->v);
  size_t mid = n / 2, lower = tree_size(r, mid);
  return (lower <= 255 ? 1 : 2) + lower + tree_size(r + mid, n - mid);
}

// A binary search over the runs (the accumulator holds the number): a
// syscall costs a few comparisons. This matters at load time too: the
// kernel runs the filter once per syscall number and ABI to build its
// cache of always-allowed calls.
void emit_tree(std::vector<sock_filter>& p, const Run* r, size_t n) {
  if (n == 1) {
    emit_verdict(p, r->v);
    return;
  }
  size_t mid = n / 2, lower = tree_size(r, mid);
  if (lower <= 255) {
    // nr >= r[mid].first: jump over the lower half.
    p.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, r[mid].first, static_cast<uint8_t>(lower), 0));
  } else {
    // Too far for a conditional jump: fall into an unconditional one.
    p.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, r[mid].first, 0, 1));
    p.push_back(stmt(BPF_JMP | BPF_JA, static_cast<uint32_t>(lower)));
  }
  emit_tree(p, r, mid);
  emit_tree(p, r + mid, n - mid);
}

// The runs of one section, from its numbers given in ascending order, each
// once with its verdict: every number from 0 to 2^32-1 falls into one run;
// a gap gets the default refusal; neighbours with one plain verdict merge.
// `allowed` counts the numbers that may be called.
class RunList {
 public:
  explicit RunList(size_t numbers) {
    runs_.reserve(2 * numbers + 1);
    runs_.push_back({0, Verdict{}});
  }
  void number(uint32_t nr, const Verdict& v, size_t& allowed) {
    allowed += v.rank() < 2;
    add(nr, v);
    if (nr != UINT32_MAX) add(nr + 1, Verdict{});
  }
  std::vector<Run>& runs() { return runs_; }

 private:
  void add(uint32_t first, const Verdict& v) {
    if (runs_.back().first == first) runs_.pop_back();  // only ever a gap's default
    if (runs_.empty() || !v.plain() || !runs_.back().v.plain() || !(runs_.back().v == v)) runs_.push_back({first, v});
  }
  std::vector<Run> runs_;
};

bool rule_holds(const Allow& a, caps::Set bounding, int kernel) {
  return (a.cap < 0 || caps::has(bounding, a.cap)) && kernel >= a.min_kernel;
}

// The runs of every section worked out at run time: each name of the
// tables looked up, the numbers sorted. Where no table of numbers is known
// at compile time (every architecture but x86), and the reference the
// unit test holds the compile-time table to.
void runs_at_run_time(caps::Set bounding, int kernel, std::vector<Run> (&runs)[kNumSections], size_t& allowed) {
  std::vector<std::pair<uint32_t, Verdict>> nums[kNumSections];
  for (auto& n : nums) n.reserve(1024);
  for (const auto& a : kAllow) {
    if (!rule_holds(a, bounding, kernel)) continue;
    for_each_name(a.names, [&](std::string_view name) {
      Verdict v{a.arg0 == Arg0::any ? SECCOMP_RET_ALLOW : errno_ret(refusal_errno(name)), a.arg0};
      numbers_of(name, [&](size_t s, uint32_t nr) { nums[s].emplace_back(nr, v); });
    });
  }
  for (const auto& r : kRefuse)
    numbers_of(r.name, [&](size_t s, uint32_t nr) { nums[s].emplace_back(nr, Verdict{errno_ret(r.err)}); });
  for (size_t s = 0; s < kNumSections; ++s) {
    // By number, the best verdict first (see Verdict::rank).
    std::sort(nums[s].begin(), nums[s].end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first : a.second.rank() < b.second.rank();
    });
    RunList list(nums[s].size());
    for (size_t i = 0; i < nums[s].size(); ++i)
      if (i == 0 || nums[s][i].first != nums[s][i - 1].first) list.number(nums[s][i].first, nums[s][i].second, allowed);
    runs[s] = std::move(list.runs());
  }
}

#if defined(__x86_64__)
// Every (section, number) the tables name, with its verdict and the rule
// that names it, sorted by section, number and rank at compile time: at
// run time only the rules' conditions (a capability, a kernel version) are
// left to check, in one pass with no lookup, sort or allocation but the
// runs' (a cold build in a new rt-exec: 140 us instead of 300 us, 7 page
// faults instead of 12, on the test VM at load 10).
struct Num {
  uint32_t nr;
  Verdict v;
  uint16_t rule;  // index in kAllow; kRefusal: a refusal of kRefuse, which always holds
  uint8_t section;
  uint8_t rank;
};
constexpr uint16_t kRefusal = UINT16_MAX;
static_assert(std::size(kAllow) < kRefusal);

template <class F> constexpr void for_each_num(F f) {
  for (size_t i = 0; i < std::size(kAllow); ++i) {
    const Allow& a = kAllow[i];
    for_each_name(a.names, [&](std::string_view name) {
      Verdict v{a.arg0 == Arg0::any ? SECCOMP_RET_ALLOW : errno_ret(refusal_errno(name)), a.arg0};
      numbers_of(name, [&](size_t s, uint32_t nr) {
        f(Num{nr, v, static_cast<uint16_t>(i), static_cast<uint8_t>(s), static_cast<uint8_t>(v.rank())});
      });
    });
  }
  for (const auto& r : kRefuse)
    numbers_of(r.name, [&](size_t s, uint32_t nr) {
      Verdict v{errno_ret(r.err)};
      f(Num{nr, v, kRefusal, static_cast<uint8_t>(s), static_cast<uint8_t>(v.rank())});
    });
}

constexpr size_t kNumCount = [] {
  size_t n = 0;
  for_each_num([&](const Num&) { ++n; });
  return n;
}();

constexpr std::array<Num, kNumCount> kNums = [] {
  std::array<Num, kNumCount> out{};
  size_t i = 0;
  for_each_num([&](const Num& n) { out[i++] = n; });
  std::sort(out.begin(), out.end(), [](const Num& a, const Num& b) {
    if (a.section != b.section) return a.section < b.section;
    if (a.nr != b.nr) return a.nr < b.nr;
    if (a.rank != b.rank) return a.rank < b.rank;
    return a.rule < b.rule;
  });
  return out;
}();

// The runs from kNums: for each number, the verdict of the first rule that
// holds (the best: kNums has them by rank); none: the number is a gap.
void runs_from_table(caps::Set bounding, int kernel, std::vector<Run> (&runs)[kNumSections], size_t& allowed) {
  bool holds[std::size(kAllow)];
  for (size_t i = 0; i < std::size(kAllow); ++i) holds[i] = rule_holds(kAllow[i], bounding, kernel);
  const Num* n = kNums.data();
  const Num* end = n + kNums.size();
  for (size_t s = 0; s < kNumSections; ++s) {
    const Num* first = n;
    while (n != end && n->section == s) ++n;
    RunList list(static_cast<size_t>(n - first));
    for (const Num* e = first; e != n;) {
      const Num* best = nullptr;
      uint32_t nr = e->nr;
      for (; e != n && e->nr == nr; ++e)
        if (!best && (e->rule == kRefusal || holds[e->rule])) best = e;
      if (best) list.number(nr, best->v, allowed);
    }
    runs[s] = std::move(list.runs());
  }
}
#endif

}  // namespace

Filter default_profile(caps::Set bounding) { return default_profile(bounding, kernel_version(), false); }

Filter default_profile(caps::Set bounding, int kernel, bool at_run_time) {
  // Layout: load the ABI; one "jeq ABI / ja SECTION" pair each; an unknown
  // ABI kills the process (as libseccomp's default for a foreign arch);
  // then each section: load the number, search its runs.
  Filter f;
  std::vector<Run> runs[kNumSections];
#if defined(__x86_64__)
  if (!at_run_time) runs_from_table(bounding, kernel, runs, f.rules_);
  else runs_at_run_time(bounding, kernel, runs, f.rules_);
#else
  (void)at_run_time;
  runs_at_run_time(bounding, kernel, runs, f.rules_);
#endif
  size_t start[kNumSections + 1];  // where each section begins, and the end
  start[0] = 1 + 2 * kNumSections + 1;
  for (size_t s = 0; s < kNumSections; ++s) start[s + 1] = start[s] + 1 + tree_size(runs[s].data(), runs[s].size());
  auto& p = f.prog_;
  p.reserve(start[kNumSections]);
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kArchOff));
  for (size_t s = 0; s < kNumSections; ++s) {
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, kSections[s], 0, 1));
    size_t here = p.size();  // index of the ja; it jumps relative to the next instruction
    p.push_back(stmt(BPF_JMP | BPF_JA, static_cast<uint32_t>(start[s] - (here + 1))));
  }
  p.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  for (size_t s = 0; s < kNumSections; ++s) {
    p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kNrOff));
    emit_tree(p, runs[s].data(), runs[s].size());
  }
  if (p.size() != start[kNumSections]) throw Error("built-in seccomp profile: the filter's layout is inconsistent");
  if (p.size() > BPF_MAXINSNS) throw Error("built-in seccomp profile: the filter is too long");
  return f;
}

// ---------------------------------------------------------------- JSON form

std::string default_profile_json() {
  using json = nlohmann::ordered_json;
  auto names_of = [](const char* list) {
    json out = json::array();
    for_each_name(list, [&](std::string_view n) { out.push_back(std::string(n)); });
    return out;
  };
  auto arg = [](uint64_t value, const char* op) { return json{{"index", 0}, {"value", value}, {"op", op}}; };
  json calls = json::array();
  for (const auto& a : default_allow()) {
    std::vector<json> args;  // one rule per condition: any of them may hold
    switch (a.arg0) {
      case Arg0::any: args.emplace_back(json::array()); break;
      case Arg0::personality:
        for (uint32_t v : kPersonalities) args.push_back(json::array({arg(v, "SCMP_CMP_EQ")}));
        break;
      case Arg0::socket_family: {
        // Everything but the denied families: below the first, between
        // neighbours (one value apart here), above the last.
        uint32_t prev = kDeniedFamilies[0];
        args.push_back(json::array({arg(prev, "SCMP_CMP_LT")}));
        for (uint32_t d : kDeniedFamilies) {
          for (uint32_t v = prev + 1; v < d; ++v) args.push_back(json::array({arg(v, "SCMP_CMP_EQ")}));
          prev = d;
        }
        args.push_back(json::array({arg(prev, "SCMP_CMP_GT")}));
        break;
      }
      case Arg0::clone_flags: {
        json c = arg(kNamespaceFlags, "SCMP_CMP_MASKED_EQ");
        c["valueTwo"] = 0;
        args.push_back(json::array({c}));
        break;
      }
    }
    for (const auto& cond : args) {
      json call{{"names", names_of(a.names)}, {"action", "SCMP_ACT_ALLOW"}};
      if (!cond.empty()) call["args"] = cond;
      if (a.cap >= 0) call["includes"]["caps"] = json::array({caps::name(a.cap)});
      if (a.min_kernel > 0)
        call["includes"]["minKernel"] = std::to_string(a.min_kernel / 1000) + "." + std::to_string(a.min_kernel % 1000);
      calls.push_back(call);
    }
  }
  for (const auto& r : default_refuse()) {
    // Only where no capability lifts the refusal (libseccomp refuses two
    // actions for one call).
    json lifted = json::array();
    for (const auto& a : default_allow())
      for_each_name(a.names, [&](std::string_view n) {
        if (n == r.name && a.cap >= 0 && a.arg0 == Arg0::any) lifted.push_back(caps::name(a.cap));
      });
    json call{{"names", json::array({r.name})}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", r.err}};
    if (!lifted.empty()) call["excludes"]["caps"] = lifted;
    calls.push_back(call);
  }
  json prof{
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"defaultErrnoRet", EPERM},
      {"archMap", json::array({json{{"architecture", "SCMP_ARCH_X86_64"},
                                    {"subArchitectures", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}}},
                               json{{"architecture", "SCMP_ARCH_AARCH64"}, {"subArchitectures", {"SCMP_ARCH_ARM"}}}})},
      {"syscalls", calls},
  };
  return prof.dump(1, '\t') + "\n";
}

}  // namespace rt::seccomp
