// Rootless: the container's user namespace, made and mapped while rt-run
// prepares the rest.
//
// Mapping subordinate ids takes newuidmap and newgidmap, two setuid
// programs exec'd after the namespace exists: the largest part of a
// rootless start when rt-unshare does it (--user --uid-map ...), since
// nothing else can happen meanwhile. Here rt-run clones a holder process
// into a new user namespace and starts both programs on it at once, then
// records the container and starts the chain while they run. The chain
// joins the namespace through an fd (rt-unshare --join
// user=/proc/self/fd/N), makes the other namespaces in it, and waits on its
// --sync-fd until the maps are written: it execs nothing before (the next
// link keeps its capabilities only as uid 0 of a mapped namespace).
// `rt-run --explain` prints the equivalent chain with --user and the maps.
#pragma once
#include <sys/types.h>

#include "fd.hpp"
#include "userns.hpp"

namespace rt::run {

class EarlyUserns {
 public:
  EarlyUserns() = default;
  EarlyUserns(const EarlyUserns&) = delete;
  EarlyUserns& operator=(const EarlyUserns&) = delete;
  // In the process that started them: waits for what is still running.
  ~EarlyUserns();

  // Clone the holder into a new user namespace, open it, start newuidmap
  // and newgidmap on it. Throws rt::Error (the namespace refused, with the
  // reason; the programs missing).
  void start(const IdMaps& maps);
  bool started() const { return ns_.get() >= 0; }
  // The namespace (CLOEXEC, >= 10), for handing down.
  int ns_fd() const { return ns_.get(); }
  // Wait until the maps are written (in the process that called start;
  // later calls return at once), then let the holder go. Throws rt::Error
  // with the failure of newuidmap or newgidmap.
  void wait_mapped();

 private:
  pid_t holder_ = -1, uid_tool_ = -1, gid_tool_ = -1, owner_ = -1;
  UniqueFd ns_, release_;
  void reap() noexcept;
};

}  // namespace rt::run
