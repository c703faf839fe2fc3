// rt-net: prepare a network namespace through the CNI plugins, and tear it
// down.
//
//   rt-net up [--network NAME] [--ip ADDR] [-p SPEC]... [--ifname IF]
//             [--etc-dir DIR [--hostname NAME] [--dns IP]... [--dns-search D]...
//              [--dns-option OPT]... [--add-host NAME:IP]...] ID|--id ID NSPATH
//   rt-net down ID
//   rt-net show ID
//   rt-net create NAME [--subnet CIDR] [--gateway IP] [--bridge DEV] [--internal]
//   rt-net ls | inspect NAME | rm NAME
//
// `up ID` makes a network namespace held open at RT_STATE/netns/ID, runs
// CNI ADD for the network's plugins in it, records the result next to it
// (ID.json) and prints it. Any program can then enter the namespace
// (rt-unshare --join net=PATH). With --etc-dir, hosts, hostname and
// resolv.conf for the container are written there from the result (see
// common/etc_files.hpp). `down ID` runs CNI DEL and removes the namespace
// and the record.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "chain.hpp"
#include "cni.hpp"
#include "dir.hpp"
#include "error.hpp"
#include "etc_files.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "netns.hpp"
#include "networks.hpp"
#include "parse.hpp"
#include "paths.hpp"
#include "ports.hpp"
#include "usermode.hpp"
#include "usernet.hpp"

namespace {
using namespace rt;
using namespace rt::net;
using strings = std::vector<std::string>;

const char* kUsage =
    "rt-net up [--network NAME] [--ip ADDR] [-p SPEC]... [--ifname IF] [--etc-dir DIR ...] ID | --id ID NSPATH\n"
    "       rt-net up --network pasta|slirp4netns [--host-loopback] [-p SPEC]... --id ID /proc/PID/ns/net\n"
    "       rt-net down ID | show ID\n"
    "       rt-net create NAME [--subnet CIDR] [--gateway IP] [--bridge DEV] [--internal]\n"
    "       rt-net ls | inspect NAME | rm NAME";

void add_options(po::options_description& d) {
  // clang-format off
  d.add_options()
      ("network", po::value<std::string>()->value_name("NAME"), "up: the network to attach to (default: bridge, written on first use)")
      ("ip", po::value<std::string>()->value_name("ADDR"), "up: ask for this IPv4 address")
      ("publish,p", po::value<strings>()->composing()->value_name("SPEC"), "up: publish [IP:][HOSTPORT:]CTRPORT[/tcp|udp] (ranges A-B; a host port left out is chosen); repeatable")
      ("ifname", po::value<std::string>()->value_name("IF"), "up: the interface's name inside (default: eth0)")
      ("id", po::value<std::string>()->value_name("ID"), "up: the attachment's id when a namespace path is given")
      ("etc-dir", po::value<std::string>()->value_name("DIR"), "up: write hosts, hostname and resolv.conf for the container in DIR")
      ("hostname", po::value<std::string>()->value_name("NAME"), "up: the hostname in DIR/hosts and DIR/hostname (default: the id's first 12 characters)")
      ("dns", po::value<strings>()->composing()->value_name("IP"), "up: a name server for DIR/resolv.conf (default: the network's, else the host's); repeatable")
      ("dns-search", po::value<strings>()->composing()->value_name("DOMAIN"), "up: a search domain for DIR/resolv.conf; repeatable")
      ("dns-option", po::value<strings>()->composing()->value_name("OPT"), "up: a resolver option for DIR/resolv.conf; repeatable")
      ("add-host", po::value<strings>()->composing()->value_name("NAME:IP"), "up: a line in DIR/hosts (IP may be host-gateway: the network's gateway); repeatable")
      ("subnet", po::value<std::string>()->value_name("CIDR"), "create: IPv4 subnet (default: a free 10.87.N.0/24)")
      ("gateway", po::value<std::string>()->value_name("IP"), "create: the bridge's address (default: the subnet's first)")
      ("bridge", po::value<std::string>()->value_name("DEV"), "create: the bridge device (default: rt0 for bridge, rtN otherwise)")
      ("internal", po::bool_switch(), "create: no outbound NAT and no default route")
      ("disable-dns", po::bool_switch(), "create: no names (by default containers on the network resolve each other by name)")
      ("name", po::value<std::string>()->value_name("NAME"), "up: the container's name, which the others on a network with names resolve")
      ("host-loopback", po::bool_switch(), "up, with --network pasta or slirp4netns: the gateway's address reaches the host's 127.0.0.1")
      ("json", po::bool_switch(), "ls: one JSON array");
  // clang-format on
}

std::string netns_dir() { return default_state_root() + "/netns"; }

void check_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 128 && std::isalnum(static_cast<unsigned char>(id[0]));
  for (char c : id) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  if (!ok) die(str("invalid id '", id, "' (letters, digits, _ . -; at most 128)"));
}

// A free port for a mapping whose host port was left out: the kernel's
// choice for a socket bound to port 0, as docker does.
uint16_t choose_port(const PortMapping& m) {
  bool v6 = m.host_ip.find(':') != std::string::npos;
  UniqueFd s(::socket(v6 ? AF_INET6 : AF_INET, (m.protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!s) die_errno("cannot choose a host port: socket");
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    ::inet_pton(AF_INET6, m.host_ip.c_str(), &a->sin6_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    if (!m.host_ip.empty()) ::inet_pton(AF_INET, m.host_ip.c_str(), &a->sin_addr);
    len = sizeof *a;
  }
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0)
    die_errno(str("cannot choose a host port for ", m.container_port, "/", m.protocol));
  return ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

json ports_json(const std::vector<PortMapping>& ports) {
  json a = json::array();
  for (const auto& m : ports)
    a.push_back({{"hostPort", m.host_port},
                 {"containerPort", m.container_port},
                 {"protocol", m.protocol},
                 {"hostIP", m.host_ip}});
  return a;
}

// --etc-dir's files: what the options ask for (checked here, before
// anything is made).
etc::Request etc_request(const po::variables_map& vm, const std::string& id) {
  etc::Request r;
  r.hostname = opt<std::string>(vm, "hostname", id.substr(0, 12));
  if (r.hostname.empty() || r.hostname.size() > 64 || r.hostname.find_first_of(" \t\n/") != std::string::npos)
    throw Error(str("invalid --hostname '", r.hostname, "'"));
  for (const auto& h : opts<std::string>(vm, "add-host")) r.add_hosts.push_back(etc::parse_add_host(h));
  r.asked.nameservers = opts<std::string>(vm, "dns");
  for (const auto& ns : r.asked.nameservers) {
    unsigned char b[16];
    if (::inet_pton(AF_INET, ns.c_str(), b) != 1 && ::inet_pton(AF_INET6, ns.c_str(), b) != 1)
      throw Error(str("invalid --dns '", ns, "' (expected an IP address)"));
  }
  r.asked.search = opts<std::string>(vm, "dns-search");
  r.asked.options = opts<std::string>(vm, "dns-option");
  return r;
}

// Write DIR/hosts, hostname and resolv.conf with what the CNI result says:
// the container's addresses, the gateway (host-gateway), the DNS.
void write_etc(const std::string& dir, etc::Request r, const json& result) {
  std::string gateway;
  for (const auto& i : result.value("ips", json::array())) {
    std::string a = i.value("address", "");
    r.addresses.push_back(a.substr(0, a.find('/')));
    if (gateway.empty()) gateway = i.value("gateway", "");
  }
  for (auto& h : r.add_hosts)
    if (h.ip == etc::kHostGateway) {
      if (gateway.empty()) throw Error(str("--add-host ", h.name, ":host-gateway: the network has no gateway"));
      h.ip = gateway;
    }
  if (result.contains("dns") && result["dns"].is_object()) {
    const json& d = result["dns"];
    auto list = [&](const char* k) {
      std::vector<std::string> v;
      if (d.contains(k) && d[k].is_array())
        for (const auto& x : d[k])
          if (x.is_string()) v.push_back(x.get<std::string>());
      return v;
    };
    r.network = etc::Dns{list("nameservers"), list("search"), list("options")};
    if (r.network->search.empty() && d.contains("domain") && d["domain"].is_string())
      r.network->search = {d["domain"].get<std::string>()};
  }
  etc::write_files(dir, r);
}

// What `show` and `up` print: the record without the conflist copy.
void print_record(json r) {
  r.erase("conflist");
  r.erase("runtimeConfig");
  std::cout << r.dump(2) << std::endl;
}

int up(const po::variables_map& vm, const strings& args) {
  // 1. Validate: nothing is made until everything checks out.
  if (args.size() != 1) die(str("up takes one ID or namespace path (usage: ", kUsage, ")"));
  std::string id = opt<std::string>(vm, "id"), nspath;
  bool owned = args[0].find('/') == std::string::npos;
  if (owned) {
    if (!id.empty() && id != args[0]) die("--id and the ID argument differ");
    id = args[0];
  } else {
    if (id.empty()) die(str("--id ID is needed with a namespace path (", args[0], ")"));
    nspath = args[0];
    if (!is_netns(nspath)) die(str(nspath, " is not a network namespace"));
  }
  check_id(id);
  // The name others resolve on a network with names (docker's name rules).
  std::string name = opt<std::string>(vm, "name", id);
  check_id(name);
  std::string ifname = opt<std::string>(vm, "ifname", "eth0");
  if (ifname.empty() || ifname.size() > 15 || ifname.find_first_of("/ :") != std::string::npos)
    die(str("invalid --ifname '", ifname, "'"));
  std::vector<PortMapping> ports;
  std::string ip = opt<std::string>(vm, "ip");
  std::string etc_dir = opt<std::string>(vm, "etc-dir");
  std::string network = opt<std::string>(vm, "network", kDefaultNetwork);
  // pasta and slirp4netns: a helper of the caller's own attaches to a
  // namespace a process is in (its user namespace owns the network one).
  bool user_mode = usernet::is_user_mode(network);
  pid_t target = 0;
  if (user_mode) {
    if (owned)
      die(str("--network ", network, " attaches to a container's namespace: rt-net up --network ", network,
              " --id ID /proc/PID/ns/net"));
    auto f = split(nspath, '/');
    if (f.size() == 5 && f[0].empty() && f[1] == "proc" && f[3] == "ns" && f[4] == "net")
      target = static_cast<pid_t>(std::strtol(f[2].c_str(), nullptr, 10));
    if (target <= 0 || f[2].find_first_not_of("0123456789") != std::string::npos)
      die(str("--network ", network, " takes the namespace as /proc/PID/ns/net (PID: a process in it), not ", nspath));
    if (!ip.empty() || !etc_dir.empty() || vm.count("name"))
      die(str("--ip, --etc-dir and --name do not apply to --network ", network));
    if (auto why = usernet::unusable(network)) die(*why);
  } else if (flag(vm, "host-loopback")) {
    die("--host-loopback goes with --network pasta or slirp4netns");
  }
  etc::Request files;
  json list;
  try {
    files = etc_request(vm, id);
    if (etc_dir.empty() && (vm.count("hostname") || vm.count("dns") || vm.count("dns-search") ||
                            vm.count("dns-option") || vm.count("add-host")))
      throw Error("--hostname, --dns, --dns-search, --dns-option and --add-host go with --etc-dir");
    if (!etc_dir.empty() && !is_dir(etc_dir)) throw Error(str("--etc-dir ", etc_dir, ": not a directory"));
    for (const auto& p : opts<std::string>(vm, "publish")) {
      auto more = parse_publish(p);
      ports.insert(ports.end(), more.begin(), more.end());
    }
    in_addr a{};
    if (!ip.empty() && ::inet_pton(AF_INET, ip.c_str(), &a) != 1)
      throw Error(str("invalid --ip '", ip, "' (expected an IPv4 address)"));
    if (!user_mode) {
      list = load_network(network);
      for (const auto& p : list["plugins"]) find_plugin(p.value("type", ""));
    }
  } catch (const Error& e) {
    die(e.what());
  }
  for (auto& m : ports)
    if (m.host_port == 0) m.host_port = choose_port(m);
  std::string dir = netns_dir(), record = dir + "/" + id + ".json";
  if (owned) nspath = dir + "/" + id;
  if (path_exists(record)) die(str(id, " is up already (rt-net down ", id, " first)"));
  if (user_mode) {
    mkdir_p(dir, 0700);
    json h = usermode_up({network, target, ifname, ports, flag(vm, "host-loopback"), dir, id});
    json r = {{"id", id},
              {"netns", nspath},
              {"ownNetns", false},
              {"name", name},
              {"network", network},
              {"ifname", ifname},
              {"ips", h["ips"]},
              {"ports", ports_json(ports)},
              {"hostLoopback", flag(vm, "host-loopback")},
              {"helper", {{"program", h["program"]}, {"pid", h["pid"]}, {"start", h["start"]}}}};
    try {
      write_file_atomic(record, r.dump(2) + "\n", 0600, false);
    } catch (...) {
      usermode_down(r["helper"]);
      throw;
    }
    log::step("network ", network, " up for ", id, ", pid ", h["pid"].get<int>());
    print_record(r);
    return 0;
  }

  // 2. The namespace, then CNI ADD; undone on any failure.
  Attachment at{id, nspath, ifname, json::object(), name};
  if (!ports.empty()) at.runtime_config["portMappings"] = ports_json(ports);
  if (!ip.empty()) at.runtime_config["ips"] = json::array({ip});
  mkdir_p(dir, 0700);
  if (owned) make_netns(nspath);
  try {
    json result = cni_add(list, at);
    try {
      if (!etc_dir.empty()) write_etc(etc_dir, files, result);
    } catch (...) {
      try {
        cni_del(list, at, result);
      } catch (const Error& e) {
        warn(str("undoing ADD: ", e.what()));
      }
      throw;
    }
    json r = {{"id", id},
              {"netns", nspath},
              {"ownNetns", owned},
              {"name", name},
              {"network", list["name"]},
              {"ifname", ifname},
              {"ips", json::array()},
              {"ports", ports_json(ports)},
              {"result", result},
              {"runtimeConfig", at.runtime_config},
              {"conflist", list}};
    if (result.contains("ips"))
      for (const auto& i : result["ips"]) r["ips"].push_back(i.value("address", ""));
    write_file_atomic(record, r.dump(2) + "\n", 0600, false);
    log::step("network ", list["name"].get<std::string>(), " up for ", id);
    print_record(r);
  } catch (...) {
    if (owned) remove_netns(nspath);
    throw;
  }
  return 0;
}

int down(const strings& args) {
  if (args.size() != 1) die(str("down takes one ID (usage: ", kUsage, ")"));
  const std::string& id = args[0];
  check_id(id);
  std::string dir = netns_dir(), record = dir + "/" + id + ".json";
  auto text = try_read_file(record);
  if (!text) {
    // Nothing recorded: at most a namespace an interrupted `up` left.
    remove_netns(dir + "/" + id);
    return 0;
  }
  json r = json::parse(*text, nullptr, false);
  if (r.is_discarded()) throw Error(str(record, ": not JSON"));
  if (r.contains("helper")) {  // pasta, slirp4netns: no CNI, no namespace of ours
    usermode_down(r["helper"]);
    if (::unlink(record.c_str()) != 0 && errno != ENOENT) throw_errno(str("cannot remove ", record));
    log::step("network down for ", id);
    return 0;
  }
  std::string nspath = r.value("netns", "");
  bool owned = r.value("ownNetns", false);
  // DEL with the namespace while it exists (the plugins remove the
  // interface in it); without, they still release addresses and rules.
  Attachment at{id, is_netns(nspath) ? nspath : "", r.value("ifname", "eth0"), r.value("runtimeConfig", json::object()),
                r.value("name", "")};
  cni_del(r.at("conflist"), at, r.value("result", json()));
  if (owned) remove_netns(nspath);
  if (::unlink(record.c_str()) != 0 && errno != ENOENT) throw_errno(str("cannot remove ", record));
  log::step("network down for ", id);
  return 0;
}

int show(const strings& args) {
  if (args.size() != 1) die("show takes one ID");
  check_id(args[0]);
  std::string record = netns_dir() + "/" + args[0] + ".json";
  auto text = try_read_file(record);
  if (!text) die(str("no network namespace ", args[0], " (", record, ")"));
  print_record(json::parse(*text));
  return 0;
}

int create(const po::variables_map& vm, const strings& args) {
  if (args.size() != 1) die("create takes one NAME");
  if (usernet::is_user_mode(args[0])) die(str(args[0], " is the name of a user-mode network: choose another"));
  NetworkOptions o{opt<std::string>(vm, "subnet"), opt<std::string>(vm, "gateway"), opt<std::string>(vm, "bridge"),
                   flag(vm, "internal"),
                   // As docker's: names on user networks, none on the default bridge.
                   !flag(vm, "disable-dns") && args[0] != kDefaultNetwork};
  std::string why;
  if (o.dns && !dns_available(why)) {
    warn(str("network ", args[0], " is made without names (containers will not resolve each other): ", why));
    o.dns = false;
  }
  try {
    json l = create_network(args[0], o);
    std::cout << args[0] << "\n";
  } catch (const Error& e) {
    die(e.what());
  }
  return 0;
}

// Attachments recorded under the state directory.
std::vector<json> attachments() {
  std::vector<json> out;
  for (const auto& n : dir_names(netns_dir())) {
    if (!n.ends_with(".json")) continue;
    if (auto t = try_read_file(netns_dir() + "/" + n)) {
      json r = json::parse(*t, nullptr, false);
      if (r.is_object()) out.push_back(r);
    }
  }
  return out;
}

int ls(const po::variables_map& vm) {
  json a = json::array();
  auto att = attachments();
  for (const auto& n : list_networks()) {
    json l;
    try {
      l = load_network(n);
    } catch (const Error& e) {
      warn(e.what());
      continue;
    }
    size_t used = 0;
    for (const auto& r : att) used += r.value("network", "") == n;
    a.push_back({{"name", n}, {"subnet", subnet_of(l)}, {"bridge", bridge_of(l)}, {"attached", used}});
  }
  if (flag(vm, "json")) {
    std::cout << a.dump() << "\n";
    return 0;
  }
  std::printf("%-20s %-18s %-15s %s\n", "NAME", "SUBNET", "BRIDGE", "ATTACHED");
  for (const auto& n : a)
    std::printf("%-20s %-18s %-15s %zu\n", n["name"].get<std::string>().c_str(), n["subnet"].get<std::string>().c_str(),
                n["bridge"].get<std::string>().c_str(), n["attached"].get<size_t>());
  return 0;
}

int inspect(const strings& args) {
  if (args.size() != 1) die("inspect takes one NAME");
  json l;
  try {
    l = load_network(args[0]);
  } catch (const Error& e) {
    die(e.what());
  }
  json ids = json::array();
  for (const auto& r : attachments())
    if (r.value("network", "") == args[0]) ids.push_back({{"id", r["id"]}, {"ips", r["ips"]}, {"ports", r["ports"]}});
  json out = {
      {"name", args[0]}, {"subnet", subnet_of(l)}, {"bridge", bridge_of(l)}, {"attached", ids}, {"conflist", l}};
  std::cout << out.dump(2) << "\n";
  return 0;
}

int rm(const strings& args) {
  if (args.empty()) die("rm takes one or more NAMEs");
  auto att = attachments();
  for (const auto& n : args) {
    for (const auto& r : att)
      if (r.value("network", "") == n)
        die(str("network ", n, " is in use by ", r.value("id", "?"), " (rt-net down it first)"));
    try {
      remove_network(n);
    } catch (const Error& e) {
      die(e.what());
    }
    std::cout << n << "\n";
  }
  return 0;
}

// The commands: --help lists them (the "Commands" section, which shell
// completion reads too), run() dispatches by them.
struct Verb {
  const char* name;
  const char* help;
  std::vector<const char*> options;  // the options it takes
  int (*run)(const po::variables_map& vm, const strings& args);
};
// clang-format off
const Verb kVerbs[] = {
    {"up", "make (or take) the namespace and run CNI ADD",
     {"network", "ip", "publish", "ifname", "id", "name", "etc-dir", "hostname", "dns", "dns-search", "dns-option",
      "add-host", "host-loopback"},
     [](const po::variables_map& vm, const strings& a) { return up(vm, a); }},
    {"down", "run CNI DEL and remove the namespace and the record", {},
     [](const po::variables_map&, const strings& a) { return down(a); }},
    {"show", "print the record of an attachment", {},
     [](const po::variables_map&, const strings& a) { return show(a); }},
    {"create", "write a new network's configuration list", {"subnet", "gateway", "bridge", "internal", "disable-dns"},
     [](const po::variables_map& vm, const strings& a) { return create(vm, a); }},
    {"ls", "list the networks", {"json"},
     [](const po::variables_map& vm, const strings&) { return ls(vm); }},
    {"inspect", "print a network and its attachments", {},
     [](const po::variables_map&, const strings& a) { return inspect(a); }},
    {"rm", "remove a network's configuration", {},
     [](const po::variables_map&, const strings& a) { return rm(a); }},
};
// clang-format on

// What --help prints before the options: the summary and the commands.
std::string help_head() {
  std::string out = "Prepare network namespaces through the CNI plugins.\n\nCommands:";
  for (const auto& v : kVerbs) {
    std::string head = str("  ", v.name);
    out += "\n" + head + std::string(head.size() < 12 ? 12 - head.size() : 2, ' ') + v.help;
  }
  return out;
}

int run(int argc, char** argv) {
  po::options_description desc("Options");
  add_options(desc);
  std::string verb = argc > 1 ? argv[1] : "";
  // `rt-net --help`: every verb's usage and options.
  if (verb.empty() || verb[0] == '-') {
    po::variables_map vm;
    std::string head = help_head();
    parse_chain(argc, argv, desc, vm, {kUsage, head.c_str(), false});
    die(str("no command given (usage: ", kUsage, ")"));
  }
  // A verb's words: options and operands in any order (create NAME --subnet ...).
  po::variables_map vm;
  strings args;
  {
    po::options_description all;
    all.add(desc).add_options()("args", po::value<strings>(&args)->composing())("help", "");
    po::positional_options_description pos;
    pos.add("args", -1);
    try {
      namespace cls = po::command_line_style;
      po::store(po::command_line_parser(strings(argv + 2, argv + argc))
                    .options(all)
                    .positional(pos)
                    .style(cls::unix_style & ~cls::allow_guessing)
                    .run(),
                vm);
      po::notify(vm);
    } catch (const po::error& e) {
      die(str(e.what(), " (try 'rt-net --help')"));
    }
  }
  log::init();
  vm.erase("args");
  if (vm.count("help")) {
    std::cout << "Usage: " << kUsage << "\n" << help_head() << "\n\n" << desc << "\n";
    return 0;
  }
  for (const auto& v : kVerbs) {
    if (verb != v.name) continue;
    for (const auto& [k, val] : vm) {
      if (val.defaulted()) continue;
      bool ok = false;
      for (const char* o : v.options) ok = ok || k == o;
      if (!ok) die(str("--", k, " does not apply to ", verb));
    }
    return v.run(vm, args);
  }
  die(str("unknown command '", verb, "' (usage: ", kUsage, ")"));
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run, argc, argv); }
