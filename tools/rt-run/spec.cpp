#include "spec.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "error.hpp"
#include "etc_files.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "ports.hpp"
#include "storage.hpp"
#include "usernet.hpp"

namespace rt::run {

using strings = std::vector<std::string>;

void add_options(po::options_description& desc) {
  // clang-format off
  desc.add_options()
      ("rootfs,f", po::value<std::string>()->value_name("DIR"), "run from the root filesystem in DIR (never modified) instead of an image")
      ("name", po::value<std::string>()->value_name("NAME"), "name the container (unique; generated when absent)")
      ("detach,d", po::bool_switch(), "run in the background, print the container id")
      ("rm", po::bool_switch(), "remove the container and its writable layer when it exits")
      ("interactive,i", po::bool_switch(), "keep stdin attached")
      ("tty,t", po::bool_switch(), "give the container a terminal (pseudo-tty)")
      ("env,e", po::value<strings>()->composing()->value_name("K=V"), "set an environment variable (K alone: copy it from here); repeatable")
      ("env-file", po::value<strings>()->composing()->value_name("FILE"), "read K=V lines from FILE; repeatable")
      ("workdir,w", po::value<std::string>()->value_name("DIR"), "working directory inside the container (created if missing)")
      ("user,u", po::value<std::string>()->value_name("USER[:GROUP]"), "user (name or uid) and group to run as")
      ("hostname,h", po::value<std::string>()->value_name("NAME"), "container hostname (default: the short id)")
      ("volume,v", po::value<strings>()->composing()->value_name("SRC:DST[:ro]"), "bind-mount a host path; repeatable")
      ("tmpfs", po::value<strings>()->composing()->value_name("DST[:OPTS]"), "mount a tmpfs; repeatable")
      ("read-only", po::bool_switch(), "make the container's root filesystem read-only")
      ("memory,m", po::value<std::string>()->value_name("SIZE"), "memory limit (e.g. 64m)")
      ("memory-swap", po::value<std::string>()->value_name("SIZE"), "memory plus swap limit (-1: unlimited swap)")
      ("cpus", po::value<std::string>()->value_name("N"), "CPU quota in CPUs (e.g. 0.5)")
      ("cpu-shares", po::value<std::string>()->value_name("N"), "relative CPU weight (cgroup v1 shares, converted on v2)")
      ("cpuset-cpus", po::value<std::string>()->value_name("LIST"), "CPUs the container may use (e.g. 0-1)")
      ("pids-limit", po::value<std::string>()->value_name("N"), "maximum number of processes")
      ("cgroup-parent", po::value<std::string>()->value_name("PATH"), "create the container's cgroup under PATH")
      ("cap-add", po::value<strings>()->composing()->value_name("CAP"), "add a capability (ALL for all); repeatable")
      ("cap-drop", po::value<strings>()->composing()->value_name("CAP"), "drop a capability (ALL for all); repeatable")
      ("security-opt", po::value<strings>()->composing()->value_name("OPT"), "seccomp=unconfined|FILE, no-new-privileges[=true|false]; repeatable")
      ("init", po::bool_switch(), "run a minimal init as PID 1 that reaps zombies and forwards signals")
      ("entrypoint", po::value<std::string>()->value_name("CMD"), "override the image's entrypoint (\"\" for none)")
      ("pull", po::value<std::string>()->value_name("POLICY"), "missing (default), always or never")
      ("storage-driver", po::value<std::string>()->value_name("DRIVER"), "how the root is assembled: overlay (the kernel's overlayfs), fuse-overlayfs or vfs (a copy of the layers); default: RT_STORAGE_DRIVER, else the first of them that works here")
      ("network", po::value<std::string>()->value_name("MODE"), "bridge (default as root), NAME (a network of rt-net), pasta or slirp4netns (user-mode, the default without root; :host-loopback lets the gateway reach the host's 127.0.0.1), none (only lo), host, container:NAME or ns:PATH")
      ("net", po::value<std::string>()->value_name("MODE"), "same as --network")
      ("ip", po::value<std::string>()->value_name("ADDR"), "the container's IPv4 address on its network")
      ("publish,p", po::value<strings>()->composing()->value_name("SPEC"), "publish [IP:][HOSTPORT:]CTRPORT[/tcp|udp] (ranges A-B; a host port left out is chosen); repeatable")
      ("publish-all,P", po::bool_switch(), "publish every port the image exposes on a chosen host port")
      ("dns", po::value<strings>()->composing()->value_name("IP"), "a name server for the container's /etc/resolv.conf; repeatable")
      ("dns-search", po::value<strings>()->composing()->value_name("DOMAIN"), "a search domain for /etc/resolv.conf; repeatable")
      ("dns-option", po::value<strings>()->composing()->value_name("OPT"), "a resolver option for /etc/resolv.conf (e.g. ndots:2); repeatable")
      ("add-host", po::value<strings>()->composing()->value_name("NAME:IP"), "add a line to /etc/hosts (IP host-gateway: the host's address on the network); repeatable")
      ("userns", po::value<std::string>()->value_name("MODE"), "user namespace mode (not available yet)")
      ("rootless", po::bool_switch(), "run without root privileges (not available yet)")
      ("hook", po::value<strings>()->composing()->value_name("STAGE=PROG"), "run PROG (with sh -c) at prestart, poststart or poststop, state JSON on stdin; repeatable")
      ("log-level", po::value<std::string>()->value_name("LEVEL"), "error, warn, info, debug or trace (sets RT_LOG for the chain)")
      ("explain", po::bool_switch(), "print the pipeline as a shell command and exit");
  // clang-format on
}

static std::string absolute(const std::string& p) {
  if (!p.empty() && p[0] == '/') return p;
  char* cwd = ::getcwd(nullptr, 0);
  if (!cwd) throw_errno("cannot get the current directory");
  std::string out = std::string(cwd) + "/" + p;
  std::free(cwd);
  return out;
}

// docker's --env-file: K=V lines, '#' comments, blank lines, K alone copies K.
static void read_env_file(const std::string& path, strings& env) {
  std::string text = read_file(path);
  int lineno = 0;
  for (auto& line : split(text, '\n')) {
    ++lineno;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    if (line.find('=') == std::string::npos) {
      if (const char* v = std::getenv(line.c_str())) env.push_back(line + "=" + v);
      continue;
    }
    if (line[0] == '=') throw Error(str(path, ":", lineno, ": variable name is empty"));
    env.push_back(line);
  }
}

static void check_size(const std::string& v, const char* what) {
  if (!v.empty() && v != "-1") parse_size(v, what);
}

Spec make_spec(const po::variables_map& vm, const strings& rest) {
  Spec s;
  s.rootfs = opt<std::string>(vm, "rootfs");
  s.name = opt<std::string>(vm, "name");
  s.detach = flag(vm, "detach");
  s.auto_remove = flag(vm, "rm");
  s.interactive = flag(vm, "interactive");
  s.tty = flag(vm, "tty");
  s.explain = flag(vm, "explain");
  s.log_level = opt<std::string>(vm, "log-level");
  if (!s.log_level.empty()) {
    log::Level l;
    if (!log::parse_level(s.log_level, l))
      throw Error(str("invalid --log-level '", s.log_level, "' (expected error, warn, info, debug or trace)"));
  }

  if (!s.rootfs.empty()) {
    s.rootfs = absolute(s.rootfs);
    if (!is_dir(s.rootfs)) throw Error(str("--rootfs ", s.rootfs, ": not a directory"));
    s.command = rest;
  } else {
    if (rest.empty()) throw Error("no image given (usage: rt-run [OPTIONS] IMAGE|--rootfs DIR [COMMAND [ARG...]])");
    s.image = rest[0];
    s.command.assign(rest.begin() + 1, rest.end());
  }
  if (vm.count("entrypoint")) {
    std::string ep = opt<std::string>(vm, "entrypoint");
    s.entrypoint = ep.empty() ? strings{} : strings{ep};
  }
  if (vm.count("storage-driver")) {
    s.storage_driver = opt<std::string>(vm, "storage-driver");
    s.storage_from = "--storage-driver";
  } else if (const char* env = std::getenv(storage::kEnvVar); env && *env) {
    s.storage_driver = env;
    s.storage_from = storage::kEnvVar;
  }
  if (!s.storage_driver.empty() && s.storage_driver != "auto" && !storage::parse(s.storage_driver))
    throw Error(storage::bad_value(s.storage_from, s.storage_driver));
  s.pull = opt<std::string>(vm, "pull", "missing");
  if (s.pull != "missing" && s.pull != "always" && s.pull != "never")
    throw Error(str("invalid --pull '", s.pull, "' (expected missing, always or never)"));

  for (const auto& e : opts<std::string>(vm, "env")) {
    if (e.empty() || e[0] == '=') throw Error(str("invalid --env '", e, "': expected KEY=VALUE or KEY"));
    if (e.find('=') != std::string::npos) s.env.push_back(e);
    else if (const char* v = std::getenv(e.c_str())) s.env.push_back(e + "=" + v);
  }
  for (const auto& f : opts<std::string>(vm, "env-file")) read_env_file(f, s.env);

  s.workdir = opt<std::string>(vm, "workdir");
  if (!s.workdir.empty() && s.workdir[0] != '/')
    throw Error(str("invalid --workdir '", s.workdir, "': must be an absolute path"));
  s.user = opt<std::string>(vm, "user");
  s.hostname = opt<std::string>(vm, "hostname");
  if (s.hostname.size() > 64) throw Error("--hostname takes at most 64 characters");
  s.cap_add = opts<std::string>(vm, "cap-add");
  s.cap_drop = opts<std::string>(vm, "cap-drop");
  for (const auto& o : opts<std::string>(vm, "security-opt")) {
    std::string k = o, v;
    if (auto eq = o.find_first_of("=:"); eq != std::string::npos) k = o.substr(0, eq), v = o.substr(eq + 1);
    if (k == "seccomp") {
      if (v.empty()) throw Error("--security-opt seccomp needs a value: unconfined or a profile FILE");
      if (v != "unconfined") {
        v = absolute(v);
        if (!path_exists(v)) throw Error(str("--security-opt seccomp=", v, ": no such file"));
      }
      s.seccomp = v;
    } else if (k == "no-new-privileges") {
      if (v.empty() || v == "true") s.no_new_privs = true;
      else if (v == "false") s.no_new_privs = false;
      else throw Error(str("invalid --security-opt '", o, "': no-new-privileges takes true or false"));
    } else {
      throw Error(str("unsupported --security-opt '", o, "' (rt supports seccomp= and no-new-privileges)"));
    }
  }
  s.init = flag(vm, "init");

  for (const auto& v : opts<std::string>(vm, "volume")) {
    auto f = split(v, ':');
    if (f.size() < 2 || f.size() > 3 || f[0].empty() || f[1].empty())
      throw Error(str("invalid --volume '", v, "': expected SRC:DST[:ro|rw]"));
    if (f[0][0] != '/' && f[0][0] != '.')
      throw Error(str("invalid --volume '", v, "': named volumes are not supported, give a host path"));
    if (f[1][0] != '/') throw Error(str("invalid --volume '", v, "': the container path must be absolute"));
    if (f.size() == 3 && f[2] != "ro" && f[2] != "rw")
      throw Error(str("invalid --volume '", v, "': mode must be ro or rw"));
    std::string src = absolute(f[0]);
    if (!path_exists(src)) throw Error(str("invalid --volume '", v, "': ", src, " does not exist"));
    s.volumes.push_back(src + ":" + f[1] + (f.size() == 3 && f[2] == "ro" ? ":ro" : ""));
  }
  for (const auto& t : opts<std::string>(vm, "tmpfs")) {
    if (t.empty() || t[0] != '/') throw Error(str("invalid --tmpfs '", t, "': the container path must be absolute"));
    s.tmpfs.push_back(t);
  }
  s.read_only = flag(vm, "read-only");

  s.memory = opt<std::string>(vm, "memory");
  s.memory_swap = opt<std::string>(vm, "memory-swap");
  check_size(s.memory, "--memory");
  check_size(s.memory_swap, "--memory-swap");
  s.cpus = opt<std::string>(vm, "cpus");
  if (!s.cpus.empty() && parse_double(s.cpus, "--cpus") <= 0)
    throw Error(str("invalid --cpus '", s.cpus, "': must be more than 0"));
  s.cpu_shares = opt<std::string>(vm, "cpu-shares");
  if (!s.cpu_shares.empty()) parse_uint(s.cpu_shares, "--cpu-shares", 262144);
  s.cpuset_cpus = opt<std::string>(vm, "cpuset-cpus");
  s.pids_limit = opt<std::string>(vm, "pids-limit");
  if (!s.pids_limit.empty() && s.pids_limit != "-1") parse_uint(s.pids_limit, "--pids-limit");
  s.cgroup_parent = opt<std::string>(vm, "cgroup-parent");

  // The default: a bridge for root (as docker); for a user, user-mode
  // networking (pasta, else slirp4netns) where usable, else none (and
  // `no_user_net` says why); RT_NETWORK changes it.
  bool root = ::geteuid() == 0;
  std::string net = opt<std::string>(vm, "network", opt<std::string>(vm, "net"));
  std::string no_user_net;
  if (net.empty())
    if (const char* e = std::getenv("RT_NETWORK"); e && *e) net = e;
  if (net.empty()) net = root ? "bridge" : usernet::default_network(no_user_net).value_or("none");
  if (net == "default") net = "bridge";
  if (auto colon = net.find(':'); colon != std::string::npos && usernet::is_user_mode(net.substr(0, colon))) {
    if (net.substr(colon + 1) != "host-loopback")
      throw Error(str("invalid --network '", net, "' (", net.substr(0, colon), " takes one option: host-loopback)"));
    s.host_loopback = true;
    net.resize(colon);
  }
  if (usernet::is_user_mode(net)) {
    // pasta run by root cannot drop to nobody (it could not join a
    // namespace of root's) and keeps CAP_SYS_ADMIN of the host's while it
    // parses the container's packets; slirp4netns would keep all of root's.
    if (root)
      throw Error(str("--network ", net, " is for users without root: run by root, ", net,
                      " would handle the container's traffic with root's privileges on the host (use the bridge, "
                      "root's default)"));
    if (auto why = usernet::unusable(net)) throw Error(str("--network ", net, ": ", *why));
  } else if (starts_with(net, "container:")) {
    if (net.size() == 10) throw Error("--network container: needs a container name or id");
  } else if (starts_with(net, "ns:")) {
    std::string path = net.substr(3);
    if (path.empty() || path[0] != '/') throw Error(str("invalid --network '", net, "': ns: takes an absolute path"));
    if (!path_exists(path)) throw Error(str("invalid --network '", net, "': ", path, " does not exist"));
  } else if (net != "none" && net != "host") {
    bool ok = std::isalnum(static_cast<unsigned char>(net[0])) && net.size() <= 64;
    for (char c : net) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
    if (!ok)
      throw Error(str("invalid --network '", net,
                      "' (expected bridge, none, host, a network name, container:NAME or ns:PATH)"));
  }
  s.network = net;
  s.ip = opt<std::string>(vm, "ip");
  s.publish = opts<std::string>(vm, "publish");
  s.publish_all = flag(vm, "publish-all");
  for (const auto& p : s.publish) parse_publish(p);
  bool user = usernet::is_user_mode(net);
  bool cni = net != "none" && net != "host" && !starts_with(net, "container:") && !starts_with(net, "ns:") && !user;
  if (!no_user_net.empty() && (!s.publish.empty() || s.publish_all))
    throw Error(str("--publish and --publish-all need a network, and without root that is pasta or slirp4netns: ",
                    no_user_net));
  if (!cni && !user && (!s.ip.empty() || !s.publish.empty() || s.publish_all))
    throw Error(str("--ip, --publish and --publish-all need a bridge network, not --network ", net));
  if (user && !s.ip.empty()) throw Error(str("--ip needs a bridge network, not --network ", net));
  if (!s.ip.empty()) {
    unsigned char buf[4];
    if (::inet_pton(AF_INET, s.ip.c_str(), buf) != 1)
      throw Error(str("invalid --ip '", s.ip, "' (expected an IPv4 address)"));
  }
  s.dns = opts<std::string>(vm, "dns");
  for (const auto& ns : s.dns) {
    unsigned char buf[16];
    if (::inet_pton(AF_INET, ns.c_str(), buf) != 1 && ::inet_pton(AF_INET6, ns.c_str(), buf) != 1)
      throw Error(str("invalid --dns '", ns, "' (expected an IP address)"));
  }
  s.dns_search = opts<std::string>(vm, "dns-search");
  s.dns_options = opts<std::string>(vm, "dns-option");
  s.add_hosts = opts<std::string>(vm, "add-host");
  bool gateway = false;
  for (const auto& h : s.add_hosts) gateway = gateway || etc::parse_add_host(h).ip == etc::kHostGateway;
  bool dns = !s.dns.empty() || !s.dns_search.empty() || !s.dns_options.empty();
  // As docker: a container sharing another's network has that one's files.
  if (starts_with(net, "container:") && (dns || !s.add_hosts.empty()))
    throw Error(str("--dns, --dns-search, --dns-option and --add-host conflict with --network ", net,
                    " (the container shares the other's files)"));
  if (net == "none" && dns)
    throw Error("--dns, --dns-search and --dns-option need a network (--network none has none)");
  if (gateway && !cni && !user && net != "host")
    throw Error(
        str("--add-host NAME:host-gateway needs a bridge network, pasta, slirp4netns or host, not --network ", net));
  if (gateway && user && !usernet::host_address(net))
    throw Error(
        str("--add-host NAME:host-gateway: pasta's gateway is the host's IPv4 default route's, and there is "
            "none"));
  if (vm.count("userns") || flag(vm, "rootless")) throw Error("--userns and --rootless are not available yet");

  for (const auto& h : opts<std::string>(vm, "hook")) {
    auto [stage, prog] = parse_kv(h, "--hook");
    if (stage != "prestart" && stage != "poststart" && stage != "poststop")
      throw Error(str("invalid --hook '", h, "': STAGE is prestart, poststart or poststop"));
    if (prog.empty()) throw Error(str("invalid --hook '", h, "': no program"));
    s.hooks.push_back(h);
  }
  return s;
}

}  // namespace rt::run
