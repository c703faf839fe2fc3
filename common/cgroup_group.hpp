// The group of a container: create it with its limits, find it again,
// start or move processes into it, change its limits, kill everything in
// it, remove it. Nothing is ever written to a cgroup rt did not create: the
// caller's cgroups are only read.
#pragma once
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup_host.hpp"
#include "cgroup_limits.hpp"
#include "cgroup_names.hpp"
#include "error.hpp"
#include "fd.hpp"

namespace rt::cgroup {

// Thrown by Group::create when rt-NAME exists already.
struct Exists : Error {
  using Error::Error;
};

struct Part {
  Hierarchy h;
  std::string base;                  // cgroup path of the parent ("/process_api/x")
  std::string cg;                    // cgroup path of rt-NAME
  std::string dir;                   // its directory
  std::string leaf;                  // where processes go: dir (v1) or dir/payload (v2)
  std::vector<std::string> made;     // parent directories rt created, outermost first
  std::vector<std::string> enabled;  // v2: controllers enabled in rt-NAME (when known)
};

class Group {
 public:
  std::string name;    // NAME of rt-NAME, or the exact path
  bool exact = false;  // made or found by path: processes live in the group itself, on v2 too
  std::shared_ptr<const Tree> tree;
  std::vector<Part> parts;

  // Create rt-NAME below `parent` (normalize_parent'd; "" = the caller's
  // cgroups) on every hierarchy the limits need (and memory, pids, cpuacct
  // and freezer where they are v1), apply the limits, and hold a lock on it
  // (flock of its directories) for as long as this object lives, which is
  // what tells --gc that its supervisor is alive. On any failure removes
  // what it made and throws rt::Error.
  static Group create(const Host& host, const std::string& name, const std::string& parent, const Limits& limits);
  // Create the group at exactly `path` (normalize_path'd; see resolve_path)
  // on every hierarchy, as create does rt-NAME, but with the processes in
  // the group itself on v2 too (no payload leaf): what an OCI cgroupsPath
  // asks for. A directory that exists already is taken over when no process
  // is in it; one with processes throws Exists.
  static Group create_at(const Host& host, const std::string& path, const Limits& limits);
  // The existing directories of a group on every hierarchy: of the exact
  // group path `arg` when is_path(arg), else of rt-ARG below `parent`.
  // nullopt when there are none; rt::Error for a bad name or path. With
  // `lock`, each directory found is also locked as lock() does, through
  // the one open that finds it (no stat before).
  static std::optional<Group> find(const Host& host, const std::string& arg, const std::string& parent,
                                   bool lock = false);
  // Rebuild from directories recorded earlier (dirs()); missing ones are
  // dropped.
  static std::optional<Group> from_dirs(const Host& host, const std::string& name,
                                        const std::vector<std::string>& dirs);

  std::vector<std::string> dirs() const;
  const Part* part_with(std::string_view controller) const;  // v1 controller or v2 hierarchy

  // The group's v2 leaf as an O_PATH fd (empty when it has none, or on a
  // fake tree), to start a child right in it: clone3 CLONE_INTO_CGROUP, no
  // migration, which on a v2 host is the whole join. Such a child then
  // joins the other hierarchies with join(0, true).
  struct Leaf {
    UniqueFd fd;
    std::string path;
  };
  Leaf v2_leaf() const;
  // Move process `pid` (0: the caller) into the group on every hierarchy
  // (but the v2 one when `skip_v2`).
  void join(pid_t pid = 0, bool skip_v2 = false) const;
  // join(0, skip_v2) for a new single-threaded child that joins itself in a
  // vfork_child body: the files to write, made here before it starts, so
  // that the child only makes system calls (JoinPlan::run).
  struct JoinPlan {
    struct Write {
      std::string file;  // LEAF/tasks (the v1 "0" shortcut, see join) or LEAF/cgroup.procs
      std::string leaf;
      bool self_zero;  // write "0" (the caller's thread), else the caller's pid
    };
    std::vector<Write> writes;
    // In the child: the writes, in order, each one's end (log::now_us())
    // in done_at[i] for the caller to log. nullptr, or the write that
    // failed (errno set). Allocates nothing.
    const Write* run(int64_t* done_at) const noexcept;
  };
  JoinPlan join_plan(bool skip_v2) const;
  // Change the limits of the existing group: only those `limits` gives
  // (--memory alone keeps the v1 memory+swap limit, raised to the new
  // memory limit when it is lower). Throws rt::Error naming the first that
  // cannot be set, or a controller the group does not have.
  void update(const Limits& limits) const;
  // Give a group that has no device rules yet (one someone else just made
  // for rt: rt-systemd's scope) RULES: the v1 devices list where the group
  // has that controller, else a BPF filter on its v2 directory. Throws
  // rt::Error.
  void set_devices(const std::vector<DeviceRule>& rules) const;
  // Any process left in it (or in groups below it)?
  bool populated() const;
  // Kill every process in it (cgroup.kill on v2; freeze, SIGKILL, thaw on v1,
  // or SIGKILL until empty without a freezer) and wait up to `timeout_ms`
  // for them to be gone. Returns false when some are still there.
  bool kill_all(int timeout_ms = 10000) const;
  // kill_all, then remove the directories (groups made below it included,
  // and the parents rt made when they are empty). Returns an error message
  // ("" on success); ENOENT is not an error.
  std::string remove(int timeout_ms = 10000);
  // Take the lock create() takes, for a supervisor that did not make the
  // group itself (rt-run, whose chain's `rt-cgroup --no-wait` made it and
  // exec'd on): gc then sees it in use. A directory locked elsewhere (a gc
  // removing it) or gone is left unlocked.
  void lock();
  // Give up the lock (the object no longer speaks for a live supervisor).
  void unlock() { locks_.clear(); }
  // Parent directories the group's maker created (the outermost first, on
  // any hierarchy: each goes to its part), which remove() takes down once
  // nothing lives in them, as it does those create() made.
  void adopt_made(const std::vector<std::string>& dirs);

 private:
  // flock of each part's directory, in the order of `parts` (an empty fd
  // where it is not held); open O_DIRECTORY, so also the way to its files.
  std::vector<UniqueFd> locks_;
  static Group make(const Host& host, const std::string& name, const std::string& parent, const std::string& path,
                    const Limits& limits);
};

// The group a chain's `rt-cgroup --no-wait` made: find() on this host's
// layout (detect()), `parent` as given to rt-cgroup --parent ("" = the
// caller's cgroups). nullopt when there is none, or no layout to read.
// rt-oci and rt-run's supervisor, which start such chains, find it with
// this and take it down with remove() once the container has ended.
std::optional<Group> find_on_host(const std::string& arg, const std::string& parent);
// The directories of `parent` (as given to --parent; not "") and of its
// ancestors that do not exist, on every hierarchy of `host` but named ones,
// the outermost first: those rt-cgroup will create for a group below it.
std::vector<std::string> missing_parent_dirs(const Host& host, const std::string& parent);

// flock of a group's directory (LOCK_EX, waiting or not); an empty fd when
// it is held elsewhere or gone.
UniqueFd lock_dir(const std::string& dir, bool wait);

}  // namespace rt::cgroup
