// seccomp filters: rt's built-in default profile (emitted as BPF) and
// docker/OCI JSON profiles (compiled with libseccomp). Compiling only builds the filter in memory;
// load() installs it on the calling thread.
#pragma once
#include <linux/filter.h>

#include <string>
#include <vector>

#include "caps.hpp"

namespace rt::seccomp {

class Filter {
 public:
  Filter() = default;
  Filter(Filter&& o) noexcept;
  Filter& operator=(Filter&& o) noexcept;
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;
  ~Filter();

  explicit operator bool() const { return ctx_ != nullptr || !prog_.empty(); }
  // Install the filter. Does not set no_new_privs: without it the kernel
  // wants CAP_SYS_ADMIN. Throws rt::Error.
  void load() const;
  // Number of rules added (for logs): for the built-in profile, the
  // syscall numbers it allows.
  size_t rules() const { return rules_; }
  // Length of the built-in profile's BPF program (0 for libseccomp's).
  size_t instructions() const { return prog_.size(); }
  // The built-in profile's BPF program (empty for libseccomp's).
  const std::vector<sock_filter>& program() const { return prog_; }

 private:
  friend class Builder;
  friend Filter default_profile(caps::Set, int, bool);
  void* ctx_ = nullptr;            // a libseccomp filter (JSON profiles)
  std::vector<sock_filter> prog_;  // or a ready BPF program (the built-in profile)
  size_t rules_ = 0;
};

// ---- rt's built-in default profile: an allow-list with the effect of
// docker's default (moby's profiles/seccomp/default.json). A system call
// that no rule allows fails with EPERM (or the errno of a Refuse entry).

// A condition on the first argument. The filter compares its low 32 bits,
// which is all the kernel reads of these int/unsigned int arguments (clone
// uses the low 32 bits of its flags), so a value with garbage in the high
// word is judged as the kernel will see it.
enum class Arg0 {
  any,
  personality,    // one of PER_LINUX, PER_LINUX32, UNAME26, PER_LINUX32|UNAME26, 0xffffffff (query)
  socket_family,  // any family but AF_ALG and AF_VSOCK
  clone_flags,    // no CLONE_NEW* flag (namespaces need CAP_SYS_ADMIN)
};
// The syscalls in `names` (separated by spaces) are allowed when `arg0`
// holds, the program can hold `cap` (-1: always) and the kernel is at
// least `min_kernel` (major*1000+minor). Names that do not exist for an
// ABI are skipped for it.
struct Allow {
  const char* names;
  int cap = -1;
  Arg0 arg0 = Arg0::any;
  int min_kernel = 0;
};
// A syscall no rule allows fails with `err` instead of EPERM.
struct Refuse {
  const char* name;
  int err;
};
const std::vector<Allow>& default_allow();
const std::vector<Refuse>& default_refuse();

// The built-in profile for a program that can hold `bounding` (the caller
// says which set that is): the capability rules are decided here, once.
// It covers the native ABI and, on x86-64, the i386 and x32 ones, so that
// `int $0x80` cannot bypass it; any other ABI kills the process.
//
// It is emitted as BPF directly (a binary search over ranges of syscall
// numbers, numbers from libseccomp's tables plus rt's own for calls newer
// than them): libseccomp's generator would cost milliseconds on the
// start-up path of every container.
Filter default_profile(caps::Set bounding);
// The same for a kernel of version `kernel` (major*1000+minor). On x86 the
// numbers come from a table made at compile time; `at_run_time` works them
// out from the names at run time instead, as on other architectures: the
// unit test checks that both give the same program.
Filter default_profile(caps::Set bounding, int kernel, bool at_run_time);

// The same profile as a docker JSON profile (capability rules as
// includes/excludes), for `rt-exec --print-default-seccomp`: a starting
// point for a profile of one's own. Compiled by libseccomp it compares all
// 64 bits of an argument, and skips names libseccomp does not know.
std::string default_profile_json();

// The running kernel's version as major*1000+minor (0 when unknown).
int kernel_version();

// A docker or OCI JSON profile (defaultAction, defaultErrnoRet,
// architectures or archMap, flags, syscalls[] with names/name, action,
// errnoRet, args, includes/excludes). `bounding` (the capabilities the
// program can hold) decides docker's includes.caps/excludes.caps. Unknown syscall names are skipped (logged at
// debug level), as runc does. Throws rt::Error naming the file.
Filter from_file(const std::string& path, caps::Set bounding);

}  // namespace rt::seccomp
