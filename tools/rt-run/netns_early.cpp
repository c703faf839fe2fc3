#include "netns_early.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "fd_pass.hpp"
#include "log.hpp"
#include "netif.hpp"

namespace rt::run {

void EarlyNetns::prepare() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("cannot create a socket pair");
  UniqueFd ours(sv[0]), theirs(sv[1]);
  // A source of the chain's fds is >= 10: no dup2 in the chain's child
  // clobbers another's source (supervise.cpp).
  chain_end_ = UniqueFd(::fcntl(theirs.get(), F_DUPFD_CLOEXEC, 10));
  if (!chain_end_) throw_errno("cannot duplicate an fd");
  ours_ = std::move(ours);
}

std::string EarlyNetns::make_and_send() {
  chain_end_.reset();  // the chain has it
  UniqueFd sock = std::move(ours_);
  UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) return error_ = str("cannot open rt-run's network namespace: ", std::strerror(errno));
  if (::unshare(CLONE_NEWNET) != 0) return error_ = str("cannot create a network namespace: ", std::strerror(errno));
  // From here until the setns below, rt-run is in the container's network
  // namespace: it makes no other call there.
  try {
    loopback_up();
    log::step("network namespace made, lo up (ahead)");
    UniqueFd ns(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!ns) throw_errno("cannot open the new network namespace (/proc/thread-self/ns/net)");
    // Never the host's: the namespace we return to is not this one.
    struct stat made {
    }, host{};
    if (::fstat(ns.get(), &made) != 0 || ::fstat(home.get(), &host) != 0)
      throw_errno("cannot stat the network namespaces");
    if (made.st_ino == host.st_ino && made.st_dev == host.st_dev)
      throw Error("the network namespace made is rt-run's own");
    char tag = 'n';
    if (int e = send_fd_raw(sock.get(), ns.get(), &tag, 1)) throw_errno("cannot hand the network namespace on", e);
    log::step("network namespace sent to the chain");
    held_ = std::move(ns);
  } catch (const Error& e) {
    error_ = e.what();
  }
  sock.reset();
  if (::setns(home.get(), CLONE_NEWNET) != 0) throw_errno("cannot return to rt-run's network namespace");
  return error_;
}

}  // namespace rt::run
