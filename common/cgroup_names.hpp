// Where a group sits: the names and paths of rt's groups.
//
// A group named NAME is a directory rt-NAME below a parent cgroup, on each
// hierarchy it needs. The parent is the caller's own cgroup in that hierarchy
// (/proc/self/cgroup) unless one is given. On v2 the processes live in its
// leaf rt-NAME/payload, so that rt-NAME can hand its controllers down. A
// group may also be made at an exact path (an OCI cgroupsPath).
#pragma once
#include <string>
#include <string_view>

#include "cgroup_host.hpp"

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

// The parent of a cgroup path: "/a/b" -> "/a", "/a" -> "/".
std::string parent_cg(std::string_view cg);

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

}  // namespace rt::cgroup
