#include "cgroup_devices.hpp"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "error.hpp"
#include "fd.hpp"

namespace rt::cgroup {

const std::vector<DeviceRule>& docker_device_rules() {
  static const std::vector<DeviceRule> rules = {
      {'a', -1, -1, kDevAll, false},                            // deny everything, then allow:
      {'c', -1, -1, kDevMknod},      {'b', -1, -1, kDevMknod},  // mknod of anything
      {'c', 1, 3, kDevAll},                                     // null
      {'c', 1, 5, kDevAll},                                     // zero
      {'c', 1, 7, kDevAll},                                     // full
      {'c', 1, 8, kDevAll},                                     // random
      {'c', 1, 9, kDevAll},                                     // urandom
      {'c', 5, 0, kDevAll},                                     // tty
      {'c', 5, 1, kDevAll},                                     // console
      {'c', 5, 2, kDevAll},                                     // ptmx
      {'c', 136, -1, kDevAll},                                  // pts/*
  };
  return rules;
}

DeviceRule parse_device_rule(const std::string& s) {
  auto bad = [&](const std::string& why) -> Error {
    return Error(str("invalid --device-rule '", s, "': ", why, " (as 'allow c 1:3 rwm' or 'deny a')"));
  };
  std::vector<std::string> w;
  for (size_t i = 0; i < s.size();) {
    size_t j = s.find(' ', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) w.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  if (w.size() < 2 || w.size() > 4) throw bad("expected KIND TYPE [MAJOR:MINOR [ACCESS]]");
  DeviceRule r{'a', -1, -1, kDevAll, true};
  if (w[0] != "allow" && w[0] != "deny") throw bad(str("'", w[0], "' is not allow or deny"));
  r.allow = w[0] == "allow";
  if (w[1] != "a" && w[1] != "c" && w[1] != "b") throw bad(str("type '", w[1], "' is not a, c or b"));
  r.type = w[1][0];
  if (w.size() > 2) {
    auto colon = w[2].find(':');
    if (colon == std::string::npos) throw bad(str("'", w[2], "' is not MAJOR:MINOR"));
    auto number = [&](const std::string& n, int64_t max) -> int64_t {
      if (n == "*") return -1;
      if (n.empty() || n.size() > 8 || n.find_first_not_of("0123456789") != std::string::npos)
        throw bad(str("'", n, "' in '", w[2], "' is neither a device number nor *"));
      int64_t v = std::stoll(n);
      if (v > max) throw bad(str(n, " is out of range (at most ", max, ")"));
      return v;
    };
    r.major = number(w[2].substr(0, colon), 4095);
    r.minor = number(w[2].substr(colon + 1), 1048575);
  }
  if (w.size() > 3) {
    r.access = 0;
    for (char c : w[3]) {
      unsigned bit = c == 'r' ? kDevRead : c == 'w' ? kDevWrite : c == 'm' ? kDevMknod : 0;
      if (!bit) throw bad(str("access '", w[3], "' has '", std::string(1, c), "': expected r, w and m"));
      r.access |= bit;
    }
  }
  return r;
}

std::string v1_rule_line(const DeviceRule& r) {
  std::string s(1, r.type);
  s += ' ';
  s += r.major < 0 ? "*" : std::to_string(r.major);
  s += ':';
  s += r.minor < 0 ? "*" : std::to_string(r.minor);
  s += ' ';
  if (r.access & kDevRead) s += 'r';
  if (r.access & kDevWrite) s += 'w';
  if (r.access & kDevMknod) s += 'm';
  return s;
}

std::string device_rule_text(const DeviceRule& r) { return str(r.allow ? "allow " : "deny ", v1_rule_line(r)); }

std::vector<V1DeviceWrite> v1_device_writes(const std::vector<DeviceRule>& rules) {
  std::vector<V1DeviceWrite> out;
  bool default_allow = true;
  std::vector<DeviceRule> exceptions;  // the group's list, as the kernel keeps it
  auto overlaps = [](const DeviceRule& a, const DeviceRule& b) {
    return a.type == b.type && (a.major < 0 || b.major < 0 || a.major == b.major) &&
           (a.minor < 0 || b.minor < 0 || a.minor == b.minor) && (a.access & b.access);
  };
  for (const auto& given : rules) {
    if (given.type == 'a' && given.major < 0 && given.minor < 0 && given.access == kDevAll) {
      // "a": the list's default, and no exception.
      out.push_back({given.allow ? "devices.allow" : "devices.deny", "a"});
      default_allow = given.allow;
      exceptions.clear();
      continue;
    }
    // v1 reads any other "a" line as the one above: one rule a type.
    std::vector<DeviceRule> each = {given};
    if (given.type == 'a') {
      each[0].type = 'c';
      each.push_back(given);
      each[1].type = 'b';
    }
    for (const auto& r : each) {
      const char* file = r.allow ? "devices.allow" : "devices.deny";
      if (r.allow != default_allow) {
        out.push_back({file, v1_rule_line(r)});
        exceptions.push_back(r);
        continue;
      }
      // The default's kind: the kernel takes the access off identical rules.
      for (const auto& e : exceptions)
        if (overlaps(e, r) && (e.major != r.major || e.minor != r.minor))
          throw Error(str("device rule '", device_rule_text(given), "' cannot be applied on cgroup v1 after '",
                          device_rule_text(e), "': there a ", r.allow ? "allow" : "deny",
                          " rule only undoes an identical earlier one (the v2 filter takes any order)"));
      out.push_back({file, v1_rule_line(r)});
      for (auto& e : exceptions)
        if (overlaps(e, r)) e.access &= ~r.access;
      std::erase_if(exceptions, [](const DeviceRule& e) { return e.access == 0; });
    }
  }
  return out;
}

namespace {

// A tiny assembler for the few eBPF instructions the filter needs, with
// forward labels.
struct Asm {
  std::vector<bpf_insn> code;
  std::vector<int> labels;                      // label -> instruction index (-1: not bound yet)
  std::vector<std::pair<size_t, int>> pending;  // jump instruction, label
  void emit(uint8_t op, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = op;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    code.push_back(i);
  }
  int label() {
    labels.push_back(-1);
    return static_cast<int>(labels.size() - 1);
  }
  void bind(int l) { labels[static_cast<size_t>(l)] = static_cast<int>(code.size()); }
  void jump(uint8_t op, uint8_t dst, int32_t imm, int l) {
    pending.emplace_back(code.size(), l);
    emit(op, dst, 0, 0, imm);
  }
  void ldx_w(uint8_t dst, uint8_t src, int16_t off) { emit(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0); }
  void mov_reg(uint8_t dst, uint8_t src) { emit(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
  void mov_imm(uint8_t dst, int32_t imm) { emit(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
  void and_imm(uint8_t dst, int32_t imm) { emit(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm); }
  void rsh_imm(uint8_t dst, int32_t imm) { emit(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm); }
  void jne_imm(uint8_t dst, int32_t imm, int l) { jump(BPF_JMP | BPF_JNE | BPF_K, dst, imm, l); }
  void jeq_imm(uint8_t dst, int32_t imm, int l) { jump(BPF_JMP | BPF_JEQ | BPF_K, dst, imm, l); }
  void ja(int l) { jump(BPF_JMP | BPF_JA, 0, 0, l); }
  void exit() { emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }
  void resolve() {
    for (auto [at, l] : pending) {
      int target = labels[static_cast<size_t>(l)];
      if (target < 0 || target - static_cast<int>(at) - 1 > INT16_MAX)
        throw Error("device filter: a jump out of range (too many rules)");
      code[at].off = static_cast<int16_t>(target - static_cast<int>(at) - 1);
    }
  }
};

long sys_bpf(int cmd, bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof *attr); }

}  // namespace

// The program: r1 is a struct bpf_cgroup_dev_ctx { u32 access_type; u32
// major; u32 minor; } where access_type is (access << 16) | type. For each
// access bit the request holds, the rules with that bit are tried from the
// last to the first: the first whose type and numbers match decides (deny:
// return 0; allow: on to the next bit); none matching allows the bit. All
// bits allowed: return 1.
int load_device_program(const std::vector<DeviceRule>& rules) {
  enum : uint8_t { R0 = 0, R1, R2, R3, R4, R5, R6, R7 };
  Asm a;
  a.ldx_w(R2, R1, offsetof(bpf_cgroup_dev_ctx, access_type));
  a.mov_reg(R3, R2);
  a.and_imm(R3, 0xffff);  // device type
  a.mov_reg(R4, R2);
  a.rsh_imm(R4, 16);  // access requested
  a.ldx_w(R5, R1, offsetof(bpf_cgroup_dev_ctx, major));
  a.ldx_w(R6, R1, offsetof(bpf_cgroup_dev_ctx, minor));
  for (unsigned bit : {kDevMknod, kDevRead, kDevWrite}) {
    int next_bit = a.label();
    a.mov_reg(R7, R4);
    a.and_imm(R7, static_cast<int32_t>(bit));
    a.jeq_imm(R7, 0, next_bit);
    for (auto r = rules.rbegin(); r != rules.rend(); ++r) {
      if (!(r->access & bit)) continue;
      int next_rule = a.label();
      if (r->type != 'a') a.jne_imm(R3, r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, next_rule);
      if (r->major >= 0) a.jne_imm(R5, static_cast<int32_t>(r->major), next_rule);
      if (r->minor >= 0) a.jne_imm(R6, static_cast<int32_t>(r->minor), next_rule);
      if (r->allow) {
        a.ja(next_bit);
      } else {
        a.mov_imm(R0, 0);
        a.exit();
      }
      a.bind(next_rule);
      if (r->type == 'a' && r->major < 0 && r->minor < 0) break;  // it matches every device: the rest never decide
    }
    a.bind(next_bit);
  }
  a.mov_imm(R0, 1);
  a.exit();
  a.resolve();

  static const char license[] = "GPL";
  char log[4096];
  log[0] = '\0';
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uintptr_t>(a.code.data());
  attr.insn_cnt = static_cast<uint32_t>(a.code.size());
  attr.license = reinterpret_cast<uintptr_t>(license);
  int fd = static_cast<int>(sys_bpf(BPF_PROG_LOAD, &attr));
  if (fd < 0 && errno == EACCES) {
    // The verifier said no: ask again with its log for the message.
    attr.log_buf = reinterpret_cast<uintptr_t>(log);
    attr.log_size = sizeof log;
    attr.log_level = 1;
    fd = static_cast<int>(sys_bpf(BPF_PROG_LOAD, &attr));
  }
  if (fd < 0) {
    int e = errno;
    std::string why = log;
    if (auto nl = why.find('\n'); nl != std::string::npos) why.resize(nl);
    throw Error(str("cannot load the device filter (BPF_PROG_TYPE_CGROUP_DEVICE)", why.empty() ? "" : " (" + why + ")"),
                e);
  }
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

void attach_device_program(const std::string& dir, int prog_fd) {
  UniqueFd cg(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg) throw_errno(str("cannot open ", dir));
  bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(cg.get());
  attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf(BPF_PROG_ATTACH, &attr) != 0) throw_errno(str("cannot attach the device filter to ", dir));
}

}  // namespace rt::cgroup
