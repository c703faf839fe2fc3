// rt-oci: an OCI bundle's config.json as the rt chain (rt-cgroup,
// rt-unshare, rt-mount, rt-exec), one flag per setting.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace rt::oci {
using json = nlohmann::json;

// What the chain needs from outside the config: where the state lives and
// the fds handed down.
struct ChainContext {
  std::string id, bundle, state_dir, tool_dir;
  std::string seccomp_file;  // where the config's seccomp profile is written
  int ready_fd = -1, sync_fd = -1, env_fd = -1, pid_fd = -1;
  int mount_ready_fd = -1, mount_sync_fd = -1;  // rt-mount's pause before pivot_root (for hooks)
  int console_fd = -1;                          // the connected --console-socket (process.terminal)
  unsigned preserve_fds = 0;
  bool no_pivot = false;
};

// The parts of config.json the chain does not take, for rt-oci itself.
struct Bundle {
  json config;
  std::string rootfs;  // absolute
  // The container's group: cgroup_path when config.json gives a
  // cgroupsPath (with a '/' in it: "./x" for a relative one-component
  // path), else rt-ID below the caller's cgroups.
  std::string cgroup_path;
  // --systemd-cgroup where systemd runs: the cgroupsPath SLICE:PREFIX:NAME
  // rt-systemd --scope registers (cgroup_path is where systemd puts it).
  std::string systemd_scope;
  bool new_pid_ns = false;
  bool mnt_ns = false;  // a mount namespace, new or joined (else the caller's is shared)
  bool terminal = false;
  std::string env_block;           // K=V\0... for rt-exec --env-fd
  json seccomp;                    // null when unconfined
  std::vector<std::string> notes;  // settings rt ignores on purpose
};

// Read BUNDLE/config.json and check every setting rt must honour. Throws
// rt::Error "config.json: FIELD: why" for one it cannot.
Bundle load_bundle(const std::string& bundle_dir);

// The user namespaces of linux.namespaces joined by path: throws
// rt::Error "config.json: linux.namespaces: ..." for one whose uid map gives
// uid 0 of rt-oci's own user namespace (the host's root) to the container,
// unless ALLOW (create --allow-host-root-userns): its root would be the
// host's root, the user namespace no protection.
void check_joined_userns(const json& config, bool allow);

// The group of container ID as rt-cgroup --path takes it, from CONFIG's
// linux.cgroupsPath: normalized, "./X" for a relative X, "" for none. With
// SYSTEMD_CGROUP, cgroupsPath is SLICE:PREFIX:NAME (empty:
// system.slice:rt-oci:ID), placed where systemd would put that unit.
std::string cgroup_path_of(const json& config, const std::string& id, bool systemd_cgroup);
// With SYSTEMD_CGROUP on a host that runs systemd (/run/systemd/system):
// cgroupsPath (or its default) for rt-systemd --scope, which asks systemd
// for the scope; "" otherwise (the group is made where systemd would put it).
std::string systemd_scope_of(const json& config, const std::string& id, bool systemd_cgroup);
// The unit name of such a scope (PREFIX-NAME.scope).
std::string systemd_unit_of(const std::string& scope);
// resource_flags() split: those rt-systemd gives the scope as unit
// properties (first), the rest (rt-cgroup's, second).
std::pair<std::vector<std::string>, std::vector<std::string>> split_systemd_limits(std::vector<std::string> flags);
// Its description: what tells rt-oci's scope from another of that name.
inline std::string systemd_description(const std::string& id) { return "rt-oci container " + id; }

// The chain of `exec`: join the init's cgroup and namespaces, hand the
// new process over, set it up as rt-exec does the init.
struct ExecContext {
  std::string tool_dir, cgroup_name, cgroup_parent, seccomp_file;  // cgroup_name: NAME or a path
  std::string personality;                                         // the container's linux.personality.domain, or ""
  int init_pid = 0;
  int env_fd = -1, ready_fd = -1, pid_fd = -1;  // pid_fd < 0: no hand-over (see build_exec_chain)
  int console_fd = -1;                          // the connected --console-socket (process.terminal)
  unsigned preserve_fds = 0;
};
// (pid_fd < 0: rt-unshare does not hand over but waits for the process and
// exits with its status; ready_fd < 0: no --ready-fd.)
std::vector<std::string> build_exec_chain(const json& proc, const ExecContext& x);
// The chain of a startContainer hook: what build_exec_chain runs for the
// container's process PROC (its cgroup, namespaces, user, groups,
// capabilities, no_new_privs, seccomp, rlimits, cwd), but ARGV (the hook's
// path, which resolves in the container's root, and args) and no terminal,
// no hand-over, no preserved fds. Throws rt::Error.
std::vector<std::string> build_hook_chain(const json& proc, const ExecContext& x, const std::vector<std::string>& argv);
// rt-unshare --join TYPE=/proc/PID/ns/TYPE for each namespace of PID that
// is not ours, and --: a program after it runs in the container's
// namespaces (createContainer and startContainer hooks).
std::vector<std::string> join_namespaces(const std::string& tool_dir, pid_t pid);
// True when process PID is in our own namespace of type NS ("pid", "mnt",
// ...), or either cannot be read.
bool same_namespace(pid_t pid, const char* ns);
// K=V\0... of process.env.
std::string env_block_of(const json& proc);
// rt-exec and its flags for a process object.
void append_exec(std::vector<std::string>& a, const std::string& tool_dir, const json& proc,
                 const std::string& seccomp_file, const std::string& workdir, const std::string& personality,
                 const std::vector<std::string>& console, int env_fd, unsigned preserve_fds, int ready_fd, int sync_fd);
// rt-exec's terminal options: the pty of the container's devpts sent on the
// console socket at fd FD, its size from process.consoleSize; bound on
// /dev/console for the init. None when FD < 0.
std::vector<std::string> console_options(const json& proc, int fd, bool init);
// linux.personality.domain of a config, or "".
std::string personality_of(const json& config);

// rt-cgroup's limit flags for a linux.resources object (create and
// update). Throws rt::Error "config.json: FIELD: why".
std::vector<std::string> resource_flags(const json& resources);

// The chain's argv.
std::vector<std::string> build_chain(const Bundle& b, const ChainContext& c);

}  // namespace rt::oci
