// The host's hierarchies and the kernel's cgroup tree: see cgroup_host.hpp.
#include "cgroup_host.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>

#include "cgroup_files.hpp"
#include "dir.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"

namespace rt::cgroup {
namespace {

std::string unescape_mountinfo(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto digit = [&](size_t k) { return s[k] >= '0' && s[k] <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && digit(i + 1) && digit(i + 2) && digit(i + 3)) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The kernel's cgroup filesystems, as /proc/self/mountinfo lists them.
class KernelTree final : public Tree {
 public:
  std::vector<Hierarchy> hierarchies(const std::vector<Membership>& self) const override;
  std::vector<std::string> groups_below(const std::string& dir) const override { return subdir_names(dir); }
  bool make(const Hierarchy&, const std::string& dir) const override {
    if (::mkdir(dir.c_str(), 0755) != 0) {
      if (errno == EEXIST) return false;
      throw_errno(str("cannot create cgroup ", dir));
    }
    log::step("created ", dir);
    return true;
  }
  int remove(const std::string& dir) const override { return ::rmdir(dir.c_str()) == 0 ? 0 : errno; }
  int move(const std::string&, const std::string& to, pid_t pid) const override {
    return write_cg(to + "/cgroup.procs", std::to_string(pid)).value();
  }
  int control(const std::string& dir, const std::vector<std::string>& enable,
              const std::vector<std::string>& disable) const override {
    std::string change;
    for (const auto& c : enable) change += (change.empty() ? "+" : " +") + c;
    for (const auto& c : disable) change += (change.empty() ? "-" : " -") + c;
    return change.empty() ? 0 : write_cg(dir + "/cgroup.subtree_control", change).value();
  }
  bool live() const override { return true; }
};

std::vector<Hierarchy> KernelTree::hierarchies(const std::vector<Membership>& self) const {
  std::vector<Hierarchy> out;
  std::string info = read_file("/proc/self/mountinfo");
  bool have_v2 = false;
  std::set<int> have_v1;
  for (const auto& line : split(info, '\n')) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto pre = words(std::string_view(line).substr(0, dash));
    auto post = words(std::string_view(line).substr(dash + 3));
    if (pre.size() < 5 || post.size() < 3) continue;
    const std::string& fstype = post[0];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    Hierarchy h;
    h.root = unescape_mountinfo(pre[3]);
    h.mount = unescape_mountinfo(pre[4]);
    if (fstype == "cgroup2") {
      if (have_v2) continue;
      have_v2 = true;
      h.v2 = true;
      h.id = 0;
      for (const auto& s : self)
        if (s.id == 0 && s.controllers.empty()) h.self = s.path;
    } else {
      auto opts = split(post[2], ',');
      const Membership* match = nullptr;
      for (const auto& s : self)
        if (!s.controllers.empty() && contains(opts, s.controllers[0])) match = &s;
      if (!match || have_v1.count(match->id)) continue;
      have_v1.insert(match->id);
      h.id = match->id;
      h.controllers = match->controllers;
      h.self = match->path;
    }
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace

bool Hierarchy::has(std::string_view c) const { return contains(controllers, c); }

std::string Hierarchy::dir(std::string_view cg) const {
  std::string_view rel = cg;
  if (root != "/" && starts_with(cg, root) && (cg.size() == root.size() || cg[root.size()] == '/'))
    rel = cg.substr(root.size());
  if (rel.empty() || rel == "/") return mount;
  return mount + std::string(rel);
}

std::string Hierarchy::label() const { return v2 ? "unified" : join(controllers, ","); }

bool Hierarchy::named_only() const {
  return !v2 && std::all_of(controllers.begin(), controllers.end(),
                            [](const std::string& c) { return starts_with(c, "name="); });
}

std::vector<Membership> parse_memberships(const std::string& text) {
  std::vector<Membership> out;
  for (const auto& line : split(text, '\n')) {
    auto c1 = line.find(':');
    auto c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    Membership m;
    m.id = std::atoi(line.substr(0, c1).c_str());
    std::string ctl = line.substr(c1 + 1, c2 - c1 - 1);
    if (!ctl.empty()) m.controllers = split(ctl, ',');
    m.path = line.substr(c2 + 1);
    if (m.path.empty()) m.path = "/";
    out.push_back(std::move(m));
  }
  return out;
}

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::v1: return "v1";
    case Mode::v2: return "v2";
    case Mode::hybrid: return "hybrid";
  }
  return "?";
}

const Hierarchy* Host::v1(std::string_view controller) const {
  for (const auto& h : hierarchies)
    if (!h.v2 && h.has(controller)) return &h;
  return nullptr;
}

const Hierarchy* Host::unified() const {
  for (const auto& h : hierarchies)
    if (h.v2) return &h;
  return nullptr;
}

Host detect() {
  Host host;
  const char* fs = std::getenv("RT_CGROUP_FS");
  const char* self_file = std::getenv("RT_CGROUP_SELF");
  std::string self_path = self_file && *self_file ? self_file : "/proc/self/cgroup";
  auto self = parse_memberships(read_file(self_path));
  if (fs && *fs) {
    host.tree = fake_tree(fs);
  } else {
    static const auto kernel = std::make_shared<const KernelTree>();
    host.tree = kernel;
  }
  host.hierarchies = host.tree->hierarchies(self);
  bool v1 = false, v2 = false;
  for (const auto& h : host.hierarchies) {
    if (h.v2) v2 = true;
    else if (!h.named_only()) v1 = true;
  }
  if (!v1 && !v2) throw Error("no cgroup hierarchy is mounted (neither cgroup nor cgroup2 in /proc/self/mountinfo)");
  host.mode = v1 && v2 ? Mode::hybrid : v2 ? Mode::v2 : Mode::v1;
  if (host.mode == Mode::hybrid) {
    const char* u = std::getenv("RT_CGROUP_UNIFIED");
    host.hybrid_unified = u && std::string_view(u) == "1";
    host.unified_only = ::geteuid() != 0;
  }
  log::step("cgroup layout: ", mode_name(host.mode), host.fake() ? " (fake tree)" : "", ", ", host.hierarchies.size(),
            " hierarchies");
  return host;
}

std::optional<std::string> not_delegated(const Host& host) {
  uid_t uid = ::geteuid();
  const char* remedy =
      "rootless limits need cgroup v2 with a subtree delegated to you, e.g. systemd-run --user --scope -p "
      "Delegate=yes rt-run ...; or run as root, or without the limit";
  const Hierarchy* u = host.unified();
  if ((host.mode != Mode::v2 && !host.unified_only) || !u)
    return str("this host's cgroups are ", mode_name(host.mode), ", which delegate nothing to uid ", uid, " (", remedy,
               ")");
  std::string dir = u->dir(u->self);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return str("cannot stat your cgroup ", dir, ": ", std::strerror(errno));
  struct stat procs {};
  if (st.st_uid != uid || ::stat((dir + "/cgroup.procs").c_str(), &procs) != 0 || procs.st_uid != uid ||
      ::access(dir.c_str(), W_OK) != 0)
    return str("your cgroup ", u->self, " is not delegated to uid ", uid, " (it belongs to uid ", st.st_uid, "; ",
               remedy, ")");
  return std::nullopt;
}

}  // namespace rt::cgroup
