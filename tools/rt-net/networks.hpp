// Networks: CNI conflist files in rt's configuration directory
// (RT_CONFIG/networks/NAME.conflist). The default network, "bridge", is
// written on first use.
#pragma once
#include <string>
#include <vector>

#include "cni.hpp"

namespace rt::net {

inline constexpr const char* kDefaultNetwork = "bridge";

struct NetworkOptions {
  std::string subnet;     // CIDR; chosen when empty
  std::string gateway;    // first address of the subnet when empty
  std::string bridge;     // rt0 for the default network, rtN otherwise
  bool internal = false;  // no outbound NAT, no default route
  bool dns = false;       // the dnsname plugin: containers resolve each other by name
};

// The domain of the names dnsname serves (NAME and NAME.dns.rt).
inline constexpr const char* kDnsDomain = "dns.rt";
// Whether names can be served here: the dnsname plugin and dnsmasq are
// installed. Otherwise `why` says what is missing.
bool dns_available(std::string& why);

std::string networks_dir();
// Names: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 64; none and host are modes.
void check_network_name(const std::string& name);
// The conflist of NAME (the default network is created with `defaults` when
// missing). Throws rt::Error when there is no such network.
json load_network(const std::string& name, const NetworkOptions& defaults = {});
// Write a new network's conflist; throws when NAME exists or an option is
// bad. Returns the conflist.
json create_network(const std::string& name, NetworkOptions o);
std::vector<std::string> list_networks();
void remove_network(const std::string& name);
// The bridge device and subnet a conflist names ("" when not a bridge one).
std::string bridge_of(const json& conflist);
std::string subnet_of(const json& conflist);

}  // namespace rt::net
