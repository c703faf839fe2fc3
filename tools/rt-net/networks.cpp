#include "networks.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "dir.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "paths.hpp"

namespace rt::net {

namespace {

struct Cidr {
  uint32_t addr = 0;  // host order
  int len = 0;
  uint32_t mask() const { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }
  bool overlaps(const Cidr& o) const {
    uint32_t m = len < o.len ? mask() : o.mask();
    return (addr & m) == (o.addr & m);
  }
};

std::string ip_text(uint32_t a) { return str(a >> 24, ".", (a >> 16) & 255, ".", (a >> 8) & 255, ".", a & 255); }

bool parse_ip4(const std::string& s, uint32_t& out) {
  in_addr a{};
  if (::inet_pton(AF_INET, s.c_str(), &a) != 1) return false;
  out = ntohl(a.s_addr);
  return true;
}

Cidr parse_cidr(const std::string& s) {
  auto slash = s.find('/');
  Cidr c;
  if (slash == std::string::npos || !parse_ip4(s.substr(0, slash), c.addr))
    throw Error(str("invalid subnet '", s, "' (expected an IPv4 CIDR such as 10.87.0.0/24)"));
  c.len = static_cast<int>(parse_uint(s.substr(slash + 1), "subnet prefix length", 32));
  if (c.len < 8 || c.len > 30) throw Error(str("invalid subnet '", s, "': prefix length must be 8 to 30"));
  if (c.addr & ~c.mask()) throw Error(str("invalid subnet '", s, "': host bits are set"));
  return c;
}

// The host's IPv4 routes (the main table, /proc/net/route), default routes
// left out: a subnet overlapping one would hide part of the host's network.
std::vector<Cidr> host_routes() {
  std::vector<Cidr> out;
  auto text = try_read_file("/proc/net/route");
  if (!text) return out;
  for (const auto& line : split(*text, '\n')) {
    char ifname[IFNAMSIZ + 1];
    unsigned dst, gw, flags, refcnt, use, metric, mask;
    if (std::sscanf(line.c_str(), "%16s %x %x %x %u %u %u %x", ifname, &dst, &gw, &flags, &refcnt, &use, &metric,
                    &mask) != 8 ||
        mask == 0)
      continue;
    Cidr c{ntohl(dst), __builtin_popcount(mask)};
    out.push_back(c);
  }
  return out;
}

std::string path_of(const std::string& name) { return networks_dir() + "/" + name + ".conflist"; }

json read_conflist(const std::string& path) {
  json j = json::parse(read_file(path), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("plugins") || !j["plugins"].is_array() || !j.contains("name"))
    throw Error(str(path, ": not a CNI network configuration list (a JSON object with name and plugins)"));
  return j;
}

bool link_exists(const std::string& dev) { return path_exists("/sys/class/net/" + dev); }

}  // namespace

bool dns_available(std::string& why) {
  try {
    find_plugin("dnsname");
  } catch (const Error& e) {
    why = e.what();
    return false;
  }
  // dnsname runs dnsmasq from PATH.
  const char* env = std::getenv("PATH");
  std::string path = env ? env : "/usr/bin:/bin";
  for (const auto& d : split(path, ':'))
    if (!d.empty() && ::access((d + "/dnsmasq").c_str(), X_OK) == 0) return true;
  why = "dnsmasq is not in PATH (install the Debian package dnsmasq-base)";
  return false;
}

std::string networks_dir() { return default_config_root() + "/networks"; }

void check_network_name(const std::string& n) {
  bool ok = !n.empty() && n.size() <= 64 && std::isalnum(static_cast<unsigned char>(n[0]));
  for (char c : n) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  if (!ok) throw Error(str("invalid network name '", n, "' (letters, digits, _ . -; at most 64)"));
  if (n == "none" || n == "host") throw Error(str("'", n, "' is a network mode, not a network name"));
}

std::string bridge_of(const json& l) {
  for (const auto& p : l["plugins"])
    if (p.value("type", "") == "bridge") return p.value("bridge", "cni0");
  return "";
}

std::string subnet_of(const json& l) {
  for (const auto& p : l["plugins"]) {
    if (!p.contains("ipam")) continue;
    const json& ipam = p["ipam"];
    if (ipam.contains("ranges") && ipam["ranges"].is_array())
      for (const auto& set : ipam["ranges"])
        for (const auto& r : set)
          if (r.contains("subnet")) return r["subnet"].get<std::string>();
    if (ipam.contains("subnet")) return ipam["subnet"].get<std::string>();
  }
  return "";
}

std::vector<std::string> list_networks() {
  std::vector<std::string> out;
  for (const auto& n : dir_names(networks_dir()))
    if (n.size() > 9 && n.ends_with(".conflist")) out.push_back(n.substr(0, n.size() - 9));
  return out;
}

json create_network(const std::string& name, NetworkOptions o) {
  check_network_name(name);
  std::string path = path_of(name);
  if (path_exists(path)) throw Error(str("network ", name, " exists already (", path, ")"));
  // What the other networks use: their subnets and bridges are taken.
  std::vector<Cidr> taken = host_routes();
  std::vector<std::string> bridges;
  for (const auto& n : list_networks()) {
    try {
      json l = read_conflist(path_of(n));
      if (auto s = subnet_of(l); !s.empty()) taken.push_back(parse_cidr(s));
      bridges.push_back(bridge_of(l));
    } catch (const Error& e) {
      warn(e.what());
    }
  }
  auto clashes = [&](const Cidr& c) {
    for (const auto& t : taken)
      if (c.overlaps(t)) return true;
    return false;
  };
  Cidr net;
  if (o.subnet.empty()) {
    // 10.87.N.0/24, the first that clashes with no route and no network.
    for (uint32_t n = 0; n < 256 && o.subnet.empty(); ++n) {
      Cidr c{(10u << 24) | (87u << 16) | (n << 8), 24};
      if (!clashes(c)) net = c, o.subnet = str(ip_text(c.addr), "/24");
    }
    if (o.subnet.empty()) throw Error("no free subnet in 10.87.0.0/16: give one with --subnet");
  } else {
    net = parse_cidr(o.subnet);
    if (clashes(net)) throw Error(str("subnet ", o.subnet, " overlaps a route of the host or another network"));
  }
  uint32_t gw;
  if (o.gateway.empty()) gw = net.addr + 1, o.gateway = ip_text(gw);
  else if (!parse_ip4(o.gateway, gw) || (gw & net.mask()) != net.addr || gw == net.addr)
    throw Error(str("invalid gateway '", o.gateway, "': not a host address in ", o.subnet));
  if (o.bridge.empty()) {
    for (int i = name == kDefaultNetwork ? 0 : 1; i < 1000 && o.bridge.empty(); ++i) {
      std::string b = str("rt", i);
      if (!link_exists(b) && std::find(bridges.begin(), bridges.end(), b) == bridges.end()) o.bridge = b;
    }
  } else if (o.bridge.size() >= IFNAMSIZ || o.bridge.find_first_of("/ :") != std::string::npos) {
    throw Error(str("invalid bridge name '", o.bridge, "' (at most 15 characters, no / : or space)"));
  } else if (std::find(bridges.begin(), bridges.end(), o.bridge) != bridges.end()) {
    throw Error(str("bridge ", o.bridge, " belongs to another network"));
  }

  json range = {{"subnet", o.subnet}, {"gateway", o.gateway}};
  json ipam = {{"type", "host-local"}, {"ranges", json::array({json::array({range})})}};
  if (!o.internal) ipam["routes"] = json::array({{{"dst", "0.0.0.0/0"}}});
  json bridge = {{"type", "bridge"},
                 {"bridge", o.bridge},
                 {"isGateway", true},
                 {"ipMasq", !o.internal},
                 {"hairpinMode", true},
                 {"ipam", ipam},
                 {"capabilities", {{"ips", true}}}};
  json l = {{"cniVersion", "1.0.0"},
            {"name", name},
            {"plugins", json::array({bridge,
                                     {{"type", "portmap"}, {"snat", true}, {"capabilities", {{"portMappings", true}}}},
                                     {{"type", "firewall"}, {"backend", "iptables"}}})}};
  // Last: it takes the bridge from the result, and adds its name server to it.
  if (o.dns) l["plugins"].push_back({{"type", "dnsname"}, {"domainName", kDnsDomain}});
  mkdir_p(networks_dir(), 0755);
  // Atomically, and never over a network written meanwhile: a temporary
  // file, then link(2), which fails when the name exists.
  std::string tmp = str(path, ".tmp.", ::getpid());
  write_file_atomic(tmp, l.dump(2) + "\n", 0644);
  int r = ::link(tmp.c_str(), path.c_str());
  int e = errno;
  ::unlink(tmp.c_str());
  if (r != 0) {
    if (e == EEXIST) throw Error(str("network ", name, " exists already (", path, ")"));
    throw_errno(str("cannot write ", path), e);
  }
  log::step("wrote network ", name, " (", o.subnet, " on ", o.bridge, ")");
  return l;
}

json load_network(const std::string& name, const NetworkOptions& defaults) {
  check_network_name(name);
  std::string path = path_of(name);
  if (!path_exists(path)) {
    if (name != kDefaultNetwork)
      throw Error(str("no network ", name, " (rt-net ls lists them; rt-net create ", name, " makes one)"));
    try {
      return create_network(name, defaults);
    } catch (const Error&) {
      if (!path_exists(path)) throw;  // another rt-net wrote it meanwhile: use that
    }
  }
  json l = read_conflist(path);
  if (l["name"] != name) throw Error(str(path, ": its name is ", l["name"].dump(), ", not ", name));
  return l;
}

void remove_network(const std::string& name) {
  check_network_name(name);
  std::string path = path_of(name);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) throw Error(str("no network ", name));
    throw_errno(str("cannot remove ", path));
  }
}

}  // namespace rt::net
