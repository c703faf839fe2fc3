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
//
// The holder then stays as the user's namespace cache (userns_cache.hpp):
// a later rt-run joins the cached namespace (join_cached) and runs neither
// program, nor needs the chain to wait.
#pragma once
#include <sys/types.h>

#include <string>

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

  // The user's cached namespace with these maps, if one answers below the
  // state root (the timeline says why not): true when it is this one's.
  bool join_cached(const std::string& state_root, const IdMaps& maps);
  // Clone the holder into a new user namespace, open it, start newuidmap
  // and newgidmap on it; once they have written the maps (wait_mapped) the
  // holder serves as the cache (in STATE/userns, made 0700) until `idle_ms`
  // pass without a connection. It is not our child (a grandchild, the
  // child between ends at once): it outlives rt-run and is reaped by init.
  // Throws rt::Error (the namespace refused, with the reason; the programs
  // missing).
  void start(const IdMaps& maps, const std::string& state_root, int idle_ms);
  // Where rt-run's argv strings lie, for the holder's title in ps.
  void set_title_area(char* area, size_t room) { title_ = area, title_room_ = room; }
  // rt-run is in the leaf of rt's processes of a delegated cgroup
  // (cgroup_leaf.hpp), where the holder is born: BASE's cgroup.procs and the
  // leaf's directory, for the holder to leave it as it ends.
  void set_leaf(std::string base_procs, std::string leaf_dir) {
    leave_procs_ = std::move(base_procs), leave_leaf_ = std::move(leaf_dir);
  }
  bool started() const { return ns_.get() >= 0; }
  // The namespace (CLOEXEC, >= 10), for handing down.
  int ns_fd() const { return ns_.get(); }
  // Wait until the maps are written (in the process that called start;
  // later calls, and a joined cache's, return at once), then give the
  // holder the go-ahead to serve. Throws rt::Error with the failure of
  // newuidmap or newgidmap (the holder then ends).
  void wait_mapped();

 private:
  pid_t holder_ = -1, uid_tool_ = -1, gid_tool_ = -1, owner_ = -1;
  UniqueFd ns_, release_;
  std::string cache_dir_;                 // the holder's copy of our memory reads it
  std::string leave_procs_, leave_leaf_;  // likewise
  char* title_ = nullptr;
  size_t title_room_ = 0;
  void reap() noexcept;
};

}  // namespace rt::run
