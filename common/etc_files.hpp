// A container's /etc/hosts, /etc/hostname and /etc/resolv.conf, made as
// docker makes them: written in the container's state directory and
// bind-mounted over the image's (which is never modified).
//
//   hosts        localhost (v4 and v6), the --add-host entries, then the
//                container's hostname on each of its addresses; with the
//                host's network, the host's /etc/hosts plus --add-host
//   hostname     the container's hostname
//   resolv.conf  --dns/--dns-search/--dns-option (the rest from the
//                host's), else the network's DNS (CNI result), else the
//                host's with loopback (and IPv6) name servers dropped; with
//                none left, Google's public servers as docker, and the file
//                says so; with the host's network, the host's as it is
//
// rt-net writes them for a CNI network (it has the addresses and the
// result's DNS); rt-run for the other modes.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rt::etc {

struct Dns {
  std::vector<std::string> nameservers, search, options;
  bool empty() const { return nameservers.empty() && search.empty() && options.empty(); }
};

// nameserver, search (domain when no search), options lines; the rest is
// ignored.
Dns parse_resolv_conf(std::string_view text);
// The file: `comment` first (each line with "# "), then search,
// nameservers, options.
std::string resolv_conf_text(const Dns& d, std::string_view comment = "");

// docker's --add-host NAME:IP; IP may be an IPv6 address (NAME:::1 or
// NAME:[::1]) or host-gateway. Throws rt::Error naming the value.
struct HostEntry {
  std::string name, ip;
};
HostEntry parse_add_host(const std::string& spec);
inline constexpr const char* kHostGateway = "host-gateway";

// What a container's files are made from.
struct Request {
  std::string hostname;
  std::vector<std::string> addresses;  // the container's own (no prefix length)
  std::vector<HostEntry> add_hosts;    // host-gateway already resolved
  Dns asked;                           // --dns, --dns-search, --dns-option
  std::optional<Dns> network;          // the CNI result's DNS
  bool host_network = false;           // the host's files, as they are
  bool resolv = true;                  // false: no resolv.conf (--network none)
};

struct Texts {
  std::string hosts, hostname, resolv;  // resolv empty when !Request::resolv
  std::string note;                     // what was used instead of the host's name servers, if anything
};

// The files' text. host_hosts and host_resolv are the host's /etc/hosts and
// /etc/resolv.conf; alt_resolv the resolver's own list when the host's
// names only a local stub (systemd-resolved's /run/systemd/resolve/resolv.conf).
Texts make_texts(const Request& r, std::string_view host_hosts, std::string_view host_resolv,
                 std::string_view alt_resolv = "");

// make_texts with the host's files read here, written to DIR/hosts,
// DIR/hostname, DIR/resolv.conf (0644, atomically). A note is also
// printed as a warning. Throws rt::Error.
Texts write_files(const std::string& dir, const Request& r);

// rt-mount --bind values for the files in DIR.
std::vector<std::string> bind_specs(const std::string& dir, bool resolv);

}  // namespace rt::etc
