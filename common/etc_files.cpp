#include "etc_files.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "error.hpp"
#include "format.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"

namespace rt::etc {

namespace {

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    size_t j = line.find_first_of(" \t", i);
    if (j == std::string_view::npos) j = line.size();
    if (j > i) out.emplace_back(line.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool is_ip4(const std::string& s) {
  unsigned char b[16];
  return ::inet_pton(AF_INET, s.c_str(), b) == 1;
}
bool is_ip6(const std::string& s) {
  unsigned char b[16];
  return ::inet_pton(AF_INET6, s.c_str(), b) == 1;
}

// A name server a container on its own network cannot reach: the host's
// loopback (127.0.0.0/8, ::1), and IPv6 ones (rt's networks are IPv4).
bool unreachable(const std::string& ns) { return ns.starts_with("127.") || !is_ip4(ns); }

const char* kLocalhost =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

}  // namespace

Dns parse_resolv_conf(std::string_view text) {
  Dns d;
  std::vector<std::string> domain;
  for (const auto& line : split(text, '\n')) {
    auto w = words(line);
    if (w.size() < 2 || w[0][0] == '#' || w[0][0] == ';') continue;
    if (w[0] == "nameserver") d.nameservers.push_back(w[1]);
    else if (w[0] == "search") d.search.assign(w.begin() + 1, w.end());
    else if (w[0] == "domain") domain = {w[1]};
    else if (w[0] == "options") d.options.insert(d.options.end(), w.begin() + 1, w.end());
  }
  if (d.search.empty()) d.search = domain;
  return d;
}

std::string resolv_conf_text(const Dns& d, std::string_view comment) {
  std::string out;
  if (!comment.empty())
    for (const auto& l : split(comment, '\n')) out += str("# ", l, "\n");
  if (!d.search.empty()) out += str("search ", join(d.search, " "), "\n");
  for (const auto& ns : d.nameservers) out += str("nameserver ", ns, "\n");
  if (!d.options.empty()) out += str("options ", join(d.options, " "), "\n");
  return out;
}

HostEntry parse_add_host(const std::string& spec) {
  // NAME:IP, NAME=IP (docker accepts both); the IP may hold colons (IPv6).
  auto sep = spec.find_first_of(":=");
  HostEntry e;
  if (sep != std::string::npos) e = {spec.substr(0, sep), spec.substr(sep + 1)};
  if (e.ip.size() > 2 && e.ip.front() == '[' && e.ip.back() == ']') e.ip = e.ip.substr(1, e.ip.size() - 2);
  if (e.name.empty() || e.ip.empty())
    throw Error(str("invalid --add-host '", spec, "' (expected NAME:IP or NAME:host-gateway)"));
  if (e.name.find_first_of(" \t\n#") != std::string::npos)
    throw Error(str("invalid --add-host '", spec, "': the name holds a space or #"));
  if (e.ip != kHostGateway && !is_ip4(e.ip) && !is_ip6(e.ip))
    throw Error(str("invalid --add-host '", spec, "': '", e.ip, "' is not an IP address (nor host-gateway)"));
  return e;
}

Texts make_texts(const Request& r, std::string_view host_hosts, std::string_view host_resolv,
                 std::string_view alt_resolv) {
  Texts t;
  t.hostname = r.hostname + "\n";

  t.hosts = r.host_network ? std::string(host_hosts) : kLocalhost;
  if (!t.hosts.empty() && t.hosts.back() != '\n') t.hosts += '\n';
  for (const auto& h : r.add_hosts) t.hosts += str(h.ip, "\t", h.name, "\n");
  if (!r.host_network)
    for (const auto& a : r.addresses) t.hosts += str(a, "\t", r.hostname, "\n");

  if (!r.resolv) return t;
  if (r.host_network && r.asked.empty()) {
    t.resolv = host_resolv;
    return t;
  }
  // The host's, without what the container cannot reach.
  Dns host = parse_resolv_conf(host_resolv);
  auto usable = [&](Dns d) {
    if (r.host_network) return d;
    std::erase_if(d.nameservers, unreachable);
    return d;
  };
  Dns base = usable(host);
  if (base.nameservers.empty() && !alt_resolv.empty()) {
    Dns alt = usable(parse_resolv_conf(alt_resolv));
    if (!alt.nameservers.empty()) base = alt;
  }
  if (base.nameservers.empty()) {
    base.nameservers = {"8.8.8.8", "8.8.4.4"};
    t.note =
        str("the host's resolv.conf names no name server the container can reach (",
            host.nameservers.empty() ? "none at all" : join(host.nameservers, " "), "): using 8.8.8.8 and 8.8.4.4");
  }
  Dns d = base;
  if (!r.asked.empty()) {
    if (!r.asked.nameservers.empty()) d.nameservers = r.asked.nameservers, t.note.clear();
    if (!r.asked.search.empty()) d.search = r.asked.search;
    if (!r.asked.options.empty()) d.options = r.asked.options;
  } else if (r.network && !r.network->nameservers.empty()) {
    // The network's name servers (dnsname's, which forwards the rest);
    // its search domains first, then the host's.
    d.nameservers = r.network->nameservers;
    t.note.clear();
    std::vector<std::string> search = r.network->search;
    for (const auto& s : base.search)
      if (std::find(search.begin(), search.end(), s) == search.end()) search.push_back(s);
    d.search = search;
    if (!r.network->options.empty()) d.options = r.network->options;
  }
  t.resolv = resolv_conf_text(d, t.note.empty() ? "" : "rt: " + t.note);
  return t;
}

Texts write_files(const std::string& dir, const Request& r) {
  // Only the host's files make_texts uses: its hosts on the host's network,
  // its resolv.conf where the container gets one (not with --network none).
  std::string hosts = r.host_network ? try_read_file("/etc/hosts").value_or("") : "";
  std::string resolv = r.resolv ? try_read_file("/etc/resolv.conf").value_or("") : "";
  std::string alt = r.resolv ? try_read_file("/run/systemd/resolve/resolv.conf").value_or("") : "";
  Texts t = make_texts(r, hosts, resolv, alt);
  write_file_atomic(dir + "/hosts", t.hosts, 0644, false);
  write_file_atomic(dir + "/hostname", t.hostname, 0644, false);
  if (r.resolv) write_file_atomic(dir + "/resolv.conf", t.resolv, 0644, false);
  if (!t.note.empty()) warn(t.note);
  log::step("wrote hosts, hostname", r.resolv ? ", resolv.conf" : "", " in ", dir);
  return t;
}

std::vector<std::string> bind_specs(const std::string& dir, bool resolv) {
  std::vector<std::string> out{dir + "/hosts:/etc/hosts", dir + "/hostname:/etc/hostname"};
  if (resolv) out.push_back(dir + "/resolv.conf:/etc/resolv.conf");
  return out;
}

}  // namespace rt::etc
