// rt-run: docker-like options in, a chain of rt tools out.
//
//   rt-run [OPTIONS] IMAGE|--rootfs DIR [--] [COMMAND [ARG...]]
//
// It resolves what to run, records the container under RT_STATE, builds
//   rt-cgroup -> rt-unshare -> rt-mount -> rt-exec -> COMMAND
// and supervises it (in the foreground, or detached with -d).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>

#include "cgroup.hpp"
#include "chain.hpp"
#include "container.hpp"
#include "container_ops.hpp"
#include "error.hpp"
#include "etc_files.hpp"
#include "fs.hpp"
#include "hugetext.hpp"
#include "image_store.hpp"
#include "log.hpp"
#include "netns_early.hpp"
#include "parse.hpp"
#include "pipeline.hpp"
#include "populate.hpp"
#include "ports.hpp"
#include "process.hpp"
#include "spec.hpp"
#include "storage.hpp"
#include "supervise.hpp"
#include "usernet.hpp"
#include "userns.hpp"
#include "userns_cache.hpp"

namespace {
using namespace rt;
using namespace rt::run;

// The fd rt-exec reads the environment from (--env-fd): 3 is the hooks'
// sync pipe, 4 a seccomp profile, 5 rt-unshare's --pid-fd; and the one it
// says "started" on (--ready-fd).
constexpr int kEnvFd = 6;
constexpr int kReadyFd = 7;
// A user namespace made ahead (userns_early.hpp), for rt-unshare --join.
constexpr int kUsernsFd = 8;
// The socket a network namespace made ahead arrives on (netns_early.hpp),
// for rt-unshare --net-from.
constexpr int kNetFromFd = 9;

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
// `v2_only`: a rootless container's, made on the v2 hierarchy alone.
std::vector<std::string> cgroup_paths(const std::string& parent, const std::string& name, bool v2_only) {
  std::vector<std::string> out;
  auto text = try_read_file("/proc/self/cgroup");
  if (!text) return out;
  for (const auto& line : split(*text, '\n')) {
    auto f = split(line, ':');
    if (f.size() < 3 || (v2_only && f[0] != "0")) continue;
    std::string base = parent.empty() ? line.substr(f[0].size() + f[1].size() + 2) : parent;
    if (base.empty() || base[0] != '/') base.insert(0, "/");
    out.push_back(str(f[0], ":", f[1], ":", cgroup::group_cg(base, name)));
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
  // Progress on stderr; the image id rt-pull prints is not the container's output.
  if (run_and_wait({tools + "/rt-pull", "--root", root, "--", s.image}, {.out = STDERR_FILENO}) != 0)
    throw Error(str("cannot run ", s.image, ": the pull failed"));
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

// -P: every port the image exposes ("80/tcp"), on a host port rt-net chooses.
std::vector<std::string> exposed_ports(const Spec& s, const LocalImage* img) {
  std::vector<std::string> out;
  if (s.publish_all && img)
    for (const auto& p : img->config.exposed_ports) out.push_back(p);
  return out;
}

// --network container:NAME: a running container.
ContainerState shared_container(const ContainerStore& store, const std::string& ref) {
  ContainerState o = store.resolve(ref);
  if (ops::effective_status(o) != "running" || !ops::container_alive(o))
    throw Error(str("--network container:", ref, ": container ", o.name, " is not running"));
  return o;
}

// Its network namespace: the one rt-net holds for it, else its PID 1's.
std::string container_netns(const ContainerStore& store, const ContainerState& o) {
  std::string held = store.root() + "/netns/" + o.id;
  return path_exists(held) ? held : str("/proc/", o.pid, "/ns/net");
}

// The container's /etc/hosts, /etc/hostname and /etc/resolv.conf
// (common/etc_files.hpp): made in `dir`, its state directory, by rt-net up
// on a CNI network and by rt-run otherwise; with container:NAME the other
// container's.
void plan_etc_files(const ContainerStore& store, const Spec& s, Plan& p, const std::string& dir,
                    const std::optional<ContainerState>& shared) {
  if (shared) {
    for (const char* f : {"hosts", "hostname", "resolv.conf"}) {
      std::string path = store.dir(shared->id) + "/" + f;
      if (path_exists(path)) p.etc_binds.push_back(str(path, ":/etc/", f));
    }
    return;
  }
  bool resolv = s.network != "none";
  p.etc_dir = dir;
  // A --volume or --tmpfs on one of the files (or on /etc) wins, as in docker.
  std::vector<std::string> taken;
  for (const auto& v : s.volumes) taken.push_back(split(v, ':')[1]);
  for (const auto& t : s.tmpfs) taken.push_back(split(t, ':')[0]);
  for (const auto& b : etc::bind_specs(dir, resolv)) {
    std::string target = b.substr(b.rfind(':') + 1);
    bool covered = false;
    for (auto t : taken) {
      while (t.size() > 1 && t.back() == '/') t.pop_back();
      covered = covered || t == target || t == "/etc" || t == "/";
    }
    if (!covered) p.etc_binds.push_back(b);
  }
  if (cni_network(s)) return;
  etc::Request r;
  r.hostname = p.hostname;
  r.host_network = s.network == "host";
  r.resolv = resolv;
  r.asked = {s.dns, s.dns_search, s.dns_options};
  for (const auto& h : s.add_hosts) {
    r.add_hosts.push_back(etc::parse_add_host(h));
    // The host itself: on its network (host), or the address a user-mode
    // network gives it (spec.cpp refuses host-gateway on the other modes).
    if (r.add_hosts.back().ip == etc::kHostGateway)
      r.add_hosts.back().ip = user_network(s) ? usernet::host_address(s.network).value_or("") : "127.0.0.1";
  }
  p.etc_files = r;
}

// An unprivileged caller: root of a user namespace of its own, a cgroup only
// where the host delegates one, and no network that needs root. Refuses
// (before any side effect) what cannot work, saying what to change.
void plan_rootless(const Spec& s, Plan& p) {
  p.rootless = true;
  if (auto why = userns_blocked()) die(str("cannot run a container without root: ", *why));
  std::string note;
  IdMaps maps = rootless_maps(note);
  if (!note.empty()) log::warn(note);
  p.maps = maps;
  try {
    p.userns_idle_ms = userns_cache::idle_ms(std::getenv(userns_cache::kIdleEnv));
  } catch (const Error& e) {
    die(e.what());
  }
  for (const auto& m : maps.uid) p.uid_map.push_back(str(m.inner, ":", m.outer, ":", m.count));
  for (const auto& m : maps.gid) p.gid_map.push_back(str(m.inner, ":", m.outer, ":", m.count));

  std::optional<std::string> no_cgroup;
  std::optional<cgroup::Host> host;
  try {
    host = cgroup::detect();
    no_cgroup = cgroup::not_delegated(*host);
  } catch (const Error& e) {
    no_cgroup = e.what();
  }
  if (no_cgroup) {
    p.cgroup = false;
    // clang-format off
    const std::pair<const char*, bool> limits[] = {
        {"--memory", !s.memory.empty()}, {"--memory-swap", !s.memory_swap.empty()}, {"--cpus", !s.cpus.empty()},
        {"--cpu-shares", !s.cpu_shares.empty()}, {"--cpuset-cpus", !s.cpuset_cpus.empty()},
        {"--pids-limit", !s.pids_limit.empty() && s.pids_limit != "-1"}, {"--cgroup-parent", !s.cgroup_parent.empty()}};
    // clang-format on
    for (const auto& [opt, given] : limits)
      if (given) die(str(opt, " needs a cgroup, and a rootless container gets none here: ", *no_cgroup));
    log::step("rootless: no cgroup (", *no_cgroup, ")");
  } else {
    // A delegated group: the limits' controllers must be enabled below it.
    // clang-format off
    const std::tuple<const char*, bool, const char*> limits[] = {
        {"--memory", !s.memory.empty(), "memory"}, {"--memory-swap", !s.memory_swap.empty(), "memory"},
        {"--cpus", !s.cpus.empty(), "cpu"}, {"--cpu-shares", !s.cpu_shares.empty(), "cpu"},
        {"--cpuset-cpus", !s.cpuset_cpus.empty(), "cpuset"},
        {"--pids-limit", !s.pids_limit.empty() && s.pids_limit != "-1", "pids"}};
    // clang-format on
    // A --cgroup-parent of the user's own puts the group there: no leaf.
    if (s.cgroup_parent.empty()) {
      std::vector<std::string> needed;
      for (const auto& [opt, given, controller] : limits)
        if (given) needed.emplace_back(controller);
      p.leaf = cgroup::RunLeaf::plan(*host, needed);
      p.cgroup_host = host;
      for (const auto& [opt, given, controller] : limits) {
        if (!given) continue;
        auto why = p.leaf->missing(*host, controller);
        if (!why && std::ranges::find(p.leaf->enables(), controller) != p.leaf->enables().end())
          why = p.leaf->blocked();
        if (why) die(str(opt, " needs the ", controller, " controller for the container's cgroup: ", *why));
      }
    }
  }
  if (cni_network(s))
    die(str("--network ", s.network, " needs root (rt-net's bridges and firewall rules); without root use --network ",
            "pasta or slirp4netns (user-mode networking, the default where installed), none or host"));
}

// The storage driver: the one asked for, else the kernel's overlayfs where
// it works, else fuse-overlayfs, else a copy (said once, as it is slow).
// Before any side effect but the probe's cache (storage.hpp).
void plan_storage(const Spec& s, Plan& p, const std::string& state_root, const std::string& image_root) {
  storage::Choice c = storage::choose(s.storage_driver, s.storage_from, state_root, image_root);
  p.storage = c.driver;
  if (c.forced && c.driver == storage::Driver::fuse) {
    // Root's containers have a device filter, which keeps /dev/fuse from
    // rt-mount as from the container; root has the kernel's overlayfs.
    if (!p.rootless)
      die(str(s.storage_from, " fuse-overlayfs is for users without root (root's containers use overlay, or vfs)"));
    if (auto no = storage::fuse_unusable()) die(str(s.storage_from, " fuse-overlayfs: ", *no));
  }
  if (!c.forced && c.driver == storage::Driver::vfs) log::warn(storage::vfs_fallback_note(c));
  // A read-only root needs no layer on disk: what its writable layer gets
  // (the mount points the image lacks) fits a tmpfs that goes with it.
  // Rootless keeps the disk layer (a tmpfs upper needs user xattrs there).
  p.layer_in_memory = s.read_only && !p.rootless && c.driver == storage::Driver::overlay;
  log::step("storage driver: ", storage::name(c.driver), c.forced ? " (asked for)" : "",
            c.why.empty() ? "" : str(" (", c.why, ")"));
}

int run_main(int argc, char** argv) {
  populate_heap();
  // rt-run sets it for its chain alone (supervise.cpp), from what it read.
  ::unsetenv(cgroup::kLayoutEnv);
  po::options_description desc("Options");
  add_options(desc);
  po::variables_map vm;
  int prog = parse_chain(
      argc, argv, desc, vm,
      {"rt-run [OPTIONS] IMAGE|--rootfs DIR [--] [COMMAND [ARG...]]", "Run a command in a new container.", false});
  Spec s = make_spec(vm, rest_of(argc, argv, prog));
  // rt-run lives as long as its container (the detached supervisor too):
  // -e values leave its command line, which every user can read.
  hide_argv_values(argc, argv, prog, opts<std::string>(vm, "env"));
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
  if (::geteuid() != 0) plan_rootless(s, p);
  plan_storage(s, p, store.root(), image_root);
  // The socket the network namespace reaches rt-unshare on; rt-run makes
  // it while rt-cgroup runs (netns_early.hpp).
  EarlyNetns early_netns;
  if (!s.explain && net_made_ahead(s, p)) {
    early_netns.prepare();
    p.net_from_fd = kNetFromFd;
  }
  if (s.explain) {
    p.net_ahead_note = net_made_ahead(s, p);
    // The printed pipeline is run from the caller's cgroup: rt-cgroup makes
    // the group below it (rt-run would move into the leaf first).
    p.cgroup_parent = s.cgroup_parent;
    p.cgroup_waits = true;  // run by hand, nobody else removes the group
    p.id = new_container_id();
    p.name = s.name;
    std::optional<ContainerState> shared;
    if (starts_with(s.network, "container:")) shared = shared_container(store, s.network.substr(10));
    p.hostname = !s.hostname.empty()                   ? s.hostname
                 : shared && !shared->hostname.empty() ? shared->hostname
                                                       : p.id.substr(0, 12);
    p.bundle = image_root + "/containers/" + p.id;
    if (s.seccomp != "default" && s.seccomp != "unconfined") p.seccomp_fd = 3;
    std::optional<LocalImage> img;
    if (!s.image.empty()) img = get_image(s, image_root, p.tool_dir);
    resolve_payload(s, img ? &*img : nullptr, p);
    plan_etc_files(store, s, p, store.dir(p.id), shared);
    if (p.storage == storage::Driver::fuse) p.fuse_log = store.dir(p.id) + "/" + kFuseLogFile;
    if (cni_network(s)) {
      p.netns = store.root() + "/netns/" + p.id;
      p.net_up = net_up_argv(s, p, exposed_ports(s, img ? &*img : nullptr));
    } else if (user_network(s)) {
      p.user_net = true;
      p.pid_fd = 5;
      p.sync_fd = 3;
      p.net_up = net_up_argv(s, p, exposed_ports(s, img ? &*img : nullptr));
    } else if (shared) {
      p.netns = container_netns(store, *shared);
    } else if (starts_with(s.network, "ns:")) {
      p.netns = s.network.substr(3);
    }
    p.env_fd = kEnvFd;
    p.state_dir = store.dir(p.id);
    p.env_file = p.state_dir + "/env";
    env_block(p.env);  // refuse what rt-run would refuse
    std::fputs(render_shell(build_chain(s, p), p, s).c_str(), stdout);
    return 0;
  }
  // The chain tools' code in 2 MiB pages, once per boot and binary
  // (common/hugetext.hpp; a run that finds its marker reads that alone).
  hugetext::ensure_loaded(store.root(), p.tool_dir);

  // An image: pulled if need be, then held (a shared lock of the store)
  // until the container's record names it, so that rmi cannot take it away.
  std::optional<LocalImage> img;
  layout::Lock image_lock;
  if (!s.image.empty()) img = get_image(s, image_root, p.tool_dir, &image_lock);
  std::optional<ContainerState> shared;
  if (starts_with(s.network, "container:")) {
    shared = shared_container(store, s.network.substr(10));
    p.netns = container_netns(store, *shared);
  } else if (starts_with(s.network, "ns:")) {
    p.netns = s.network.substr(3);
  }

  // Rootless in a delegated group: rt-run moves into the leaf beside the
  // containers' groups before it forks anything, and leaves it as it ends
  // (its detached supervisor too, on its own).
  struct LeaveLeaf {
    std::optional<cgroup::RunLeaf>& leaf;
    ~LeaveLeaf() {
      if (leaf) leaf->leave();
    }
  } leave_leaf{p.leaf};
  if (p.leaf) {
    p.leaf->enter();
    p.cgroup_parent = p.leaf->base();
  } else {
    p.cgroup_parent = s.cgroup_parent;
  }
  EarlyUserns early_userns;
  if (p.leaf) early_userns.set_leaf(p.leaf->base_procs(), p.leaf->leaf_dir());
  // argv's strings, one after the other as the kernel lays them out (or
  // no title for the holder).
  if (argc > 0 && argv[argc - 1] >= argv[0])
    early_userns.set_title_area(argv[0],
                                static_cast<size_t>(argv[argc - 1] + std::strlen(argv[argc - 1]) + 1 - argv[0]));
  // The id now (the chain is named by it); the directory and the name
  // (generated when none is given) are claimed with the record: after the
  // chain's fork where the supervisor writes that (write_container below),
  // unless a file goes into the directory before it (a seccomp profile's
  // copy; -d's log, opened before the chain starts).
  ContainerState c = store.begin(s.name);
  auto claim = [&] {
    store.claim(c, s.name);
    p.name = c.name;
    log::step("claimed name ", c.name);
  };
  // The record is written after the chain's fork where the chain waits
  // for the namespace rt-run sends (write_container below).
  const bool record_after_fork = early_netns.prepared();
  const bool seccomp_file = s.seccomp != "default" && s.seccomp != "unconfined";
  const bool claim_with_record = record_after_fork && !s.detach && !seccomp_file;
  if (!claim_with_record) claim();
  try {
    // Subordinate ids are mapped by newuidmap and newgidmap: the user's
    // cached namespace with those maps, else one made ahead, in parallel
    // with what follows, which becomes the cache (userns_early.hpp,
    // userns_cache.hpp). Only root's own id is written by rt-unshare at once.
    // A holder made here is born in rt-run's cgroup: in a delegated v2
    // group that is the leaf rt.run (rt-run moved there before this), which
    // the holder leaves by itself when it ends (cgroup_leaf.hpp).
    if (p.rootless && (p.maps.uid.size() > 1 || p.maps.gid.size() > 1)) {
      p.userns_fd = kUsernsFd;
      if (!early_userns.join_cached(store.root(), p.maps)) {
        early_userns.start(p.maps, store.root(), p.userns_idle_ms);
        p.sync_fd = 3;  // the chain waits for the maps
      }
    }
    p.id = c.id;
    p.hostname = !s.hostname.empty()                   ? s.hostname
                 : shared && !shared->hostname.empty() ? shared->hostname
                                                       : c.short_id();
    p.bundle = image_root + "/containers/" + c.id;
    if (!s.hooks.empty()) p.sync_fd = 3;
    p.pid_fd = 5;
    p.ready_fd = kReadyFd;
    p.hand_over = hands_over(s, p);  // supervise.cpp adopts PID 1
    UniqueFd seccomp;
    if (seccomp_file) {
      // A copy in the container's state directory (root's alone), which
      // the chain reads and `exec` applies again later.
      std::string kept = store.dir(c.id) + "/" + kSeccompProfileFile;
      write_file_atomic(kept, read_file(s.seccomp), 0600, false);
      UniqueFd f(::open(kept.c_str(), O_RDONLY | O_CLOEXEC));
      if (!f) throw_errno(str("cannot open seccomp profile ", kept));
      seccomp = UniqueFd(::fcntl(f.get(), F_DUPFD_CLOEXEC, 10));
      p.seccomp_fd = 4;
    }
    resolve_payload(s, img ? &*img : nullptr, p);
    c.network = s.network;
    c.storage_driver = storage::name(p.storage);
    if (p.storage == storage::Driver::fuse) p.fuse_log = store.dir(c.id) + "/" + kFuseLogFile;
    plan_etc_files(store, s, p, store.dir(c.id), shared);
    if (cni_network(s)) {
      p.netns = store.root() + "/netns/" + c.id;
      p.net_up = net_up_argv(s, p, exposed_ports(s, img ? &*img : nullptr));
    } else if (user_network(s)) {
      // Attached once the chain has made the namespace (supervise.cpp).
      p.user_net = true;
      p.sync_fd = 3;
      p.net_up = net_up_argv(s, p, exposed_ports(s, img ? &*img : nullptr));
    }
    UniqueFd env_src(::fcntl(env_memfd(p.env).get(), F_DUPFD_CLOEXEC, 10));
    if (!env_src) throw_errno("cannot duplicate an fd");
    p.env_fd = kEnvFd;
    if (!p.layer_in_memory) c.bundle = p.bundle;  // known before it is made, so a failure removes it

    c.hostname = p.hostname;
    c.command = p.command;
    c.rootfs = s.rootfs;
    if (img) {
      c.image = img->ref.empty() ? s.image : img->ref;
      c.image_id = img->id;
    }
    if (p.cgroup) c.cgroup = c.id;
    c.auto_remove = s.auto_remove;
    c.detached = s.detach;
    c.tty = s.tty;
    c.hooks = s.hooks;
    Chain chain = build_chain(s, p);
    c.exec_args = chain.exec_args;
    c.env = p.env;  // for exec; the record is root's alone

    // What the chain needs once rt-mount runs (the /etc files, the layer's
    // dirs) and `ps` before the payload runs (the record). Where the chain
    // waits for rt-run before rt-unshare execs rt-mount (root's --network
    // none: the namespace rt-run sends), the supervisor writes them while
    // rt-cgroup execs and makes the group (supervise.cpp), where rt-run
    // would only wait; else rt-run does before it starts the chain.
    auto write_container = [&] {
      if (claim_with_record) claim();
      if (p.etc_files) etc::write_files(p.etc_dir, *p.etc_files);
      if (!p.layer_in_memory) {
        // The upper dir (the bundle) and the work dir beside it, no
        // directory holding both (container.hpp). The upper dir's mode
        // becomes the container root's: 0755 as in docker;
        // RT_ROOT/containers, root's alone, keeps others out of both.
        std::string work = layer_work_dir(p.bundle);
        if (::mkdir(p.bundle.c_str(), 0755) != 0) {
          if (errno != ENOENT) throw_errno(str("cannot create ", p.bundle));
          mkdir_p(image_root + "/containers", 0700);
          if (::mkdir(p.bundle.c_str(), 0755) != 0) throw_errno(str("cannot create ", p.bundle));
        }
        if (::mkdir(work.c_str(), 0700) != 0) throw_errno(str("cannot create ", work));
        log::step("made the layer dirs");
      }
      // Where the group will be, for gc and rm: for the record alone (read
      // here, after the chain's fork where there is one, not before it).
      if (p.cgroup) c.cgroup_paths = cgroup_paths(p.cgroup_parent, c.id, p.rootless);
      // The process that writes it supervises from the first save (a
      // detached supervisor takes over later): gc must not take a starting
      // container for abandoned.
      claim_supervision(c);
      store.save(c);
      image_lock = layout::Lock();
      log::step("container ", c.short_id(), " recorded");
    };
    Launch l{store, c, s, p, chain, seccomp.get(), env_src.get(), &early_userns, p.leaf ? &*p.leaf : nullptr};
    l.netns = &early_netns;
    if (record_after_fork) {
      l.write_container = write_container;
    } else {
      write_container();
      // The network, once the record says who owns it (gc tears it down if
      // rt-run dies from here on).
      if (!p.net_up.empty() && !p.user_net) {
        network_up(c, p);
        store.save(c);
      }
    }
    return s.detach ? run_detached(l) : run_foreground(l);
  } catch (...) {
    // A container that never started leaves nothing behind.
    if (c.status == "created") {
      if (!p.net_up.empty()) ops::network_down(store, c.id, p.tool_dir);
      remove_container_files(store, c);
    }
    throw;
  }
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run_main, argc, argv); }
