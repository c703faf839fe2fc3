// User-mode networking: a container of an unprivileged user reaches the
// outside (and is reached on its published ports) through a helper process
// of the user's own, pasta (Debian's passt) or slirp4netns, which carries
// its traffic through ordinary sockets on the host. No bridge, no firewall
// rule, no root.
#pragma once
#include <optional>
#include <string>

namespace rt::usernet {

inline constexpr const char* kPasta = "pasta";
inline constexpr const char* kSlirp = "slirp4netns";

// True for "pasta" and "slirp4netns", the network names of user-mode
// networking (reserved: no CNI network takes them).
bool is_user_mode(const std::string& network);
// The Debian package a helper comes from.
const char* package_of(const std::string& tool);
// Why `tool` cannot work here (not installed; /dev/net/tun missing or not
// readable and writable by the caller), naming the remedy; nullopt when it
// can.
std::optional<std::string> unusable(const std::string& tool);
// The host's address inside a container on `tool`'s network, which
// --add-host NAME:host-gateway names: slirp4netns's 10.0.2.2; pasta's
// gateway, the one of the host's first IPv4 default route, which pasta
// copies. The host's own 127.0.0.1 answers there with host-loopback only.
// nullopt when there is none.
std::optional<std::string> host_address(const std::string& tool);
// The gateway of the first IPv4 default route in `route_text` (the text of
// /proc/net/route); nullopt when there is none.
std::optional<std::string> default_gateway4(const std::string& route_text);
// The user-mode network a user gets by default: pasta, else slirp4netns,
// the first one usable; nullopt when neither is, and `why` says why.
std::optional<std::string> default_network(std::string& why);

}  // namespace rt::usernet
