// User namespace id maps, written from outside the new namespace.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fd.hpp"

namespace rt {

struct IdMap {
  uint32_t inner = 0, outer = 0, count = 0;
};

struct IdMaps {
  std::vector<IdMap> uid, gid;

  // --map-root-user, --uid-map, --gid-map. Throws rt::Error on bad values.
  static IdMaps from_options(bool map_root, const std::vector<std::string>& uid, const std::vector<std::string>& gid);
  bool empty() const { return uid.empty() && gid.empty(); }
};

// "INNER:OUTER:COUNT" -> IdMap.
IdMap parse_id_map(const std::string& s, const char* what);

// After the maps are written: a process whose own ids are not in them runs
// as the overflow ids (nobody) and would lose every capability at execve.
// When the maps include root, become root inside (as runc does for a
// container's init) and drop the supplementary groups, which would
// otherwise show as nogroup. Dies with a one-line message on failure.
void become_mapped_root(const IdMaps& maps);

// Writes the maps of the calling process's new user namespace. The kernel
// only lets a process outside that namespace map more than its own id, so
// start() forks a helper before unshare(CLONE_NEWUSER) and finish() lets it
// write /proc/PID/{setgroups,uid_map,gid_map} (or run newuidmap/newgidmap
// when the caller is not root) and waits for it.
class MapWriter {
 public:
  MapWriter() = default;
  MapWriter(const MapWriter&) = delete;
  MapWriter& operator=(const MapWriter&) = delete;
  ~MapWriter();
  void start(const IdMaps& maps);
  void finish();  // dies with the helper's message on failure

 private:
  pid_t helper_ = -1;
  UniqueFd go_;
};

}  // namespace rt
