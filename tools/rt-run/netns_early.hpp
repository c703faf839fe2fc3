// Root's --network none: the container's network namespace, made (and its
// lo brought up) by rt-run while rt-cgroup runs, instead of in rt-unshare.
//
// Making a network namespace and bringing lo up (which takes the kernel's
// rtnl_lock, held while the namespaces of earlier containers are cleaned
// up) sat in the middle of the chain with `rt-unshare --net`. Here rt-run
// makes a socket pair before it starts the chain, hands one end down, and
// right after the chain's fork, while rt-cgroup execs and makes the group
// (rt-run only waits then), unshares a network namespace itself, brings lo
// up, sends an fd of it on its end (SCM_RIGHTS) and returns to its own
// namespace (setns). rt-unshare --net-from N receives it after making its
// other namespaces, waiting only if rt-run is later, and joins it. The send
// is the "ready": nothing else waits for it.
//
// Why not a thread or a helper process started once the options are
// checked: measured on the 2-CPU test VM (old and new interleaved, 300-500
// rounds, load 1.2-1.9), a thread that made the namespace in parallel with
// rt-run's preparation took 0.3-1.4 ms more CPU per start than the same
// calls in rt-unshare, and rt-run 0.3-0.9 ms longer, even on a stack of its
// own with no allocation (the second CPU woken, its caches cold). rt-run's
// own thread, on its warm CPU, in a window where it would only wait, adds
// no such cost (notes/netfast.md).
//
// Nothing stays behind on any path: the namespace lives as long as an fd or
// a task refers to it. rt-run leaves it before anything else happens; an fd
// in flight goes with the socket once both ends are closed; rt-unshare
// closes its fd once joined. If rt-run dies, rt-unshare's receive ends (a
// closed socket: one line, 125).
//
// Rootless runs keep rt-unshare --net: their namespace must be owned by the
// container's user namespace, which rt-run does not join (it cannot, and
// still be itself: setns to a user namespace changes its credentials for
// good). rt-run --explain prints --net (and says so).
#pragma once
#include <string>

#include "fd.hpp"

namespace rt::run {

class EarlyNetns {
 public:
  // The socket pair. Throws rt::Error.
  void prepare();
  bool prepared() const { return chain_end_.get() >= 0; }
  // The socket's end for the chain (CLOEXEC, >= 10): rt-unshare --net-from.
  int chain_end() const { return chain_end_.get(); }
  // Once the chain has its end: make the namespace, bring lo up, send it,
  // return to our own namespace, close our end. Returns what failed ("" when
  // it was sent; the chain then gets a closed socket). Throws rt::Error only
  // when rt-run cannot return to its own namespace.
  std::string make_and_send();
  // In a process that forked the one that will call make_and_send (rt-run
  // -d, once its supervisor runs): its copies of both ends go, so that only
  // the supervisor's end can keep rt-unshare waiting.
  void release() { chain_end_.reset(), ours_.reset(); }
  // The failure make_and_send returned, for the container's error.
  const std::string& error() const { return error_; }
  // An fd of the namespace sent (empty when none was): the supervisor holds
  // it until the container's PID 1 has ended (Session::held_ns in
  // supervise.cpp), so that the namespace's teardown is not part of PID 1's
  // exit.
  UniqueFd take_held() { return std::move(held_); }

 private:
  UniqueFd chain_end_, ours_, held_;
  std::string error_;
};

}  // namespace rt::run
