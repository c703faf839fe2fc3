#include "userns_early.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string>

#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "process.hpp"
#include "userns_cache.hpp"

namespace rt::run {

bool EarlyUserns::join_cached(const std::string& state_root, const IdMaps& maps) {
  std::string why;
  auto j = userns_cache::join(state_root, maps, why);
  if (!j) {
    log::step("user namespace cache: ", why);
    return false;
  }
  ns_ = UniqueFd(::fcntl(j->ns.get(), F_DUPFD_CLOEXEC, 10));
  if (!ns_) throw_errno("cannot duplicate an fd");
  log::step("joined the cached user namespace of pid ", j->holder, " (no newuidmap, newgidmap)");
  return true;
}

// The cache's directory: the user's alone.
static void private_dir(const std::string& path) {
  mkdir_p(path, 0700);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw_errno(str("cannot stat ", path));
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
    throw Error(str("cannot use ", path, ": not a directory of uid ", ::geteuid()));
  if ((st.st_mode & 077) && ::chmod(path.c_str(), 0700) != 0) throw_errno(str("cannot make ", path, " private"));
}

void EarlyUserns::start(const IdMaps& maps, const std::string& state_root, int idle_ms) {
  cache_dir_ = userns_cache::dir(state_root);
  private_dir(cache_dir_);
  Pipe release = make_pipe();
  userns_cache::HolderPlan plan{cache_dir_.c_str(), release.read.get(), idle_ms, title_, title_room_};
  if (!leave_procs_.empty()) plan.leave_procs = leave_procs_.c_str(), plan.leave_leaf = leave_leaf_.c_str();
  // The holder: a grandchild, so that it outlives us unseen by our waits.
  // The child between (in our memory until it exits, vfork_child) makes it
  // with a raw clone(2) with CLONE_NEWUSER (a fork: the namespace exists
  // once that returns), reports its pid and ends. The holder runs
  // userns_cache::serve, system calls only (a raw clone: no code of the C
  // library's that could need a lock runs in it).
  pid_t holder = -1;  // set aside for the child to report through
  int clone_errno = 0;
  pid_t mid = vfork_child([&]() noexcept -> int {
    long pid = ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid == 0) userns_cache::serve(plan);
    if (pid < 0) {
      clone_errno = errno;
      return 1;
    }
    holder = static_cast<pid_t>(pid);
    return 0;
  });
  if (mid < 0) throw_errno("cannot fork");
  while (::waitpid(mid, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (holder < 0) {
    auto why = userns_blocked();
    throw Error(str("cannot create a user namespace", why ? str(" (", *why, ")") : std::string()), clone_errno);
  }
  holder_ = holder;
  owner_ = ::getpid();
  release_ = std::move(release.write);
  release.read.reset();
  UniqueFd ns(::open(str("/proc/", holder_, "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) throw_errno(str("cannot open the user namespace of pid ", holder_));
  ns_ = UniqueFd(::fcntl(ns.get(), F_DUPFD_CLOEXEC, 10));
  if (!ns_) throw_errno("cannot duplicate an fd");
  // Ubuntu's AppArmor restriction confines the process that made the
  // namespace: the holder's label says so.
  if (auto why = apparmor_userns_restricted(holder_)) throw Error(*why);
  uid_tool_ = start_shadow_tool("newuidmap", holder_, maps.uid);
  gid_tool_ = start_shadow_tool("newgidmap", holder_, maps.gid);
  log::step("user namespace of pid ", holder_, ": newuidmap and newgidmap started");
}

void EarlyUserns::wait_mapped() {
  if (::getpid() != owner_ || (uid_tool_ < 0 && gid_tool_ < 0)) return;
  std::optional<Error> failed;
  for (auto [tool, pid] : {std::pair{"newuidmap", &uid_tool_}, std::pair{"newgidmap", &gid_tool_}}) try {
      wait_shadow_tool(tool, std::exchange(*pid, -1), holder_);
    } catch (const Error& e) {
      if (!failed) failed = e;
    }
  // Mapped: the holder serves as the cache from now on (a failed write
  // just leaves it without; the closed pipe ends it otherwise).
  if (!failed) {
    char go = 1;
    if (::write(release_.get(), &go, 1) == 1)
      log::step("uid/gid maps written; pid ", holder_, " keeps the namespace as the cache");
  }
  reap();
  if (failed) throw *failed;
}

void EarlyUserns::reap() noexcept {
  for (pid_t* p : {&uid_tool_, &gid_tool_})
    if (*p > 0) {
      ::waitpid(std::exchange(*p, -1), nullptr, 0);
    }
  release_.reset();  // without the go-ahead, the holder ends
}

EarlyUserns::~EarlyUserns() {
  if (::getpid() == owner_) reap();
}

}  // namespace rt::run
