#include "userns.hpp"

#include <grp.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "error.hpp"
#include "fs.hpp"
#include "parse.hpp"
#include "process.hpp"

namespace rt {

IdMap parse_id_map(const std::string& s, const char* what) {
  auto f = split(s, ':');
  if (f.size() != 3) throw Error(str("invalid ", what, " '", s, "': expected INNER:OUTER:COUNT"));
  IdMap m;
  m.inner = static_cast<uint32_t>(parse_uint(f[0], what, UINT32_MAX - 1));
  m.outer = static_cast<uint32_t>(parse_uint(f[1], what, UINT32_MAX - 1));
  m.count = static_cast<uint32_t>(parse_uint(f[2], what, UINT32_MAX));
  if (m.count == 0) throw Error(str("invalid ", what, " '", s, "': COUNT must be at least 1"));
  return m;
}

IdMaps IdMaps::from_options(bool map_root, const std::vector<std::string>& uid, const std::vector<std::string>& gid) {
  IdMaps m;
  if (map_root) {
    if (!uid.empty() || !gid.empty()) throw Error("--map-root-user cannot be combined with --uid-map or --gid-map");
    m.uid.push_back({0, static_cast<uint32_t>(::geteuid()), 1});
    m.gid.push_back({0, static_cast<uint32_t>(::getegid()), 1});
    return m;
  }
  for (const auto& s : uid) m.uid.push_back(parse_id_map(s, "--uid-map"));
  for (const auto& s : gid) m.gid.push_back(parse_id_map(s, "--gid-map"));
  return m;
}

namespace {

std::string map_text(const std::vector<IdMap>& v) {
  std::string out;
  for (const auto& m : v) out += str(m.inner, " ", m.outer, " ", m.count, "\n");
  return out;
}

bool only_own_id(const std::vector<IdMap>& v, uint32_t own) {
  return v.size() == 1 && v[0].count == 1 && v[0].outer == own;
}

}  // namespace

pid_t start_shadow_tool(const char* tool, pid_t pid, const std::vector<IdMap>& v) {
  std::vector<std::string> args{tool, std::to_string(pid)};
  for (const auto& m : v) {
    args.push_back(std::to_string(m.inner));
    args.push_back(std::to_string(m.outer));
    args.push_back(std::to_string(m.count));
  }
  try {
    return spawn(args);
  } catch (const Error& e) {
    throw Error(str(e.what(), " (needed to map more than your own id; install the uidmap package)"));
  }
}

void wait_shadow_tool(const char* tool, pid_t tool_pid, pid_t pid) {
  if (tool_pid < 0) return;
  if (exit_code_from_wait(wait_child(tool_pid)) != 0)
    throw Error(str(tool, " failed for pid ", pid, " (check /etc/subuid and /etc/subgid)"));
}

namespace {

void write_map(const std::string& path, const std::string& text, const std::string& what) {
  if (auto ec = write_file(path, text)) throw Error(what, ec.value());
}

// The helper: waits for the go-ahead (the parent has unshared), writes the
// maps, exits 0; or sends its one-line error back on `err_fd` and exits
// 125.
[[noreturn]] void helper_main(pid_t target, const IdMaps& maps, int go_fd, int err_fd) {
  if (!wait_go(go_fd)) std::_Exit(kExitToolFailure);  // the parent failed to unshare and said so
  try {
    std::string proc = str("/proc/", target, "/");
    bool privileged = ::geteuid() == 0;
    uint32_t euid = ::geteuid(), egid = ::getegid();
    // newuidmap and newgidmap (setuid programs, an exec each: the bulk of a
    // rootless start's map writing) run side by side.
    pid_t uid_tool = -1, gid_tool = -1;
    if (!maps.uid.empty()) {
      if (privileged || only_own_id(maps.uid, euid))
        write_map(proc + "uid_map", map_text(maps.uid),
                  str("cannot write uid map ", map_text(maps.uid).substr(0, 40), "for pid ", target));
      else uid_tool = start_shadow_tool("newuidmap", target, maps.uid);
    }
    if (!maps.gid.empty()) {
      if (privileged || only_own_id(maps.gid, egid)) {
        // Without CAP_SETGID outside, the kernel wants setgroups denied first.
        if (!privileged) write_map(proc + "setgroups", "deny", str("cannot write setgroups for pid ", target));
        write_map(proc + "gid_map", map_text(maps.gid), str("cannot write gid map for pid ", target));
      } else {
        try {
          gid_tool = start_shadow_tool("newgidmap", target, maps.gid);
        } catch (...) {
          if (uid_tool > 0) wait_child(uid_tool);
          throw;
        }
      }
    }
    std::optional<Error> failed;
    for (auto [tool, tool_pid] : {std::pair{"newuidmap", uid_tool}, std::pair{"newgidmap", gid_tool}}) try {
        wait_shadow_tool(tool, tool_pid, target);
      } catch (const Error& e) {
        if (!failed) failed = e;
      }
    if (failed) throw *failed;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    ssize_t n = ::write(err_fd, msg.data(), msg.size());
    (void)n;
    std::_Exit(kExitToolFailure);
  }
  std::_Exit(0);
}

}  // namespace

std::vector<SubIdRange> subid_ranges(const std::string& text, const std::string& user, uint32_t id) {
  std::vector<SubIdRange> out;
  std::string num = std::to_string(id);
  for (const auto& line : split(text, '\n')) {
    auto f = split(line, ':');
    if (f.size() != 3 || f[0].empty() || (f[0] != user && f[0] != num)) continue;
    try {
      SubIdRange r{static_cast<uint32_t>(parse_uint(f[1], "start", UINT32_MAX - 1)),
                   static_cast<uint32_t>(parse_uint(f[2], "count", UINT32_MAX))};
      if (r.count > 0 && uint64_t{r.start} + r.count <= UINT32_MAX) out.push_back(r);
    } catch (const Error&) {
      // a malformed line grants nothing
    }
  }
  return out;
}

namespace {

// 0 -> own id, then the granted ranges from 1 on, one after the other.
std::vector<IdMap> ranged_map(uint32_t own, const std::vector<SubIdRange>& ranges) {
  std::vector<IdMap> v{{0, own, 1}};
  uint64_t next = 1;
  for (const auto& r : ranges) {
    uint64_t count = std::min<uint64_t>(r.count, UINT32_MAX - next);
    if (count == 0 || v.size() >= 340) break;  // the kernel takes 340 lines
    v.push_back({static_cast<uint32_t>(next), r.start, static_cast<uint32_t>(count)});
    next += count;
  }
  return v;
}

}  // namespace

IdMaps rootless_maps(std::string& note) {
  uint32_t uid = ::geteuid(), gid = ::getegid();
  IdMaps single;
  single.uid.push_back({0, uid, 1});
  single.gid.push_back({0, gid, 1});
  // The caller's name (subuid lines may name it): from the host's
  // /etc/passwd, read directly (no NSS in a static binary).
  std::string user;
  for (const auto& line : split(try_read_file("/etc/passwd").value_or(""), '\n')) {
    auto f = split(line, ':');
    if (f.size() >= 3 && f[2] == std::to_string(uid)) {
      user = f[0];
      break;
    }
  }
  std::string who = user.empty() ? str("uid ", uid) : user;
  auto read = [&](const char* file) { return subid_ranges(try_read_file(file).value_or(""), user, uid); };
  auto sub_u = read("/etc/subuid"), sub_g = read("/etc/subgid");
  const char* limits =
      "only root inside the container is mapped (to you): files of other owners show as nobody, and a container "
      "cannot become another user";
  if (sub_u.empty() || sub_g.empty()) {
    note = str("no subordinate ", sub_u.empty() ? "uids" : "gids", " for ", who, " in ",
               sub_u.empty() ? "/etc/subuid" : "/etc/subgid", ": ", limits, " (as root: usermod --add-subuids ",
               "100000-165535 --add-subgids 100000-165535 ", user.empty() ? std::to_string(uid) : user, ")");
    return single;
  }
  if (find_on_path("newuidmap").empty() || find_on_path("newgidmap").empty()) {
    note = str("newuidmap and newgidmap are not installed: ", limits, " (install the uidmap package)");
    return single;
  }
  note.clear();
  IdMaps m;
  m.uid = ranged_map(uid, sub_u);
  m.gid = ranged_map(gid, sub_g);
  return m;
}

std::optional<std::string> userns_blocked(std::optional<std::string> (*sysctl)(const char* name)) {
  // Debian's and Ubuntu's kernels before 6.x: one switch for unprivileged users.
  if (sysctl("kernel.unprivileged_userns_clone") == "0")
    return "unprivileged user namespaces are disabled on this host (kernel.unprivileged_userns_clone=0; as root: "
           "sysctl -w kernel.unprivileged_userns_clone=1)";
  if (sysctl("user.max_user_namespaces") == "0")
    return "user namespaces are disabled on this host (user.max_user_namespaces=0; as root: sysctl -w "
           "user.max_user_namespaces=15000)";
  return std::nullopt;
}

std::optional<std::string> userns_blocked() {
  return userns_blocked([](const char* name) -> std::optional<std::string> {
    std::string path = "/proc/sys/" + std::string(name);
    for (char& c : path)
      if (c == '.') c = '/';
    auto v = try_read_file(path);
    while (v && !v->empty() && (v->back() == '\n' || v->back() == ' ')) v->pop_back();
    return v;
  });
}

std::optional<std::string> apparmor_label_restricted(const std::string& label) {
  // Ubuntu 23.10 on: a process that made a user namespace without a profile
  // allowing it is moved to the profile "unprivileged_userns", which
  // denies it every capability there.
  if (label.find("unprivileged_userns") == std::string::npos) return std::nullopt;
  return "AppArmor confines unprivileged user namespaces on this host "
         "(kernel.apparmor_restrict_unprivileged_userns=1): "
         "give the rt tools an AppArmor profile that allows userns, or as root: sysctl -w "
         "kernel.apparmor_restrict_unprivileged_userns=0";
}

std::optional<std::string> apparmor_userns_restricted(pid_t pid) {
  std::string proc = pid > 0 ? str("/proc/", pid) : std::string("/proc/self");
  auto label = try_read_file(proc + "/attr/apparmor/current");
  if (!label) label = try_read_file(proc + "/attr/current");
  return label ? apparmor_label_restricted(*label) : std::nullopt;
}

bool enter_rootless_userns() {
  std::string note;
  IdMaps maps = rootless_maps(note);
  if (maps.uid.size() < 2 && maps.gid.size() < 2) return false;
  MapWriter writer;
  writer.start(maps);
  if (::unshare(CLONE_NEWUSER) != 0) {
    int e = errno;
    auto why = userns_blocked();
    throw Error(str("cannot create a user namespace", why ? str(" (", *why, ")") : std::string()), e);
  }
  writer.finish();
  become_mapped_root(maps);
  return true;
}

bool in_initial_userns() {
  auto text = try_read_file("/proc/self/uid_map");
  if (!text) return true;
  auto f = split(*text, ' ');
  std::vector<std::string> w;
  for (auto& x : f)
    if (!x.empty()) w.push_back(x);
  return w.size() >= 3 && w[0] == "0" && w[1] == "0" && starts_with(w[2], "4294967295");
}

void become_mapped_root(const IdMaps& maps) {
  auto maps_root = [](const std::vector<IdMap>& v) {
    for (const auto& m : v)
      if (m.inner == 0) return true;
    return false;
  };
  if (maps_root(maps.gid) && ::getgid() != 0) {
    if (::setresgid(0, 0, 0) != 0) throw_errno("cannot become gid 0 in the new user namespace");
    // Allowed only when setgroups was not denied (a privileged map writer).
    if (::setgroups(0, nullptr) != 0 && errno != EPERM) throw_errno("cannot drop the supplementary groups");
  }
  if (maps_root(maps.uid) && ::getuid() != 0 && ::setresuid(0, 0, 0) != 0)
    throw_errno("cannot become uid 0 in the new user namespace");
}

void drop_groups_before_join() {
  // Unprivileged, the groups are the caller's own: nothing to take away.
  if (::geteuid() == 0 && ::setgroups(0, nullptr) != 0) throw_errno("cannot drop the supplementary groups");
}

const char* try_become_joined_root() noexcept {
  if (::setresgid(0, 0, 0) != 0) return "gid";
  // Allowed where the namespace's setgroups is not "deny".
  if (::setgroups(0, nullptr) != 0 && errno != EPERM) return "groups";
  if (::setresuid(0, 0, 0) != 0) return "uid";
  return nullptr;
}

void become_joined_root(const std::string& ns_path) {
  const char* id = try_become_joined_root();
  if (!id) return;
  int e = errno;
  if (std::string_view(id) == "groups") throw_errno("cannot drop the supplementary groups", e);
  throw Error(str("cannot become ", id, " 0 of the user namespace ", ns_path,
                  e == EINVAL ? str(": ", id, " 0 has no mapping there") : ""),
              e == EINVAL ? 0 : e);
}

bool self_mappable(const IdMaps& maps) {
  if (::geteuid() == 0 || maps.empty()) return false;
  uint32_t euid = ::geteuid(), egid = ::getegid();
  return (maps.uid.empty() || only_own_id(maps.uid, euid)) && (maps.gid.empty() || only_own_id(maps.gid, egid));
}

void write_self_maps(const IdMaps& maps) {
  if (!maps.gid.empty()) {
    // Without CAP_SETGID outside, the kernel wants setgroups denied first.
    write_map("/proc/self/setgroups", "deny", "cannot write /proc/self/setgroups");
    write_map("/proc/self/gid_map", map_text(maps.gid), "cannot write /proc/self/gid_map");
  }
  if (!maps.uid.empty()) write_map("/proc/self/uid_map", map_text(maps.uid), "cannot write /proc/self/uid_map");
}

void MapWriter::start(const IdMaps& maps) {
  Pipe go = make_pipe(), err = make_pipe();
  pid_t target = ::getpid();
  helper_ = ::fork();
  if (helper_ < 0) throw_errno("cannot fork the id-map helper");
  if (helper_ == 0) {
    go.write.reset();
    err.read.reset();
    helper_main(target, maps, go.read.get(), err.write.get());
  }
  go_ = std::move(go.write);
  err_ = std::move(err.read);
}

void MapWriter::finish() {
  if (helper_ < 0) return;
  send_go(go_, "the id-map helper");
  int code = exit_code_from_wait(wait_child(std::exchange(helper_, -1)));
  if (code == 0) return;
  std::string msg;
  char buf[512];
  ssize_t n;
  while ((n = ::read(err_.get(), buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
  throw Error(msg.empty() ? str("the id-map helper failed (status ", code, ")") : msg);
}

MapWriter::~MapWriter() {
  if (helper_ > 0) {
    go_.reset();  // the helper sees EOF and exits
    int st;
    ::waitpid(helper_, &st, 0);
  }
}

}  // namespace rt
