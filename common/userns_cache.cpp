#include "userns_cache.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "error.hpp"
#include "fd_pass.hpp"
#include "fs.hpp"
#include "parse.hpp"

namespace rt::userns_cache {

std::string dir(const std::string& state_root) { return state_root + "/userns"; }

int idle_ms(const char* env) {
  if (!env) return kIdleSeconds * 1000;
  uint64_t s = parse_uint(env, kIdleEnv, 3600);
  if (s == 0) throw Error(str("invalid ", kIdleEnv, " '", env, "': seconds from 1 to 3600"));
  return static_cast<int>(s * 1000);
}

std::optional<pid_t> holder_of(std::string_view name) {
  constexpr std::string_view kSuffix = ".sock";
  if (name.size() <= kSuffix.size() || name.substr(name.size() - kSuffix.size()) != kSuffix) return std::nullopt;
  std::string_view digits = name.substr(0, name.size() - kSuffix.size());
  if (digits.size() > 9 || digits[0] == '0') return std::nullopt;
  pid_t pid = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

std::vector<IdMap> parse_proc_map(const std::string& text) {
  std::vector<IdMap> out;
  for (const auto& line : split(text, '\n')) {
    std::vector<std::string> f;
    for (const auto& w : split(line, ' '))
      if (!w.empty()) f.push_back(w);
    if (f.empty()) continue;
    if (f.size() != 3) throw Error(str("malformed id map line '", line, "'"));
    out.push_back({static_cast<uint32_t>(parse_uint(f[0], "id map", UINT32_MAX)),
                   static_cast<uint32_t>(parse_uint(f[1], "id map", UINT32_MAX)),
                   static_cast<uint32_t>(parse_uint(f[2], "id map", UINT32_MAX))});
  }
  return out;
}

bool same_maps(const std::vector<IdMap>& a, const std::vector<IdMap>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].inner != b[i].inner || a[i].outer != b[i].outer || a[i].count != b[i].count) return false;
  return true;
}

namespace {

// Decimal digits of `v` at `p`, NUL-terminated; returns the end.
char* put_uint(char* p, unsigned long v) noexcept {
  char tmp[24];
  int n = 0;
  do tmp[n++] = static_cast<char>('0' + v % 10);
  while ((v /= 10) != 0);
  while (n) *p++ = tmp[--n];
  *p = 0;
  return p;
}

char* put_str(char* p, const char* s) noexcept {
  while (*s) *p++ = *s++;
  *p = 0;
  return p;
}

// "/proc/self/fd/DIRFD/NAME": a socket's path below the cache's directory
// through its fd, short whatever the directory's own path (sun_path holds
// 108 bytes). System calls only (the holder uses it): `name` is short.
bool socket_addr(sockaddr_un& a, int dirfd, const char* name) noexcept {
  std::memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  if (std::strlen(name) > 64) return false;
  put_str(put_str(put_uint(put_str(a.sun_path, "/proc/self/fd/"), static_cast<unsigned long>(dirfd)), "/"), name);
  return true;
}

struct Peer {
  UniqueFd sock;
  pid_t pid = -1;
};

// The link names a socket nobody listens on: its holder died without
// clean-up (killed, OOM). Under the directory's lock (see serve; not waited
// for: a client never blocks on it, the next one cleans up) the link is
// read again and its socket tried again, so neither can be a newer
// holder's: its socket and the link go (the next holder links its own).
void remove_dead_holder(int dirfd) noexcept {
  int lock = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock < 0) return;
  if (::flock(lock, LOCK_EX | LOCK_NB) == 0) {
    char name[64];
    ssize_t n = ::readlinkat(dirfd, kLink, name, sizeof name - 1);
    sockaddr_un a;
    // Non-blocking: a live holder's full backlog is EAGAIN, not a wait.
    int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (n > 0 && s >= 0 && (name[n] = 0, holder_of(name)) && socket_addr(a, dirfd, name) &&
        ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && (errno == ECONNREFUSED || errno == ENOENT)) {
      ::unlinkat(dirfd, name, 0);
      ::unlinkat(dirfd, kLink, 0);
    }
    if (s >= 0) ::close(s);
  }
  ::close(lock);  // and the lock with it
}

// Connect to the holder the link names. `why` says why not.
std::optional<Peer> connect_holder(int dirfd, std::string& why) {
  sockaddr_un a;
  if (!socket_addr(a, dirfd, kLink)) return why = "no room for its socket's path", std::nullopt;
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) return why = str("socket: ", std::strerror(errno)), std::nullopt;
  // A holder that was stopped accepts (the kernel does) but never sends:
  // not waited for forever.
  timeval tv{2, 0};
  ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    int e = errno;
    if (e == ENOENT) return why = "none yet", std::nullopt;
    if (e == ECONNREFUSED) {
      remove_dead_holder(dirfd);
      return why = "its holder is gone", std::nullopt;
    }
    return why = str("cannot connect: ", std::strerror(e)), std::nullopt;
  }
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(s.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return why = str("SO_PEERCRED: ", std::strerror(errno)), std::nullopt;
  if (cred.uid != ::geteuid()) return why = str("its holder is uid ", cred.uid, "'s, not ours"), std::nullopt;
  return Peer{std::move(s), cred.pid};
}

bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

// Is `pid` (still) the process in user namespace `ns`?
bool in_namespace(pid_t pid, const struct stat& ns) {
  struct stat st {};
  return ::stat(str("/proc/", pid, "/ns/user").c_str(), &st) == 0 && same_file(st, ns);
}

// A holder whose maps are not ours: SIGTERM, through a pidfd opened while
// it is still the process in that namespace (not a pid reused meanwhile).
void tell_to_go(pid_t pid, const struct stat& ns) {
  UniqueFd pfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pfd && in_namespace(pid, ns)) ::syscall(SYS_pidfd_send_signal, pfd.get(), SIGTERM, nullptr, 0);
}

}  // namespace

std::optional<Joined> join(const std::string& state_root, const IdMaps& want, std::string& why) {
  UniqueFd dirfd(::open(dir(state_root).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return why = errno == ENOENT ? "none yet" : str("its directory: ", std::strerror(errno)), std::nullopt;
  auto peer = connect_holder(dirfd.get(), why);
  if (!peer) return std::nullopt;
  UniqueFd ns = receive_fd(peer->sock.get());
  if (!ns) return why = str("pid ", peer->pid, " sent no namespace"), std::nullopt;
  struct stat got {};
  if (::fstat(ns.get(), &got) != 0 || !in_namespace(peer->pid, got))
    return why = str("pid ", peer->pid, " sent a namespace not its own"), std::nullopt;
  try {
    auto uid = try_read_file(str("/proc/", peer->pid, "/uid_map"));
    auto gid = try_read_file(str("/proc/", peer->pid, "/gid_map"));
    if (!uid || !gid) return why = str("cannot read the maps of pid ", peer->pid), std::nullopt;
    if (!same_maps(parse_proc_map(*uid), want.uid) || !same_maps(parse_proc_map(*gid), want.gid)) {
      tell_to_go(peer->pid, got);
      return why = str("the maps of pid ", peer->pid, "'s namespace are not ours now (told it to go)"), std::nullopt;
    }
  } catch (const Error& e) {
    return why = str("pid ", peer->pid, ": ", e.what()), std::nullopt;
  }
  return Joined{std::move(ns), peer->pid};
}

std::optional<pid_t> holder(const std::string& state_root) {
  // No connection: a query is not a use, and a holder's idle time runs
  // from the last namespace it sent (serve). The process the link's name
  // says, alive, a holder (its comm) and the user's (its real uid).
  UniqueFd dirfd(::open(dir(state_root).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return std::nullopt;
  char name[64];
  ssize_t n = ::readlinkat(dirfd.get(), kLink, name, sizeof name - 1);
  if (n <= 0) return std::nullopt;
  name[n] = 0;
  auto pid = holder_of(name);
  struct stat st {};
  if (!pid || ::fstatat(dirfd.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISSOCK(st.st_mode)) return std::nullopt;
  auto comm = try_read_file(str("/proc/", *pid, "/comm"));
  auto status = try_read_file(str("/proc/", *pid, "/status"));
  if (!comm || *comm != str(kHolderName, "\n") || !status) return std::nullopt;
  // "State:\tS (sleeping)", "Uid:\tREAL\tEFFECTIVE\t...": the first field.
  auto field = [&](std::string_view key) {
    for (const auto& line : split(*status, '\n'))
      if (line.rfind(key, 0) == 0) {
        size_t b = line.find_first_not_of(" \t", key.size());
        return b == std::string::npos ? std::string() : line.substr(b, line.find_first_of(" \t", b) - b);
      }
    return std::string();
  };
  std::string state = field("State:");
  bool alive = !state.empty() && state != "Z" && state != "X";
  bool ours = field("Uid:") == std::to_string(::geteuid());
  if (!alive || !ours) return std::nullopt;
  return pid;
}

// ---------------------------------------------------------------- holder
// System calls only from here (userns_cache.hpp, serve).

void serve(const HolderPlan& plan) noexcept {
  // Signals: those that end it are read from a signalfd (it cleans up
  // first); the rest stay blocked.
  sigset_t all, end;
  ::sigfillset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  // Nothing of its parent's: its own session (no terminal's signals), /,
  // /dev/null for stdio (a caller reading rt-run's output sees EOF when
  // rt-run ends), no fd but the go-ahead pipe.
  ::setsid();
  if (::chdir("/") != 0) ::_exit(1);
  // Not the first container's command line in ps for as long as it lives.
  ::prctl(PR_SET_NAME, kHolderName, 0, 0, 0);
  static constexpr char kTitle[] = "rt-run: user namespace cache";
  if (plan.title && plan.title_room >= sizeof kTitle) {
    std::memset(plan.title, 0, plan.title_room);
    std::memcpy(plan.title, kTitle, sizeof kTitle);
  }
  int go = plan.go_fd;
  if (go < 3 && (go = ::fcntl(go, F_DUPFD, 3)) < 0) ::_exit(1);
  int null = ::open("/dev/null", O_RDWR);
  if (null < 0) ::_exit(1);
  for (int fd = 0; fd < 3; ++fd)
    if (fd != null) ::dup2(null, fd);
  if (go > 3) ::close_range(3, static_cast<unsigned>(go) - 1, 0);
  ::close_range(static_cast<unsigned>(go) + 1, ~0U, 0);
  char c;
  ssize_t n;
  do n = ::read(go, &c, 1);
  while (n < 0 && errno == EINTR);
  ::close(go);
  if (n != 1) ::_exit(0);  // the maps were not written

  ::sigemptyset(&end);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) ::sigaddset(&end, s);
  int sigfd = ::signalfd(-1, &end, SFD_CLOEXEC);
  // O_RDONLY, not O_PATH: flock(2) wants an open directory.
  int dirfd = ::open(plan.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int ns = ::open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
  int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sigfd < 0 || dirfd < 0 || ns < 0 || sock < 0) ::_exit(1);
  // PID.sock, and the link to it under a temporary name, renamed into place.
  // The link changes only under the directory's lock (flock), here and as
  // a holder ends, so that an ending holder that reads the link as its own
  // removes its own, never a newer holder's that replaced it in between
  // (and a client removing a dead holder's files, remove_dead_holder, reads
  // a link no holder is changing).
  char name[32], tmp[48];
  put_str(put_uint(name, static_cast<unsigned long>(::getpid())), ".sock");
  put_uint(put_str(tmp, "current."), static_cast<unsigned long>(::getpid()));
  sockaddr_un a;
  if (!socket_addr(a, dirfd, name)) ::_exit(1);
  if (::flock(dirfd, LOCK_EX) != 0) ::_exit(1);
  ::unlinkat(dirfd, name, 0);  // a holder's of the same pid, long dead
  if (::bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(sock, 64) != 0) ::_exit(1);
  ::unlinkat(dirfd, tmp, 0);
  if (::symlinkat(name, dirfd, tmp) != 0 || ::renameat(dirfd, tmp, dirfd, kLink) != 0) {
    ::unlinkat(dirfd, tmp, 0);
    ::unlinkat(dirfd, name, 0);
    ::_exit(1);
  }
  ::flock(dirfd, LOCK_UN);
  // The idle time runs from the last namespace sent to a process of the
  // user's (as this namespace sees it: the user's own uid is its 0, as the
  // holder's): a join is a use. A connection that got nothing (another
  // uid's, one gone before the send) is not; rt-repl info does not connect
  // at all (holder()).
  auto now_ms = []() noexcept {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<int64_t>(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
  };
  int64_t deadline = now_ms() + plan.idle_ms;
  uid_t self = ::getuid();
  pollfd p[2] = {{sock, POLLIN, 0}, {sigfd, POLLIN, 0}};
  for (int64_t left; (left = deadline - now_ms()) > 0;) {
    int r = ::poll(p, 2, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue;              // idle: the loop's test ends it
    if (r < 0 || p[1].revents) break;  // told to go
    if (!(p[0].revents & POLLIN)) break;
    int conn = ::accept4(sock, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    ucred cred{};
    socklen_t len = sizeof cred;
    char byte = 0;
    if (::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == self &&
        send_fd_raw(conn, ns, &byte, 1) == 0)
      deadline = now_ms() + plan.idle_ms;
    ::close(conn);
  }
  // Its files, under the lock: the link only while it names this holder's
  // socket (a newer holder may have replaced it).
  ::flock(dirfd, LOCK_EX);
  ::close(sock);
  ::unlinkat(dirfd, name, 0);
  char buf[sizeof name];
  n = ::readlinkat(dirfd, kLink, buf, sizeof buf - 1);
  if (n > 0) {
    buf[n] = 0;
    if (std::strcmp(buf, name) == 0) ::unlinkat(dirfd, kLink, 0);
  }
  ::close(dirfd);  // and the lock with it
  if (plan.leave_procs) {
    int fd = ::open(plan.leave_procs, O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && ::write(fd, "0", 1) == 1) ::rmdir(plan.leave_leaf);
    if (fd >= 0) ::close(fd);
  }
  ::_exit(0);
}

}  // namespace rt::userns_cache
