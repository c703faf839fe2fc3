#include "userns_cache.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
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
      // Its holder died without clean-up: its socket goes (the link is
      // replaced by the next holder's).
      char buf[64];
      ssize_t n = ::readlinkat(dirfd, kLink, buf, sizeof buf - 1);
      if (n > 0) {
        buf[n] = 0;
        if (holder_of(buf)) ::unlinkat(dirfd, buf, 0);
      }
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
  UniqueFd dirfd(::open(dir(state_root).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) return std::nullopt;
  std::string why;
  auto peer = connect_holder(dirfd.get(), why);
  if (!peer) return std::nullopt;
  return peer->pid;
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
  int dirfd = ::open(plan.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int ns = ::open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
  int sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sigfd < 0 || dirfd < 0 || ns < 0 || sock < 0) ::_exit(1);
  // PID.sock, and the link to it under a temporary name, renamed into place.
  char name[32], tmp[48];
  put_str(put_uint(name, static_cast<unsigned long>(::getpid())), ".sock");
  put_uint(put_str(tmp, "current."), static_cast<unsigned long>(::getpid()));
  sockaddr_un a;
  if (!socket_addr(a, dirfd, name)) ::_exit(1);
  ::unlinkat(dirfd, name, 0);  // a holder's of the same pid, long dead
  if (::bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(sock, 64) != 0) ::_exit(1);
  ::unlinkat(dirfd, tmp, 0);
  if (::symlinkat(name, dirfd, tmp) != 0 || ::renameat(dirfd, tmp, dirfd, kLink) != 0) {
    ::unlinkat(dirfd, tmp, 0);
    ::unlinkat(dirfd, name, 0);
    ::_exit(1);
  }
  uid_t self = ::getuid();
  pollfd p[2] = {{sock, POLLIN, 0}, {sigfd, POLLIN, 0}};
  for (;;) {
    int r = ::poll(p, 2, plan.idle_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0 || p[1].revents) break;  // idle, or told to go
    if (!(p[0].revents & POLLIN)) break;
    int conn = ::accept4(sock, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    // Only to a process of the user's (as this namespace sees it: the
    // user's own uid is its 0, as the holder's).
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == self) {
      char byte = 0;
      send_fd_raw(conn, ns, &byte, 1);  // a client that left already: nothing to do
    }
    ::close(conn);
  }
  ::close(sock);
  ::unlinkat(dirfd, name, 0);
  // The link, when it still names this holder's socket (another holder may
  // have replaced it meanwhile: a race that at worst removes that one's
  // link, whose holder then idles out and the next rt-run makes another).
  char buf[sizeof name];
  n = ::readlinkat(dirfd, kLink, buf, sizeof buf - 1);
  if (n > 0) {
    buf[n] = 0;
    if (std::strcmp(buf, name) == 0) ::unlinkat(dirfd, kLink, 0);
  }
  if (plan.leave_procs) {
    int fd = ::open(plan.leave_procs, O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && ::write(fd, "0", 1) == 1) ::rmdir(plan.leave_leaf);
    if (fd >= 0) ::close(fd);
  }
  ::_exit(0);
}

}  // namespace rt::userns_cache
