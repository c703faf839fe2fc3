#include "pipeline.hpp"

#include "error.hpp"
#include "parse.hpp"

namespace rt::run {

std::vector<std::string> Chain::argv() const {
  std::vector<std::string> out;
  for (const auto& l : links) out.insert(out.end(), l.begin(), l.end());
  out.insert(out.end(), command.begin(), command.end());
  return out;
}

static void add(std::vector<std::string>& v, const char* opt, const std::string& val) {
  if (val.empty()) return;
  v.emplace_back(opt);
  v.push_back(val);
}

Chain build_chain(const Spec& s, const Plan& p) {
  Chain c;
  // 1. The cgroup: limits, and the one group the container lives in.
  std::vector<std::string> cg{p.tool_dir + "/rt-cgroup", "--name", p.id};
  add(cg, "--parent", s.cgroup_parent);
  add(cg, "--memory", s.memory);
  add(cg, "--memory-swap", s.memory_swap);
  add(cg, "--cpus", s.cpus);
  add(cg, "--cpu-shares", s.cpu_shares);
  add(cg, "--cpuset-cpus", s.cpuset_cpus);
  add(cg, "--pids", s.pids_limit == "-1" ? "" : s.pids_limit);
  cg.insert(cg.end(), {"--devices", "docker", "--"});
  c.links.push_back(std::move(cg));

  // 2. Namespaces.
  std::vector<std::string> ns{p.tool_dir + "/rt-unshare", "--pid", "--mount", "--uts", "--ipc", "--cgroup"};
  if (s.network == "none") ns.emplace_back("--net");
  add(ns, "--hostname", p.hostname);
  if (s.init) ns.emplace_back("--init");
  add(ns, "--pid-file", p.pid_file);
  if (p.sync_fd >= 0) add(ns, "--sync-fd", std::to_string(p.sync_fd));
  ns.emplace_back("--");
  c.links.push_back(std::move(ns));

  // 3. The root: an overlay with a writable layer of its own, mounted
  // where rt-mount puts it by default (no mount point on disk to make).
  std::vector<std::string> mnt{p.tool_dir + "/rt-mount", "--lower", join(p.lower, ":"), "--upper",
                               p.bundle + "/upper",      "--work",  p.bundle + "/work", "--defaults"};
  // A layer that --rm throws away need not reach the disk: without this,
  // unmounting the overlay syncs the whole filesystem under it (as podman
  // does for --rm).
  if (s.auto_remove) mnt.emplace_back("--volatile");
  if (s.read_only) mnt.emplace_back("--read-only");
  for (const auto& v : s.volumes) add(mnt, "--bind", v);
  for (const auto& t : s.tmpfs) add(mnt, "--tmpfs", t);
  add(mnt, "--workdir", p.workdir);
  mnt.emplace_back("--");
  c.links.push_back(std::move(mnt));

  // 4. Privileges and environment, then the command.
  std::vector<std::string>& ex = c.exec_args;
  add(ex, "--user", p.user);
  ex.insert(ex.end(), {"--caps", "docker"});
  for (const auto& cap : s.cap_drop) add(ex, "--cap-drop", cap);
  for (const auto& cap : s.cap_add) add(ex, "--cap-add", cap);
  if (s.no_new_privs) ex.emplace_back("--no-new-privs");
  if (s.seccomp == "default" || s.seccomp == "unconfined") add(ex, "--seccomp", s.seccomp);
  else add(ex, "--seccomp", p.seccomp_fd >= 0 ? "/proc/self/fd/" + std::to_string(p.seccomp_fd) : s.seccomp);
  ex.emplace_back("--clear-env");
  for (const auto& e : p.env) add(ex, "--env", e);
  add(ex, "--workdir", p.workdir);
  std::vector<std::string> exec_link{p.tool_dir + "/rt-exec"};
  exec_link.insert(exec_link.end(), ex.begin(), ex.end());
  exec_link.emplace_back("--");
  c.links.push_back(std::move(exec_link));
  c.command = p.command;
  return c;
}

std::string render_shell(const Chain& c, const Plan& p, const Spec& s) {
  std::string out =
      str("mkdir -p ", shell_quote(p.bundle + "/upper"), " ", shell_quote(p.bundle + "/work"), " && \\\n");
  std::string indent;
  for (const auto& link : c.links) {
    out += indent;
    for (size_t i = 0; i < link.size(); ++i) {
      if (i) out += ' ';
      out += shell_quote(link[i]);
    }
    out += " \\\n";
    indent += "  ";
  }
  out += indent;
  for (size_t i = 0; i < c.command.size(); ++i) {
    if (i) out += ' ';
    out += shell_quote(c.command[i]);
  }
  // A seccomp profile is read by rt-exec after pivot_root, through an fd
  // opened on the host.
  if (p.seccomp_fd >= 0) out += str(" ", p.seccomp_fd, "<", shell_quote(s.seccomp));
  out += '\n';
  return out;
}

}  // namespace rt::run
