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
      {'c', -1, -1, kDevMknod}, {'b', -1, -1, kDevMknod},  // mknod of anything
      {'c', 1, 3, kDevAll},                                // null
      {'c', 1, 5, kDevAll},                                // zero
      {'c', 1, 7, kDevAll},                                // full
      {'c', 1, 8, kDevAll},                                // random
      {'c', 1, 9, kDevAll},                                // urandom
      {'c', 5, 0, kDevAll},                                // tty
      {'c', 5, 1, kDevAll},                                // console
      {'c', 5, 2, kDevAll},                                // ptmx
      {'c', 136, -1, kDevAll},                             // pts/*
  };
  return rules;
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

namespace {

// A tiny assembler for the few eBPF instructions the filter needs.
struct Asm {
  std::vector<bpf_insn> code;
  void emit(uint8_t op, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = op;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    code.push_back(i);
  }
  void ldx_w(uint8_t dst, uint8_t src, int16_t off) { emit(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0); }
  void mov_reg(uint8_t dst, uint8_t src) { emit(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
  void mov_imm(uint8_t dst, int32_t imm) { emit(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
  void and_imm(uint8_t dst, int32_t imm) { emit(BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm); }
  void rsh_imm(uint8_t dst, int32_t imm) { emit(BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm); }
  void jne_imm(uint8_t dst, int32_t imm, int16_t off) { emit(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm); }
  void exit() { emit(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }
};

long sys_bpf(int cmd, bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof *attr); }

}  // namespace

// The program: r1 is a struct bpf_cgroup_dev_ctx { u32 access_type; u32
// major; u32 minor; } where access_type is (access << 16) | type. Each rule
// is a block that jumps to the next block on a mismatch and returns 1
// (allow) on a match; after the last block it returns 0 (deny).
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
  for (const auto& r : rules) {
    // Count the block first: every mismatch jumps past its end.
    // Instructions of the tests (the access test takes three).
    int checks = (r.type != 'a') + ((r.access & kDevAll) != kDevAll ? 3 : 0) + (r.major >= 0) + (r.minor >= 0);
    int len = checks + 2;  // + mov r0, exit
    int pos = 0;           // instructions emitted in this block so far
    auto skip = [&](int at) { return static_cast<int16_t>(len - at - 1); };
    if (r.type != 'a') {
      a.jne_imm(R3, r.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK, skip(pos));
      ++pos;
    }
    if ((r.access & kDevAll) != kDevAll) {
      // Allowed only when the request holds no bit outside the rule's.
      a.mov_reg(R7, R4);
      a.and_imm(R7, static_cast<int32_t>(~r.access));
      pos += 2;
      a.jne_imm(R7, 0, skip(pos));
      ++pos;
    }
    if (r.major >= 0) {
      a.jne_imm(R5, static_cast<int32_t>(r.major), skip(pos));
      ++pos;
    }
    if (r.minor >= 0) {
      a.jne_imm(R6, static_cast<int32_t>(r.minor), skip(pos));
      ++pos;
    }
    a.mov_imm(R0, 1);
    a.exit();
  }
  a.mov_imm(R0, 0);
  a.exit();

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
