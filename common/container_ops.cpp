#include "container_ops.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <deque>
#include <nlohmann/json.hpp>
#include <set>

#include "cgroup.hpp"
#include "dir.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "process.hpp"
#include "userns.hpp"

namespace rt::ops {
using json = nlohmann::json;

std::string own_dir() {
  std::string d = self_dir();
  if (d.empty()) throw_errno("cannot find the program's own directory (/proc/self/exe)");
  return d;
}

bool container_alive(const ContainerState& c) { return c.pid > 0 && process_matches(c.pid, c.pid_start); }
bool supervisor_alive(const ContainerState& c) {
  return c.supervisor > 0 && process_matches(c.supervisor, c.supervisor_start);
}

std::string effective_status(const ContainerState& c) {
  if (c.status == "running" && !container_alive(c) && !supervisor_alive(c)) return "exited";
  return c.status;
}

std::string status_text(const ContainerState& c) {
  std::string st = effective_status(c);
  if (st == "running") return "Up " + human_duration(seconds_since(c.started));
  if (st == "exited") {
    std::string code = c.exit_code >= 0 ? std::to_string(c.exit_code) : "unknown";
    std::string when = c.finished.empty() ? "" : " " + human_duration(seconds_since(c.finished)) + " ago";
    return str("Exited (", code, ")", when);
  }
  return "Created";
}

std::vector<ContainerState> list(const Context& ctx, bool all) {
  std::vector<ContainerState> out;
  for (auto& c : ctx.store.list()) {
    c.status = effective_status(c);
    if (all || c.status == "running") out.push_back(std::move(c));
  }
  return out;
}

// Block until `c`'s record says exited, or nobody is left to say it (then
// record it ourselves). Returns the final record.
static ContainerState wait_exited(const Context& ctx, const std::string& id, int64_t timeout_ms = -1,
                                  bool (*should_stop)() = nullptr) {
  std::string dir = ctx.store.dir(id);
  UniqueFd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (in) ::inotify_add_watch(in.get(), dir.c_str(), IN_MOVED_TO | IN_DELETE_SELF);
  int64_t deadline = timeout_ms < 0 ? -1 : log::now_us() / 1000 + timeout_ms;
  for (;;) {
    auto c = ctx.store.load(id);
    if (!c) throw Error(str("container ", id.substr(0, 12), " was removed while waiting for it"));
    if (c->status == "exited" || c->status == "created") return *c;
    if (!supervisor_alive(*c)) {
      if (container_alive(*c)) {
        // Nobody supervises it: the caller's timeout is all there is.
      } else {
        auto lock = ctx.store.lock(id);
        auto fresh = ctx.store.load(id);
        if (fresh && fresh->status == "running") {
          fresh->status = "exited";
          fresh->finished = rfc3339_now();
          ctx.store.save(*fresh);
        }
        return fresh ? *fresh : *c;
      }
    }
    int64_t now = log::now_us() / 1000;
    if (deadline >= 0 && now >= deadline) return *c;
    int wait = 500;
    if (deadline >= 0) wait = static_cast<int>(std::min<int64_t>(wait, deadline - now));
    pollfd p{in.get(), POLLIN, 0};
    int r = in ? ::poll(&p, 1, wait) : ::usleep(static_cast<useconds_t>(wait) * 1000);
    if (r < 0 && errno == EINTR && should_stop && should_stop())
      throw Error(str("interrupted: container ", c->name, " is still running"));
    if (in && r > 0) {
      char buf[4096];
      while (::read(in.get(), buf, sizeof buf) > 0) {
      }
    }
  }
}

void kill(const Context& ctx, const std::string& ref, int sig) {
  ContainerState c = ctx.store.resolve(ref);
  if (effective_status(c) != "running" || !container_alive(c))
    throw Error(str("container ", c.name, " is not running"));
  if (::kill(c.pid, sig) != 0) throw_errno(str("cannot signal container ", c.name, " (pid ", c.pid, ")"));
}

static int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

void stop(const Context& ctx, const std::string& ref, int64_t timeout_ms, int sig, bool (*should_stop)()) {
  ContainerState c = ctx.store.resolve(ref);
  if (!container_alive(c)) {
    if (c.status == "running") wait_exited(ctx, c.id, 2000);
    return;
  }
  UniqueFd pfd(pidfd_open(c.pid));
  if (!pfd || !process_matches(c.pid, c.pid_start)) return;  // gone meanwhile
  if (::kill(c.pid, sig) != 0 && errno != ESRCH) throw_errno(str("cannot signal container ", c.name));
  pollfd p{pfd.get(), POLLIN, 0};
  int64_t deadline = log::now_us() / 1000 + timeout_ms;
  int r;
  for (;;) {
    int64_t left = std::max<int64_t>(0, deadline - log::now_us() / 1000);
    r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, INT32_MAX)));
    if (r >= 0 || errno != EINTR) break;
    if (should_stop && should_stop())
      throw Error(str("interrupted: container ", c.name, " has the signal but has not stopped yet"));
  }
  if (r == 0) {
    log::info("container ", c.name, " did not stop within ", timeout_ms, " ms: SIGKILL");
    ::kill(c.pid, SIGKILL);
    do r = ::poll(&p, 1, 10000);
    while (r < 0 && errno == EINTR);
  }
  wait_exited(ctx, c.id, 10000);
}

int wait(const Context& ctx, const std::string& ref, bool (*should_stop)()) {
  ContainerState c = ctx.store.resolve(ref);
  if (c.status == "created" && !supervisor_alive(c)) return c.exit_code;
  return wait_exited(ctx, c.id, -1, should_stop).exit_code;
}

// The container's cgroup from the paths recorded at start.
std::optional<cgroup::Group> container_group(const ContainerState& c) {
  if (c.cgroup_paths.empty()) return std::nullopt;
  cgroup::Host host = cgroup::detect();
  std::vector<std::string> dirs;
  for (const auto& line : c.cgroup_paths) {
    auto f = split(line, ':');
    if (f.size() < 3) continue;
    int id = static_cast<int>(parse_uint(f[0], "hierarchy id"));
    std::string path = line.substr(f[0].size() + f[1].size() + 2);
    for (const auto& h : host.hierarchies)
      if (h.id == id) dirs.push_back(h.dir(path));
  }
  return cgroup::Group::from_dirs(host, c.cgroup, dirs);
}

// Kill whatever is left of a container nobody supervises, and its cgroup.
void network_down(const ContainerStore& store, const std::string& id, const std::string& tool_dir) {
  std::string base = store.root() + "/netns/" + id;
  if (!path_exists(base) && !path_exists(base + ".json")) return;
  std::string dir = tool_dir.empty() ? own_dir() : tool_dir;
  try {
    int rc = run_and_wait({dir + "/rt-net", "down", id});
    if (rc != 0)
      warn(str("the network of container ", id.substr(0, 12), " is not torn down (rt-net down: exit ", rc,
               "); gc tries again"));
  } catch (const Error& e) {
    warn(e.what());
  }
}

static void reap_orphan(const Context& ctx, const ContainerState& c) {
  if (container_alive(c)) ::kill(c.pid, SIGKILL);
  network_down(ctx.store, c.id, ctx.tool_dir);
  try {
    if (auto g = container_group(c)) {
      std::string err = g->remove();
      if (!err.empty()) warn(str("container ", c.name, ": ", err));
    }
    // Rootless in a delegated group: the leaf of rt's processes beside it,
    // which the dead supervisor did not leave (cgroup_leaf.hpp).
    for (const auto& line : c.cgroup_paths)
      if (starts_with(line, "0::")) {
        cgroup::Host host = cgroup::detect();
        if (const auto* u = host.unified()) cgroup::RunLeaf::collect(*host.tree, u->dir(line.substr(3)));
      }
  } catch (const Error& e) {
    warn(str("container ", c.name, ": ", e.what()));
  }
}

void remove(const Context& ctx, const std::string& ref, bool force) {
  ContainerState c = ctx.store.resolve(ref);
  if (effective_status(c) == "running") {
    if (!force) throw Error(str("container ", c.name, " is running: stop it first, or use rm -f"));
    if (container_alive(c)) ::kill(c.pid, SIGKILL);
    c = wait_exited(ctx, c.id, 10000);
  }
  if (c.status == "created" && supervisor_alive(c)) {
    if (!force) throw Error(str("container ", c.name, " is starting: try again, or use rm -f"));
    ::kill(c.supervisor, SIGKILL);
  }
  if (!supervisor_alive(c)) reap_orphan(ctx, c);
  ctx.store.remove(c);
}

void logs(const Context& ctx, const std::string& ref, const LogOptions& o, int out_fd, int err_fd,
          bool (*should_stop)()) {
  ContainerState c = ctx.store.resolve(ref);
  if (c.log_path.empty())
    throw Error(str("container ", c.name, " has no log: it ran in the foreground, its output went to the terminal"));
  UniqueFd fd(::open(c.log_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno(str("cannot open ", c.log_path));

  auto emit = [&](const std::string& line) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return;
    std::string text = j.value("log", "");
    if (o.timestamps) text = j.value("time", "") + " " + text;
    int to = j.value("stream", "stdout") == "stderr" ? err_fd : out_fd;
    size_t off = 0;
    while (off < text.size()) {
      ssize_t n = ::write(to, text.data() + off, text.size() - off);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return;
      }
      off += static_cast<size_t>(n);
    }
  };

  std::string buf;
  std::deque<std::string> tail;
  auto drain = [&](bool initial) {
    char chunk[65536];
    ssize_t n;
    while ((n = ::read(fd.get(), chunk, sizeof chunk)) > 0) {
      buf.append(chunk, static_cast<size_t>(n));
      size_t start = 0, nl;
      while ((nl = buf.find('\n', start)) != std::string::npos) {
        std::string line = buf.substr(start, nl - start);
        start = nl + 1;
        if (initial && o.tail >= 0) {
          tail.push_back(std::move(line));
          if (static_cast<long>(tail.size()) > o.tail) tail.pop_front();
        } else {
          emit(line);
        }
      }
      buf.erase(0, start);
    }
    if (initial) {
      for (const auto& l : tail) emit(l);
      tail.clear();
    }
  };
  drain(true);
  if (!o.follow) return;

  UniqueFd in(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (in) ::inotify_add_watch(in.get(), c.log_path.c_str(), IN_MODIFY);
  for (;;) {
    drain(false);
    if (should_stop && should_stop()) return;
    auto now = ctx.store.load(c.id);
    if (!now || effective_status(*now) != "running" || !supervisor_alive(*now)) {
      if (!now || !supervisor_alive(*now)) {
        drain(false);
        return;
      }
    }
    pollfd p{in.get(), POLLIN, 0};
    int r = in ? ::poll(&p, 1, 250) : (::usleep(250000), 0);
    if (r < 0 && errno != EINTR) return;
    if (r > 0) {
      char ev[4096];
      while (::read(in.get(), ev, sizeof ev) > 0) {
      }
    }
  }
}

std::string inspect(const Context& ctx, const std::string& ref) {
  ContainerState c = ctx.store.resolve(ref);
  json j = json::parse(to_json(c));
  j["status"] = effective_status(c);
  j["running"] = j["status"] == "running";
  j["state_dir"] = ctx.store.dir(c.id);
  if (c.storage_driver == "fuse-overlayfs") j["storage_log"] = ctx.store.dir(c.id) + "/" + kFuseLogFile;
  return j.dump(2);
}

// Is the namespace open on `fd` the one at `path`?
static bool same_namespace(int fd, const char* path) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

Handle open_container(const ContainerState& c) {
  auto gone = [&] { return Error(str("container ", c.name, " is not running")); };
  Handle h;
  // Not before it has started: until then its PID 1 sees the host's
  // filesystem (rt-mount has not pivoted yet).
  if (c.pid <= 0 || effective_status(c) != "running") throw gone();
  h.pidfd = UniqueFd(pidfd_open(c.pid));
  if (!h.pidfd) {
    if (errno == ESRCH) throw gone();
    throw_errno(str("cannot open a pidfd for container ", c.name, " (pid ", c.pid, ")"));
  }
  // The pid still has the recorded start time now, after the pidfd was
  // opened: the pidfd is the container's PID 1, not a later holder of its pid.
  if (!process_matches(c.pid, c.pid_start)) throw gone();
  h.proc = UniqueFd(::open(str("/proc/", c.pid).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  // Still there after the open (a pid is not reused before its process is
  // reaped): the directory is that process's, and so is what is opened
  // relative to it.
  if (!h.proc || ::syscall(SYS_pidfd_send_signal, h.pidfd.get(), 0, nullptr, 0) != 0) throw gone();
  for (const char* ns : {"user", "ipc", "uts", "net", "cgroup", "mnt", "pid"}) {
    UniqueFd fd(::openat(h.proc.get(), str("ns/", ns).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT) continue;  // a namespace type this kernel lacks
      if (errno == ESRCH) throw gone();
      throw_errno(str("cannot open the ", ns, " namespace of container ", c.name));
    }
    // A rootless container's user namespace is joined first (it grants the
    // rights for the rest); a root container's is ours, which setns refuses.
    if (std::string_view(ns) == "user" && same_namespace(fd.get(), "/proc/self/ns/user")) continue;
    // Out of the way of the fds the chain is handed by number (0-9).
    UniqueFd high(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 10));
    if (!high) throw_errno("cannot duplicate an fd");
    h.ns.emplace_back(ns, std::move(high));
  }
  return h;
}

// The container's rt-exec --seccomp value, when it is a profile of its own
// (rt-run hands one down as /proc/self/fd/N).
static const std::string* own_seccomp(const ContainerState& c) {
  for (size_t i = 0; i + 1 < c.exec_args.size(); ++i)
    if (c.exec_args[i] == "--seccomp" && c.exec_args[i + 1] != "default" && c.exec_args[i + 1] != "unconfined")
      return &c.exec_args[i + 1];
  return nullptr;
}

UniqueFd kept_seccomp_profile(const Context& ctx, const ContainerState& c) {
  if (!own_seccomp(c)) return {};
  std::string path = ctx.store.dir(c.id) + "/" + kSeccompProfileFile;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd)
    throw_errno(str("container ", c.name, " runs a seccomp profile of its own, but its copy ", path,
                    " cannot be opened (started by an older rt?)"));
  UniqueFd high(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 10));
  if (!high) throw_errno("cannot duplicate an fd");
  return high;
}

std::vector<std::string> exec_argv(const Context& ctx, const ContainerState& c, const Handle& h, const ExecOptions& o) {
  std::vector<std::string> argv{ctx.tool_dir + "/rt-unshare"};
  for (const auto& [ns, fd] : h.ns) {
    argv.emplace_back("--join");
    argv.push_back(str(ns, "=/proc/self/fd/", fd.get()));
  }
  argv.emplace_back("--");
  argv.push_back(ctx.tool_dir + "/rt-exec");
  // The container's own rt-exec options, with --user/--workdir replaced
  // when asked and --env added.
  for (size_t i = 0; i < c.exec_args.size(); ++i) {
    const std::string& a = c.exec_args[i];
    bool has_value = i + 1 < c.exec_args.size();
    if (has_value && ((a == "--user" && !o.user.empty()) || (a == "--workdir" && !o.workdir.empty()))) {
      ++i;
      continue;
    }
    if (has_value && a == "--seccomp" && &c.exec_args[i + 1] == own_seccomp(c)) {
      // The fd the container's profile came on is long gone: the kept copy.
      if (o.seccomp_fd < 0) throw Error(str("container ", c.name, " runs a seccomp profile of its own: none given"));
      argv.insert(argv.end(), {a, str("/proc/self/fd/", o.seccomp_fd)});
      ++i;
      continue;
    }
    argv.push_back(a);
  }
  if (!o.user.empty()) argv.insert(argv.end(), {"--user", o.user});
  if (!o.workdir.empty()) argv.insert(argv.end(), {"--workdir", o.workdir});
  if (o.env_fd >= 0) argv.insert(argv.end(), {"--env-fd", std::to_string(o.env_fd)});
  argv.emplace_back("--");
  argv.insert(argv.end(), o.command.begin(), o.command.end());
  return argv;
}

std::vector<std::string> exec_env(const ContainerState& c, const ExecOptions& o) {
  std::vector<std::string> env = c.env;
  if (o.tty) env.emplace_back("TERM=xterm");
  for (const auto& e : o.env) {
    if (e.find('=') != std::string::npos) env.push_back(e);
    else if (const char* v = std::getenv(e.c_str())) env.push_back(e + "=" + v);
  }
  return env;
}

int parse_signal(const std::string& s) {
  static const std::pair<const char*, int> names[] = {
      {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},   {"TRAP", SIGTRAP},
      {"ABRT", SIGABRT}, {"BUS", SIGBUS},     {"FPE", SIGFPE},   {"KILL", SIGKILL}, {"USR1", SIGUSR1},
      {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
      {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},
      {"TTOU", SIGTTOU}, {"URG", SIGURG},     {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM},
      {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"PWR", SIGPWR},   {"SYS", SIGSYS}};
  std::string u;
  for (char ch : s) u.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  if (starts_with(u, "SIG")) u = u.substr(3);
  for (const auto& [n, v] : names)
    if (u == n) return v;
  if (!u.empty() && std::all_of(u.begin(), u.end(), ::isdigit)) {
    auto v = parse_uint(u, "signal", 64);
    if (v >= 1) return static_cast<int>(v);
  }
  throw Error(str("invalid signal '", s, "' (a name like TERM or KILL, or a number 1-64)"));
}

GcReport gc(const Context& ctx) {
  GcReport r;
  for (auto& c : ctx.store.list()) {
    bool sup = supervisor_alive(c);
    if (sup) continue;
    if (c.status == "running" || (c.status == "created")) {
      auto lock = ctx.store.lock(c.id);
      auto fresh = ctx.store.load(c.id);
      if (!fresh || supervisor_alive(*fresh)) continue;
      c = *fresh;
      bool was_running = c.status == "running";
      reap_orphan(ctx, c);
      if (was_running) {
        c.status = "exited";
        if (c.exit_code < 0) c.exit_code = 137;
        c.finished = rfc3339_now();
        c.error = "its supervisor died; stopped by gc";
        ctx.store.save(c);
        r.exited.push_back(c.name);
      }
      if (!was_running || c.auto_remove) {
        ctx.store.remove(c);
        r.removed.push_back(c.name);
      }
    } else if (c.status == "exited") {
      network_down(ctx.store, c.id, ctx.tool_dir);  // a supervisor that died before tearing it down
      if (c.auto_remove) {
        ctx.store.remove(c);
        r.removed.push_back(c.name);
      }
    }
  }
  // Networks of containers whose record is gone.
  {
    std::vector<std::string> orphans;
    for (auto n : dir_names(ctx.store.root() + "/netns")) {
      if (n.size() == 69 && n.ends_with(".json")) n.resize(64);
      if (n.size() == 64 && n.find_first_not_of("0123456789abcdef") == std::string::npos &&
          !path_exists(ctx.store.dir(n)))
        orphans.push_back(n);
    }
    std::sort(orphans.begin(), orphans.end());
    orphans.erase(std::unique(orphans.begin(), orphans.end()), orphans.end());
    for (const auto& id : orphans) {
      network_down(ctx.store, id, ctx.tool_dir);
      r.removed.push_back("network " + id.substr(0, 12));
    }
  }
  // Records and names an rt-run killed while creating them left behind.
  for (auto& what : ctx.store.remove_half_made(60)) r.removed.push_back(std::move(what));
  // Writable layers whose record is gone (a reboot cleared the state root):
  // ID (the upper directory, or an older rt's bundle) and ID.work.
  std::string layers = ctx.image_root + "/containers";
  std::set<std::string> gone;
  for (const auto& name : dir_names(layers)) {
    std::string_view id = name;
    if (id.ends_with(kLayerWorkSuffix)) id.remove_suffix(std::string_view(kLayerWorkSuffix).size());
    if (id.size() != 64 || path_exists(ctx.store.dir(std::string(id)))) continue;
    if (auto ec = remove_tree_as_owner(layers + "/" + name))
      warn(str("cannot remove ", layers, "/", name, ": ", ec.message()));
    else gone.emplace(id.substr(0, 12));
  }
  r.removed.insert(r.removed.end(), gone.begin(), gone.end());
  // cgroups of rt's whose supervisor is gone.
  try {
    cgroup::Host host = cgroup::detect();
    for (const auto& g : cgroup::gc(host, ""))
      if (g.skipped.empty()) r.cgroups.push_back(g.name);
  } catch (const Error& e) {
    warn(e.what());
  }
  return r;
}

}  // namespace rt::ops
