// rt's processes in a leaf of the delegated group: see cgroup_leaf.hpp.
#include "cgroup_leaf.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "cgroup_files.hpp"
#include "cgroup_group.hpp"
#include "cgroup_names.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "userns_cache.hpp"

namespace rt::cgroup {

LeafBase leaf_base(std::string_view self) {
  LeafBase b;
  auto slash = self.rfind('/');
  if (slash != std::string_view::npos && self.substr(slash + 1) == kRunLeaf) {
    b.base = parent_cg(self);
    b.inside = true;
  } else {
    b.base = self.empty() ? "/" : std::string(self);
  }
  return b;
}

std::string leaf_cg(std::string_view base) {
  std::string s(base);
  if (s.empty() || s.back() != '/') s += '/';
  return s.append(kRunLeaf);
}

std::vector<pid_t> parse_procs(std::string_view text) {
  std::vector<pid_t> out;
  for (const auto& w : words(text)) {
    auto v = to_u64(w);
    if (v && *v > 0 && *v < kUnlimited) out.push_back(static_cast<pid_t>(*v));
  }
  return out;
}

std::vector<std::string> to_enable(const std::vector<std::string>& needed, std::string_view subtree_control) {
  auto enabled = words(subtree_control);
  std::vector<std::string> out;
  for (const auto& c : needed)
    if (!contains(enabled, c) && !contains(out, c)) out.push_back(c);
  return out;
}

LeaveSteps leave_steps(const std::vector<std::string>& groups, std::string_view subtree_control, size_t others) {
  LeaveSteps s;
  auto enabled = words(subtree_control);
  bool alone = others == 0 && groups.size() == 1 && groups[0] == kRunLeaf;
  if (alone) s.disable = enabled;
  s.move_back = alone || enabled.empty();
  return s;
}

std::vector<std::string> collect_disable(const std::vector<std::string>& groups, std::string_view subtree_control) {
  return groups.empty() ? words(subtree_control) : std::vector<std::string>{};
}

namespace {

std::string pid_list(const std::vector<pid_t>& pids) {
  std::string out;
  for (pid_t p : pids) out += (out.empty() ? "" : " ") + std::to_string(p);
  return out;
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(0, slash);
}

}  // namespace

RunLeaf RunLeaf::plan(const Host& host, const std::vector<std::string>& needed) {
  const Hierarchy* u = host.unified();
  if (!u) throw Error("no cgroup v2 hierarchy for the leaf of rt's processes");
  RunLeaf r;
  r.tree_ = host.tree;
  r.h_ = *u;
  LeafBase b = leaf_base(u->self);
  r.base_ = b.base;
  r.inside_ = b.inside;
  r.base_dir_ = u->dir(b.base);
  r.leaf_dir_ = u->dir(leaf_cg(b.base));
  r.enable_ = to_enable(needed, try_read_file(r.base_dir_ + "/cgroup.subtree_control").value_or(""));
  return r;
}

std::optional<std::string> RunLeaf::missing(const Host& host, const std::string& controller) const {
  auto have = words(try_read_file(base_dir_ + "/cgroup.controllers").value_or(""));
  if (contains(have, controller)) return std::nullopt;
  return str("your cgroup ", base_, " has no ", controller,
             " controller (its cgroup.controllers: ", have.empty() ? std::string("none") : join(have, " "), ")",
             host.mode == Mode::hybrid && host.v1(controller)
                 ? str(": this hybrid host binds ", controller, " to cgroup v1, which delegates nothing")
                 : std::string(),
             " (run as root, or without the limit)");
}

std::optional<std::string> RunLeaf::blocked() const {
  if (enable_.empty()) return std::nullopt;
  auto pids = parse_procs(try_read_file(base_dir_ + "/cgroup.procs").value_or(""));
  std::erase(pids, ::getpid());
  if (pids.empty()) return std::nullopt;
  return str("your cgroup ", base_, " has processes other than rt-run's in it (pids ", pid_list(pids),
             "), and cgroup v2 enables a controller for the groups below a group only while no process is in it ",
             "(run rt-run in a scope of its own: systemd-run --user --scope -p Delegate=yes rt-run ...)");
}

void RunLeaf::enter() {
  // One at a time in BASE: rt-runs entering, processes of rt's leaving, gc.
  UniqueFd lock = lock_dir(base_dir_, true);
  if (!lock) throw_errno(str("cannot lock your cgroup ", base_dir_));
  if (!inside_) {
    tree_->make(h_, leaf_dir_);  // false: another rt-run's, shared
    if (int e = tree_->move(base_dir_, leaf_dir_, ::getpid()))
      throw Error(str("cannot move rt-run (pid ", ::getpid(), ") into ", leaf_dir_), e);
    log::step("moved into ", leaf_dir_);
  }
  in_ = true;
  if (enable_.empty()) return;
  if (int e = tree_->control(base_dir_, enable_, {})) {
    lock.reset();
    leave();
    throw Error(str("cannot enable ", join(enable_, " "), " in ", base_dir_, "/cgroup.subtree_control",
                    e == EBUSY ? " (a process came into your cgroup meanwhile)" : ""),
                e);
  }
  log::step("enabled ", join(enable_, " "), " in ", base_dir_);
}

void RunLeaf::leave() noexcept {
  if (!in_) return;
  in_ = false;
  try {
    UniqueFd lock = lock_dir(base_dir_, true);
    std::set<pid_t> in_leaf;
    procs_into(*tree_, leaf_dir_, in_leaf);
    in_leaf.erase(::getpid());
    std::erase_if(in_leaf, [](pid_t pid) {
      auto comm = try_read_file(str("/proc/", pid, "/comm")).value_or("");
      return comm == str(userns_cache::kHolderName, "\n");
    });
    LeaveSteps s = leave_steps(tree_->groups_below(base_dir_),
                               try_read_file(base_dir_ + "/cgroup.subtree_control").value_or(""), in_leaf.size());
    if (!s.disable.empty()) {
      if (int e = tree_->control(base_dir_, {}, s.disable)) {
        warn(str("cannot disable ", join(s.disable, " "), " in ", base_dir_, "/cgroup.subtree_control: ",
                 std::strerror(e), " (rt-repl gc removes ", leaf_dir_, " once it is empty)"));
        s.move_back = false;
      } else {
        log::step("disabled ", join(s.disable, " "), " in ", base_dir_);
      }
    }
    if (!s.move_back) return;  // a controller is on: the last one out removes the leaf
    if (int e = tree_->move(leaf_dir_, base_dir_, ::getpid())) {
      log::debug("cannot move back into ", base_dir_, ": ", std::strerror(e));
      return;
    }
    log::step("moved back into ", base_dir_);
    int e = tree_->remove(leaf_dir_);
    if (e == 0) log::step("removed the leaf ", leaf_dir_);
    else log::step("left the leaf ", leaf_dir_, " (", std::strerror(e), ": others of rt's are in it)");
  } catch (const std::exception& e) {
    warn(str("cannot leave ", leaf_dir_, ": ", e.what()));
  }
}

std::optional<RunLeaf> RunLeaf::own(const Host& host) {
  const Hierarchy* u = host.unified();
  if (!u || !leaf_base(u->self).inside) return std::nullopt;
  RunLeaf r = plan(host, {});
  r.in_ = true;
  return r;
}

void RunLeaf::collect(const Tree& tree, const std::string& group_dir) noexcept {
  try {
    std::string base_dir = dir_of(group_dir);
    std::string leaf_dir = str(base_dir, "/", kRunLeaf);
    if (!is_dir(leaf_dir)) return;
    UniqueFd lock = lock_dir(base_dir, true);
    std::set<pid_t> pids;
    procs_into(tree, leaf_dir, pids);
    if (!pids.empty()) return;  // processes of rt's still: the last of them removes it
    if (int e = tree.remove(leaf_dir); e != 0 && e != ENOENT) {
      warn(str("cannot remove ", leaf_dir, ": ", std::strerror(e)));
      return;
    }
    log::step("removed the leaf ", leaf_dir);
    auto disable =
        collect_disable(tree.groups_below(base_dir), try_read_file(base_dir + "/cgroup.subtree_control").value_or(""));
    if (disable.empty()) return;
    if (int e = tree.control(base_dir, {}, disable))
      warn(str("cannot disable ", join(disable, " "), " in ", base_dir, "/cgroup.subtree_control: ", std::strerror(e)));
    else log::step("disabled ", join(disable, " "), " in ", base_dir);
  } catch (const std::exception& e) {
    warn(str("cannot collect the leaf beside ", group_dir, ": ", e.what()));
  }
}

}  // namespace rt::cgroup
