// Published ports: docker's -p/--publish syntax, parsed into the port
// mappings the CNI portmap plugin takes.
//
//   [IP:][HOSTPORT:]CTRPORT[/tcp|udp]    one port
//   [IP:][HOSTA-HOSTB:]CTRA-CTRB[/PROTO] a range (both of the same length)
//
// IP may be an IPv6 address in brackets ([::1]:8080:80). A host port left
// out (or 0) is chosen when the network is set up.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rt {

struct PortMapping {
  std::string host_ip;     // "" = every address
  uint16_t host_port = 0;  // 0 = to be chosen
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp | udp
};

// One -p value, a range expanded. Throws rt::Error naming the value.
std::vector<PortMapping> parse_publish(const std::string& spec);
// "IP:HOST->CTR/PROTO" as docker ps shows it ("0.0.0.0" for every address).
std::string port_text(const PortMapping& m);

}  // namespace rt
