#include "userns_early.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
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

namespace rt::run {

void EarlyUserns::start(const IdMaps& maps) {
  Pipe release = make_pipe();
  int keep = release.read.get();
  // clone(2) with CLONE_NEWUSER: the namespace exists once this returns.
  // The child only waits for EOF on its pipe (a raw clone: no code of the
  // C library's that could need a lock runs in it).
  long pid = ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid < 0) {
    int e = errno;
    auto why = userns_blocked();
    throw Error(str("cannot create a user namespace", why ? str(" (", *why, ")") : std::string()), e);
  }
  if (pid == 0) {
    // Only its pipe: no lock or record fd of rt-run's is held longer.
    if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
    ::close_range(static_cast<unsigned>(keep) + 1, ~0U, 0);
    char c;
    ssize_t n;
    do n = ::read(keep, &c, 1);
    while (n < 0 && errno == EINTR);
    ::_exit(0);
  }
  holder_ = static_cast<pid_t>(pid);
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
  reap();
  if (failed) throw *failed;
  log::step("uid/gid maps written");
}

void EarlyUserns::reap() noexcept {
  for (pid_t* p : {&uid_tool_, &gid_tool_})
    if (*p > 0) {
      ::waitpid(std::exchange(*p, -1), nullptr, 0);
    }
  release_.reset();  // the holder ends; the namespace lives on in ns_ and the chain
  if (holder_ > 0) {
    int st;
    while (::waitpid(holder_, &st, 0) < 0 && errno == EINTR) {
    }
    holder_ = -1;
  }
}

EarlyUserns::~EarlyUserns() {
  if (::getpid() == owner_) reap();
}

}  // namespace rt::run
