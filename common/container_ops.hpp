// What can be done to a container after it started: list, stop, kill, rm,
// logs, inspect, wait, exec, gc. Shared by rt-run and rt-repl.
#pragma once
#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "cgroup.hpp"
#include "container.hpp"
#include "fd.hpp"

namespace rt::ops {

struct Context {
  ContainerStore store;
  std::string image_root = default_image_root();
  std::string tool_dir;  // where rt-cgroup, rt-unshare, rt-exec live
};

// The directory the running program lives in (/proc/self/exe).
std::string own_dir();

// Is the container's PID 1 (pid + start time) still there? Its supervisor?
bool container_alive(const ContainerState& c);
bool supervisor_alive(const ContainerState& c);
// The status to show: a "running" record whose PID 1 and supervisor are
// both gone is really "exited" (gc will record it).
std::string effective_status(const ContainerState& c);
// "Up 2 minutes", "Exited (0) 5 seconds ago", "Created".
std::string status_text(const ContainerState& c);

std::vector<ContainerState> list(const Context& ctx, bool all);

// SIGTERM (or `sig`), then SIGKILL after `timeout_ms`; returns once the
// container has exited. A container that is not running is left as is.
// When a signal interrupts the wait and `should_stop` returns true, throws
// (the container has the signal but may still be running).
void stop(const Context& ctx, const std::string& ref, int64_t timeout_ms, int sig = SIGTERM,
          bool (*should_stop)() = nullptr);
// Send a signal to the container's PID 1. Throws if it is not running.
void kill(const Context& ctx, const std::string& ref, int sig);
// Remove a container (its record, name and writable layer). A running one
// needs `force` (it is killed first).
void remove(const Context& ctx, const std::string& ref, bool force);
// Block until the container has exited; returns its exit code. When a
// signal interrupts the wait and `should_stop` returns true, throws.
int wait(const Context& ctx, const std::string& ref, bool (*should_stop)() = nullptr);

// The container's cgroup, rebuilt from the paths recorded at start
// (nullopt when none were recorded or none is left). For `exec` (join it)
// and `stats` (read it).
std::optional<cgroup::Group> container_group(const ContainerState& c);

struct LogOptions {
  bool follow = false;
  bool timestamps = false;
  long tail = -1;  // last N lines, -1: all
};
// Copy a detached container's log to out_fd/err_fd. With follow, keep going
// until the container exits (or `should_stop` returns true).
void logs(const Context& ctx, const std::string& ref, const LogOptions& o, int out_fd, int err_fd,
          bool (*should_stop)() = nullptr);

// The record as pretty JSON (plus live fields).
std::string inspect(const Context& ctx, const std::string& ref);

// A running container's PID 1, held so that a recycled pid is never taken
// for it: a pidfd opened while the pid's start time was the recorded one,
// its /proc directory opened while that pidfd said the process was still
// there, and its namespaces opened relative to that directory.
struct Handle {
  UniqueFd pidfd;
  UniqueFd proc;                                     // /proc/PID (O_PATH)
  std::vector<std::pair<std::string, UniqueFd>> ns;  // "net" -> fd (>= 10, close-on-exec)
};
// Throws "container NAME is not running" when it is not (not started yet:
// still "created", or no longer).
Handle open_container(const ContainerState& c);

// The copy rt-run kept of a container's own seccomp profile
// (kSeccompProfileFile), open (close-on-exec, fd >= 10); none when the
// container runs the default profile or none. Throws when it has a profile
// of its own but no copy of it is left.
UniqueFd kept_seccomp_profile(const Context& ctx, const ContainerState& c);

struct ExecOptions {
  std::vector<std::string> command;
  std::vector<std::string> env;  // K=V, or K (copied from here)
  std::string user, workdir;
  bool tty = false, interactive = false;
  int env_fd = -1;      // the fd rt-exec reads exec_env() from (--env-fd)
  int seccomp_fd = -1;  // kept_seccomp_profile(), handed down by this number
};
// The chain that runs a command inside a running container:
//   rt-unshare --join TYPE=/proc/self/fd/N ... -- rt-exec ... -- CMD
// joining the namespaces `h` holds: the caller makes h.ns inheritable in
// the child that execs it. The environment is not in it: the caller hands
// exec_env() down as o.env_fd (see env_memfd), since the chain's argv is
// everyone's to read.
std::vector<std::string> exec_argv(const Context& ctx, const ContainerState& c, const Handle& h, const ExecOptions& o);
// The container's environment, then TERM with -t, then o.env.
std::vector<std::string> exec_env(const ContainerState& c, const ExecOptions& o);

// The network rt-net set up for container `id` (STATE/netns/ID and its
// record), torn down with `rt-net down ID` from `tool_dir` (own_dir() when
// empty). Nothing is run when there is none. A failure is warned about:
// the record stays, and gc tries again.
void network_down(const ContainerStore& store, const std::string& id, const std::string& tool_dir);

// Signal names and numbers: "TERM", "SIGTERM", "15" -> 15. Throws on bad.
int parse_signal(const std::string& s);

struct GcReport {
  std::vector<std::string> exited;   // records marked exited (dead supervisor)
  std::vector<std::string> removed;  // records/layers removed
  std::vector<std::string> cgroups;  // stale cgroups removed
};
// Containers whose supervisor died are marked exited, their processes
// killed, their cgroup and network removed; --rm ones and half-created ones
// removed; layers and networks with no record removed.
GcReport gc(const Context& ctx);

}  // namespace rt::ops
