#include "userns.hpp"

#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "error.hpp"
#include "fs.hpp"
#include "parse.hpp"

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

// Run newuidmap/newgidmap PID INNER OUTER COUNT...
void run_shadow_tool(const char* tool, pid_t pid, const std::vector<IdMap>& v) {
  std::vector<std::string> args{tool, std::to_string(pid)};
  for (const auto& m : v) {
    args.push_back(std::to_string(m.inner));
    args.push_back(std::to_string(m.outer));
    args.push_back(std::to_string(m.count));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t c = ::fork();
  if (c < 0) die_errno("cannot fork");
  if (c == 0) {
    ::execvp(tool, argv.data());
    die_errno(str("cannot execute ", tool, " (needed to map more than your own id; install the uidmap package)"));
  }
  int st = 0;
  while (::waitpid(c, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    die(str(tool, " failed for pid ", pid, " (check /etc/subuid and /etc/subgid)"));
}

[[noreturn]] void helper_main(pid_t target, const IdMaps& maps, int go_fd) {
  char c;
  ssize_t n;
  do n = ::read(go_fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) std::_Exit(kExitToolFailure);  // the parent failed to unshare and said so
  std::string proc = str("/proc/", target, "/");
  bool privileged = ::geteuid() == 0;
  uint32_t euid = ::geteuid(), egid = ::getegid();
  if (!maps.uid.empty()) {
    if (privileged || only_own_id(maps.uid, euid)) {
      if (auto ec = write_file(proc + "uid_map", map_text(maps.uid)))
        die_sys(ec.value(), str("cannot write uid map ", map_text(maps.uid).substr(0, 40), "for pid ", target));
    } else {
      run_shadow_tool("newuidmap", target, maps.uid);
    }
  }
  if (!maps.gid.empty()) {
    if (privileged || only_own_id(maps.gid, egid)) {
      // Without CAP_SETGID outside, the kernel wants setgroups denied first.
      if (!privileged)
        if (auto ec = write_file(proc + "setgroups", "deny"))
          die_sys(ec.value(), str("cannot write setgroups for pid ", target));
      if (auto ec = write_file(proc + "gid_map", map_text(maps.gid)))
        die_sys(ec.value(), str("cannot write gid map for pid ", target));
    } else {
      run_shadow_tool("newgidmap", target, maps.gid);
    }
  }
  std::_Exit(0);
}

}  // namespace

void become_mapped_root(const IdMaps& maps) {
  auto maps_root = [](const std::vector<IdMap>& v) {
    for (const auto& m : v)
      if (m.inner == 0) return true;
    return false;
  };
  if (maps_root(maps.gid) && ::getgid() != 0) {
    if (::setresgid(0, 0, 0) != 0) die_errno("cannot become gid 0 in the new user namespace");
    // Allowed only when setgroups was not denied (a privileged map writer).
    if (::setgroups(0, nullptr) != 0 && errno != EPERM) die_errno("cannot drop the supplementary groups");
  }
  if (maps_root(maps.uid) && ::getuid() != 0 && ::setresuid(0, 0, 0) != 0)
    die_errno("cannot become uid 0 in the new user namespace");
}

void MapWriter::start(const IdMaps& maps) {
  Pipe p = make_pipe();
  pid_t target = ::getpid();
  helper_ = ::fork();
  if (helper_ < 0) die_errno("cannot fork the id-map helper");
  if (helper_ == 0) {
    p.write.reset();
    helper_main(target, maps, p.read.get());
  }
  go_ = std::move(p.write);
}

void MapWriter::finish() {
  if (helper_ < 0) return;
  char c = 'g';
  if (::write(go_.get(), &c, 1) != 1) die_errno("cannot signal the id-map helper");
  go_.reset();
  int st = 0;
  while (::waitpid(helper_, &st, 0) < 0 && errno == EINTR) {
  }
  helper_ = -1;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) std::_Exit(kExitToolFailure);  // it printed why
}

MapWriter::~MapWriter() {
  if (helper_ > 0) {
    go_.reset();  // the helper sees EOF and exits
    int st;
    ::waitpid(helper_, &st, 0);
  }
}

}  // namespace rt
