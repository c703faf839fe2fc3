// Root's --network none: the container's network namespace, made (and its
// lo brought up) while rt-run prepares the rest and rt-cgroup runs.
//
// Making a network namespace costs 1-2 ms of wall time, and bringing lo up
// waits for the kernel's rtnl_lock, which the clean-up of earlier
// containers' namespaces holds (1.6-2.2 ms back to back): with `rt-unshare
// --net` both sat in the middle of the chain. Here a thread of rt-run's,
// started once the options are checked, unshares a network namespace of
// its own (a namespace is per thread), brings lo up in it, and sends an fd
// of it on a unix socket whose other end the chain inherits: rt-unshare
// --net-from N receives it after making its other namespaces (waiting only
// if the thread is later) and joins it. The send is the "ready": nothing
// of rt-run waits for the thread until the container runs (or failed).
//
// Nothing stays behind on any path: the namespace lives as long as an fd
// or a task refers to it. The thread leaves it as it ends; an fd in flight
// goes with the socket when both ends are closed; rt-unshare closes its fd
// once joined. If rt-run dies, the thread dies with it and rt-unshare's
// receive ends (closed socket: one line, 125).
//
// A thread, not a helper process: no page tables copied, no process to
// reap or to outlive a killed rt-run, no pid whose /proc path could come to
// mean another process's namespace. It cannot serve rootless runs: their
// namespace must be owned by the container's user namespace, and a thread
// cannot join one (setns(CLONE_NEWUSER) needs a single-threaded process);
// there rt-unshare keeps --net. rt-run --explain prints --net (and says so).
#pragma once
#include <cstdint>
#include <string>
#include <thread>

#include "fd.hpp"

namespace rt::run {

class EarlyNetns {
 public:
  EarlyNetns() = default;
  EarlyNetns(const EarlyNetns&) = delete;
  EarlyNetns& operator=(const EarlyNetns&) = delete;
  // Waits for the thread (a few ms at most), then closes the socket: an fd
  // still in flight goes with it.
  ~EarlyNetns();

  // Start the thread (all signals blocked in it: they stay rt-run's
  // signalfd's). Throws rt::Error (no socket, no thread).
  void start();
  bool started() const { return chain_end_.get() >= 0; }
  // The socket's end for the chain (CLOEXEC, >= 10): rt-unshare --net-from.
  int chain_end() const { return chain_end_.get(); }
  // Once the chain has it (or will never need it): close rt-run's copy.
  void hand_over() { chain_end_.reset(); }
  // Wait for the thread, log what it did (with its times) and return its
  // failure ("" when the namespace was sent). Later calls return the same.
  const std::string& finish();

 private:
  UniqueFd chain_end_;
  std::thread thread_;
  // Written by the thread, read after join.
  std::string error_;
  int64_t unshared_at_ = 0, lo_up_at_ = 0, sent_at_ = 0;
  bool logged_ = false;
  void work(UniqueFd sock) noexcept;
};

}  // namespace rt::run
