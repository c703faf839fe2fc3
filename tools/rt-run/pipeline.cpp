#include "pipeline.hpp"

#include "container.hpp"
#include "error.hpp"
#include "fs.hpp"
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
  if (!p.cgroup_waits) cg.emplace_back("--no-wait");
  add(cg, "--parent", p.cgroup_parent);
  add(cg, "--memory", s.memory);
  add(cg, "--memory-swap", s.memory_swap);
  add(cg, "--cpus", s.cpus);
  add(cg, "--cpu-shares", s.cpu_shares);
  add(cg, "--cpuset-cpus", s.cpuset_cpus);
  add(cg, "--pids", s.pids_limit == "-1" ? "" : s.pids_limit);
  // Rootless: no device filter (loading one takes privileges the user has
  // not; and in a user namespace mknod makes no usable device, /dev holds
  // bind mounts of the host's own nodes).
  if (!p.rootless) cg.insert(cg.end(), {"--devices", "docker"});
  cg.emplace_back("--");
  if (p.cgroup) c.links.push_back(std::move(cg));

  // 2. Namespaces: rootless, a user namespace first, which owns the others.
  std::vector<std::string> ns{p.tool_dir + "/rt-unshare"};
  if (p.userns_fd >= 0) {
    add(ns, "--join", str("user=/proc/self/fd/", p.userns_fd));
  } else if (p.rootless) {
    ns.emplace_back("--user");
    for (const auto& m : p.uid_map) add(ns, "--uid-map", m);
    for (const auto& m : p.gid_map) add(ns, "--gid-map", m);
  }
  ns.insert(ns.end(), {"--pid", "--mount", "--uts", "--ipc", "--cgroup"});
  if (p.net_from_fd >= 0) add(ns, "--net-from", std::to_string(p.net_from_fd));
  else if (s.network == "none" || p.user_net) ns.emplace_back("--net");
  else if (!p.netns.empty()) add(ns, "--join", "net=" + p.netns);
  add(ns, "--hostname", p.hostname);
  if (p.pid_fd >= 0) add(ns, "--pid-fd", std::to_string(p.pid_fd));
  if (p.sync_fd >= 0) add(ns, "--sync-fd", std::to_string(p.sync_fd));
  if (p.hand_over) ns.emplace_back("--hand-over");
  ns.emplace_back("--");
  c.links.push_back(std::move(ns));

  // 3. The root: an overlay with a writable layer of its own, mounted
  // where rt-mount puts it by default (no mount point on disk to make).
  std::vector<std::string> mnt{p.tool_dir + "/rt-mount", "--lower", join(p.lower, ":")};
  if (p.layer_in_memory) {
    mnt.emplace_back("--upper-tmpfs");
  } else {
    mnt.insert(mnt.end(), {"--upper", p.bundle, "--work", layer_work_dir(p.bundle)});
    if (p.storage != storage::Driver::overlay) add(mnt, "--storage-driver", storage::name(p.storage));
    if (!p.fuse_log.empty()) add(mnt, "--fuse-log", p.fuse_log);
    // A layer that --rm throws away need not reach the disk: without this,
    // unmounting the overlay syncs the whole filesystem under it (as
    // podman does for --rm), and vfs syncs its copy before marking it done.
    if (s.auto_remove) mnt.emplace_back("--volatile");
  }
  mnt.emplace_back("--defaults");
  if (s.read_only) mnt.emplace_back("--read-only");
  // hosts, hostname, resolv.conf first: a --volume on one of them wins.
  for (const auto& b : p.etc_binds) add(mnt, "--bind", b);
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
  // The environment comes through an fd, never in an argv: rt-unshare
  // stays for the container's lifetime, and `ps` shows its argv to every
  // user.
  ex.emplace_back("--clear-env");
  add(ex, "--workdir", p.workdir);
  std::vector<std::string> exec_link{p.tool_dir + "/rt-exec"};
  exec_link.insert(exec_link.end(), ex.begin(), ex.end());
  if (p.env_fd >= 0) add(exec_link, "--env-fd", std::to_string(p.env_fd));
  // Started means rt-exec's last step (root in place, limits applied, an
  // init holding signals), not PID 1's birth.
  if (p.ready_fd >= 0) add(exec_link, "--ready-fd", std::to_string(p.ready_fd));
  // The init is rt-exec itself, after it has applied every limit above: it
  // carries the container's own (not in exec_args: `exec` wants no init).
  if (s.init) exec_link.emplace_back("--init");
  exec_link.emplace_back("--");
  c.links.push_back(std::move(exec_link));
  c.command = p.command;
  return c;
}

std::vector<std::string> net_up_argv(const Spec& s, const Plan& p, const std::vector<std::string>& extra_publish) {
  std::vector<std::string> v{p.tool_dir + "/rt-net", "up", "--network", s.network};
  if (p.user_net) {
    if (s.host_loopback) v.emplace_back("--host-loopback");
    for (const auto& x : s.publish) add(v, "--publish", x);
    for (const auto& x : extra_publish) add(v, "--publish", x);
    add(v, "--id", p.id);
    return v;
  }
  add(v, "--ip", s.ip);
  for (const auto& x : s.publish) add(v, "--publish", x);
  for (const auto& x : extra_publish) add(v, "--publish", x);
  add(v, "--name", p.name);
  add(v, "--etc-dir", p.etc_dir);
  if (!p.etc_dir.empty()) add(v, "--hostname", p.hostname);
  for (const auto& x : s.dns) add(v, "--dns", x);
  for (const auto& x : s.dns_search) add(v, "--dns-search", x);
  for (const auto& x : s.dns_options) add(v, "--dns-option", x);
  for (const auto& x : s.add_hosts) add(v, "--add-host", x);
  v.push_back(p.id);
  return v;
}

static std::string read_host(const std::string& path) { return try_read_file(path).value_or(""); }

static std::string words(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& w : v) out += (out.empty() ? "" : " ") + shell_quote(w);
  return out;
}

std::string render_shell(const Chain& c, const Plan& p, const Spec& s) {
  // The state dir (the etc files, the environment, a fuse-overlayfs log,
  // the fifos), then the layer's dirs: the upper dir and its work dir.
  std::string out;
  if (p.cgroup)
    out =
        "# rt-run runs rt-cgroup --no-wait (it execs rt-unshare in place) and removes the group itself once the "
        "chain has ended; here rt-cgroup waits for the chain and removes it.\n";
  if (hands_over(s, p))
    out +=
        "# rt-run runs rt-unshare --hand-over and waits for PID 1 itself (a subreaper, it adopts it once rt-unshare "
        "exits); here rt-unshare waits for PID 1 and exits with its status.\n";
  // What rt-run runs differs here: a shell cannot hand a namespace on a
  // socket, so the chain makes it itself.
  if (p.net_ahead_note)
    out += str("# rt-run itself makes this network namespace (lo up) ahead, while the chain starts, and hands it\n",
               "# to rt-unshare on a socket (--net-from FD); printed here as rt-unshare --net, which does the same.\n",
               "# It writes the files and makes the dirs below in that window too, after starting the chain.\n");
  out += str("mkdir -p ", shell_quote(p.state_dir));
  if (!p.layer_in_memory) out += str(" ", shell_quote(p.bundle), " ", shell_quote(layer_work_dir(p.bundle)));
  out += " && \\\n";
  std::string fifo_pid = p.state_dir + "/net.pid", fifo_go = p.state_dir + "/net.go";
  if (p.user_net) {
    // A user-mode network: rt-net attaches its helper to the namespace the
    // chain makes, once rt-unshare says its pid (--pid-fd), and lets it go
    // on (--sync-fd); two fifos carry both.
    out += str("mkfifo -m 600 ", shell_quote(fifo_pid), " ", shell_quote(fifo_go), " && \\\n");
    out +=
        str("{ { read pid <", shell_quote(fifo_pid), " && ", words(p.net_up),
            " \"/proc/$pid/ns/net\" >/dev/null && echo >", shell_quote(fifo_go), " || kill -9 \"$pid\"; } & } && \\\n");
  } else if (!p.net_up.empty()) {
    out += words(p.net_up) + " >/dev/null && \\\n";
  }
  // Without one, the files rt-run writes (what rt-net up writes with one).
  if (p.etc_files) {
    etc::Texts t = etc::make_texts(*p.etc_files, read_host("/etc/hosts"), read_host("/etc/resolv.conf"),
                                   read_host("/run/systemd/resolve/resolv.conf"));
    std::vector<std::pair<const char*, std::string*>> files{{"hosts", &t.hosts}, {"hostname", &t.hostname}};
    if (p.etc_files->resolv) files.emplace_back("resolv.conf", &t.resolv);
    for (auto& [name, text] : files)
      out += str("printf '%s' ", shell_quote(*text), " > ", shell_quote(p.etc_dir + "/" + name), " && \\\n");
  }
  // The environment goes to a file only root can read, written by the
  // shell's printf builtin (no process has the values in its argv), and
  // reaches rt-exec as an fd.
  if (!p.env_file.empty()) {
    out += "(umask 077 && printf '%s\\0'";
    for (const auto& e : p.env) out += " " + shell_quote(e);
    out += str(" > ", shell_quote(p.env_file), ") && \\\n");
  }
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
  if (!p.env_file.empty()) out += str(" ", p.env_fd, "<", shell_quote(p.env_file));
  if (p.user_net) out += str(" ", p.pid_fd, ">", shell_quote(fifo_pid), " ", p.sync_fd, "<>", shell_quote(fifo_go));
  out += '\n';
  if (!p.net_up.empty()) out += words({p.tool_dir + "/rt-net", "down", p.id}) + "\n";
  if (p.user_net) out += str("rm -f ", shell_quote(fifo_pid), " ", shell_quote(fifo_go), "\n");
  return out;
}

}  // namespace rt::run
