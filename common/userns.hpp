// User namespace id maps, written from outside the new namespace.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "fd.hpp"

namespace rt {

struct IdMap {
  uint32_t inner = 0, outer = 0, count = 0;
};

struct IdMaps {
  std::vector<IdMap> uid, gid;

  // --map-root-user, --uid-map, --gid-map. Throws rt::Error on bad values.
  static IdMaps from_options(bool map_root, const std::vector<std::string>& uid, const std::vector<std::string>& gid);
  bool empty() const { return uid.empty() && gid.empty(); }
};

// "INNER:OUTER:COUNT" -> IdMap.
IdMap parse_id_map(const std::string& s, const char* what);

// After the maps are written: a process whose own ids are not in them runs
// as the overflow ids (nobody) and would lose every capability at execve.
// When the maps include root, become root inside (as runc does for a
// container's init) and drop the supplementary groups, which would
// otherwise show as nogroup. Throws rt::Error on failure.
void become_mapped_root(const IdMaps& maps);

// Joining an existing user namespace (setns), as nsenter does: become its
// root (uid and gid 0 there, which must be mapped) with no supplementary
// groups. Host root joining one that maps root elsewhere would otherwise run
// there as an unmapped uid: no capability in it after the next execve, yet
// still host root's owner rights on host files, in a process that the
// namespace's own root (CAP_SYS_PTRACE over it) may trace. Call
// drop_groups_before_join() before setns (host root's groups cannot be
// dropped afterwards in a namespace whose setgroups is "deny"), then
// become_joined_root() after it. Throw rt::Error on failure.
void drop_groups_before_join();
void become_joined_root(const std::string& ns_path);
// The same for a vfork_child body (no exceptions, no allocation): nullptr,
// or what failed, "uid", "gid" or "groups" (errno set).
const char* try_become_joined_root() noexcept;

// Writes the maps of the calling process's new user namespace. The kernel
// only lets a process outside that namespace map more than its own id, so
// start() forks a helper before unshare(CLONE_NEWUSER) and finish() lets it
// write /proc/PID/{setgroups,uid_map,gid_map} (or run newuidmap/newgidmap
// when the caller is not root) and waits for it.
// ---------------------------------------------------------------- rootless

// One line of /etc/subuid or /etc/subgid: USER-or-UID:START:COUNT.
struct SubIdRange {
  uint32_t start = 0, count = 0;
};

// The ranges `text` (the contents of /etc/subuid or /etc/subgid) grants to
// the user named `user` or numbered `id`, in file order. Malformed lines are
// skipped, as the shadow tools skip them.
std::vector<SubIdRange> subid_ranges(const std::string& text, const std::string& user, uint32_t id);

// The maps of a rootless container: the caller's uid/gid as 0 inside, and
// the ranges /etc/subuid and /etc/subgid grant the caller as 1, 2, ... when
// newuidmap and newgidmap can write them. Where they cannot, a single-id map
// and `note` says why and what that limits (empty when nothing is missing).
IdMaps rootless_maps(std::string& note);

// Why the kernel will refuse this user a user namespace, read from the
// sysctls that block it (kernel.unprivileged_userns_clone,
// user.max_user_namespaces, kernel.apparmor_restrict_unprivileged_userns),
// each with its remedy; nullopt when none of them does.
std::optional<std::string> userns_blocked();
// The same from `sysctl`, which gives a sysctl's value by name
// ("user.max_user_namespaces"), trailing blanks removed, or nullopt when
// the kernel has no such sysctl.
std::optional<std::string> userns_blocked(std::optional<std::string> (*sysctl)(const char* name));
// In a new user namespace: the reason when AppArmor has confined this
// process (or process `pid`) for having made it (Ubuntu's restriction: no
// capabilities in it), with the remedy; nullopt otherwise.
std::optional<std::string> apparmor_userns_restricted(pid_t pid = 0);
// The same from a process's AppArmor label (/proc/PID/attr/current).
std::optional<std::string> apparmor_label_restricted(const std::string& label);

// Make the calling process, which must be single-threaded, root of a new
// user namespace mapped as rootless_maps() says, so that it can give files
// the owners an image names (as a rootless container sees them). Only when
// those maps hold more than the caller's own ids (a single-id namespace
// gains nothing): returns false, and does nothing, otherwise. Throws
// rt::Error on failure.
bool enter_rootless_userns();

// Is the calling process in the host's (initial) user namespace?
bool in_initial_userns();

// remove_tree(path), and for an unprivileged caller who may not remove some
// of it (files a rootless container or layer gave to the caller's
// subordinate ids), again as root of a user namespace with those ids mapped,
// in a child process.
std::error_code remove_tree_as_owner(const std::string& path);

// newuidmap or newgidmap (`tool`) PID INNER OUTER COUNT..., started: its
// pid. Throws rt::Error naming the uidmap package when it cannot run.
pid_t start_shadow_tool(const char* tool, pid_t pid, const std::vector<IdMap>& v);
// Wait for it (nothing when `tool_pid` < 0); throws rt::Error when it
// failed for `pid`.
void wait_shadow_tool(const char* tool, pid_t tool_pid, pid_t pid);

// Without privileges, maps of one's own uid and gid alone (--map-root-user;
// rootless without subordinate ids) need no process outside the new
// namespace: the process writes them itself once it is in it, as
// unshare(1) -r and bwrap do (the kernel allows a single line mapping the
// opener's own id). self_mappable() says whether `maps` are such (and the
// caller not root); write_self_maps() writes them for the calling process,
// after unshare(CLONE_NEWUSER). Throws rt::Error.
bool self_mappable(const IdMaps& maps);
void write_self_maps(const IdMaps& maps);

class MapWriter {
 public:
  MapWriter() = default;
  MapWriter(const MapWriter&) = delete;
  MapWriter& operator=(const MapWriter&) = delete;
  ~MapWriter();
  void start(const IdMaps& maps);
  void finish();  // throws rt::Error with the helper's message on failure

 private:
  pid_t helper_ = -1;
  UniqueFd go_, err_;  // the go-ahead to the helper; its error message back
};

}  // namespace rt
