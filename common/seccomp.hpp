// seccomp filters compiled with libseccomp: rt's built-in default profile
// and docker/OCI JSON profiles. Compiling only builds the filter in memory;
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
  // Number of rules added (for logs).
  size_t rules() const { return rules_; }

 private:
  friend class Builder;
  friend Filter default_profile(caps::Set);
  void* ctx_ = nullptr;            // a libseccomp filter (JSON profiles)
  std::vector<sock_filter> prog_;  // or a ready BPF program (the built-in profile)
  size_t rules_ = 0;
};

// One entry of the built-in profile: `name` fails with `err` unless the
// container's bounding set holds `unless` (or `unless2`); -1: always.
struct Blocked {
  const char* name;
  int err;
  int unless = -1, unless2 = -1;
};
// The table behind default_profile(), for docs and tests.
const std::vector<Blocked>& default_blocklist();

// rt's default: allow everything but docker's dangerous syscalls (EPERM),
// socket(AF_VSOCK), clone with namespace flags (EPERM) and clone3 (ENOSYS,
// so that libc falls back to clone, whose flags a filter can see). As in
// docker, the block on a syscall that a capability already guards is lifted
// when the program can hold that capability (`bounding`: the caller says
// which set that is).
//
// A deny-list this simple is emitted as BPF directly (syscall numbers from
// libseccomp's tables, for the native and compat ABIs): libseccomp's own
// generator takes about 1.5 ms for it, on the start-up path of every
// container; this takes a few tens of microseconds.
Filter default_profile(caps::Set bounding);

// A docker or OCI JSON profile (defaultAction, defaultErrnoRet,
// architectures or archMap, flags, syscalls[] with names/name, action,
// errnoRet, args, includes/excludes). `bounding` (the capabilities the
// program can hold) decides docker's includes.caps/excludes.caps. Unknown syscall names are skipped (logged at
// debug level), as runc does. Throws rt::Error naming the file.
Filter from_file(const std::string& path, caps::Set bounding);

}  // namespace rt::seccomp
