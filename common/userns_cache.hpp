// Rootless: the per-user user namespace cache (rt(7) ROOTLESS).
//
// Mapping a user's subordinate ids takes newuidmap and newgidmap, two
// setuid programs, for every new user namespace. So the first rootless
// rt-run that needs one (userns_early.hpp) leaves the namespace's holder
// process running as a small server, and later rt-runs of the same user
// join that namespace instead of making one, as rootless podman's pause
// process does:
//
//   STATE/userns/PID.sock   the holder's unix socket (PID: the holder's)
//   STATE/userns/current    a symbolic link to it, replaced atomically
//
// (STATE: the user's state root, $XDG_RUNTIME_DIR/rt, a 0700 directory.)
// A client connects through the link; the holder sends the fd of its user
// namespace (SCM_RIGHTS) to a peer of its own uid and closes. The client
// checks the peer (SO_PEERCRED: the user's own uid), that the fd is the
// holder's namespace, and that the holder's uid_map and gid_map are the maps
// it would write now; a holder whose maps differ (/etc/subuid changed) is
// told to go (SIGTERM). The holder ends by itself kIdleSeconds after the
// last namespace it sent (a join is a use; `rt-repl info` asks without
// connecting, holder() below, and is not: containers that joined keep the
// namespace alive on their own), or on SIGTERM, SIGINT or SIGHUP, and
// removes its socket and the link (when it still names its socket) as it
// goes. The link changes only under an flock(2) of the directory, so an
// ending holder never removes a newer holder's link. It holds nothing
// but the namespace: fds 0-2 on /dev/null, no other fd of its parent's, a
// session of its own, cwd /.
//
// Two rt-runs that find no holder at once each make one; the last to
// rename its link into place is the cache, the other's holder serves no one
// and ends after the idle time. A holder that died without clean-up (killed,
// OOM) leaves a socket nobody listens on: the next client removes it and
// the link (under the lock, when no one else holds it), and a new holder
// takes the link.
#pragma once
#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fd.hpp"
#include "userns.hpp"

namespace rt::userns_cache {

// Seconds a holder waits for a connection before it ends.
inline constexpr int kIdleSeconds = 60;
// For tests: the idle time in seconds instead (1 to 3600).
inline constexpr const char* kIdleEnv = "RT_USERNS_CACHE_IDLE";
inline constexpr const char* kLink = "current";

// STATE/userns.
std::string dir(const std::string& state_root);

// The idle time (milliseconds) from kIdleEnv's value (nullptr: unset).
// Throws rt::Error on a bad value.
int idle_ms(const char* env);

// The holder's pid from its socket's name ("1234.sock"), nullopt for any
// other name.
std::optional<pid_t> holder_of(std::string_view socket_name);

// The lines of /proc/PID/uid_map or gid_map ("INNER OUTER COUNT", blank
// padded), in order. Throws rt::Error on a malformed line.
std::vector<IdMap> parse_proc_map(const std::string& text);
bool same_maps(const std::vector<IdMap>& a, const std::vector<IdMap>& b);

struct Joined {
  UniqueFd ns;  // the cached user namespace (CLOEXEC)
  pid_t holder = -1;
};

// The cached namespace of this user whose maps are `want`, or nullopt and
// `why` (for the timeline: none yet, its holder gone, the maps differ, ...).
// Never throws for a cache that cannot be used: the caller makes a new
// namespace. A holder whose maps differ is told to go (SIGTERM by pidfd).
std::optional<Joined> join(const std::string& state_root, const IdMaps& want, std::string& why);

// The pid of the holder STATE/userns/current names while it runs (its
// socket there, its comm kHolderName, its real uid ours), or nullopt. For
// rt-repl info: it does not connect, so asking does not keep the holder
// (only a namespace sent restarts its idle time).
std::optional<pid_t> holder(const std::string& state_root);

// What a holder needs, made by its parent before the clone: the cache's
// directory (existing, 0700), the read end of the go-ahead pipe, the idle
// time.
// `title`: where its parent's argv strings lie (`title_room` bytes), which
// the holder overwrites with what it is, for ps (its name, comm, is
// kHolderName).
struct HolderPlan {
  const char* dir = nullptr;
  int go_fd = -1;
  int idle_ms = kIdleSeconds * 1000;
  char* title = nullptr;
  size_t title_room = 0;
  // Born in the leaf of rt's processes of a delegated cgroup
  // (cgroup_leaf.hpp): as it ends it moves back into that group (writes
  // "0", itself, to `leave_procs`, its cgroup.procs) and removes the leaf
  // `leave_leaf`, which succeeds when it was the last of rt's there. The
  // others in the leaf do not wait for it (cgroup::RunLeaf::leave). nullptr
  // elsewhere.
  const char* leave_procs = nullptr;
  const char* leave_leaf = nullptr;
};
inline constexpr const char* kHolderName = "rt-userns-cache";

// The holder's body, in a child after a raw clone(CLONE_NEWUSER) (a fork:
// it keeps to the vfork_child rule, system calls only): it lets go of
// everything of its parent's but `go_fd`, waits for one byte there (the
// maps are written; EOF: they are not, it ends), then listens and serves
// as above until idle. Never returns.
[[noreturn]] void serve(const HolderPlan& plan) noexcept;

}  // namespace rt::userns_cache
