#include "seccomp.hpp"

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstddef>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "passwd.hpp"

namespace rt::seccomp {

using json = nlohmann::json;

Filter::Filter(Filter&& o) noexcept
    : ctx_(std::exchange(o.ctx_, nullptr)), prog_(std::move(o.prog_)), rules_(o.rules_) {}
Filter& Filter::operator=(Filter&& o) noexcept {
  if (this != &o) {
    if (ctx_) seccomp_release(ctx_);
    ctx_ = std::exchange(o.ctx_, nullptr);
    prog_ = std::move(o.prog_);
    rules_ = o.rules_;
  }
  return *this;
}
Filter::~Filter() {
  if (ctx_) seccomp_release(ctx_);
}

void Filter::load() const {
  int rc = 0;
  if (ctx_) {
    rc = seccomp_load(ctx_);
  } else if (!prog_.empty()) {
    sock_fprog fprog{static_cast<unsigned short>(prog_.size()), const_cast<sock_filter*>(prog_.data())};
    rc = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) == 0 ? 0 : -errno;
  }
  if (rc < 0)
    throw Error(str("cannot load the seccomp filter",
                    -rc == EACCES || -rc == EPERM ? " (without --no-new-privs it needs CAP_SYS_ADMIN)" : ""),
                -rc);
}

// Builds a Filter: owns the libseccomp context until it is handed over.
class Builder {
 public:
  Builder(uint32_t def_action, std::string where) : where_(std::move(where)) {
    f_.ctx_ = seccomp_init(def_action);
    if (!f_.ctx_) throw Error(str(where_, ": invalid default action"));
    // The caller decides about no_new_privs (libseccomp would set it), and
    // wants the kernel's errno when loading fails.
    attr(SCMP_FLTATR_CTL_NNP, 0);
    attr(SCMP_FLTATR_API_SYSRAWRC, 1);
    def_ = def_action;
  }
  void attr(scmp_filter_attr a, uint32_t v) {
    int rc = seccomp_attr_set(f_.ctx_, a, v);
    if (rc < 0) throw Error(str(where_, ": cannot set a filter attribute"), -rc);
  }
  void arch(uint32_t token, std::string_view label) {
    int rc = seccomp_arch_add(f_.ctx_, token);
    if (rc < 0 && rc != -EEXIST) throw Error(str(where_, ": cannot add architecture ", label), -rc);
  }
  // Returns false when the name is unknown to libseccomp.
  bool rule(uint32_t action, const std::string& name, const std::vector<scmp_arg_cmp>& args) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) return false;
    if (action == def_) return true;  // libseccomp refuses it, and it changes nothing
    int rc = seccomp_rule_add_array(f_.ctx_, action, nr, static_cast<unsigned>(args.size()), args.data());
    if (rc < 0) throw Error(str(where_, ": cannot add the rule for ", name), -rc);
    ++f_.rules_;
    return true;
  }
  uint32_t default_action() const { return def_; }
  Filter done() { return std::move(f_); }

 private:
  Filter f_;
  std::string where_;
  uint32_t def_ = 0;
};

// ---------------------------------------------------------------- built-in

const std::vector<Blocked>& default_blocklist() {
  // Docker's default profile (moby/profiles seccomp/default.json) is an
  // allow-list; these are the syscalls it leaves out or gates on a
  // capability. Where docker allows a syscall when the container keeps a
  // capability, so does this table.
  // clang-format off
  static const std::vector<Blocked> table = {
      // kernel keyring: not namespaced
      {"add_key", EPERM}, {"keyctl", EPERM}, {"request_key", EPERM},
      // loading a kernel or modules
      {"kexec_load", EPERM}, {"kexec_file_load", EPERM},
      {"init_module", EPERM, CAP_SYS_MODULE}, {"finit_module", EPERM, CAP_SYS_MODULE},
      {"delete_module", EPERM, CAP_SYS_MODULE},
      {"create_module", EPERM}, {"get_kernel_syms", EPERM}, {"query_module", EPERM},
      // obsolete or unsafe
      {"nfsservctl", EPERM}, {"uselib", EPERM}, {"ustat", EPERM}, {"sysfs", EPERM}, {"_sysctl", EPERM},
      {"vm86", EPERM}, {"vm86old", EPERM}, {"userfaultfd", EPERM},
      {"io_uring_setup", EPERM}, {"io_uring_enter", EPERM}, {"io_uring_register", EPERM},
      // mounts and namespaces
      {"mount", EPERM, CAP_SYS_ADMIN}, {"umount", EPERM, CAP_SYS_ADMIN}, {"umount2", EPERM, CAP_SYS_ADMIN},
      {"fsopen", EPERM, CAP_SYS_ADMIN}, {"fsconfig", EPERM, CAP_SYS_ADMIN}, {"fsmount", EPERM, CAP_SYS_ADMIN},
      {"fspick", EPERM, CAP_SYS_ADMIN}, {"move_mount", EPERM, CAP_SYS_ADMIN}, {"open_tree", EPERM, CAP_SYS_ADMIN},
      {"mount_setattr", EPERM, CAP_SYS_ADMIN}, {"pivot_root", EPERM},
      {"unshare", EPERM, CAP_SYS_ADMIN}, {"setns", EPERM, CAP_SYS_ADMIN},
      {"sethostname", EPERM, CAP_SYS_ADMIN}, {"setdomainname", EPERM, CAP_SYS_ADMIN},
      {"chroot", EPERM, CAP_SYS_CHROOT},
      {"swapon", EPERM}, {"swapoff", EPERM},
      {"quotactl", EPERM, CAP_SYS_ADMIN}, {"quotactl_fd", EPERM, CAP_SYS_ADMIN},
      {"open_by_handle_at", EPERM, CAP_DAC_READ_SEARCH},
      // tracing, profiling, kernel information
      {"bpf", EPERM, CAP_SYS_ADMIN, CAP_BPF}, {"perf_event_open", EPERM, CAP_SYS_ADMIN, CAP_PERFMON},
      {"lookup_dcookie", EPERM, CAP_SYS_ADMIN}, {"fanotify_init", EPERM, CAP_SYS_ADMIN},
      {"syslog", EPERM, CAP_SYS_ADMIN, CAP_SYSLOG},
      {"kcmp", EPERM, CAP_SYS_PTRACE}, {"pidfd_getfd", EPERM, CAP_SYS_PTRACE},
      {"process_madvise", EPERM, CAP_SYS_PTRACE},
      // the host's clock, power, devices, accounting, memory policy
      {"settimeofday", EPERM, CAP_SYS_TIME}, {"stime", EPERM, CAP_SYS_TIME},
      {"clock_settime", EPERM, CAP_SYS_TIME}, {"clock_settime64", EPERM, CAP_SYS_TIME},
      {"reboot", EPERM, CAP_SYS_BOOT}, {"acct", EPERM, CAP_SYS_PACCT},
      {"iopl", EPERM, CAP_SYS_RAWIO}, {"ioperm", EPERM, CAP_SYS_RAWIO},
      {"vhangup", EPERM, CAP_SYS_TTY_CONFIG},
      {"get_mempolicy", EPERM, CAP_SYS_NICE}, {"set_mempolicy", EPERM, CAP_SYS_NICE},
      {"mbind", EPERM, CAP_SYS_NICE}, {"set_mempolicy_home_node", EPERM, CAP_SYS_NICE},
      {"move_pages", EPERM},
      // clone3 passes its flags in memory a filter cannot read: ENOSYS makes
      // libc fall back to clone, whose flags it can (docker does the same).
      {"clone3", ENOSYS, CAP_SYS_ADMIN},
  };
  // clang-format on
  return table;
}

namespace {

// The ABIs a process on this machine can make syscalls with: the filter
// must cover them all, or `int $0x80` would bypass it. Each is reported to
// the filter as one AUDIT_ARCH value; x32 shares x86-64's (its numbers have
// bit 30 set), so both tables go into one section.
struct Section {
  uint32_t audit_arch;
  std::vector<uint32_t> tables;  // libseccomp arch tokens to take numbers from
};
std::vector<Section> sections() {
#if defined(__x86_64__)
  return {{AUDIT_ARCH_X86_64, {SCMP_ARCH_X86_64, SCMP_ARCH_X32}}, {AUDIT_ARCH_I386, {SCMP_ARCH_X86}}};
#elif defined(__aarch64__)
  return {{AUDIT_ARCH_AARCH64, {SCMP_ARCH_AARCH64}}, {AUDIT_ARCH_ARM, {SCMP_ARCH_ARM}}};
#else
  return {{seccomp_arch_native(), {seccomp_arch_native()}}};
#endif
}

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the filter reads the low word of arguments");
constexpr uint32_t kNrOff = offsetof(seccomp_data, nr);
constexpr uint32_t kArchOff = offsetof(seccomp_data, arch);
constexpr uint32_t kArg0LowOff = offsetof(seccomp_data, args);  // int arguments live in the low word

constexpr uint32_t kNamespaceMask =
    CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

sock_filter stmt(uint16_t code, uint32_t k) { return {code, 0, 0, k}; }
sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { return {code, jt, jf, k}; }
uint32_t errno_ret(int err) { return SECCOMP_RET_ERRNO | (static_cast<uint32_t>(err) & SECCOMP_RET_DATA); }

// One syscall the filter acts on.
struct Entry {
  enum Kind { deny, socket_vsock, clone_ns } kind;
  uint32_t nr;
  uint32_t ret;  // for deny: SECCOMP_RET_ERRNO | errno
};

// The checks for a few entries in a row, then ALLOW. The accumulator holds
// the syscall number on entry. A denied number jumps to a shared return
// for its errno at the end, so it costs one instruction.
void emit_leaf(std::vector<sock_filter>& p, const Entry* e, size_t n) {
  std::vector<uint32_t> rets;                       // distinct verdicts of the plain entries, emitted after ALLOW
  std::vector<std::pair<size_t, uint32_t>> fixups;  // jeq index -> verdict
  for (size_t i = 0; i < n; ++i) {
    if (e[i].kind == Entry::deny) {
      if (std::find(rets.begin(), rets.end(), e[i].ret) == rets.end()) rets.push_back(e[i].ret);
      fixups.emplace_back(p.size(), e[i].ret);
      p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, e[i].nr, 0, 0));
      continue;
    }
    // An argument check: the syscall matched, so its verdict is final (the
    // accumulator no longer holds the number).
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, e[i].nr, 0, 4));
    p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kArg0LowOff));
    if (e[i].kind == Entry::socket_vsock) p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, AF_VSOCK, 0, 1));
    else p.push_back(jump(BPF_JMP | BPF_JSET | BPF_K, kNamespaceMask, 0, 1));
    p.push_back(stmt(BPF_RET | BPF_K, errno_ret(EPERM)));
    p.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  }
  p.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  size_t first_ret = p.size();
  for (uint32_t r : rets) p.push_back(stmt(BPF_RET | BPF_K, r));
  // A leaf holds at most a handful of entries: every offset fits in jt.
  for (auto [at, r] : fixups) {
    size_t target = first_ret + static_cast<size_t>(std::find(rets.begin(), rets.end(), r) - rets.begin());
    p[at].jt = static_cast<uint8_t>(target - (at + 1));
  }
}

// A binary search over the sorted entries: a syscall costs a few
// comparisons instead of one per entry. This matters at load time too: the
// kernel runs the filter once per syscall number and ABI to build its
// allow cache.
std::vector<sock_filter> emit_tree(const Entry* e, size_t n) {
  std::vector<sock_filter> p;
  if (n <= 6) {
    emit_leaf(p, e, n);
    return p;
  }
  size_t mid = n / 2;
  auto lower = emit_tree(e, mid), upper = emit_tree(e + mid, n - mid);
  if (lower.size() <= 255) {
    // nr >= e[mid].nr: jump over the lower half.
    p.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, e[mid].nr, static_cast<uint8_t>(lower.size()), 0));
  } else {
    // Too far for a conditional jump: fall into an unconditional one.
    p.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, e[mid].nr, 0, 1));
    p.push_back(stmt(BPF_JMP | BPF_JA, static_cast<uint32_t>(lower.size())));
  }
  p.insert(p.end(), lower.begin(), lower.end());
  p.insert(p.end(), upper.begin(), upper.end());
  return p;
}

// One section: the syscall numbers of `tables`, after the ABI matched.
std::vector<sock_filter> emit_section(const Section& sec, const std::vector<std::pair<const char*, int>>& deny,
                                      bool clone_ns, size_t& rules) {
  std::vector<Entry> entries;
  auto add = [&](const char* name, Entry::Kind kind, uint32_t ret) {
    for (uint32_t t : sec.tables) {
      int nr = seccomp_syscall_resolve_name_arch(t, name);
      if (nr < 0) continue;  // not a syscall of this ABI (or multiplexed, as socket on x86)
      entries.push_back({kind, static_cast<uint32_t>(nr), ret});
    }
  };
  for (const auto& [name, err] : deny) add(name, Entry::deny, errno_ret(err));
  add("socket", Entry::socket_vsock, 0);
  if (clone_ns) add("clone", Entry::clone_ns, 0);
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.nr < b.nr; });
  entries.erase(
      std::unique(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.nr == b.nr; }),
      entries.end());
  rules += entries.size();
  std::vector<sock_filter> p{stmt(BPF_LD | BPF_W | BPF_ABS, kNrOff)};
  auto tree = emit_tree(entries.data(), entries.size());
  p.insert(p.end(), tree.begin(), tree.end());
  return p;
}

}  // namespace

Filter default_profile(caps::Set bounding) {
  std::vector<std::pair<const char*, int>> deny;
  for (const auto& e : default_blocklist()) {
    if ((e.unless >= 0 && caps::has(bounding, e.unless)) || (e.unless2 >= 0 && caps::has(bounding, e.unless2)))
      continue;
    deny.emplace_back(e.name, e.err);
  }
  bool clone_ns = !caps::has(bounding, CAP_SYS_ADMIN);

  // Layout: load the ABI; one "jeq ABI / ja SECTION" pair each; an unknown
  // ABI kills the process (as libseccomp's default for a foreign arch);
  // then the sections, each ending in ALLOW.
  auto secs = sections();
  std::vector<std::vector<sock_filter>> bodies(secs.size());
  Filter f;
  for (size_t i = 0; i < secs.size(); ++i) bodies[i] = emit_section(secs[i], deny, clone_ns, f.rules_);
  auto& p = f.prog_;
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, kArchOff));
  size_t head = 1 + 2 * secs.size() + 1;  // instructions before the first section
  size_t offset = head;
  for (size_t i = 0; i < secs.size(); ++i) {
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, secs[i].audit_arch, 0, 1));
    size_t here = p.size();  // index of the ja; it jumps relative to the next instruction
    p.push_back(stmt(BPF_JMP | BPF_JA, static_cast<uint32_t>(offset - (here + 1))));
    offset += bodies[i].size();
  }
  p.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  for (auto& b : bodies) p.insert(p.end(), b.begin(), b.end());
  if (p.size() > BPF_MAXINSNS) throw Error("built-in seccomp profile: the filter is too long");
  return f;
}

// ---------------------------------------------------------------- JSON

namespace {

struct Ctx {
  std::string file;
  caps::Set bounding;
};

[[noreturn]] void bad(const Ctx& c, const std::string& where, const std::string& what) {
  throw Error(str("invalid seccomp profile ", c.file, ": ", where, where.empty() ? "" : ": ", what));
}

const json* member(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

std::string get_string(const Ctx& c, const json& v, const std::string& where) {
  if (!v.is_string()) bad(c, where, "expected a string");
  return v.get<std::string>();
}

uint64_t get_uint(const Ctx& c, const json& v, const std::string& where) {
  if (!v.is_number_unsigned()) {
    if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
    bad(c, where, "expected a non-negative integer");
  }
  return v.get<uint64_t>();
}

std::vector<std::string> get_strings(const Ctx& c, const json& v, const std::string& where) {
  if (!v.is_array()) bad(c, where, "expected an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) out.push_back(get_string(c, v[i], str(where, "[", i, "]")));
  return out;
}

// `where`: the action's own place ("syscalls[3].action"); `ret_where` the errno's.
uint32_t action_of(const Ctx& c, const std::string& name, const json* errno_ret, const std::string& where,
                   const std::string& ret_where) {
  uint64_t ret = errno_ret ? get_uint(c, *errno_ret, ret_where) : EPERM;
  if (ret > 0xffff) bad(c, ret_where, str(ret, " is out of range"));
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(static_cast<uint32_t>(ret));
  if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(static_cast<uint32_t>(ret));
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_NOTIFY") bad(c, where, "SCMP_ACT_NOTIFY is not supported (rt has no seccomp agent)");
  bad(c, where, str("unknown action '", name, "'"));
}

scmp_compare op_of(const Ctx& c, const std::string& op, const std::string& where) {
  static constexpr std::pair<const char*, scmp_compare> ops[] = {{"SCMP_CMP_NE", SCMP_CMP_NE},
                                                                 {"SCMP_CMP_LT", SCMP_CMP_LT},
                                                                 {"SCMP_CMP_LE", SCMP_CMP_LE},
                                                                 {"SCMP_CMP_EQ", SCMP_CMP_EQ},
                                                                 {"SCMP_CMP_GE", SCMP_CMP_GE},
                                                                 {"SCMP_CMP_GT", SCMP_CMP_GT},
                                                                 {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  for (const auto& [n, v] : ops)
    if (op == n) return v;
  bad(c, where, str("unknown operator '", op, "'"));
}

// "SCMP_ARCH_X86_64" -> libseccomp's token; 0 when unknown.
uint32_t arch_token(std::string_view name) {
  if (!starts_with(name, "SCMP_ARCH_")) return 0;
  std::string s(name.substr(10));
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return seccomp_arch_resolve_name(s.c_str());
}

// The architecture name docker's includes/excludes "arches" use (Go's
// GOARCH, with "x86" for 386).
const char* docker_arch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__i386__)
  return "x86";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

// Kernel version as major*1000+minor; "4.8" in a profile the same way.
int version_number(std::string_view v) {
  auto parts = split(v, '.');
  auto num = [](const std::string& s) {
    int n = 0;
    for (char ch : s) {
      if (ch < '0' || ch > '9') break;
      n = n * 10 + (ch - '0');
      if (n > 100000) break;
    }
    return n;
  };
  return num(parts[0]) * 1000 + (parts.size() > 1 ? num(parts[1]) : 0);
}

int kernel_version() {
  utsname u{};
  if (::uname(&u) != 0) return 0;
  return version_number(u.release);
}

bool cap_in_bounding(const Ctx& c, const std::string& cap, const std::string& where) {
  try {
    return caps::has(c.bounding, caps::parse_name(cap, "capability"));
  } catch (const Error&) {
    bad(c, where, str("unknown capability '", cap, "'"));
  }
}

// Docker's includes/excludes: does this rule apply here?
bool applies(const Ctx& c, const json& call, const std::string& where) {
  if (const json* inc = member(call, "includes")) {
    if (!inc->is_object()) bad(c, where + ".includes", "expected an object");
    if (const json* a = member(*inc, "arches")) {
      auto arches = get_strings(c, *a, where + ".includes.arches");
      if (!arches.empty() && std::find(arches.begin(), arches.end(), docker_arch()) == arches.end()) return false;
    }
    if (const json* k = member(*inc, "caps"))
      for (const auto& cap : get_strings(c, *k, where + ".includes.caps"))
        if (!cap_in_bounding(c, cap, where + ".includes.caps")) return false;
    if (const json* m = member(*inc, "minKernel"))
      if (kernel_version() < version_number(get_string(c, *m, where + ".includes.minKernel"))) return false;
  }
  if (const json* exc = member(call, "excludes")) {
    if (!exc->is_object()) bad(c, where + ".excludes", "expected an object");
    if (const json* a = member(*exc, "arches"))
      for (const auto& arch : get_strings(c, *a, where + ".excludes.arches"))
        if (arch == docker_arch()) return false;
    if (const json* k = member(*exc, "caps"))
      for (const auto& cap : get_strings(c, *k, where + ".excludes.caps"))
        if (cap_in_bounding(c, cap, where + ".excludes.caps")) return false;
    if (const json* m = member(*exc, "minKernel"))
      if (kernel_version() >= version_number(get_string(c, *m, where + ".excludes.minKernel"))) return false;
  }
  return true;
}

void add_arches(const Ctx& c, Builder& b, const json& prof) {
  if (const json* a = member(prof, "architectures")) {
    for (const auto& name : get_strings(c, *a, "architectures")) {
      uint32_t t = arch_token(name);
      if (!t) bad(c, "architectures", str("unknown architecture '", name, "'"));
      b.arch(t, name);
    }
  }
  if (const json* m = member(prof, "archMap")) {
    if (!m->is_array()) bad(c, "archMap", "expected an array");
    uint32_t native = seccomp_arch_native();
    for (size_t i = 0; i < m->size(); ++i) {
      const json& e = (*m)[i];
      std::string where = str("archMap[", i, "]");
      if (!e.is_object() || !member(e, "architecture"))
        bad(c, where, "expected {\"architecture\": ..., \"subArchitectures\": [...]}");
      if (arch_token(get_string(c, e["architecture"], where + ".architecture")) != native) continue;
      if (const json* subs = member(e, "subArchitectures")) {
        for (const auto& name : get_strings(c, *subs, where + ".subArchitectures")) {
          uint32_t t = arch_token(name);
          if (!t) bad(c, where, str("unknown architecture '", name, "'"));
          b.arch(t, name);
        }
      }
    }
  }
}

std::vector<scmp_arg_cmp> conditions(const Ctx& c, const json& args, const std::string& where, bool& separate) {
  if (!args.is_array()) bad(c, where, "expected an array");
  std::vector<scmp_arg_cmp> out;
  int per_index[6] = {};
  for (size_t i = 0; i < args.size(); ++i) {
    const json& a = args[i];
    std::string w = str(where, "[", i, "]");
    if (!a.is_object()) bad(c, w, "expected an object with index, value, valueTwo, op");
    const json* idx = member(a, "index");
    const json* op = member(a, "op");
    if (!idx || !op) bad(c, w, "index and op are required");
    uint64_t index = get_uint(c, *idx, w + ".index");
    if (index > 5) bad(c, w, str("index ", index, " is out of range (0-5)"));
    scmp_arg_cmp cmp{};
    cmp.arg = static_cast<unsigned>(index);
    cmp.op = op_of(c, get_string(c, *op, w + ".op"), w + ".op");
    cmp.datum_a = member(a, "value") ? get_uint(c, a["value"], w + ".value") : 0;
    cmp.datum_b = member(a, "valueTwo") ? get_uint(c, a["valueTwo"], w + ".valueTwo") : 0;
    ++per_index[index];
    out.push_back(cmp);
  }
  // As runc: conditions on distinct arguments form one rule (AND); several
  // on the same argument become a rule each (OR), which libseccomp needs.
  separate = std::any_of(std::begin(per_index), std::end(per_index), [](int n) { return n > 1; });
  return out;
}

void add_syscalls(const Ctx& c, Builder& b, const json& list) {
  if (!list.is_array()) bad(c, "syscalls", "expected an array");
  for (size_t i = 0; i < list.size(); ++i) {
    const json& call = list[i];
    std::string where = str("syscalls[", i, "]");
    if (!call.is_object()) bad(c, where, "expected an object");
    std::vector<std::string> names;
    if (const json* n = member(call, "names")) names = get_strings(c, *n, where + ".names");
    if (const json* n = member(call, "name")) names.push_back(get_string(c, *n, where + ".name"));
    const json* act = member(call, "action");
    if (!act) bad(c, where, "action is required");
    uint32_t action = action_of(c, get_string(c, *act, where + ".action"), member(call, "errnoRet"), where + ".action",
                                where + ".errnoRet");
    if (!applies(c, call, where)) continue;
    bool separate = false;
    std::vector<scmp_arg_cmp> conds;
    if (const json* a = member(call, "args")) conds = conditions(c, *a, where + ".args", separate);
    for (const auto& name : names) {
      bool known = true;
      if (separate) {
        for (const auto& cond : conds) known = b.rule(action, name, {cond}) && known;
      } else {
        known = b.rule(action, name, conds);
      }
      if (!known) log::debug("seccomp profile ", c.file, ": skipping unknown syscall ", name);
    }
  }
}

}  // namespace

Filter from_file(const std::string& path, caps::Set bounding) {
  Ctx c{path, bounding};
  std::error_code ec;
  auto text = read_config_file(path, ec);
  if (!text) throw Error(str("cannot read seccomp profile ", path), ec.value());
  json prof;
  try {
    prof = json::parse(*text);
  } catch (const json::exception& e) {
    std::string msg = e.what();
    if (auto p = msg.find("] "); p != std::string::npos) msg.erase(0, p + 2);  // drop "[json.exception...]"
    throw Error(str("invalid seccomp profile ", path, ": ", msg));
  }
  if (!prof.is_object()) bad(c, "", "expected a JSON object");
  const json* def = member(prof, "defaultAction");
  if (!def) bad(c, "", "defaultAction is required");
  uint32_t def_action = action_of(c, get_string(c, *def, "defaultAction"), member(prof, "defaultErrnoRet"),
                                  "defaultAction", "defaultErrnoRet");
  Builder b(def_action, str("seccomp profile ", path));
  add_arches(c, b, prof);
  if (const json* flags = member(prof, "flags")) {
    for (const auto& f : get_strings(c, *flags, "flags")) {
      if (f == "SECCOMP_FILTER_FLAG_LOG") b.attr(SCMP_FLTATR_CTL_LOG, 1);
      else if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") b.attr(SCMP_FLTATR_CTL_SSB, 1);
      else if (f != "SECCOMP_FILTER_FLAG_TSYNC") bad(c, "flags", str("unknown flag '", f, "'"));
    }
  }
  if (const json* calls = member(prof, "syscalls")) add_syscalls(c, b, *calls);
  Filter f = b.done();
  log::debug("seccomp profile ", path, ": ", f.rules(), " rules");
  return f;
}

}  // namespace rt::seccomp
