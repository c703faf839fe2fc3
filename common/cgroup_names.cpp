// Names and paths of groups: see cgroup_names.hpp.
#include "cgroup_names.hpp"

#include <cctype>

#include "error.hpp"
#include "parse.hpp"

namespace rt::cgroup {

std::string parent_cg(std::string_view cg) {
  auto p = cg.rfind('/');
  if (p == std::string_view::npos || p == 0) return "/";
  return std::string(cg.substr(0, p));
}

void check_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 128 && name[0] != '.' && name[0] != '-';
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) ok = false;
  if (!ok)
    throw Error(str("invalid name '", name,
                    "': expected letters, digits, '_', '.' and '-' (not first), at most 128 characters"));
}

std::string normalize_parent(std::string_view parent) {
  if (parent.empty()) return "";
  std::string out;
  for (const auto& c : split(parent, '/')) {
    if (c.empty()) continue;
    if (c == "." || c == "..")
      throw Error(
          str("invalid --parent '", parent, "': no '.' or '..' components (it is relative to each hierarchy's root)"));
    out += "/" + c;
  }
  return out.empty() ? "/" : out;
}

std::string normalize_path(std::string_view path, std::string_view what) {
  if (path.empty()) throw Error(str("invalid ", what, " '': empty path"));
  std::string out;
  for (const auto& c : split(path, '/')) {
    if (c.empty()) continue;
    if (c == "." && out.empty() && path[0] != '/') continue;  // "./name": a relative path of one component
    if (c == "." || c == "..") throw Error(str("invalid ", what, " '", path, "': no '.' or '..' components"));
    out += (out.empty() && path[0] != '/' ? "" : "/") + c;
  }
  if (out.empty()) throw Error(str("invalid ", what, " '", path, "': the root cgroup is nobody's own group"));
  return out;
}

std::string resolve_path(const Hierarchy& h, std::string_view path) {
  if (!path.empty() && path[0] == '/') return std::string(path);
  std::string base = h.v2 ? parent_cg(h.self) : h.self;
  if (base.empty() || base.back() != '/') base += '/';
  return base + std::string(path);
}

}  // namespace rt::cgroup
