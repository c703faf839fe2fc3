// cgroups on v1, v2 and hybrid hosts: where the hierarchies are, the group
// of a container (create with limits, join, kill everything in it, remove),
// its statistics, and the collection of stale groups.
//
// A group named NAME is a directory rt-NAME below a parent cgroup, on each
// hierarchy it needs. The parent is the caller's own cgroup in that hierarchy
// (/proc/self/cgroup) unless one is given. On v2 the limits are set on
// rt-NAME and the processes live in its leaf rt-NAME/payload, so that
// rt-NAME can hand its controllers down (cgroup.subtree_control) without
// breaking the no-internal-processes rule. Nothing is ever written to a
// cgroup rt did not create: the caller's cgroups are only read.
//
// Testing aid: RT_CGROUP_FS=DIR makes DIR stand for /sys/fs/cgroup (a fake
// tree of plain files, see detect()), RT_CGROUP_SELF=FILE for
// /proc/self/cgroup.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "fd.hpp"

namespace rt::cgroup {

inline constexpr std::string_view kPrefix = "rt-";    // group directory: rt-NAME
inline constexpr std::string_view kLeaf = "payload";  // v2: where the processes live

// The cgroup path of group NAME below BASE (a cgroup path: "/" or "/a/b"):
// "/a/b/rt-NAME". The one place the naming lives: rt-cgroup makes the group
// there, rt-run records it before rt-cgroup runs.
inline std::string group_cg(std::string_view base, std::string_view name) {
  std::string s(base);
  if (s.empty() || s.back() != '/') s += '/';
  s.append(kPrefix).append(name);
  return s;
}

// ---------------------------------------------------------------- the host

struct Hierarchy {
  bool v2 = false;
  int id = -1;                           // from /proc/self/cgroup (0 on v2)
  std::string mount;                     // where it is mounted
  std::string root = "/";                // the hierarchy's path at `mount`
  std::vector<std::string> controllers;  // v1: the controllers bound to it
  std::string self = "/";                // the caller's cgroup in it
  bool has(std::string_view controller) const;
  // The directory of cgroup path `cg` ("/a/b").
  std::string dir(std::string_view cg) const;
  // "memory", "cpu,cpuacct", "unified".
  std::string label() const;
};

enum class Mode { v1, v2, hybrid };
const char* mode_name(Mode m);

struct Host {
  Mode mode = Mode::v1;
  std::vector<Hierarchy> hierarchies;
  bool fake = false;            // RT_CGROUP_FS: a tree of plain files
  bool hybrid_unified = false;  // RT_CGROUP_UNIFIED=1 on a hybrid host
  const Hierarchy* v1(std::string_view controller) const;
  const Hierarchy* unified() const;
};

// Find the hierarchies (/proc/self/mountinfo) and the caller's place in them
// (/proc/self/cgroup). Throws rt::Error when there is no cgroup at all.
//
// With RT_CGROUP_FS=DIR: DIR is a pure v2 mount when it holds
// cgroup.controllers; otherwise each subdirectory is a hierarchy: v2 when
// it holds cgroup.controllers, else v1 with the controllers of its name
// ("memory", "cpu,cpuacct"). A new group there gets a copy of the files of
// the hierarchy's .template/ directory, as the kernel would create them, and
// its files are deleted before rmdir. Nothing is ever signalled.
Host detect();

// Rootless: may an unprivileged caller make its groups here? Only on a pure
// v2 host, below its own cgroup, and only when that cgroup is delegated to
// it (its directory and cgroup.procs belong to the caller, as systemd's
// Delegate=yes makes them). nullopt when it may; else why not, in words
// that end with what to change.
std::optional<std::string> not_delegated(const Host& host);

// ---------------------------------------------------------------- limits

struct Limits {
  std::optional<uint64_t> memory;              // bytes
  std::optional<int64_t> memory_swap;          // memory+swap in bytes, -1 unlimited
  std::optional<uint64_t> memory_reservation;  // bytes
  std::optional<double> cpus;                  // CPUs of quota per 100 ms period
  std::optional<uint64_t> cpu_shares;          // v1 scale, 2..262144
  std::optional<uint64_t> cpu_weight;          // v2 scale, 1..10000
  std::string cpuset_cpus, cpuset_mems;        // "0-3,5"
  std::optional<int64_t> pids;                 // -1 unlimited
  std::optional<uint64_t> io_weight;           // v1 blkio scale, 10..1000
  bool devices_docker = false;
  std::optional<int64_t> cpu_quota;    // us per period, -1 unlimited
  std::optional<uint64_t> cpu_period;  // us
  std::optional<uint64_t> swappiness;  // v1 only, 0..100
  bool oom_kill_disable = false;       // v1 only
  std::optional<uint64_t> kernel_tcp;  // v1 only: TCP buffer memory, bytes
  struct Hugetlb {
    std::string size;  // as the kernel names the files: 2MB, 1GB
    uint64_t limit;    // bytes
  };
  std::vector<Hugetlb> hugetlb;
  std::vector<std::pair<std::string, std::string>> unified;  // v2 only: file, value
  struct DeviceRate {
    unsigned major, minor;
    uint64_t rate;
  };
  std::vector<DeviceRate> read_bps, write_bps, read_iops, write_iops;
  bool any() const;
};

// Option values as given on a command line; empty = not given.
struct LimitArgs {
  std::string memory, memory_swap, memory_reservation, cpus, cpu_shares, cpu_weight, cpuset_cpus, cpuset_mems, pids,
      io_weight, devices, cpu_quota, cpu_period, swappiness, kernel_tcp;
  bool oom_kill_disable = false;
  std::vector<std::string> hugetlb, unified, read_bps, write_bps, read_iops, write_iops;
};

// Validate and convert. Throws rt::Error "invalid --memory 'x': why".
Limits parse_limits(const LimitArgs& a);

// The CFS period every --cpus quota is expressed in (us).
inline constexpr uint64_t kCpuPeriodUs = 100000;
// Docker's smallest memory limit.
inline constexpr uint64_t kMinMemory = 6ULL * 1024 * 1024;

// cpu.shares (2..262144, default 1024) -> cpu.weight (1..10000, default
// 100): the formula of runc >= 1.3.2, crun >= 1.23 and opencontainers/cgroups
// (weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(shares)), which
// maps 2 -> 1, 1024 -> 100 and 262144 -> 10000.
uint64_t shares_to_weight(uint64_t shares);
// Its inverse (nearest shares giving at least `weight`), for --cpu-weight on v1.
uint64_t weight_to_shares(uint64_t weight);
// blkio.weight (10..1000) -> io.weight (1..10000), as runc and crun do:
// 1 + (w - 10) * 9999 / 990.
uint64_t blkio_to_io_weight(uint64_t w);

// A cpuset list ("0-3,5") as the set of its numbers; throws rt::Error.
std::vector<unsigned> parse_cpu_list(std::string_view s, std::string_view what);

// NAME of rt-NAME: letters, digits, '_', '.', '-', not starting with '.'
// or '-', at most 128 characters. Throws rt::Error.
void check_name(std::string_view name);
// A --parent PATH: "/a/b" or "a/b", no "." or ".." component. Returns it
// as "/a/b" (or "" when empty). Throws rt::Error.
std::string normalize_parent(std::string_view parent);

// An exact group path (--path, or a group argument with a '/'): "/a/b"
// (absolute: from each hierarchy's root) or "a/b" (relative), no "." or
// ".." component, not "/". Returns it without doubled or trailing slashes;
// throws rt::Error naming `what`.
std::string normalize_path(std::string_view path, std::string_view what = "--path");
// A group argument is a path when it holds a '/' ("./name" for a relative
// path of one component), else a NAME.
inline bool is_path(std::string_view arg) { return arg.find('/') != std::string_view::npos; }
// The cgroup path of an exact group path in hierarchy `h`: an absolute one
// as it is; a relative one below the caller's cgroup on v1 and below the
// parent of the caller's cgroup on v2 (a v2 group with processes cannot
// delegate controllers to a child), as runc places relative cgroupsPaths.
std::string resolve_path(const Hierarchy& h, std::string_view path);

// ---------------------------------------------------------------- a group

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
  bool fake = false;
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
  // The existing directories of rt-NAME below `parent` on every hierarchy;
  // nullopt when there are none.
  static std::optional<Group> find(const Host& host, const std::string& name, const std::string& parent);
  // The existing directories of the exact group `path`.
  static std::optional<Group> find_at(const Host& host, const std::string& path);
  // Rebuild from directories recorded earlier (dirs()); missing ones are
  // dropped.
  static std::optional<Group> from_dirs(const Host& host, const std::string& name,
                                        const std::vector<std::string>& dirs);

  std::vector<std::string> dirs() const;
  const Part* part_with(std::string_view controller) const;  // v1 controller or v2 hierarchy

  // fork(2), with the child created right in the v2 leaf when the group has
  // one (clone3 CLONE_INTO_CGROUP: no migration, which on a v2 host is the
  // whole join). *in_v2 says whether that happened; the child then joins
  // the other hierarchies with join(0, *in_v2). Returns as fork does.
  pid_t fork(bool* in_v2) const;
  // Move process `pid` (0: the caller) into the group on every hierarchy
  // (but the v2 one when `skip_v2`).
  void join(pid_t pid = 0, bool skip_v2 = false) const;
  // Change the limits of the existing group: only those `limits` gives
  // (--memory alone keeps the v1 memory+swap limit, raised to the new
  // memory limit when it is lower). Throws rt::Error naming the first that
  // cannot be set, or a controller the group does not have.
  void update(const Limits& limits) const;
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
  // Give up the lock (the object no longer speaks for a live supervisor).
  void unlock() { locks_.clear(); }

 private:
  std::vector<UniqueFd> locks_;
  static Group make(const Host& host, const std::string& name, const std::string& parent, const std::string& path,
                    const Limits& limits);
};

// ---------------------------------------------------------------- stats

inline constexpr uint64_t kUnlimited = UINT64_MAX;

struct Stats {
  int64_t time_us = 0;  // CLOCK_MONOTONIC when read
  // Absent: not available here (controller not in the group, or an old
  // kernel). Limits are kUnlimited when there is none.
  std::optional<uint64_t> memory_usage, memory_limit, memory_peak, memory_anon;
  std::optional<uint64_t> oom_kills;
  std::optional<uint64_t> cpu_usage_ns, cpu_user_ns, cpu_system_ns;
  std::optional<double> cpu_limit;  // CPUs; absent when unlimited or unknown
  std::optional<uint64_t> cpu_periods, cpu_throttled_periods, cpu_throttled_ns;
  std::optional<uint64_t> pids_current, pids_limit;
  std::optional<uint64_t> io_read_bytes, io_write_bytes;
};

// Read the statistics of a group (no error when a file is missing: the
// field stays absent). Throws rt::Error only when the group is gone.
Stats read_stats(const Group& g);
// CPU use between two readings in percent of one CPU (200 = two CPUs busy).
std::optional<double> cpu_percent(const Stats& before, const Stats& after);

// ---------------------------------------------------------------- listing, gc

struct Listed {
  std::string name;               // NAME of rt-NAME
  std::vector<std::string> dirs;  // where it exists
  bool in_use = false;            // its supervisor holds the lock
  size_t processes = 0;
};

// Every rt-* group below `parent` ("" = the caller's cgroups).
std::vector<Listed> list(const Host& host, const std::string& parent);

struct Collected {
  std::string name;
  std::vector<std::string> dirs;
  std::string skipped;  // why it was left ("" = removed)
};
// Remove the rt-* groups below `parent` (only `only` when not empty) whose
// supervisor is gone (no lock) and that have no process left.
std::vector<Collected> gc(const Host& host, const std::string& parent, const std::string& only = "");

}  // namespace rt::cgroup
