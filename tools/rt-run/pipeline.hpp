// The chain rt-run builds: rt-cgroup -> rt-unshare -> rt-mount -> rt-exec.
#pragma once
#include <string>
#include <vector>

#include "spec.hpp"

namespace rt::run {

// Where a container's files are, and what it runs once the image (or
// rootfs) is resolved.
struct Plan {
  std::string id, name, hostname;
  std::string tool_dir;              // where rt-cgroup & co. live
  std::string bundle;                // RT_ROOT/containers/ID: upper, work
  std::string pid_file;              // RT_STATE/containers/ID/pid
  std::vector<std::string> lower;    // overlay lower dirs, top-most first
  std::vector<std::string> command;  // argv inside the container
  std::vector<std::string> env;      // final environment K=V
  std::string workdir, user;
  int sync_fd = -1;     // rt-unshare waits on it (hooks)
  int seccomp_fd = -1;  // a profile FILE opened for rt-exec
};

struct Chain {
  // One vector per link, each ending with "--"; the command follows.
  std::vector<std::vector<std::string>> links;
  std::vector<std::string> command;
  // The rt-exec options alone (recorded for `exec`).
  std::vector<std::string> exec_args;

  std::vector<std::string> argv() const;
};

Chain build_chain(const Spec& s, const Plan& p);
// The chain as one shell command, with the mkdir it needs first.
std::string render_shell(const Chain& c, const Plan& p, const Spec& s);

}  // namespace rt::run
