// The cgroups of this host: which hierarchies are mounted where (v1, v2 or
// hybrid), and the caller's place in each. rt-mount needs only this part;
// the rest of rt::cgroup (cgroup.hpp) builds on it.
//
// A Host reaches its groups through a Tree: the kernel's cgroup
// filesystems, or, with RT_CGROUP_FS=DIR (a testing aid), a tree of plain
// files standing for them (cgroup_fake.cpp). The group code makes, lists and
// removes directories only through the Tree, and asks it whether the pids
// its files hold are live processes of this host.
#pragma once
#include <sys/types.h>

#include <cstdint>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rt::cgroup {

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
  // A v1 hierarchy of name= controllers only (systemd's): no resources.
  bool named_only() const;
};

// A line of /proc/self/cgroup: "ID:CONTROLLERS:PATH".
struct Membership {
  int id = 0;
  std::vector<std::string> controllers;
  std::string path = "/";
};
std::vector<Membership> parse_memberships(const std::string& text);

// Where groups are made and removed.
class Tree {
 public:
  virtual ~Tree() = default;
  // The hierarchies, each with the caller's cgroup from `self`.
  virtual std::vector<Hierarchy> hierarchies(const std::vector<Membership>& self) const = 0;
  // The groups directly below directory `dir` (names, sorted).
  virtual std::vector<std::string> groups_below(const std::string& dir) const = 0;
  // mkdir a group in `h`; false when it exists already. Throws rt::Error.
  virtual bool make(const Hierarchy& h, const std::string& dir) const = 0;
  // rmdir a group with no group below it; 0 or the errno.
  virtual int remove(const std::string& dir) const = 0;
  // Move process `pid` from the group at `from` into the one at `to` (its
  // cgroup.procs); 0 or the errno.
  virtual int move(const std::string& from, const std::string& to, pid_t pid) const = 0;
  // Enable and disable controllers for the groups below the one at `dir`
  // (its cgroup.subtree_control: "+memory -pids"); 0 or the errno.
  virtual int control(const std::string& dir, const std::vector<std::string>& enable,
                      const std::vector<std::string>& disable) const = 0;
  // The kernel's: pids in its files are live processes (signalled, started
  // into a group with clone3, moved by the v1 "0" to tasks shortcut), and
  // BPF device programs attach to its directories.
  virtual bool live() const = 0;
};

enum class Mode { v1, v2, hybrid };
const char* mode_name(Mode m);

struct Host {
  Mode mode = Mode::v1;
  std::vector<Hierarchy> hierarchies;
  bool handed = false;               // from RT_CGROUP_LAYOUT, not the mount table
  std::shared_ptr<const Tree> tree;  // set by detect()
  bool hybrid_unified = false;       // RT_CGROUP_UNIFIED=1 on a hybrid host
  // A user without root on a hybrid host: groups only on the v2 hierarchy,
  // where a subtree may be delegated to the user (the v1 ones are root's).
  bool unified_only = false;
  const Hierarchy* v1(std::string_view controller) const;
  const Hierarchy* unified() const;
  // RT_CGROUP_FS: a tree of plain files, not the kernel's.
  bool fake() const { return tree && !tree->live(); }
};

// The layout handed down a chain: RT_CGROUP_LAYOUT, in the style of
// RT_LOG (inherited by the links after the one that sets it), so that a
// link need not read /proc/self/mountinfo again (the kernel formats the
// whole mount table for it, ~40 us here with 20 mounts, more on a host
// with hundreds). rt-run sets it for its chain where it has read the
// layout before starting it, rt-cgroup for the links after it (with its
// new group as their cgroup), rt-exec removes it (the payload never sees
// it). A tool given none, or one that does not check out, reads the
// layout itself as ever: a hand-written chain works unchanged.
inline constexpr const char* kLayoutEnv = "RT_CGROUP_LAYOUT";

// Who may take a handed-down layout, and what is checked (cheaply, without
// the mount table) before it is: always that it was set less than
// kLayoutMaxAgeUs ago, in this boot, and then:
enum class Handed {
  // The process that set it is this one's parent (getppid) and it was in
  // the same mount and cgroup namespaces (their inodes); every hierarchy
  // is one of /proc/self/cgroup's (id and controllers), and the caller's
  // place in each is read from there, not from the value. rt-cgroup.
  same_namespaces,
  // It was set before this process's cgroup namespace was made (its
  // inode differs), and this process is still at that namespace's root
  // (/proc/self/cgroup says "/" everywhere): the namespace's root is the
  // cgroup the value names as the setter's own, and each mount's root is
  // made relative to it, as this namespace's mountinfo would show it.
  // Every hierarchy is one of /proc/self/cgroup's. rt-mount, which uses
  // the layout only to choose the hierarchies it mounts afresh, and checks
  // each new mount itself (a wrong value can leave one out, never show
  // the host's tree or make a hierarchy).
  new_cgroup_namespace,
};

// The namespaces a handed-down layout is bound to.
struct NsIds {
  ino_t mnt = 0, cgroup = 0;
};
NsIds own_namespaces();

// RT_CGROUP_LAYOUT's value for the children of this process: the writer's
// pid, namespaces and the time, then each hierarchy's id, controllers, mount, root
// and the caller's cgroup in it (`host.hierarchies[i].self`).
// `at_us`: when (CLOCK_BOOTTIME, boot_us()); a value older than
// kLayoutMaxAgeUs, or from before a reboot, is not taken.
std::string encode_layout(const Host& host, pid_t writer, const NsIds& ns, uint64_t at_us);
inline constexpr uint64_t kLayoutMaxAgeUs = 5000000;
uint64_t boot_us();
// Set RT_CGROUP_LAYOUT to hand `host` to this process's children, or
// unset it (no host, or a fake tree: RT_CGROUP_FS is handed down itself).
void hand_down_layout(const Host* host);
// The hierarchies of a handed-down value, checked as `accept` says against
// the caller's own memberships (`self`: /proc/self/cgroup), parent pid and
// namespaces; nullopt (and `why`) when it does not check out.
std::optional<std::vector<Hierarchy>> decode_layout(std::string_view value, Handed accept,
                                                    const std::vector<Membership>& self, pid_t parent, const NsIds& ns,
                                                    uint64_t now_us, std::string& why);
// cgroup path `to` as seen from a cgroup namespace whose root is `from`
// ("/" when they are one; "/../.." when `to` is two levels above), as the
// kernel shows a mount's root in mountinfo.
std::string cgroup_path_from(const std::string& from, const std::string& to);

// Find the hierarchies (/proc/self/mountinfo) and the caller's place in them
// (/proc/self/cgroup). Throws rt::Error when there is no cgroup at all.
// A handed-down layout (RT_CGROUP_LAYOUT) that checks out as `accept` says
// stands for the mount table; the step logged says "(handed down)".
//
// With RT_CGROUP_FS=DIR: DIR is a pure v2 mount when it holds
// cgroup.controllers; otherwise each subdirectory is a hierarchy: v2 when
// it holds cgroup.controllers, else v1 with the controllers of its name
// ("memory", "cpu,cpuacct"). A new group there gets a copy of the files of
// the hierarchy's .template/ directory, as the kernel would create them, and
// its files are deleted before rmdir. Nothing is ever signalled.
// RT_CGROUP_SELF=FILE stands for /proc/self/cgroup.
Host detect(Handed accept = Handed::same_namespaces);

// The tree of plain files at DIR (RT_CGROUP_FS; cgroup_fake.cpp).
std::shared_ptr<const Tree> fake_tree(const std::string& dir);

// Rootless: may an unprivileged caller make its groups here? Only on a v2
// hierarchy (a pure v2 host's, or a hybrid host's), below its own cgroup,
// and only when that cgroup is delegated to it (its directory and
// cgroup.procs belong to the caller, as systemd's Delegate=yes makes them). nullopt when it may; else why not, in words
// that end with what to change.
std::optional<std::string> not_delegated(const Host& host);

}  // namespace rt::cgroup
