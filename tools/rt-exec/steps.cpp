#include "steps.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "terminal.hpp"

extern char** environ;

namespace rt::exec {

// ------------------------------------------------------------ environment

const Environment::Var* Environment::find(const std::string& key) const {
  for (const auto& v : vars_)
    if (v.kv.size() > key.size() && v.kv[key.size()] == '=' && v.kv.compare(0, key.size(), key) == 0) return &v;
  return nullptr;
}
Environment::Var* Environment::find(const std::string& key) {
  return const_cast<Var*>(static_cast<const Environment*>(this)->find(key));
}

void Environment::set(const std::string& key, const std::string& value, bool given) {
  if (Var* v = find(key)) {
    *v = {key + "=" + value, given};
    return;
  }
  vars_.push_back({key + "=" + value, given});
}

const char* Environment::get(const std::string& key) const {
  const Var* v = find(key);
  return v ? v->kv.c_str() + key.size() + 1 : nullptr;
}

bool Environment::given(const std::string& key) const {
  const Var* v = find(key);
  return v && v->given;
}

std::vector<char*> Environment::envp() {
  std::vector<char*> out;
  out.reserve(vars_.size() + 1);
  for (auto& v : vars_) out.push_back(v.kv.data());
  out.push_back(nullptr);
  return out;
}

namespace {

// "K=V" sets K; "K" copies K from rt-exec's own environment when it is set
// there (and is dropped otherwise), as docker does.
void add_var(Environment& env, std::string_view kv, const std::string& where) {
  auto eq = kv.find('=');
  std::string key(kv.substr(0, eq));
  if (key.empty()) throw Error(str("invalid ", where, ": no variable name in '", kv, "'"));
  if (key.find_first_of(" \t") != std::string::npos)
    throw Error(str("invalid ", where, ": variable name '", key, "' contains whitespace"));
  if (eq != std::string_view::npos) {
    env.set(key, std::string(kv.substr(eq + 1)), true);
  } else if (const char* v = std::getenv(key.c_str())) {
    env.set(key, v, true);
  }
}

// Docker's --env-file format: one K=V or K a line, leading whitespace
// ignored, '#' starts a comment line, the value is taken as is (no quotes
// or escapes are interpreted).
void add_env_file(Environment& env, const std::string& path) {
  std::error_code ec;
  auto read = read_config_file(path, ec);
  if (!read) throw Error(str("cannot read env file ", path), ec.value());
  std::string& text = *read;
  if (starts_with(text, "\xEF\xBB\xBF")) text.erase(0, 3);  // a UTF-8 byte order mark
  size_t lineno = 0;
  for (auto& line : split(text, '\n')) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t i = 0;
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i == line.size() || line[i] == '#') continue;
    add_var(env, std::string_view(line).substr(i), str("env file ", path, " line ", lineno));
  }
}

// NUL-separated K=V entries, the format of /proc/PID/environ and `env -0`:
// exact for any value (newlines included), never in an argv. Every entry
// needs its '='; an empty one (a trailing NUL) is skipped.
void add_env_fd(Environment& env, int fd) {
  std::error_code ec;
  auto read = read_config_fd(fd, ec);
  if (!read) throw Error(str("cannot read --env-fd ", fd), ec.value());
  if (fd > 2) ::close(fd);  // read once; the program never gets it
  size_t n = 0;
  for (const auto& kv : split(*read, '\0')) {
    ++n;
    if (kv.empty()) continue;
    // The messages name the entry, never its value.
    auto eq = kv.find('=');
    if (eq == 0 || eq == std::string::npos) throw Error(str("invalid --env-fd ", fd, " entry ", n, ": expected K=V"));
    std::string key = kv.substr(0, eq);
    if (key.find_first_of(" \t") != std::string::npos)
      throw Error(str("invalid --env-fd ", fd, " entry ", n, ": variable name '", key, "' contains whitespace"));
    env.set(key, kv.substr(eq + 1), true);
  }
}

}  // namespace

Environment build_env(const EnvSpec& spec) {
  Environment env;
  if (!spec.clear)
    for (char** e = environ; *e; ++e) {
      std::string_view kv(*e);
      auto eq = kv.find('=');
      if (eq == std::string_view::npos || eq == 0) continue;
      env.set(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
  for (const auto& f : spec.files) add_env_file(env, f);
  for (int fd : spec.fds) add_env_fd(env, fd);
  for (const auto& v : spec.vars) add_var(env, v, "--env");
  return env;
}

// ------------------------------------------------------------ rlimits

namespace {

std::string limit_text(rlim_t v) { return v == RLIM_INFINITY ? "unlimited" : std::to_string(v); }

}  // namespace

void apply_rlimit(const Rlimit& r) {
  if (::setrlimit(r.resource, &r.value) == 0) {
    log::step("rlimit ", r.name, "=", limit_text(r.value.rlim_cur), ":", limit_text(r.value.rlim_max));
    return;
  }
  int err = errno;
  rlimit cur{};
  std::string hint;
  if (err == EPERM && ::getrlimit(r.resource, &cur) == 0 && r.value.rlim_max > cur.rlim_max)
    hint = str(" (the hard limit is ", limit_text(cur.rlim_max), "; raising it needs CAP_SYS_RESOURCE",
               r.resource == RLIMIT_NOFILE ? " and at most fs.nr_open" : "", ")");
  throw Error(str("cannot set the ", r.name, " limit to ", limit_text(r.value.rlim_cur), ":",
                  limit_text(r.value.rlim_max), ": ", std::strerror(err), hint));
}

// ------------------------------------------------------------ privileges

void plan_caps(Privileges& p, const std::optional<std::string>& base, const std::vector<std::string>& add,
               const std::vector<std::string>& drop) {
  p.set_caps = base || !add.empty() || !drop.empty();
  if (!p.set_caps) {
    p.current = caps::bounding();
    p.bounding = p.current;
    return;
  }
  caps::Set named = 0;             // asked for by name: must be granted
  std::optional<caps::Set> start;  // none: the current bounding set
  if (base) {
    std::string b = *base;
    for (char& c : b) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (b == "docker") {
      start = caps::docker_default();
    } else if (b == "none") {
      start = 0;
    } else {
      caps::List l = caps::parse_list(*base, "--caps");
      start = l.all ? caps::all_known() : l.set;
      named |= l.set;
    }
  }
  caps::List adds, drops;
  for (const auto& a : add) {
    caps::List l = caps::parse_list(a, "--cap-add");
    adds.set |= l.set;
    adds.all |= l.all;
  }
  for (const auto& d : drop) {
    caps::List l = caps::parse_list(d, "--cap-drop");
    drops.set |= l.set;
    drops.all |= l.all;
  }
  named |= adds.set;
  // What this process can hand on: permitted and in its bounding set. The
  // bounding set is read a capability at a time (a prctl each, ~1 us on
  // the test VM): with a base set given, only for what the container would
  // keep; the others are dropped without asking whether they are there
  // (dropping one that is not changes nothing), so `current` is then every
  // capability the kernel knows but those read as missing.
  caps::Set permitted = caps::get().permitted;
  caps::Set want, have;
  if (start) {
    want = caps::tweak(*start, adds, drops);
    have = caps::bounding_within(want & permitted);
    p.current = caps::all_known() & ~(want & permitted & ~have);
  } else {
    p.current = caps::bounding();
    want = caps::tweak(p.current, adds, drops);
    have = p.current & permitted;
  }
  if (caps::Set missing = want & named & ~have)
    throw Error(str("cannot grant ", caps::format(missing), ": not in rt-exec's own bounding and permitted sets"));
  p.bounding = want & have;
  bool root = p.user ? p.user->uid == 0 : ::geteuid() == 0;
  // A non-root user loses every capability at execve; podman keeps the
  // ones given with --cap-add by raising them in the ambient set.
  p.ambient = root ? 0 : (adds.all ? p.bounding : p.bounding & adds.set);
}

void set_extra_caps(Privileges& p, const std::optional<std::string>& inheritable,
                    const std::optional<std::string>& ambient) {
  auto parse = [&](const std::string& list, const char* what) -> caps::Set {
    if (list.empty()) return 0;
    caps::List l = caps::parse_list(list, what);
    caps::Set s = l.all ? p.bounding : l.set;
    if (caps::Set extra = s & ~p.bounding)
      throw Error(str("invalid ", what, " '", list, "': ", caps::format(extra), " not in the bounding set"));
    return s;
  };
  if (inheritable) p.inheritable = parse(*inheritable, "--cap-inheritable");
  if (ambient) p.ambient = parse(*ambient, "--cap-ambient");
  p.inheritable |= p.ambient;
}

caps::Set holdable_caps(const Privileges& p, bool no_new_privs) {
  bool root = p.user ? p.user->uid == 0 : ::geteuid() == 0;
  if (root || !no_new_privs) return p.bounding;
  if (p.set_caps) return p.ambient;
  // Unchanged capabilities: a switch to another user clears the ambient
  // set; otherwise the current one carries over.
  return p.user ? 0 : caps::ambient() & p.bounding;
}

namespace {

bool setgroups_denied() {
  auto s = try_read_file("/proc/self/setgroups");
  return s && starts_with(*s, "deny");
}

void set_groups(const std::vector<gid_t>& g) {
  if (::setgroups(g.size(), g.data()) == 0) return;
  // In a user namespace with setgroups denied an empty list is already the
  // state the kernel allows: nothing to do.
  if (errno == EPERM && g.empty() && setgroups_denied()) return;
  std::string list;
  for (gid_t x : g) list += str(list.empty() ? "" : ",", x);
  throw_errno(str("cannot set the supplementary groups to ", list.empty() ? "none" : list,
                  errno == EINVAL ? " (not all mapped in this user namespace)" : ""));
}

}  // namespace

void apply_privileges(const Privileges& p) {
  if (p.set_caps) caps::limit_bounding(p.bounding, p.current);
  if (p.user || p.groups) {
    if (p.set_caps && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) throw_errno("cannot set PR_SET_KEEPCAPS");
    set_groups(p.groups ? *p.groups : p.user->groups);
    if (p.user) {
      if (::setresgid(p.user->gid, p.user->gid, p.user->gid) != 0)
        throw_errno(
            str("cannot switch to gid ", p.user->gid, errno == EINVAL ? " (not mapped in this user namespace)" : ""));
      if (::setresuid(p.user->uid, p.user->uid, p.user->uid) != 0)
        throw_errno(
            str("cannot switch to uid ", p.user->uid, errno == EINVAL ? " (not mapped in this user namespace)" : ""));
      log::step("switched to uid ", p.user->uid, " gid ", p.user->gid);
    }
    if (p.set_caps && ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) throw_errno("cannot clear PR_SET_KEEPCAPS");
  }
  if (p.set_caps) {
    // Inheritable only holds what ambient needs (empty for root, as docker
    // since CVE-2022-24769), unless --cap-inheritable asks for more.
    caps::set({p.bounding, p.bounding, p.ambient | p.inheritable});
    caps::set_ambient(p.ambient);
    log::step("capabilities ", p.bounding ? caps::format(p.bounding) : "none",
              p.ambient ? " ambient " + caps::format(p.ambient) : "");
  }
}

// ------------------------------------------------------------ working directory

void change_dir(const std::string& dir) {
  // Absolute: inside this process's root (the container's), relative: from
  // the current directory; never through a magic link such as
  // /proc/self/fd/N or /proc/PID/cwd, which can lead to a directory outside
  // the root that some fd still holds (CVE-2024-21626).
  bool absolute = !dir.empty() && dir[0] == '/';
  UniqueFd base;
  if (absolute) {
    base = UniqueFd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!base) throw_errno("cannot open the root directory");
  }
  std::string rel = dir;
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  if (rel.empty()) rel = ".";
  UniqueFd fd(sys_openat2(absolute ? base.get() : AT_FDCWD, rel.c_str(), O_PATH | O_DIRECTORY,
                          (absolute ? RESOLVE_IN_ROOT : 0) | RESOLVE_NO_MAGICLINKS));
  if (!fd) {
    int e = errno;
    throw_errno(str("cannot change to working directory ", dir,
                    e == ELOOP ? " (a symlink loop, or a link through /proc, which could lead out of the root)" : ""),
                e);
  }
  if (::fchdir(fd.get()) != 0) throw_errno(str("cannot change to working directory ", dir));
  // As runc: the new directory must be reachable from the root.
  char buf[PATH_MAX];
  if (!::getcwd(buf, sizeof buf) || buf[0] != '/')
    throw Error(str("cannot change to working directory ", dir, ": it is outside the root"));
}

// ------------------------------------------------------------ fds

void attach_console(UniqueFd socket, const std::optional<winsize>& size, bool bind_console) {
  UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) throw_errno("cannot open / for the terminal");
  DevptsPty pty = open_devpts_pty(root.get());
  if (!pty.master)
    throw Error("cannot allocate a terminal: /dev/ptmx is not the container's devpts ptmx (devpts on /dev/pts?)");
  if (size && ::ioctl(pty.master.get(), TIOCSWINSZ, &*size) != 0) throw_errno("cannot set the terminal's size");
  if (bind_console) {
    // As runc: /dev/console is the container's terminal. Bound on a file
    // made in /dev if missing, never through a link.
    std::error_code ec;
    UniqueFd dev = open_in_root(root.get(), "/dev", O_PATH | O_DIRECTORY, ec);
    if (!dev) throw Error("cannot open /dev for /dev/console", ec.value());
    UniqueFd target(::openat(dev.get(), "console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!target && errno == ENOENT) {
      int f = ::openat(dev.get(), "console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (f < 0) throw_errno("cannot create /dev/console");
      ::close(f);
      target = UniqueFd(::openat(dev.get(), "console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    }
    struct stat st {};
    if (!target || ::fstat(target.get(), &st) != 0) throw_errno("cannot open /dev/console");
    if (S_ISLNK(st.st_mode)) throw Error("cannot bind the terminal on /dev/console: it is a symbolic link");
    if (::mount(fd_path(pty.slave.get()).c_str(), fd_path(target.get()).c_str(), nullptr, MS_BIND, nullptr) != 0)
      throw_errno("cannot bind the terminal on /dev/console");
  }
  send_fd(socket.get(), pty.master.get(), "/dev/ptmx");
  pty.master.reset();
  socket.reset();
  for (int i = 0; i < 3; ++i)
    if (::dup2(pty.slave.get(), i) < 0) throw_errno("cannot make the terminal stdin, stdout and stderr");
  log::step("terminal of the container's devpts sent on the console socket",
            bind_console ? ", bound on /dev/console" : "");
}

void cloexec_from(unsigned first) {
  if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  // Kernels before 5.11: walk /proc/self/fd, skipping the walk's own fd
  // (readdir on the DIR, whose fd is known; rt-exec links no Boost).
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) throw_errno("cannot mark file descriptors close-on-exec (close_range and /proc/self/fd failed)");
  int own = ::dirfd(d);
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long fd = std::strtol(e->d_name, &end, 10);
    if (*end || end == e->d_name || fd < static_cast<long>(first) || fd == own) continue;
    ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
  }
  ::closedir(d);
}

}  // namespace rt::exec
