// Container state: one directory per container under the state root
// (RT_STATE, /run/rt as root, $XDG_RUNTIME_DIR/rt otherwise):
//
//   containers/ID/state.json   the record below, always replaced atomically
//   containers/ID/lock         flock(2) for writers
//   containers/ID/container.log  output of a detached container (JSON lines)
//   names/NAME                 "ID": names are claimed with O_EXCL
//
// containers/, names/ and each ID/ are 0700, the files 0600: root's alone
// (state.json holds the environment, secrets included).
//
// The writable layer lives under the image root (RT_ROOT), which is on disk:
//   containers/ID        the overlay's upper directory (the record's `bundle`)
//   containers/ID.work   its work directory (overlayfs's own)
// Two siblings and no directory holding both: each directory freed on a
// disk that discards synchronously costs a wait in its removal. A record of
// an older rt names a bundle holding upper/ and work/ (removed all the same).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fd.hpp"
#include "format.hpp"
#include "paths.hpp"

namespace rt {

struct ContainerState {
  std::string id;  // 64 hex
  std::string name;
  std::string status = "created";  // created | running | exited
  pid_t pid = 0;                   // the container's PID 1, as seen from the host
  uint64_t pid_start = 0;          // its start time (ticks since boot)
  pid_t supervisor = 0;            // rt-run process waiting for it
  uint64_t supervisor_start = 0;
  int exit_code = -1;
  std::string created, started, finished;  // RFC 3339, UTC, nanoseconds
  std::vector<std::string> command;        // what runs in the container
  std::string rootfs;                      // --rootfs DIR (absolute), or empty
  std::string image, image_id;             // image reference and id, or empty
  std::string hostname;
  std::string cgroup;                     // rt-cgroup name (group dir is rt-NAME)
  std::vector<std::string> cgroup_paths;  // "ID:CONTROLLERS:/path/rt-NAME" per hierarchy
  std::string bundle;                     // RT_ROOT/containers/ID: the writable layer (overlay's upper)
  std::string log_path;                   // detached containers only
  bool auto_remove = false;               // --rm
  bool detached = false;
  bool tty = false;
  std::vector<std::string> exec_args;  // rt-exec options, reused by `exec`
  std::vector<std::string> env;        // K=V: the container's environment (root-only file)
  std::vector<std::string> hooks;      // STAGE=PROGRAM
  std::string error;                   // why it failed to start, if it did
  std::string network;                 // none | host | a CNI network | container:ID | ns:PATH
  std::vector<std::string> ips;        // addresses on a CNI network ("10.87.0.2/24")
  std::vector<std::string> ports;      // published: "IP:HOST->CTR/PROTO"
  std::string storage_driver;          // overlay | fuse-overlayfs | vfs (empty in older records)

  std::string short_id() const { return id.substr(0, 12); }
  bool running() const { return status == "running"; }
};

std::string to_json(const ContainerState& c, int indent = -1);
ContainerState state_from_json(const std::string& text, const std::string& where);

// The seccomp profile a container started with --security-opt seccomp=FILE
// runs under: rt-run keeps a copy in its state directory under this name,
// which `exec` applies again.
inline constexpr const char* kSeccompProfileFile = "seccomp.json";
// What fuse-overlayfs says while it serves a container's root (rt-mount
// --fuse-log), in its state directory; inspect names it (storage_log).
inline constexpr const char* kFuseLogFile = "fuse-overlayfs.log";

// The overlay's work directory beside a container's writable layer (its
// `bundle`): on the same file system, as overlayfs needs.
inline constexpr const char* kLayerWorkSuffix = ".work";
inline std::string layer_work_dir(const std::string& bundle) { return bundle + kLayerWorkSuffix; }

class ContainerStore {
 public:
  explicit ContainerStore(std::string root = default_state_root());
  const std::string& root() const { return root_; }
  std::string dir(const std::string& id) const { return root_ + "/containers/" + id; }

  // Make a new container, in two steps (rt-run starts the chain, which
  // needs the id alone, in between): begin() checks `name` (rt::Error when
  // it is not one) and gives a fresh id, touching nothing; claim() makes
  // its directory and claims `name` (generated when empty), rt::Error when
  // it is taken. Nothing lists it until the caller has filled the record
  // in and save()d it. Before claim(), remove() finds nothing to remove.
  ContainerState begin(const std::string& name) const;
  void claim(ContainerState& c, const std::string& name) const;
  void save(const ContainerState& c) const;
  std::optional<ContainerState> load(const std::string& id) const;
  // By full id, unique id prefix or name. Throws rt::Error naming the problem.
  ContainerState resolve(const std::string& ref) const;
  std::vector<ContainerState> list() const;
  // Remove the container's writable layer (its bundle and work directory),
  // then the record, and release the name. Throws rt::Error when the layer cannot be
  // removed, keeping the record (rm can be tried again).
  void remove(const ContainerState& c) const;
  // Exclusive lock on one container's record (blocks).
  UniqueFd lock(const std::string& id) const;
  // Remove what an rt-run killed between create() and its first save()
  // left: record directories without state.json and names whose record is
  // gone, once older than `min_age_s` (younger ones may be starting).
  // Returns the short ids and names removed.
  std::vector<std::string> remove_half_made(int64_t min_age_s) const;

 private:
  std::string root_;
};

// The environment a container's rt-exec gets with --env-fd: NUL-separated
// K=V entries (the format of /proc/PID/environ), so that no value is ever in
// a process's argv. env_block is the text (throws rt::Error naming the
// variable when a value holds a NUL byte, which no environment can carry);
// env_memfd puts it in a memfd (in memory only, offset 0, close-on-exec,
// sealed), to be handed down by number.
std::string env_block(const std::vector<std::string>& env);
UniqueFd env_memfd(const std::vector<std::string>& env);

// A new 64-hex id from getrandom(2).
std::string new_container_id();
// A docker-like "adjective_name".
std::string random_name();
// Names: [a-zA-Z0-9][a-zA-Z0-9_.-]* as docker.
bool valid_container_name(const std::string& name);

}  // namespace rt
