#include "seccomp.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>
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

int kernel_version() {
  utsname u{};
  if (::uname(&u) != 0) return 0;
  return version_number(u.release);
}

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
