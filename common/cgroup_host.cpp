// The host's hierarchies and the kernel's cgroup tree: see cgroup_host.hpp.
#include "cgroup_host.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
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

NsIds own_namespaces() {
  NsIds ns;
  struct stat st {};
  if (::stat("/proc/self/ns/mnt", &st) == 0) ns.mnt = st.st_ino;
  if (::stat("/proc/self/ns/cgroup", &st) == 0) ns.cgroup = st.st_ino;
  return ns;
}

namespace {

// A field of RT_CGROUP_LAYOUT: what could end it (blanks, ';'), the
// escape itself and anything unprintable as \ooo, as mountinfo does.
std::string escape_field(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c <= ' ' || c >= 0x7f || c == ';' || c == '\\') {
      char o[5] = {'\\', static_cast<char>('0' + (c >> 6)), static_cast<char>('0' + ((c >> 3) & 7)),
                   static_cast<char>('0' + (c & 7)), 0};
      out += o;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// All of `s` a decimal number (no sign, no blanks).
bool parse_number(std::string_view s, uint64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::vector<std::string> path_parts(const std::string& p) {
  std::vector<std::string> out;
  for (auto& part : split(p, '/'))
    if (!part.empty()) out.push_back(std::move(part));
  return out;
}

}  // namespace

std::string cgroup_path_from(const std::string& from, const std::string& to) {
  auto f = path_parts(from), t = path_parts(to);
  size_t common = 0;
  while (common < f.size() && common < t.size() && f[common] == t[common]) ++common;
  std::string out;
  for (size_t i = common; i < f.size(); ++i) out += "/..";
  for (size_t i = common; i < t.size(); ++i) out += "/" + t[i];
  return out.empty() ? "/" : out;
}

uint64_t boot_us() {
  timespec t{};
  ::clock_gettime(CLOCK_BOOTTIME, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000 + static_cast<uint64_t>(t.tv_nsec) / 1000;
}

std::string encode_layout(const Host& host, pid_t writer, const NsIds& ns, uint64_t at_us) {
  std::string out = str("1 ", writer, " ", ns.mnt, " ", ns.cgroup, " ", at_us);
  for (const auto& h : host.hierarchies)
    out += str(";", h.v2 ? 0 : h.id, " ", h.controllers.empty() ? "-" : escape_field(join(h.controllers, ",")), " ",
               escape_field(h.mount), " ", escape_field(h.root), " ", escape_field(h.self));
  return out;
}

void hand_down_layout(const Host* host) {
  if (!host || host->fake() || host->hierarchies.empty()) {
    ::unsetenv(kLayoutEnv);
    return;
  }
  ::setenv(kLayoutEnv, encode_layout(*host, ::getpid(), own_namespaces(), boot_us()).c_str(), 1);
}

std::optional<std::vector<Hierarchy>> decode_layout(std::string_view value, Handed accept,
                                                    const std::vector<Membership>& self, pid_t parent, const NsIds& ns,
                                                    uint64_t now_us, std::string& why) {
  auto records = split(value, ';');
  auto head = words(records.empty() ? std::string_view() : std::string_view(records[0]));
  uint64_t writer = 0, mnt = 0, cg = 0, at = 0;
  if (head.size() != 5 || head[0] != "1" || !parse_number(head[1], writer) || !parse_number(head[2], mnt) ||
      !parse_number(head[3], cg) || !parse_number(head[4], at)) {
    why = "not a layout of this version";
    return std::nullopt;
  }
  // Read moments ago by a link before: an old value (a shell that kept
  // it, a chain held up) may no longer be the mount table's.
  if (at > now_us || now_us - at > kLayoutMaxAgeUs) {
    why = str("set ", (static_cast<double>(now_us) - static_cast<double>(at)) / 1e6, " s ago");
    return std::nullopt;
  }
  if (accept == Handed::same_namespaces) {
    if (writer != static_cast<uint64_t>(parent)) {
      why = str("set by process ", writer, ", not by this one's parent ", parent);
      return std::nullopt;
    }
    if (mnt != ns.mnt || cg != ns.cgroup || !ns.mnt || !ns.cgroup) {
      why = "set in other namespaces (mount or cgroup) than this process's";
      return std::nullopt;
    }
  } else if (cg == ns.cgroup || !ns.cgroup) {
    why = "set in this process's cgroup namespace, not before it was made";
    return std::nullopt;
  }
  std::vector<Hierarchy> out;
  for (size_t i = 1; i < records.size(); ++i) {
    auto f = words(records[i]);
    uint64_t id = 0;
    if (f.size() != 5 || !parse_number(f[0], id) || id > 1u << 30) {
      why = str("hierarchy ", i, " is malformed");
      return std::nullopt;
    }
    Hierarchy h;
    h.id = static_cast<int>(id);
    h.v2 = id == 0;
    if (f[1] != "-") h.controllers = split(unescape_mountinfo(f[1]), ',');
    h.mount = unescape_mountinfo(f[2]);
    h.root = unescape_mountinfo(f[3]);
    std::string setter_self = unescape_mountinfo(f[4]);
    if (h.v2 != h.controllers.empty() || h.mount.empty() || h.mount[0] != '/' || h.root.empty() || h.root[0] != '/' ||
        setter_self.empty() || setter_self[0] != '/' ||
        std::any_of(out.begin(), out.end(), [&](const Hierarchy& o) { return o.id == h.id; })) {
      why = str("hierarchy ", i, " is malformed");
      return std::nullopt;
    }
    // One of this process's hierarchies, as the kernel lists them.
    const Membership* m = nullptr;
    for (const auto& s : self)
      if (s.id == h.id && s.controllers == h.controllers) m = &s;
    if (!m) {
      why = str("hierarchy ", h.label(), " (", h.id, ") is not one of /proc/self/cgroup's");
      return std::nullopt;
    }
    if (accept == Handed::same_namespaces) {
      h.self = m->path;
    } else {
      if (m->path != "/") {
        why = str("this process has left its cgroup namespace's root in ", h.label());
        return std::nullopt;
      }
      h.root = cgroup_path_from(setter_self, h.root);
      h.self = "/";
    }
    out.push_back(std::move(h));
  }
  if (out.empty()) {
    why = "it names no hierarchy";
    return std::nullopt;
  }
  // And every v1 hierarchy of this process's is there (v2's "0::" line is
  // listed whether or not it is mounted): none left out of the groups made.
  for (const auto& s : self)
    if (s.id != 0 && std::none_of(out.begin(), out.end(), [&](const Hierarchy& h) { return h.id == s.id; })) {
      why = str("it lacks hierarchy ", join(s.controllers, ","), " (", s.id, ")");
      return std::nullopt;
    }
  return out;
}

Host detect(Handed accept) {
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
    // A fake /proc/self/cgroup describes no namespace: the mount table.
    const char* handed = std::getenv(kLayoutEnv);
    if (handed && *handed && !(self_file && *self_file)) {
      std::string why;
      if (auto hs = decode_layout(handed, accept, self, ::getppid(), own_namespaces(), boot_us(), why)) {
        host.hierarchies = std::move(*hs);
        host.handed = true;
      } else {
        log::debug(kLayoutEnv, " not taken (", why, "): reading the mount table");
      }
    }
  }
  if (!host.handed) host.hierarchies = host.tree->hierarchies(self);
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
            " hierarchies", host.handed ? " (handed down)" : "");
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
