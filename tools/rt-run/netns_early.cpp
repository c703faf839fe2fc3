#include "netns_early.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "fd_pass.hpp"
#include "log.hpp"
#include "netif.hpp"

namespace rt::run {

void EarlyNetns::start() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("cannot create a socket pair");
  UniqueFd ours(sv[0]), theirs(sv[1]);
  // A source of the chain's fds is >= 10: no dup2 in the chain's child
  // clobbers another's source (supervise.cpp).
  UniqueFd chain_end(::fcntl(theirs.get(), F_DUPFD_CLOEXEC, 10));
  if (!chain_end) throw_errno("cannot duplicate an fd");
  // The thread is born with every signal blocked: a signal for rt-run
  // (later read from its signalfd) must never be taken by it.
  sigset_t all, old;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    thread_ = std::thread([this, sock = std::move(ours)]() mutable { work(std::move(sock)); });
  } catch (const std::system_error& e) {
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    throw Error(str("cannot start a thread for the network namespace: ", std::strerror(e.code().value())));
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  chain_end_ = std::move(chain_end);
  log::step("making the network namespace ahead");
}

// In the thread: the namespace, lo, the send. Whatever fails is kept for
// finish(); the socket closes with `sock`, which ends rt-unshare's wait.
void EarlyNetns::work(UniqueFd sock) noexcept {
  try {
    if (::unshare(CLONE_NEWNET) != 0) throw_errno("cannot create a network namespace");
    unshared_at_ = log::now_us();
    loopback_up();
    lo_up_at_ = log::now_us();
    UniqueFd ns(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!ns) throw_errno("cannot open the new network namespace (/proc/thread-self/ns/net)");
    // Never the host's: the process's own (its main thread's) namespace is
    // not this one.
    struct stat made {
    }, host{};
    if (::fstat(ns.get(), &made) != 0 || ::stat("/proc/self/ns/net", &host) != 0)
      throw_errno("cannot stat the network namespaces");
    if (made.st_ino == host.st_ino && made.st_dev == host.st_dev)
      throw Error("the network namespace made is rt-run's own");
    char tag = 'n';
    if (int e = send_fd_raw(sock.get(), ns.get(), &tag, 1)) throw_errno("cannot hand the network namespace on", e);
    sent_at_ = log::now_us();
  } catch (const std::exception& e) {
    error_ = e.what();
  }
}

const std::string& EarlyNetns::finish() {
  if (thread_.joinable()) thread_.join();
  if (!logged_ && (unshared_at_ || !error_.empty())) {
    logged_ = true;
    if (unshared_at_) log::step_at(unshared_at_, "network namespace made (ahead)");
    if (lo_up_at_) log::step_at(lo_up_at_, "brought lo up (ahead)");
    if (sent_at_) log::step_at(sent_at_, "network namespace sent to the chain");
    if (!error_.empty()) log::step("network namespace ahead failed: ", error_);
  }
  return error_;
}

EarlyNetns::~EarlyNetns() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace rt::run
