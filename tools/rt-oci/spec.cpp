// spec (a default config.json) and features (what rt-oci supports).
#include <unistd.h>

#include <cstdio>

#include "caps.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "state.hpp"

namespace rt::oci {

// spec: a default config.json, as `runc spec` writes one (a shell on a
// terminal, the namespaces, mounts and masked paths a container gets).
void do_spec(const Args& a) {
  std::string dir = a.get("bundle", ".");
  std::string path = dir + "/config.json";
  if (path_exists(path)) fail(str("spec: ", path, " exists already"));
  bool rootless = a.has("rootless");
  json caps = json::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  json ns = json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  if (!rootless) ns.push_back({{"type", "network"}});
  else ns.push_back({{"type", "user"}});
  json mounts = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", rootless ? json({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"})
                            : json({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"})}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"},
       {"type", rootless ? "none" : "sysfs"},
       {"source", rootless ? "/sys" : "sysfs"},
       {"options",
        rootless ? json({"rbind", "nosuid", "noexec", "nodev", "ro"}) : json({"nosuid", "noexec", "nodev", "ro"})}},
  });
  json linux = {
      {"namespaces", ns},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
      {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
  };
  if (rootless) {
    linux["uidMappings"] = json::array({{{"containerID", 0}, {"hostID", ::geteuid()}, {"size", 1}}});
    linux["gidMappings"] = json::array({{{"containerID", 0}, {"hostID", ::getegid()}, {"size", 1}}});
  } else {
    linux["resources"] = {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
  }
  json config = {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", true},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sh"}},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "rt"},
      {"mounts", mounts},
      {"linux", linux},
  };
  write_file_atomic(path, config.dump(1, '\t') + "\n", 0644, false);
}

// features: what this runtime supports, as runtime-spec's features.json.
void do_features() {
  json caps = json::array();
  for (int c = 0; c < 64; ++c)
    if (const char* n = caps::name(c)) caps.push_back(n);
  json f = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.0.2"},
      {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", {"async",      "atime",         "bind",    "defaults", "dev",         "diratime", "dirsync",
                        "exec",       "mand",          "noatime", "nodev",    "nodiratime",  "noexec",   "nomand",
                        "norelatime", "nostrictatime", "nosuid",  "private",  "rbind",       "relatime", "remount",
                        "ro",         "rprivate",      "rshared", "rslave",   "runbindable", "rw",       "shared",
                        "slave",      "strictatime",   "suid",    "sync",     "unbindable"}},
      {"linux",
       {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
        {"capabilities", caps},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", true}, {"systemdUser", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions",
           {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
            "SCMP_ACT_LOG", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE"}},
          {"operators",
           {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
            "SCMP_CMP_NE"}}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations", {{"org.opencontainers.runc.version", "none: rt-oci " RT_VERSION}}},
  };
  std::printf("%s\n", f.dump(2).c_str());
}

}  // namespace rt::oci
