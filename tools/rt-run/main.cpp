// rt-run: docker-like options in, a chain of rt tools out.
//
//   rt-run [OPTIONS] IMAGE|--rootfs DIR [--] [COMMAND [ARG...]]
//
// It resolves what to run, records the container under RT_STATE, builds
//   rt-cgroup -> rt-unshare -> rt-mount -> rt-exec -> COMMAND
// and supervises it (in the foreground, or detached with -d).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <optional>

#include "chain.hpp"
#include "container.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "image_store.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "pipeline.hpp"
#include "process.hpp"
#include "spec.hpp"
#include "supervise.hpp"

namespace {
using namespace rt;
using namespace rt::run;

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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

// Find IMAGE in the store, pulling it first as --pull says (with rt-pull:
// rt-run itself never links the registry client). With `hold`, each lookup
// is made under the store's shared lock, which stays held on return, so
// that rmi cannot take the image away before the container's record names it.
LocalImage get_image(const Spec& s, const std::string& root, const std::string& tools, layout::Lock* hold = nullptr) {
  auto look = [&] {
    if (hold) *hold = lock_store_shared(root);
    return find_image(root, s.image);
  };
  if (s.pull != "always")
    if (auto img = look()) return *img;
  if (s.pull == "never") throw Error(str("image ", s.image, " is not in the store ", root, " (and --pull never)"));
  if (hold) *hold = layout::Lock();  // rt-pull writes the store
  log::step("pulling ", s.image);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("cannot fork rt-pull");
  if (pid == 0) {
    // Progress on stderr; the image id rt-pull prints is not the container's output.
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    std::string tool = tools + "/rt-pull";
    const char* argv[] = {tool.c_str(), "--root", root.c_str(), "--", s.image.c_str(), nullptr};
    exec_program(const_cast<char* const*>(argv));
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) throw Error(str("cannot run ", s.image, ": the pull failed"));
  if (auto img = look()) return *img;
  throw Error(str("image ", s.image, " is not in the store after pulling it (removed meanwhile?)"));
}

// What the container runs and on which layers: the rootfs or the image's
// layers, and the image's Entrypoint, Cmd, Env, WorkingDir and User as
// docker applies them.
void resolve_payload(const Spec& s, const LocalImage* img, Plan& p) {
  std::vector<std::string> base{str("PATH=", kDefaultPath), "HOSTNAME=" + p.hostname};
  if (s.tty) base.emplace_back("TERM=xterm");
  std::vector<std::string> entrypoint, cmd = s.command, image_env;
  p.workdir = s.workdir;
  p.user = s.user;
  if (img) {
    p.lower = img->layer_dirs;
    if (p.lower.empty()) throw Error(str("image ", s.image, " has no layers"));
    entrypoint = img->config.entrypoint;
    // As docker: --entrypoint replaces the image's and drops its Cmd.
    if (cmd.empty() && !s.entrypoint) cmd = img->config.cmd;
    image_env = img->config.env;
    if (p.workdir.empty()) p.workdir = img->config.workdir;
    if (p.user.empty()) p.user = img->config.user;
  } else {
    p.lower = {s.rootfs};
    if (cmd.empty() && !s.entrypoint) cmd = {"/bin/sh"};
  }
  if (s.entrypoint) entrypoint = *s.entrypoint;
  p.command = entrypoint;
  p.command.insert(p.command.end(), cmd.begin(), cmd.end());
  if (p.command.empty()) throw Error(str("no command given, and image ", s.image, " has no Entrypoint or Cmd"));
  p.env = merge_env({base, image_env, s.env});
}

int run_main(int argc, char** argv) {
  po::options_description desc("Options");
  add_options(desc);
  po::variables_map vm;
  int prog = parse_chain(
      argc, argv, desc, vm,
      {"rt-run [OPTIONS] IMAGE|--rootfs DIR [--] [COMMAND [ARG...]]", "Run a command in a new container.", false});
  Spec s = make_spec(vm, rest_of(argc, argv, prog));
  if (!s.log_level.empty()) {
    log::Level lvl;
    log::parse_level(s.log_level, lvl);
    log::set_level(lvl, true);
  }
  log::step("parsed options");

  ContainerStore store;
  Plan p;
  p.tool_dir = self_dir();
  if (p.tool_dir.empty()) die_errno("cannot find rt-run's own directory (/proc/self/exe)");
  std::string image_root = default_image_root();
  if (s.explain) {
    p.id = new_container_id();
    p.hostname = s.hostname.empty() ? p.id.substr(0, 12) : s.hostname;
    p.bundle = image_root + "/containers/" + p.id;
    if (s.seccomp != "default" && s.seccomp != "unconfined") p.seccomp_fd = 3;
    std::optional<LocalImage> img;
    if (!s.image.empty()) img = get_image(s, image_root, p.tool_dir);
    resolve_payload(s, img ? &*img : nullptr, p);
    std::fputs(render_shell(build_chain(s, p), p, s).c_str(), stdout);
    return 0;
  }

  // An image: pulled if need be, then held (a shared lock of the store)
  // until the container's record names it, so that rmi cannot take it away.
  std::optional<LocalImage> img;
  layout::Lock image_lock;
  if (!s.image.empty()) img = get_image(s, image_root, p.tool_dir, &image_lock);

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
    resolve_payload(s, img ? &*img : nullptr, p);
    // The upper dir's mode becomes the container root's: 0755 as in docker.
    c.bundle = p.bundle;  // recorded first, so a failure below removes it
    mkdir_p(p.bundle, 0700);
    for (const char* d : {"/upper", "/work"})
      if (::mkdir((p.bundle + d).c_str(), 0755) != 0) throw_errno(str("cannot create ", p.bundle, d));

    c.hostname = p.hostname;
    c.command = p.command;
    c.rootfs = s.rootfs;
    if (img) {
      c.image = img->ref.empty() ? s.image : img->ref;
      c.image_id = img->id;
    }
    c.cgroup = c.id;
    c.cgroup_paths = cgroup_paths(s.cgroup_parent, c.id);
    c.auto_remove = s.auto_remove;
    c.detached = s.detach;
    c.tty = s.tty;
    c.hooks = s.hooks;
    Chain chain = build_chain(s, p);
    c.exec_args = chain.exec_args;
    // rt-run supervises from the first save (the detached supervisor takes
    // over later): gc must not take a starting container for abandoned.
    c.supervisor = ::getpid();
    c.supervisor_start = process_start_time(c.supervisor).value_or(0);
    store.save(c);
    image_lock = layout::Lock();
    log::step("container ", c.short_id(), " recorded");

    // rt-unshare writes the container's pid into a FIFO we poll.
    if (::mkfifo(p.pid_file.c_str(), 0600) != 0) throw_errno(str("cannot create ", p.pid_file));
    UniqueFd pid_fifo(::open(p.pid_file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!pid_fifo) throw_errno(str("cannot open ", p.pid_file));

    Launch l{store, c, s, p, chain, seccomp.get(), pid_fifo.get()};
    return s.detach ? run_detached(l) : run_foreground(l);
  } catch (...) {
    // A container that never started leaves nothing behind.
    if (c.status == "created") remove_container_files(store, c);
    throw;
  }
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run_main, argc, argv); }
