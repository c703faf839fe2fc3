#include "usernet.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cstdlib>

#include "error.hpp"
#include "fs.hpp"
#include "parse.hpp"

namespace rt::usernet {

bool is_user_mode(const std::string& network) { return network == kPasta || network == kSlirp; }

const char* package_of(const std::string& tool) { return tool == kPasta ? "passt" : "slirp4netns"; }

namespace {

// A default route in the host's IPv4 or IPv6 table.
bool has_default_route() {
  if (auto v4 = try_read_file("/proc/net/route"))
    for (const auto& line : split(*v4, '\n')) {
      auto f = split(line, '\t');
      if (f.size() > 2 && f[1] == "00000000" && f[0] != "Iface") return true;
    }
  if (auto v6 = try_read_file("/proc/net/ipv6_route"))
    for (const auto& line : split(*v6, '\n'))
      if (starts_with(line, "00000000000000000000000000000000 00 ") && line.find(" lo") == std::string::npos)
        return true;
  return false;
}

}  // namespace

std::optional<std::string> default_gateway4(const std::string& route_text) {
  for (const auto& line : split(route_text, '\n')) {
    auto f = split(line, '\t');
    // Iface Destination Gateway Flags ...: a default route through a gateway
    // (RTF_GATEWAY, 0x2); the address as the kernel stores it, in hex.
    if (f.size() < 4 || f[0] == "Iface" || f[1] != "00000000") continue;
    unsigned long flags = std::strtoul(f[3].c_str(), nullptr, 16);
    if (!(flags & 0x2) || f[2].size() != 8) continue;
    in_addr a{};
    a.s_addr = static_cast<uint32_t>(std::strtoul(f[2].c_str(), nullptr, 16));
    char buf[INET_ADDRSTRLEN];
    if (a.s_addr != 0 && ::inet_ntop(AF_INET, &a, buf, sizeof buf)) return std::string(buf);
  }
  return std::nullopt;
}

std::optional<std::string> host_address(const std::string& tool) {
  if (tool == kSlirp) return std::string("10.0.2.2");
  return default_gateway4(try_read_file("/proc/net/route").value_or(""));
}

std::optional<std::string> unusable(const std::string& tool) {
  if (find_on_path(tool).empty()) return str(tool, " is not installed (Debian package ", package_of(tool), ")");
  // The helper makes a tap device in the container's namespace.
  if (::access("/dev/net/tun", R_OK | W_OK) != 0) {
    int e = errno;
    return str(tool, " needs /dev/net/tun, which ",
               e == ENOENT ? "does not exist here (as root: modprobe tun)"
                           : "you cannot open for reading and writing (as root: chmod 0666 /dev/net/tun, the "
                             "mode distributions give it)");
  }
  // pasta copies the addresses and routes of the host's interface with the
  // default route, and refuses to start on a host without one.
  if (tool == kPasta && !has_default_route())
    return str("pasta needs a default route on the host to copy, and there is none (slirp4netns does not)");
  return std::nullopt;
}

std::optional<std::string> default_network(std::string& why) {
  auto pasta = unusable(kPasta);
  if (!pasta) return std::string(kPasta);
  auto slirp = unusable(kSlirp);
  if (!slirp) return std::string(kSlirp);
  why = *pasta + "; " + *slirp;
  return std::nullopt;
}

}  // namespace rt::usernet
