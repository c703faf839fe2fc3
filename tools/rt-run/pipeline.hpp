// The chain rt-run builds: rt-cgroup -> rt-unshare -> rt-mount -> rt-exec.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "cgroup_leaf.hpp"
#include "etc_files.hpp"
#include "spec.hpp"
#include "storage.hpp"
#include "userns.hpp"

namespace rt::run {

// Where a container's files are, and what it runs once the image (or
// rootfs) is resolved.
struct Plan {
  std::string id, name, hostname;
  std::string tool_dir;              // where rt-cgroup & co. live
  std::string bundle;                // RT_ROOT/containers/ID: the upper dir (work: layer_work_dir)
  std::vector<std::string> lower;    // overlay lower dirs, top-most first
  std::vector<std::string> command;  // argv inside the container
  std::vector<std::string> env;      // final environment K=V
  std::string workdir, user;
  int sync_fd = -1;                 // rt-unshare waits on it (hooks)
  int seccomp_fd = -1;              // a profile FILE opened for rt-exec
  int pid_fd = -1;                  // rt-unshare writes the container's pid on it
  int env_fd = -1;                  // `env`, NUL-separated, for rt-exec --env-fd
  int ready_fd = -1;                // rt-exec --ready-fd: the container has started
  std::string state_dir;            // --explain: the container's state dir (RT_STATE/containers/ID)
  std::string env_file;             // --explain: where the printed chain writes `env` first (in state_dir)
  std::string netns;                // a network namespace to join (rt-net's, another container's, ns:PATH)
  std::vector<std::string> net_up;  // rt-net up ... ID (a CNI network), run before the chain
  // A user-mode network (pasta, slirp4netns): net_up ends with --id ID and
  // is run, with /proc/PID/ns/net added, once the chain has made its
  // namespaces and before it goes on (it waits on sync_fd).
  bool user_net = false;
  // /etc/hosts, hostname, resolv.conf: written in etc_dir (the container's
  // state directory) by rt-net up for a CNI network, else by rt-run from
  // etc_files; etc_binds are rt-mount's --bind values for them.
  std::string etc_dir;
  // fuse-overlayfs: the daemon's stderr, kept as long as it runs (rt-mount
  // --fuse-log): kFuseLogFile in the container's state directory.
  std::string fuse_log;
  std::optional<etc::Request> etc_files;
  std::vector<std::string> etc_binds;
  // Rootless: a user namespace first, mapped as uid_map/gid_map say
  // (INNER:OUTER:COUNT); rt-cgroup only where the host delegates a cgroup.
  bool rootless = false;
  IdMaps maps;
  std::vector<std::string> uid_map, gid_map;
  // A user namespace made and mapped ahead, or the user's cached one
  // (userns_early.hpp): handed down as this fd, joined instead of --user.
  int userns_fd = -1;
  // How long a holder made here stays as the cache without a connection
  // (userns_cache.hpp; RT_USERNS_CACHE_IDLE, for tests).
  int userns_idle_ms = 60000;
  // Root's --network none: the network namespace made ahead by rt-run
  // (netns_early.hpp), received by rt-unshare --net-from on this fd instead
  // of its --net. `net_ahead_note`: --explain's chain makes it with --net
  // where rt-run would make it ahead, and says so.
  int net_from_fd = -1;
  bool net_ahead_note = false;
  bool cgroup = true;
  // rt-run runs `rt-cgroup --no-wait`: it makes the group, moves in and
  // execs rt-unshare in place (no process of it waits), and rt-run's
  // supervisor removes the group once the chain has ended. --explain
  // prints rt-cgroup without it: run by hand, rt-cgroup waits and removes
  // the group itself.
  bool cgroup_waits = false;
  // rt-run runs `rt-unshare --hand-over`: rt-unshare exits once PID 1 has
  // exec'd the next link, and PID 1 becomes rt-run's own child (rt-run is
  // a subreaper until then), so that the container's end wakes rt-run
  // directly, with no rt-unshare in between to wake, exit and be reaped
  // first. --explain prints rt-unshare without it: run by hand, it waits
  // for PID 1 and exits with its status.
  bool hand_over = false;
  // Rootless in a delegated v2 group: rt-run's own processes in the leaf
  // beside the containers' groups (cgroup_leaf.hpp), entered before
  // anything is forked; the container's group below its BASE (rt-cgroup
  // --parent), which enables the controllers the limits need.
  std::optional<cgroup::RunLeaf> leaf;
  std::string cgroup_parent;  // BASE once entered, else --cgroup-parent
  // The host's cgroup layout when planning read it (rootless), for the
  // supervisor (supervise.cpp) and the chain (RT_CGROUP_LAYOUT).
  std::optional<cgroup::Host> cgroup_host;
  // How rt-mount assembles the root (--storage-driver when not overlay).
  storage::Driver storage = storage::Driver::overlay;
  // --read-only (root, overlay): the writable layer, which only receives
  // the mount points the layers lack, is a tmpfs of rt-mount's
  // (--upper-tmpfs): no directory under `bundle` is made or removed.
  bool layer_in_memory = false;
};

// The rt-net command that attaches container `id` to its network (for a
// user-mode one, without the namespace's path).
// Whether rt-run runs rt-unshare --hand-over and adopts PID 1 (root, no
// -t). With -t, rt-unshare heads the session whose controlling terminal
// is the pty: its exit would hang the terminal up on the container. A
// rootless chain keeps the waiting rt-unshare too (not measured there yet).
inline bool hands_over(const Spec& s, const Plan& p) { return !p.rootless && !s.tty; }

// Whether rt-run makes the container's network namespace ahead (root's
// --network none; rootless runs keep rt-unshare --net: netns_early.hpp).
inline bool net_made_ahead(const Spec& s, const Plan& p) { return !p.rootless && s.network == "none"; }

std::vector<std::string> net_up_argv(const Spec& s, const Plan& p, const std::vector<std::string>& extra_publish);

struct Chain {
  // One vector per link, each ending with "--"; the command follows.
  std::vector<std::vector<std::string>> links;
  std::vector<std::string> command;
  // The rt-exec options alone (recorded for `exec`; without --env-fd,
  // whose fd is the run's own).
  std::vector<std::string> exec_args;

  std::vector<std::string> argv() const;
};

Chain build_chain(const Spec& s, const Plan& p);
// The chain as one shell command, with the mkdir it needs first.
std::string render_shell(const Chain& c, const Plan& p, const Spec& s);

}  // namespace rt::run
