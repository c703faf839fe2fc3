// rt-oci's state: ROOT/ID/state.json (written atomically), the init's pid
// file, the start FIFO; the runtime-spec status derived from them.
#pragma once
#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cgroup.hpp"
#include "fd.hpp"

namespace rt::oci {
using json = nlohmann::json;

struct State {
  std::string id, bundle, rootfs, created;
  json annotations = json::object();
  pid_t pid = 0;           // the container's init (0 while creating)
  uint64_t pid_start = 0;  // its start time: a reused pid is not it
  pid_t creator = 0;       // the rt-oci create that made it
  uint64_t creator_start = 0;
  std::string cgroup_name, cgroup_parent;  // rt-cgroup's NAME and --parent, or a path (with a '/') as NAME
  std::string systemd_unit;                // the scope systemd made the group for (rt-systemd), or ""
  json hooks = json::object();             // config.json's, for the hooks that run after create
  json process;                            // config.json's, for the limits of the startContainer hooks
  std::string personality;                 // linux.personality.domain, for exec
  std::string config_hash;
};

// A container id: letters, digits, '_', '-', '.', not starting with '.' or
// '-'. Dies naming it otherwise.
void check_id(const std::string& id);

void save_state(const std::string& root, const State& st);
std::optional<State> load_state(const std::string& root, const std::string& id);
// Throws rt::Error "container ID does not exist".
State load_state_or_die(const std::string& root, const std::string& id);
std::vector<State> list_states(const std::string& root);

// creating, created, running, paused or stopped.
std::string status_of(const std::string& root, const State& st);
// The runtime-spec state object.
json state_json(const std::string& root, const State& st);
// The container's cgroup (nullopt when it has none any more).
std::optional<cgroup::Group> group_of(const State& st);
// Every process in the container's cgroup.
std::vector<pid_t> container_pids(const State& st);
// Freeze (pause) or thaw (resume) the container's cgroup. Throws rt::Error.
void set_frozen(const State& st, bool frozen);
// Starts one hook: ARGV (its path, then its args after the first), only
// ENV as its environment, IN (the state) as its stdin. Returns its pid.
using HookStarter =
    std::function<pid_t(const std::vector<std::string>& argv, const std::vector<std::string>& env, UniqueFd in)>;
// A starter that spawns `env -i ENV... PREFIX... ARGV` as the runtime (host
// root): PREFIX empty for the runtime's namespaces, or a chain of rt tools
// that ends with "--" (rt-unshare --join ...: the container's).
HookStarter spawn_hook(std::vector<std::string> prefix = {});
// Run the hooks of STAGE in order, each with the state on stdin (its status
// STATUS when given), its env and its timeout, started by START (default:
// spawn_hook()). Throws rt::Error naming the first that fails; one that
// times out is killed (what it started in the container is the caller's to
// kill).
void run_hooks(const std::string& root, const State& st, const char* stage, const HookStarter& start = {},
               const char* status = nullptr);
// Kill what is left (the init, the cgroup's processes), remove the cgroup
// (a systemd scope: rt-systemd --stop, systemd removes it) and the state
// directory. Returns an error message ("" on success).
std::string remove_container(const std::string& root, const State& st, bool kill);

}  // namespace rt::oci
