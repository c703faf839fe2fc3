#include "chain.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "caps.hpp"
#include "cgroup.hpp"
#include "cgroup_systemd.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "parse.hpp"
#include "process.hpp"
#include "rlimit.hpp"

namespace rt::oci {
namespace {

[[noreturn]] void refuse(const std::string& field, const std::string& why) {
  throw Error(str("config.json: ", field, ": ", why));
}

const json* member(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

bool non_empty(const json* j) {
  return j && !(j->is_object() || j->is_array() ? j->empty() : j->is_boolean() ? !j->get<bool>() : false);
}

std::string as_string(const json& j, const std::string& field) {
  if (!j.is_string()) refuse(field, "expected a string");
  return j.get<std::string>();
}

int64_t as_int(const json& j, const std::string& field) {
  if (!j.is_number_integer()) refuse(field, "expected an integer");
  return j.get<int64_t>();
}

std::vector<std::string> strings(const json* j, const std::string& field) {
  std::vector<std::string> out;
  if (!j) return out;
  if (!j->is_array()) refuse(field, "expected an array of strings");
  for (const auto& e : *j) out.push_back(as_string(e, field));
  return out;
}

// The namespace types of runtime-spec, as rt-unshare names them.
std::string ns_option(const std::string& type) {
  if (type == "network") return "net";
  if (type == "mount") return "mount";
  if (type == "pid" || type == "ipc" || type == "uts" || type == "user" || type == "cgroup" || type == "time")
    return type;
  refuse("linux.namespaces", str("unknown namespace type '", type, "'"));
}

// Check the fields of linux.resources rt-cgroup cannot set: each is an
// error when it asks for something.
void check_resources(const json& r, std::vector<std::string>& notes) {
  static const char* kRefused[] = {"network", "rdma"};
  for (const char* k : kRefused)
    if (non_empty(member(r, k))) refuse(str("linux.resources.", k), "not supported by rt-cgroup");
  if (const json* m = member(r, "memory")) {
    // Kernel memory limits are gone from cgroup v2 and deprecated on v1:
    // ignored with a note, as runc does (kernelTCP is set on v1).
    if (member(*m, "kernel"))
      notes.push_back("linux.resources.memory.kernel ignored: kernel memory limits are deprecated");
    // The memory hierarchy is always on (cgroup v2; v1 since Linux 5.16).
    if (const json* v = member(*m, "useHierarchy"); v && v->is_boolean() && !v->get<bool>())
      refuse("linux.resources.memory.useHierarchy", "false is not possible: the kernel always accounts hierarchically");
    if (const json* v = member(*m, "swappiness");
        v && v->is_number_unsigned() && v->get<uint64_t>() > 100 && v->get<uint64_t>() != UINT64_MAX)
      refuse("linux.resources.memory.swappiness", "between 0 and 100");
  }
  if (const json* c = member(r, "cpu")) {
    for (const char* k : {"realtimeRuntime", "realtimePeriod", "idle", "burst"})
      if (const json* v = member(*c, k); v && !(v->is_number() && v->get<double>() == 0))
        refuse(str("linux.resources.cpu.", k), "not supported by rt-cgroup");
  }
  if (const json* b = member(r, "blockIO")) {
    for (const char* k : {"leafWeight", "weightDevice", "leafWeightDevice"})
      if (const json* v = member(*b, k);
          v && !(v->is_array() && v->empty()) && !(v->is_number() && v->get<double>() == 0))
        refuse(str("linux.resources.blockIO.", k), "not supported by rt-cgroup (weight and throttles only)");
  }
}

}  // namespace

std::string personality_of(const json& config) {
  const json* lx = member(config, "linux");
  const json* p = lx ? member(*lx, "personality") : nullptr;
  return p && member(*p, "domain") ? as_string((*p)["domain"], "linux.personality.domain") : "";
}

void append_exec(std::vector<std::string>& a, const std::string& tool_dir, const json& proc,
                 const std::string& seccomp_file, const std::string& workdir, const std::string& personality,
                 const std::vector<std::string>& console, int env_fd, unsigned preserve_fds, int ready_fd,
                 int sync_fd) {
  auto add = [&](std::string opt, const std::string& val) {
    a.push_back(std::move(opt));
    a.push_back(val);
  };
  a.push_back(tool_dir + "/rt-exec");
  a.push_back("--setsid");
  if (!workdir.empty()) add("--workdir", workdir);
  if (const json* u = member(proc, "user")) {
    int64_t uid = member(*u, "uid") ? as_int((*u)["uid"], "process.user.uid") : 0;
    int64_t gid = member(*u, "gid") ? as_int((*u)["gid"], "process.user.gid") : 0;
    add("--user", str(uid, ":", gid));
    std::string groups;
    for (const auto& g : u->value("additionalGids", json::array()))
      groups += str(groups.empty() ? "" : ",", as_int(g, "process.user.additionalGids"));
    add("--groups", groups);
    if (const json* m = member(*u, "umask")) add("--umask", str(std::oct, as_int(*m, "process.user.umask")));
  }
  if (const json* caps = member(proc, "capabilities")) {
    auto bounding = strings(member(*caps, "bounding"), "process.capabilities.bounding");
    add("--caps", bounding.empty() ? "none" : join(bounding, ","));
    auto inh = strings(member(*caps, "inheritable"), "process.capabilities.inheritable");
    auto amb = strings(member(*caps, "ambient"), "process.capabilities.ambient");
    if (!inh.empty()) add("--cap-inheritable", join(inh, ","));
    if (!amb.empty()) add("--cap-ambient", join(amb, ","));
  }
  if (non_empty(member(proc, "noNewPrivileges"))) a.push_back("--no-new-privs");
  if (!seccomp_file.empty()) add("--seccomp", seccomp_file);
  for (const auto& r : proc.value("rlimits", json::array()))
    add("--rlimit", str(as_string(r.value("type", json()), "process.rlimits.type"), "=",
                        as_int(r.value("soft", json()), "process.rlimits.soft"), ":",
                        as_int(r.value("hard", json()), "process.rlimits.hard")));
  if (const json* o = member(proc, "oomScoreAdj"))
    add("--oom-score-adj", std::to_string(as_int(*o, "process.oomScoreAdj")));
  if (!personality.empty()) add("--personality", personality);
  a.insert(a.end(), console.begin(), console.end());
  a.push_back("--clear-env");
  add("--env-fd", std::to_string(env_fd));
  if (preserve_fds) add("--preserve-fds", std::to_string(preserve_fds));
  if (ready_fd >= 0) add("--ready-fd", std::to_string(ready_fd));
  if (sync_fd >= 0) add("--sync-fd", std::to_string(sync_fd));
  a.push_back("--");
  for (const auto& s : strings(member(proc, "args"), "process.args")) a.push_back(s);
}

std::vector<std::string> console_options(const json& proc, int fd, bool init) {
  if (fd < 0) return {};
  std::vector<std::string> a{"--console-socket-fd", std::to_string(fd)};
  if (const json* cs = member(proc, "consoleSize")) {
    int64_t h = member(*cs, "height") ? as_int((*cs)["height"], "process.consoleSize.height") : 0;
    int64_t w = member(*cs, "width") ? as_int((*cs)["width"], "process.consoleSize.width") : 0;
    if (h < 0 || w < 0 || h > 65535 || w > 65535) refuse("process.consoleSize", "out of range");
    if (h || w) a.push_back("--console-size"), a.push_back(str(w, "x", h));
  }
  if (init) a.push_back("--bind-console");
  return a;
}

std::string env_block_of(const json& proc) {
  std::string out;
  for (const auto& kv : strings(member(proc, "env"), "process.env")) {
    out += kv;
    out.push_back('\0');
  }
  return out;
}

// The --join options for the namespaces of PID that differ from ours, and
// its root (below the namespace's after create --no-pivot's chroot).
bool same_namespace(pid_t pid, const char* ns) {
  std::string self = str("/proc/self/ns/", ns), theirs = str("/proc/", pid, "/ns/", ns);
  struct stat s1 {
  }, s2{};
  // Unreadable (no such namespace type, or the process is gone): nothing to join.
  if (::stat(self.c_str(), &s1) != 0 || ::stat(theirs.c_str(), &s2) != 0) return true;
  return s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev;
}

void append_joins(std::vector<std::string>& a, pid_t pid) {
  bool mnt = false;
  for (const char* ns : {"user", "cgroup", "ipc", "uts", "net", "mnt", "pid"}) {
    if (same_namespace(pid, ns)) continue;  // the same as ours: nothing to join
    std::string theirs = str("/proc/", pid, "/ns/", ns);
    a.push_back("--join");
    a.push_back(str(ns, "=", theirs));
    if (std::string(ns) == "mnt") mnt = true;
  }
  // Without a mount namespace of its own (a chroot in ours), its root
  // still differs from ours: join our own namespace to take that root.
  std::string root = str("/proc/", pid, "/root");
  struct stat r1 {
  }, r2{};
  if (!mnt && ::stat("/", &r1) == 0 && ::stat(root.c_str(), &r2) == 0 &&
      (r1.st_ino != r2.st_ino || r1.st_dev != r2.st_dev)) {
    a.insert(a.end(), {"--join", str("mnt=/proc/", pid, "/ns/mnt")});
    mnt = true;
  }
  if (mnt) a.insert(a.end(), {"--join-root", root});
}

std::vector<std::string> join_namespaces(const std::string& tool_dir, pid_t pid) {
  std::vector<std::string> a{tool_dir + "/rt-unshare"};
  append_joins(a, pid);
  a.push_back("--");
  return a;
}

std::vector<std::string> build_exec_chain(const json& proc, const ExecContext& x) {
  if (strings(member(proc, "args"), "process.args").empty()) refuse("process.args", "empty");
  std::vector<std::string> a;
  a.push_back(x.tool_dir + "/rt-cgroup");
  a.push_back("--join");
  a.push_back(x.cgroup_name);
  if (!x.cgroup_parent.empty()) a.push_back("--parent"), a.push_back(x.cgroup_parent);
  a.push_back("--");
  a.push_back(x.tool_dir + "/rt-unshare");
  append_joins(a, x.init_pid);
  if (x.pid_fd >= 0) {
    a.push_back("--hand-over");
    a.push_back("--pid-fd");  // a path would be resolved in the joined mount namespace
    a.push_back(std::to_string(x.pid_fd));
  }
  a.push_back("--");
  std::string cwd = member(proc, "cwd") ? as_string(proc["cwd"], "process.cwd") : "/";
  append_exec(a, x.tool_dir, proc, x.seccomp_file, cwd, x.personality, console_options(proc, x.console_fd, false),
              x.env_fd, x.preserve_fds, x.ready_fd, -1);
  return a;
}

std::vector<std::string> build_hook_chain(const json& proc, const ExecContext& x,
                                          const std::vector<std::string>& argv) {
  if (!proc.is_object()) throw Error("the container's process is not recorded (created by an older rt-oci?)");
  // The container's process with the hook's path and args: every limit of
  // its rt-exec, no terminal, no fds beyond stdio; the env is the hook's
  // (on x.env_fd).
  json p = proc;
  p["args"] = argv;
  p.erase("terminal");
  p.erase("consoleSize");
  ExecContext h = x;
  h.pid_fd = -1;
  h.console_fd = -1;
  h.preserve_fds = 0;
  return build_exec_chain(p, h);
}

Bundle load_bundle(const std::string& bundle_dir) {
  Bundle b;
  std::string path = bundle_dir + "/config.json";
  std::error_code ec;
  auto text = try_read_file(path, &ec);
  if (!text) throw Error(str("cannot read ", path), ec.value());
  try {
    b.config = json::parse(*text);
  } catch (const json::exception& e) {
    throw Error(str("cannot parse ", path, ": ", e.what()));
  }
  const json& c = b.config;
  if (!c.is_object()) refuse("", "expected an object");

  const json* root = member(c, "root");
  if (!root || !member(*root, "path")) refuse("root.path", "missing");
  std::string rp = as_string((*root)["path"], "root.path");
  b.rootfs = rp.empty() || rp[0] != '/' ? bundle_dir + "/" + rp : rp;
  if (!is_dir(b.rootfs)) refuse("root.path", str(b.rootfs, " is not a directory"));

  const json* proc = member(c, "process");
  if (!proc) refuse("process", "missing (rt-oci runs a process)");
  if (strings(member(*proc, "args"), "process.args").empty()) refuse("process.args", "empty");
  b.terminal = non_empty(member(*proc, "terminal"));
  for (const auto& kv : strings(member(*proc, "env"), "process.env")) {
    if (kv.find('=') == std::string::npos || kv[0] == '=') refuse("process.env", str("'", kv, "' is not K=V"));
    b.env_block += kv;
    b.env_block.push_back('\0');
  }
  for (const char* k : {"apparmorProfile", "selinuxLabel"})
    if (non_empty(member(*proc, k))) b.notes.push_back(str("process.", k, " ignored: rt has no LSM support"));
  // Later runtime-spec (1.1, 1.2) settings of the process: none is ignored.
  for (const char* k : {"ioPriority", "scheduler", "execCPUAffinity"})
    if (non_empty(member(*proc, k))) refuse(str("process.", k), "not supported by rt-exec");
  // Each rlimit as rt-exec --rlimit will take it: an unknown type is an
  // error here, before anything is made (runtime-spec: MUST error).
  if (const json* rl = member(*proc, "rlimits"); rl && rl->is_array())
    for (const auto& r : *rl) {
      std::string spec = str(as_string(r.value("type", json()), "process.rlimits.type"), "=",
                             as_int(r.value("soft", json()), "process.rlimits.soft"), ":",
                             as_int(r.value("hard", json()), "process.rlimits.hard"));
      try {
        parse_rlimit(spec, "process.rlimits");
      } catch (const Error& e) {
        throw Error(str("config.json: ", e.what()));
      }
    }
  if (const json* caps = member(*proc, "capabilities")) {
    // A name the kernel has no capability for is an error (runtime-spec),
    // here rather than from rt-exec once the container is half made.
    for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"}) {
      std::string field = str("process.capabilities.", set);
      for (const auto& n : strings(member(*caps, set), field)) {
        try {
          caps::parse_name(n, field);
        } catch (const Error& e) {
          throw Error(str("config.json: ", e.what()));
        }
      }
    }
    auto bounding = strings(member(*caps, "bounding"), "process.capabilities.bounding");
    std::sort(bounding.begin(), bounding.end());
    for (const char* set : {"effective", "permitted"}) {
      auto s = strings(member(*caps, set), str("process.capabilities.", set));
      std::sort(s.begin(), s.end());
      if (s != bounding)
        refuse(str("process.capabilities.", set), "rt-exec gives one set: it must equal the bounding set");
    }
  }

  const json* linux = member(c, "linux");
  static const json kEmpty = json::object();
  const json& lx = linux ? *linux : kEmpty;
  bool has_mnt = false;
  if (const json* nss = member(lx, "namespaces")) {
    for (const auto& ns : *nss) {
      std::string t = ns_option(as_string(ns.value("type", json()), "linux.namespaces.type"));
      if (t == "mount") has_mnt = true;
      if (t == "pid" && !member(ns, "path")) b.new_pid_ns = true;
    }
  }
  b.mnt_ns = has_mnt;
  if (const json* sc = member(lx, "sysctl")) {
    // Each belongs to a namespace: it must be one the container has.
    auto has_ns = [&](const char* t) {
      for (const auto& ns : lx.value("namespaces", json::array()))
        if (ns.value("type", "") == t) return true;
      return false;
    };
    for (auto it = sc->begin(); it != sc->end(); ++it) {
      const std::string& k = it.key();
      const char* ns = starts_with(k, "net.")                               ? "network"
                       : k == "kernel.hostname" || k == "kernel.domainname" ? "uts"
                                                                            : "ipc";
      if (!has_ns(ns)) refuse(str("linux.sysctl.", k), str("needs a ", ns, " namespace of the container's own"));
      as_string(*it, str("linux.sysctl.", k));
    }
  }
  if (non_empty(member(lx, "timeOffsets")))
    refuse("linux.timeOffsets", "not supported by rt-unshare (a time namespace starts at the host's clocks)");
  if (non_empty(member(lx, "memoryPolicy"))) refuse("linux.memoryPolicy", "not supported by rt-exec");
  for (const char* k : {"intelRdt", "mountLabel"}) {
    if (!non_empty(member(lx, k))) continue;
    if (std::string(k) == "mountLabel") b.notes.push_back("linux.mountLabel ignored: rt has no SELinux support");
    else refuse(str("linux.", k), "not supported by rt yet");
  }
  if (const json* p = member(lx, "personality")) {
    std::string d = member(*p, "domain") ? as_string((*p)["domain"], "linux.personality.domain") : "";
    if (d != "LINUX" && d != "LINUX32") refuse("linux.personality.domain", str("'", d, "': expected LINUX or LINUX32"));
    if (!strings(member(*p, "flags"), "linux.personality.flags").empty())
      refuse("linux.personality.flags", "no flags are supported");
  }
  if (const json* p = member(lx, "rootfsPropagation")) {
    std::string v = as_string(*p, "linux.rootfsPropagation");
    std::string base = starts_with(v, "r") ? v.substr(1) : v;
    if (!v.empty() && base != "shared" && base != "slave" && base != "private" && base != "unbindable")
      refuse("linux.rootfsPropagation", str("'", v, "': expected shared, slave, private or unbindable"));
  }
  for (const auto& d : lx.value("devices", json::array())) {
    std::string t = as_string(d.value("type", json()), "linux.devices.type");
    as_string(d.value("path", json()), "linux.devices.path");
    if (t != "c" && t != "u" && t != "b" && t != "p")
      refuse("linux.devices.type", str("'", t, "': expected c, u, b or p"));
  }
  if (const json* sc = member(lx, "seccomp")) {
    if (non_empty(member(*sc, "listenerPath")))
      refuse("linux.seccomp.listenerPath", "SCMP_ACT_NOTIFY is not supported");
    std::string dump = sc->dump();
    if (dump.find("SCMP_ACT_NOTIFY") != std::string::npos) refuse("linux.seccomp", "SCMP_ACT_NOTIFY is not supported");
    b.seccomp = *sc;
  }
  if (const json* r = member(lx, "resources")) check_resources(*r, b.notes);
  if (const json* hooks = member(c, "hooks")) {
    if (!hooks->is_object()) refuse("hooks", "expected an object");
    for (auto it = hooks->begin(); it != hooks->end(); ++it) {
      if (it->is_null()) continue;
      if (!it->is_array()) refuse(str("hooks.", it.key()), "expected an array");
      for (const auto& h : *it) {
        std::string field = str("hooks.", it.key());
        if (as_string(h.value("path", json()), field + ".path").empty()) refuse(field + ".path", "empty");
        strings(member(h, "args"), field + ".args");
        for (const auto& kv : strings(member(h, "env"), field + ".env"))
          if (kv.find('=') == std::string::npos || kv[0] == '=') refuse(field + ".env", str("'", kv, "' is not K=V"));
        if (const json* t = member(h, "timeout"); t && as_int(*t, field + ".timeout") <= 0)
          refuse(field + ".timeout", "must be positive");
      }
    }
  }

  return b;
}

namespace {

// The uid and gid maps of the user namespace at PATH as our own user
// namespace sees them. The kernel shows /proc/PID/uid_map relative to the
// reader's namespace, so a child joins it (setns needs a single-threaded
// process: a forked child is) and waits while we read its maps; our own
// namespace is the identity.
struct SeenMaps {
  std::string uid, gid;
};

SeenMaps maps_seen_from_here(const std::string& path) {
  UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns) throw_errno(str("config.json: linux.namespaces.path: cannot open ", path));
  struct stat theirs {
  }, ours{};
  if (::fstat(ns.get(), &theirs) == 0 && ::stat("/proc/self/ns/user", &ours) == 0 && theirs.st_ino == ours.st_ino &&
      theirs.st_dev == ours.st_dev)
    return {"0 0 4294967295\n", "0 0 4294967295\n"};
  Pipe joined = make_pipe(), hold = make_pipe();
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("cannot fork");
  if (pid == 0)
    run_child([&] {
      joined.read.reset();
      hold.write.reset();
      if (::setns(ns.get(), CLONE_NEWUSER) != 0)
        throw_errno(str("config.json: linux.namespaces.path: cannot join the user namespace ", path));
      send_go(joined.write, "rt-oci");
      wait_go(hold.read.get());
      return 0;
    });
  joined.write.reset();
  hold.read.reset();
  bool in = wait_go(joined.read.get());
  std::optional<std::string> uid, gid;
  if (in) {
    uid = try_read_file(str("/proc/", pid, "/uid_map"));
    gid = try_read_file(str("/proc/", pid, "/gid_map"));
  }
  hold.write.reset();  // the child exits
  wait_child(pid);
  if (!in) throw Error(str("config.json: linux.namespaces.path: cannot join the user namespace ", path));
  if (!uid || !gid) throw Error(str("config.json: linux.namespaces.path: cannot read the id maps of ", path));
  return {*uid, *gid};
}

// The id inside that a map's line gives to the host's id 0, if one does.
// Lines are "INSIDE OUTSIDE COUNT"; a range that holds outside 0 starts there.
std::optional<unsigned long> inside_of_host_zero(const std::string& map) {
  for (const auto& line : split(map, '\n')) {
    unsigned long inside = 0, outside = 0, count = 0;
    if (std::sscanf(line.c_str(), "%lu %lu %lu", &inside, &outside, &count) == 3 && outside == 0 && count > 0)
      return inside;
  }
  return std::nullopt;
}

}  // namespace

void check_joined_userns(const json& config, bool allow) {
  const json* linux = member(config, "linux");
  const json* nss = linux ? member(*linux, "namespaces") : nullptr;
  if (!nss || !nss->is_array() || allow) return;
  for (const auto& ns : *nss) {
    if (ns.value("type", "") != "user" || !member(ns, "path")) continue;
    std::string path = as_string(ns["path"], "linux.namespaces.path");
    SeenMaps maps = maps_seen_from_here(path);
    if (auto in = inside_of_host_zero(maps.uid))
      refuse("linux.namespaces",
             str("the user namespace ", path, " maps the host's uid 0 (as uid ", *in,
                 " inside): the container's root would be the host's root, its user namespace no protection; "
                 "give --allow-host-root-userns to run it so"));
    if (auto in = inside_of_host_zero(maps.gid))
      refuse("linux.namespaces",
             str("the user namespace ", path, " maps the host's gid 0 (as gid ", *in,
                 " inside): the container's processes would hold the host's root group and what it may write; "
                 "give --allow-host-root-userns to run it so"));
  }
}

std::string cgroup_path_of(const json& config, const std::string& id, bool systemd_cgroup) {
  const json* linux = member(config, "linux");
  const json* p = linux ? member(*linux, "cgroupsPath") : nullptr;
  std::string cg = p ? as_string(*p, "linux.cgroupsPath") : "";
  std::string path;
  if (systemd_cgroup) {
    // SLICE:PREFIX:NAME as the cgroupfs path systemd gives the unit: where
    // systemd runs, rt-systemd registers it as a scope (systemd_scope_of);
    // elsewhere rt-cgroup makes the group there.
    try {
      path = cgroup::systemd_path(cg.empty() ? "system.slice:rt-oci:" + id : cg, "linux.cgroupsPath");
    } catch (const Error& e) {
      throw Error(str("config.json: ", e.what()));
    }
  } else if (cg.find(':') != std::string::npos) {
    refuse("linux.cgroupsPath", str("'", cg, "': SLICE:PREFIX:NAME is systemd's form: give --systemd-cgroup"));
  } else if (!cg.empty()) {
    // Exactly there: absolute from each hierarchy's root, relative below
    // the caller's cgroup (rt-cgroup --path).
    try {
      path = cgroup::normalize_path(cg, "linux.cgroupsPath");
    } catch (const Error& e) {
      refuse("linux.cgroupsPath", e.what());
    }
    if (!cgroup::is_path(path)) path = "./" + path;
  }
  return path;
}

std::string systemd_scope_of(const json& config, const std::string& id, bool systemd_cgroup) {
  // systemd's own test (sd_booted): it made /run/systemd/system.
  if (!systemd_cgroup || !path_exists("/run/systemd/system")) return "";
  const json* linux = member(config, "linux");
  const json* p = linux ? member(*linux, "cgroupsPath") : nullptr;
  std::string cg = p ? as_string(*p, "linux.cgroupsPath") : "";
  std::string scope = cg.empty() ? "system.slice:rt-oci:" + id : cg;
  // A NAME ending in .slice names a slice unit (runc's reading): but
  // systemd keeps no process in a slice, and refuses one holding the init
  // (runc's request fails there: "Cannot set property PIDs"). Refused
  // before anything is made; the slice belongs in SLICE.
  if (cgroup::systemd_unit(scope, "linux.cgroupsPath").unit.ends_with(".slice"))
    refuse("linux.cgroupsPath",
           str("'", scope,
               "': NAME ending in .slice asks for a slice, and systemd keeps no process in a slice "
               "(it refuses runc's too): give NAME without .slice and the slice as SLICE"));
  return scope;
}

std::string systemd_unit_of(const std::string& scope) { return cgroup::systemd_unit(scope).unit; }

std::pair<std::vector<std::string>, std::vector<std::string>> split_systemd_limits(std::vector<std::string> flags) {
  static const std::vector<std::string> kSystemdLimits = {
      "--memory",    "--memory-swap", "--memory-reservation", "--cpu-shares", "--cpu-period",
      "--cpu-quota", "--cpuset-cpus", "--cpuset-mems",        "--pids",       "--io-weight"};
  std::pair<std::vector<std::string>, std::vector<std::string>> out;
  for (size_t i = 0; i < flags.size(); ++i) {
    bool flag_only = flags[i] == "--oom-kill-disable";  // the one limit without a value
    bool ours = std::find(kSystemdLimits.begin(), kSystemdLimits.end(), flags[i]) != kSystemdLimits.end();
    auto& to = ours ? out.first : out.second;
    to.push_back(std::move(flags[i]));
    if (!flag_only && i + 1 < flags.size()) to.push_back(std::move(flags[++i]));
  }
  return out;
}

std::vector<std::string> resource_flags(const json& r) {
  std::vector<std::string> a;
  auto add = [&](std::string opt, const std::string& val) {
    a.push_back(std::move(opt));
    a.push_back(val);
  };
  if (const json* m = member(r, "memory")) {
    if (const json* v = member(*m, "limit"); v && as_int(*v, "memory.limit") > 0)
      add("--memory", std::to_string(as_int(*v, "memory.limit")));
    if (const json* v = member(*m, "swap"); v && as_int(*v, "memory.swap") != 0)
      add("--memory-swap", std::to_string(as_int(*v, "memory.swap")));
    if (const json* v = member(*m, "reservation"); v && as_int(*v, "memory.reservation") > 0)
      add("--memory-reservation", std::to_string(as_int(*v, "memory.reservation")));
    // runc's "unset" is -1 as an unsigned number.
    if (const json* v = member(*m, "swappiness"); v && v->is_number_unsigned() && v->get<uint64_t>() <= 100)
      add("--memory-swappiness", std::to_string(v->get<uint64_t>()));
    if (non_empty(member(*m, "disableOOMKiller"))) a.push_back("--oom-kill-disable");
    if (const json* v = member(*m, "kernelTCP"); v && as_int(*v, "memory.kernelTCP") > 0)
      add("--kernel-memory-tcp", std::to_string(as_int(*v, "memory.kernelTCP")));
  }
  if (const json* cpu = member(r, "cpu")) {
    if (const json* v = member(*cpu, "shares"); v && as_int(*v, "cpu.shares") > 0)
      add("--cpu-shares", std::to_string(as_int(*v, "cpu.shares")));
    if (const json* v = member(*cpu, "period"); v && as_int(*v, "cpu.period") > 0)
      add("--cpu-period", std::to_string(as_int(*v, "cpu.period")));
    if (const json* v = member(*cpu, "quota"); v && as_int(*v, "cpu.quota") != 0)
      add("--cpu-quota", std::to_string(std::max<int64_t>(as_int(*v, "cpu.quota"), -1)));
    if (const json* v = member(*cpu, "cpus"); v && !as_string(*v, "cpu.cpus").empty())
      add("--cpuset-cpus", v->get<std::string>());
    if (const json* v = member(*cpu, "mems"); v && !as_string(*v, "cpu.mems").empty())
      add("--cpuset-mems", v->get<std::string>());
  }
  if (const json* p = member(r, "pids"))
    if (const json* v = member(*p, "limit"); v && as_int(*v, "pids.limit") != 0)
      add("--pids", std::to_string(std::max<int64_t>(as_int(*v, "pids.limit"), -1)));
  if (const json* bio = member(r, "blockIO")) {
    if (const json* v = member(*bio, "weight"); v && as_int(*v, "blockIO.weight") > 0)
      add("--io-weight", std::to_string(as_int(*v, "blockIO.weight")));
    for (auto [key, opt] : {std::pair{"throttleReadBpsDevice", "--device-read-bps"},
                            {"throttleWriteBpsDevice", "--device-write-bps"},
                            {"throttleReadIOPSDevice", "--device-read-iops"},
                            {"throttleWriteIOPSDevice", "--device-write-iops"}})
      for (const auto& d : bio->value(key, json::array()))
        add(opt, str(as_int(d.value("major", json()), str("blockIO.", key, ".major")), ":",
                     as_int(d.value("minor", json()), str("blockIO.", key, ".minor")), "=",
                     as_int(d.value("rate", json()), str("blockIO.", key, ".rate"))));
  }
  for (const auto& h : r.value("hugepageLimits", json::array()))
    add("--hugetlb", str(as_string(h.value("pageSize", json()), "hugepageLimits.pageSize"), "=",
                         as_int(h.value("limit", json()), "hugepageLimits.limit")));
  if (const json* u = member(r, "unified"))
    for (auto it = u->begin(); it != u->end(); ++it)
      add("--unified", str(it.key(), "=", as_string(*it, str("linux.resources.unified.", it.key()))));
  if (const json* d = member(r, "devices")) {
    // In order, as rt-cgroup --device-rule (each access: the last matching
    // rule decides, as runc applies them).
    if (!d->is_array()) refuse("linux.resources.devices", "expected an array");
    bool first_denies_all = false;
    for (const auto& rule : *d) {
      const char* f = "linux.resources.devices";
      if (!rule.is_object() || !member(rule, "allow") || !rule["allow"].is_boolean())
        refuse(f, str(rule.dump(), ": expected an object with allow (true or false)"));
      auto number = [&](const char* k) {
        int64_t v = member(rule, k) ? as_int(rule[k], str(f, ".", k)) : -1;  // null, absent or -1: any
        return v < 0 ? std::string("*") : std::to_string(v);
      };
      std::string text =
          str(rule["allow"].get<bool>() ? "allow " : "deny ",
              member(rule, "type") ? as_string(rule["type"], str(f, ".type")) : std::string("a"), " ", number("major"),
              ":", number("minor"), " ", member(rule, "access") ? as_string(rule["access"], str(f, ".access")) : "rwm");
      try {
        cgroup::DeviceRule parsed = cgroup::parse_device_rule(text);
        if (&rule == &(*d)[0])
          first_denies_all = !parsed.allow && parsed.type == 'a' && parsed.major < 0 && parsed.minor < 0 &&
                             parsed.access == cgroup::kDevAll;
      } catch (const Error& e) {
        refuse(f, str(rule.dump(), ": ", e.what()));
      }
      add("--device-rule", text);
    }
    // Then, when the list starts by denying everything, the nodes every
    // container needs (rt-mount --dev-nodes makes them): Docker's allow
    // rules, after the config's, as runc appends its default list (a runc
    // spec's lone "deny all" leaves exactly those).
    if (!d->empty() && first_denies_all)
      for (const auto& rule : cgroup::docker_device_rules())
        if (rule.allow) add("--device-rule", cgroup::device_rule_text(rule));
  }
  return a;
}

std::vector<std::string> build_chain(const Bundle& b, const ChainContext& ctx) {
  const json& c = b.config;
  const json& proc = c["process"];
  static const json kEmpty = json::object();
  const json& lx = member(c, "linux") ? c["linux"] : kEmpty;
  std::vector<std::string> a;
  auto tool = [&](const char* name) { a.push_back(ctx.tool_dir + "/" + name); };
  auto add = [&](std::string opt, const std::string& val) {
    a.push_back(std::move(opt));
    a.push_back(val);
  };

  std::vector<std::string> limits;
  if (const json* r = member(lx, "resources")) limits = resource_flags(*r);
  if (!b.systemd_scope.empty()) {
    // rt-systemd: systemd makes the group, a scope holding the chain, and
    // keeps the limits it has properties for; rt-cgroup sets the others in
    // the delegated group (when there are any).
    auto [ours, rest] = split_systemd_limits(std::move(limits));
    tool("rt-systemd");
    add("--scope", b.systemd_scope);
    add("--description", systemd_description(ctx.id));
    for (auto& f : ours) a.push_back(std::move(f));
    a.push_back("--");
    if (!rest.empty()) {
      tool("rt-cgroup");
      add("--join", b.cgroup_path);
      for (auto& f : rest) a.push_back(std::move(f));
      a.push_back("--");
    }
  } else {
    // rt-cgroup: the group and its limits; nothing waits.
    tool("rt-cgroup");
    a.push_back("--no-wait");
    if (b.cgroup_path.empty()) add("--name", ctx.id);
    else add("--path", b.cgroup_path);
    for (auto& f : limits) a.push_back(std::move(f));
    a.push_back("--");
  }

  // rt-unshare: namespaces, names, id maps; the init is handed over.
  tool("rt-unshare");
  bool cgroup_ns = false;
  for (const auto& ns : lx.value("namespaces", json::array())) {
    std::string t = ns_option(ns["type"].get<std::string>());
    if (const json* p = member(ns, "path")) add("--join", t + "=" + as_string(*p, "linux.namespaces.path"));
    else a.push_back("--" + t);
    if (t == "cgroup") cgroup_ns = true;
  }
  bool cgroup_mount = false;
  for (const auto& m : c.value("mounts", json::array()))
    if (m.value("type", "") == "cgroup" || m.value("type", "") == "cgroup2") cgroup_mount = true;
  if (cgroup_mount && !cgroup_ns) a.push_back("--cgroup");  // rt shows a container its own cgroups only
  if (const json* h = member(c, "hostname"); h && !as_string(*h, "hostname").empty())
    add("--hostname", h->get<std::string>());
  if (const json* h = member(c, "domainname"); h && !as_string(*h, "domainname").empty())
    add("--domainname", h->get<std::string>());
  for (const char* k : {"uidMappings", "gidMappings"})
    for (const auto& m : lx.value(k, json::array()))
      add(k[0] == 'u' ? "--uid-map" : "--gid-map",
          str(as_int(m.value("containerID", json()), k), ":", as_int(m.value("hostID", json()), k), ":",
              as_int(m.value("size", json()), k)));
  if (b.new_pid_ns) a.push_back("--hand-over");
  add("--pid-fd", std::to_string(ctx.pid_fd));  // a fd: the path may be out of reach in a user namespace
  a.push_back("--");

  // rt-mount: the bundle's root, the config's mounts in order, devices,
  // masked and read-only paths.
  tool("rt-mount");
  add("--rootfs", b.rootfs);
  a.push_back("--rootfs-mkdir");
  for (const auto& m : c.value("mounts", json::array())) {
    std::string dst = as_string(m.value("destination", json()), "mounts.destination");
    std::string type = m.contains("type") && m["type"].is_string() ? m["type"].get<std::string>() : "";
    std::string src = m.contains("source") && m["source"].is_string() ? m["source"].get<std::string>() : "";
    auto opts = strings(member(m, "options"), "mounts.options");
    bool bind = type == "bind" || std::find(opts.begin(), opts.end(), "bind") != opts.end() ||
                std::find(opts.begin(), opts.end(), "rbind") != opts.end();
    if (bind && !src.empty() && src[0] != '/') src = ctx.bundle + "/" + src;
    if (member(m, "uidMappings") || member(m, "gidMappings"))
      refuse("mounts.uidMappings", "idmapped mounts are not supported");
    std::string spec = str("destination=", dst);
    if (!type.empty()) spec += ",type=" + type;
    if (!src.empty()) spec += ",source=" + src;
    for (const auto& o : opts) spec += "," + o;
    if (dst.find(',') != std::string::npos || src.find(',') != std::string::npos)
      refuse("mounts", str("'", dst, "': a comma in a source or destination cannot be passed to rt-mount --mount"));
    add("--mount", spec);
  }
  for (const auto& d : lx.value("devices", json::array())) {
    std::string spec =
        str("type=", as_string(d["type"], "linux.devices.type"), ",path=", as_string(d["path"], "linux.devices.path"));
    for (const char* k : {"major", "minor", "uid", "gid"})
      if (const json* v = member(d, k)) spec += str(",", k, "=", as_int(*v, str("linux.devices.", k)));
    if (const json* v = member(d, "fileMode"))
      spec += str(",mode=", std::oct, as_int(*v, "linux.devices.fileMode") & 07777);
    if (d["path"].get<std::string>().find(',') != std::string::npos)
      refuse("linux.devices.path", "a comma in a path cannot be passed to rt-mount --mknod");
    add("--mknod", spec);
  }
  a.push_back("--dev-nodes");
  if (const json* sc = member(lx, "sysctl"))
    for (auto it = sc->begin(); it != sc->end(); ++it) add("--sysctl", it.key() + "=" + it->get<std::string>());
  for (const auto& p : strings(member(lx, "maskedPaths"), "linux.maskedPaths")) add("--mask", p);
  for (const auto& p : strings(member(lx, "readonlyPaths"), "linux.readonlyPaths")) add("--readonly-path", p);
  if (const json* r = member(c, "root"); r && non_empty(member(*r, "readonly"))) a.push_back("--read-only");
  if (const json* cwd = member(proc, "cwd"); cwd && as_string(*cwd, "process.cwd") != "/")
    add("--workdir", cwd->get<std::string>());
  // Without a mount namespace (new or joined) the container shares the
  // caller's: rt-mount mounts there (never in the host's: it refuses PID
  // 1's namespace) and chroots, as runc does; pivot_root would move the
  // caller's root too.
  if (ctx.no_pivot || !b.mnt_ns) a.push_back("--chroot");
  if (ctx.mount_ready_fd >= 0) {
    add("--ready-fd", std::to_string(ctx.mount_ready_fd));
    add("--sync-fd", std::to_string(ctx.mount_sync_fd));
  }
  if (const json* p = member(lx, "rootfsPropagation"); p && !as_string(*p, "linux.rootfsPropagation").empty())
    add("--root-propagation", p->get<std::string>());
  a.push_back("--");

  append_exec(a, ctx.tool_dir, proc, b.seccomp.is_null() ? "" : ctx.seccomp_file, "", personality_of(c),
              console_options(proc, b.terminal ? ctx.console_fd : -1, true), ctx.env_fd, ctx.preserve_fds, ctx.ready_fd,
              ctx.sync_fd);
  return a;
}

}  // namespace rt::oci
