// Rootless in a delegated v2 group: rt's own processes in a leaf below it.
//
// A rootless rt-run started in a group delegated to the user (systemd-run
// --user --scope -p Delegate=yes rt-run ..., the group BASE) makes the
// container's group BASE/rt-ID. Its limits need their controllers enabled
// in BASE's cgroup.subtree_control, which cgroup v2 allows only while no
// process is in BASE ("no internal processes"), and rt-run is. So rt-run
// first moves itself into the leaf BASE/rt.run, beside the containers'
// groups, as systemd (init.scope) and crun do, then enables what the limits
// need.
//
// - One leaf per BASE, shared by every rt-run there: rt-run itself, its
//   detached supervisor, the chain's rt-cgroup and whatever they fork (a
//   user-mode network's helper, the user namespace cache) sit in it. Its
//   name has no "rt-" prefix: rt-cgroup --list and --gc never take it for
//   a container's group.
// - rt-run moves only itself, before it forks anything (its children are
//   born in the leaf); never another process of the user's.
// - Made by the first rt-run that needs it; removed by the last process of
//   rt's in it: each one, as it ends (leave), moves back into BASE and
//   removes the leaf, which succeeds once it is empty. A controller enabled
//   in BASE keeps a process out of it: the one that leaves the leaf with no
//   group beside it and no other process in it first disables them all
//   (they were enabled by rt: rt-run was in BASE, so BASE enabled none
//   when the first rt-run came), which gives BASE back as it was.
// - rt-repl rm and gc, having removed the group of a container whose
//   supervisor died, remove the leaf beside it when no process is left in
//   it (collect).
#pragma once
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup_host.hpp"

namespace rt::cgroup {

inline constexpr std::string_view kRunLeaf = "rt.run";

// ------------------------------------------------------------ pure logic

// Where the caller's own v2 cgroup `self` ("/a/b") puts the leaf: BASE is
// `self`, or its parent when `self` is a leaf already (rt-run started by
// a process of rt's, e.g. a hook).
struct LeafBase {
  std::string base;     // cgroup path of BASE
  bool inside = false;  // `self` is BASE/rt.run
};
LeafBase leaf_base(std::string_view self);
// The leaf's cgroup path below BASE.
std::string leaf_cg(std::string_view base);
// The pids a cgroup.procs holds, in order.
std::vector<pid_t> parse_procs(std::string_view text);
// Of `needed` (v2 controller names), those BASE must enable, from its
// cgroup.subtree_control, each once and in order.
std::vector<std::string> to_enable(const std::vector<std::string>& needed, std::string_view subtree_control);
// What a process of rt's does as it leaves the leaf, from BASE's groups
// (names), its cgroup.subtree_control, and how many other processes are
// in the leaf: the controllers to disable in BASE first (all, when the
// leaf is BASE's only group and nothing else of rt's is in it; else none),
// and whether it may then move back into BASE (nothing left enabled).
struct LeaveSteps {
  std::vector<std::string> disable;
  bool move_back = false;
};
LeaveSteps leave_steps(const std::vector<std::string>& groups, std::string_view subtree_control, size_t others);
// The same for collecting a leaf nobody is in (rt-repl gc): `groups` are
// BASE's once the leaf is gone; nothing moves.
std::vector<std::string> collect_disable(const std::vector<std::string>& groups, std::string_view subtree_control);

// ------------------------------------------------------------ the kernel's

class RunLeaf {
 public:
  RunLeaf() = default;
  // Before any side effect (rootless rt-run, in a delegated group): BASE
  // from the caller's cgroup, and the controllers of `needed` (v2 names)
  // it must enable.
  static RunLeaf plan(const Host& host, const std::vector<std::string>& needed);
  // Why a limit of v2 controller `controller` ("memory", "pids", "cpu",
  // "cpuset") cannot be set on a group below BASE: BASE has no such
  // controller (on a hybrid host, those bound to v1 never are). nullopt
  // when it has, enabled or to be enabled.
  std::optional<std::string> missing(const Host& host, const std::string& controller) const;
  // Why those cannot be enabled, in words that end with what to do: a
  // process other than the caller is in BASE. nullopt when they can (or
  // none need to be).
  std::optional<std::string> blocked() const;
  const std::string& base() const { return base_; }  // cgroup path of BASE
  const std::vector<std::string>& enables() const { return enable_; }
  std::string base_procs() const { return base_dir_ + "/cgroup.procs"; }
  const std::string& leaf_dir() const { return leaf_dir_; }
  // Make the leaf (when it is not there), move the caller into it (unless
  // it is there already) and enable the controllers. Throws rt::Error,
  // having moved back out when it had moved in.
  void enter();
  // As the caller ends: leave_steps, then remove the leaf when it is empty.
  // The user namespace cache's holder does not count as another process
  // in the leaf: it leaves by itself (userns_cache::HolderPlan).
  // Never throws (a failure is a warning: gc collects what stays).
  void leave() noexcept;
  // The caller's own leaf, when its v2 cgroup is one (rt-cgroup, which
  // rt-run starts there): as made by plan(), for leave().
  static std::optional<RunLeaf> own(const Host& host);
  // rt-repl rm and gc: the leaf beside the container's group at `group_dir`
  // (a v2 directory), removed when no process is in it. Never throws.
  static void collect(const Tree& tree, const std::string& group_dir) noexcept;

 private:
  std::shared_ptr<const Tree> tree_;
  Hierarchy h_;
  std::string base_, base_dir_, leaf_dir_;
  bool inside_ = false;  // the caller was in the leaf when planned
  bool in_ = false;      // entered, and not left yet
  std::vector<std::string> enable_;
};

}  // namespace rt::cgroup
