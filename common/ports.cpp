#include "ports.hpp"

#include <arpa/inet.h>

#include "error.hpp"
#include "parse.hpp"

namespace rt {

namespace {

struct Range {
  uint16_t first = 0, count = 0;  // first 0: not given
};

Range parse_range(const std::string& s, const std::string& spec, bool allow_empty) {
  auto bad = [&](const std::string& why) -> Error {
    return Error(str("invalid --publish '", spec, "': ", why, " (expected [IP:][HOSTPORT:]CTRPORT[/tcp|udp])"));
  };
  if (s.empty()) {
    if (allow_empty) return {};
    throw bad("no container port");
  }
  auto dash = s.find('-');
  auto num = [&](const std::string& n) -> uint16_t {
    if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos || n.size() > 5)
      throw bad(str("'", n, "' is not a port number"));
    unsigned long v = std::stoul(n);
    if (v < 1 || v > 65535) throw bad(str("port ", n, " is out of range 1-65535"));
    return static_cast<uint16_t>(v);
  };
  if (dash == std::string::npos) return {num(s), 1};
  uint16_t a = num(s.substr(0, dash)), b = num(s.substr(dash + 1));
  if (b < a) throw bad(str("range ", s, " ends before it starts"));
  return {a, static_cast<uint16_t>(b - a + 1)};
}

}  // namespace

std::vector<PortMapping> parse_publish(const std::string& spec) {
  std::string rest = spec, proto = "tcp", ip;
  if (auto slash = rest.rfind('/'); slash != std::string::npos) {
    proto = rest.substr(slash + 1);
    rest.resize(slash);
    if (proto != "tcp" && proto != "udp")
      throw Error(str("invalid --publish '", spec, "': protocol '", proto, "' is not tcp or udp"));
  }
  if (!rest.empty() && rest[0] == '[') {  // [IPv6]:HOST:CTR
    auto close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      throw Error(str("invalid --publish '", spec, "': an IPv6 address goes in brackets, [ADDR]:HOSTPORT:CTRPORT"));
    ip = rest.substr(1, close - 1);
    rest = rest.substr(close + 2);
    auto f = split(rest, ':');
    if (f.size() != 2) throw Error(str("invalid --publish '", spec, "': expected [ADDR]:HOSTPORT:CTRPORT"));
    rest = f[0] + ":" + f[1];
  }
  auto f = split(rest, ':');
  std::string host, ctr;
  if (f.size() == 1) ctr = f[0];
  else if (f.size() == 2 && ip.empty()) host = f[0], ctr = f[1];
  else if (f.size() == 2) host = f[0], ctr = f[1];
  else if (f.size() == 3 && ip.empty()) ip = f[0], host = f[1], ctr = f[2];
  else throw Error(str("invalid --publish '", spec, "': too many ':' (expected [IP:][HOSTPORT:]CTRPORT[/tcp|udp])"));
  if (!ip.empty()) {
    unsigned char buf[16];
    if (::inet_pton(AF_INET, ip.c_str(), buf) != 1 && ::inet_pton(AF_INET6, ip.c_str(), buf) != 1)
      throw Error(str("invalid --publish '", spec, "': '", ip, "' is not an IP address"));
  }
  Range h = parse_range(host, spec, true), c = parse_range(ctr, spec, false);
  if (h.first && h.count != c.count)
    throw Error(str("invalid --publish '", spec, "': the host range and the container range differ in length"));
  std::vector<PortMapping> out;
  for (uint16_t i = 0; i < c.count; ++i)
    out.push_back(
        {ip, h.first ? static_cast<uint16_t>(h.first + i) : uint16_t{0}, static_cast<uint16_t>(c.first + i), proto});
  return out;
}

std::string port_text(const PortMapping& m) {
  std::string ip = m.host_ip.empty() ? "0.0.0.0" : m.host_ip;
  if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
  return str(ip, ":", m.host_port, "->", m.container_port, "/", m.protocol);
}

}  // namespace rt
