// Running CNI plugins as the CNI specification (1.0) says: the network
// configuration on stdin, the parameters in CNI_* environment variables,
// the result (or an error object) on stdout; a conflist's plugins chained,
// each getting the previous one's result as prevResult; DEL in reverse.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rt::net {

using json = nlohmann::ordered_json;

// Where plugins are looked for: CNI_PATH (colon-separated) or /usr/lib/cni
// (Debian's containernetworking-plugins) and /opt/cni/bin.
std::vector<std::string> plugin_dirs();
// The plugin program of TYPE, or throw rt::Error naming the package that
// installs it. Call before any side effect.
std::string find_plugin(const std::string& type);

struct Attachment {
  std::string container_id;
  std::string netns;                     // path of the namespace ("" for a DEL after it is gone)
  std::string ifname;                    // eth0
  json runtime_config = json::object();  // capability args: portMappings, ips
  std::string name;                      // the container's name (dnsname's K8S_POD_NAME), or ""
};

// Where the dnsname plugin keeps each network's dnsmasq configuration,
// hosts file and pid file (its XDG_RUNTIME_DIR): below rt's state root.
std::string dnsname_dir();

// ADD every plugin of `conflist` in order; the last result is returned. On
// failure the plugins are DELeted in reverse (as the spec asks) and an
// rt::Error names the plugin and its message.
json cni_add(const json& conflist, const Attachment& a);
// DEL every plugin in reverse, each with `prev_result` (the ADD's result).
// Every plugin is called even when one fails; the first failure is thrown.
void cni_del(const json& conflist, const Attachment& a, const json& prev_result);

}  // namespace rt::net
