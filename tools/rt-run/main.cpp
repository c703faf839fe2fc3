// rt-run: docker-like options in, a chain of rt tools out.
//
//   rt-run [OPTIONS] IMAGE|--rootfs DIR [--] [COMMAND [ARG...]]
//
// It resolves what to run, records the container under RT_STATE, builds
//   rt-cgroup -> rt-unshare -> rt-mount -> rt-exec -> COMMAND
// and supervises it (in the foreground, or detached with -d).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <map>

#include "chain.hpp"
#include "container.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "pipeline.hpp"
#include "spec.hpp"
#include "supervise.hpp"

namespace {
using namespace rt;
using namespace rt::run;

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string tool_dir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) die_errno("cannot find rt-run's own directory (/proc/self/exe)");
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/'));
}

// K=V list with later keys replacing earlier ones, order of first sight kept.
std::vector<std::string> merge_env(const std::vector<std::vector<std::string>>& layers) {
  std::vector<std::string> keys;
  std::map<std::string, std::string> val;
  for (const auto& layer : layers)
    for (const auto& kv : layer) {
      auto eq = kv.find('=');
      std::string k = kv.substr(0, eq);
      if (!val.count(k)) keys.push_back(k);
      val[k] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    }
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(k + "=" + val[k]);
  return out;
}

// Where rt-cgroup will put the group, hierarchy by hierarchy
// ("ID:CONTROLLERS:/path/rt-NAME"): below our own cgroup, or below
// --cgroup-parent. Recorded so that gc and rm find it from anywhere.
std::vector<std::string> cgroup_paths(const std::string& parent, const std::string& name) {
  std::vector<std::string> out;
  auto text = try_read_file("/proc/self/cgroup");
  if (!text) return out;
  for (const auto& line : split(*text, '\n')) {
    auto f = split(line, ':');
    if (f.size() < 3) continue;
    std::string path = parent.empty() ? line.substr(f[0].size() + f[1].size() + 2) : parent;
    if (path.empty() || path[0] != '/') path = "/" + path;
    if (path.back() != '/') path += '/';
    out.push_back(str(f[0], ":", f[1], ":", path, "rt-", name));
  }
  return out;
}

// What the container runs and on which layers.
void resolve_payload(const Spec& s, Plan& p) {
  std::vector<std::string> base{str("PATH=", kDefaultPath), "HOSTNAME=" + p.hostname};
  if (s.tty) base.emplace_back("TERM=xterm");
  if (!s.rootfs.empty()) {
    p.lower = {s.rootfs};
    p.command = s.command;
    if (s.entrypoint) p.command.insert(p.command.begin(), s.entrypoint->begin(), s.entrypoint->end());
    if (p.command.empty()) p.command = {"/bin/sh"};
    p.env = merge_env({base, s.env});
    p.workdir = s.workdir;
    p.user = s.user;
    return;
  }
  throw Error(str("cannot run image ", s.image, ": images are not supported yet, use --rootfs DIR"));
}

int run_main(int argc, char** argv) {
  po::options_description desc("Options");
  add_options(desc);
  po::variables_map vm;
  int prog = parse_chain(argc, argv, desc, vm,
                         {"rt-run [OPTIONS] IMAGE|--rootfs DIR [--] [COMMAND [ARG...]]",
                          "Run a command in a new container.", false});
  Spec s = make_spec(vm, rest_of(argc, argv, prog));
  if (!s.log_level.empty()) {
    log::Level lvl;
    log::parse_level(s.log_level, lvl);
    log::set_level(lvl, true);
  }
  log::step("parsed options");

  ContainerStore store;
  Plan p;
  p.tool_dir = tool_dir();
  std::string image_root = default_image_root();
  if (s.explain) {
    p.id = new_container_id();
    p.hostname = s.hostname.empty() ? p.id.substr(0, 12) : s.hostname;
    p.bundle = image_root + "/containers/" + p.id;
    if (s.seccomp != "default" && s.seccomp != "unconfined") p.seccomp_fd = 3;
    resolve_payload(s, p);
    std::fputs(render_shell(build_chain(s, p), p, s).c_str(), stdout);
    return 0;
  }

  ContainerState c = store.create(s.name);
  try {
    p.id = c.id;
    p.name = c.name;
    p.hostname = s.hostname.empty() ? c.short_id() : s.hostname;
    p.bundle = image_root + "/containers/" + c.id;
    p.pid_file = store.dir(c.id) + "/pid";
    if (!s.hooks.empty()) p.sync_fd = 3;
    UniqueFd seccomp;
    if (s.seccomp != "default" && s.seccomp != "unconfined") {
      UniqueFd f(::open(s.seccomp.c_str(), O_RDONLY | O_CLOEXEC));
      if (!f) throw_errno(str("cannot open seccomp profile ", s.seccomp));
      seccomp = UniqueFd(::fcntl(f.get(), F_DUPFD_CLOEXEC, 10));
      p.seccomp_fd = 4;
    }
    resolve_payload(s, p);
    for (const char* d : {"/upper", "/work", "/merged"}) mkdir_p(p.bundle + d, 0700);

    c.hostname = p.hostname;
    c.command = p.command;
    c.rootfs = s.rootfs;
    c.image = s.image;
    c.cgroup = c.id;
    c.cgroup_paths = cgroup_paths(s.cgroup_parent, c.id);
    c.bundle = p.bundle;
    c.auto_remove = s.auto_remove;
    c.detached = s.detach;
    c.tty = s.tty;
    c.hooks = s.hooks;
    Chain chain = build_chain(s, p);
    c.exec_args = chain.exec_args;
    store.save(c);
    log::step("container ", c.short_id(), " recorded");

    Launch l{store, c, s, p, chain, seccomp.get()};
    return s.detach ? run_detached(l) : run_foreground(l);
  } catch (...) {
    // A container that never started leaves nothing behind.
    if (c.status == "created") remove_container_files(store, c);
    throw;
  }
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run_main, argc, argv); }
