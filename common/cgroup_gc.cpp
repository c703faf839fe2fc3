// Listing and collecting groups: see cgroup_gc.hpp.
#include "cgroup_gc.hpp"

#include <map>
#include <set>

#include "cgroup_files.hpp"
#include "cgroup_group.hpp"
#include "cgroup_names.hpp"
#include "fs.hpp"
#include "parse.hpp"

namespace rt::cgroup {

std::vector<Listed> list(const Host& host, const std::string& parent) {
  std::map<std::string, Listed> found;
  for (const auto& h : host.hierarchies) {
    if (h.named_only()) continue;
    std::string base = h.dir(parent.empty() ? h.self : parent);
    for (const auto& sub : host.tree->groups_below(base)) {
      if (!starts_with(sub, kPrefix) || sub.size() == kPrefix.size()) continue;
      auto& l = found[sub.substr(kPrefix.size())];
      l.name = sub.substr(kPrefix.size());
      l.dirs.push_back(base + "/" + sub);
    }
  }
  std::vector<Listed> out;
  for (auto& [n, l] : found) {
    std::set<pid_t> pids;
    for (const auto& d : l.dirs) {
      if (!lock_dir(d, false)) l.in_use = true;
      procs_into(*host.tree, d, pids);
    }
    l.processes = pids.size();
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<Collected> gc(const Host& host, const std::string& parent, const std::string& only) {
  std::vector<Collected> out;
  for (auto& l : list(host, parent)) {
    if (!only.empty() && l.name != only) continue;
    Collected c{l.name, l.dirs, ""};
    if (l.in_use) {
      c.skipped = "in use (its supervisor is running)";
    } else if (l.processes) {
      c.skipped = str(l.processes, " processes still running (--remove ", l.name, " kills them)");
    } else {
      // Hold the locks while removing, so that nobody takes it meanwhile.
      std::vector<UniqueFd> locks;
      for (const auto& d : l.dirs) {
        UniqueFd fd = lock_dir(d, false);
        if (!fd && is_dir(d)) c.skipped = "in use (its supervisor is running)";
        locks.push_back(std::move(fd));
      }
      if (c.skipped.empty())
        if (auto g = Group::from_dirs(host, l.name, l.dirs)) {
          std::string err = g->remove(1000);
          if (!err.empty()) c.skipped = err;
        }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace rt::cgroup
