#include "cni.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "error.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "paths.hpp"
#include "process.hpp"

namespace rt::net {

std::vector<std::string> plugin_dirs() {
  if (const char* p = std::getenv("CNI_PATH"); p && *p) return split(p, ':');
  return {"/usr/lib/cni", "/opt/cni/bin"};
}

std::string find_plugin(const std::string& type) {
  if (type.empty() || type.find('/') != std::string::npos || type[0] == '.')
    throw Error(str("invalid CNI plugin type '", type, "'"));
  for (const auto& d : plugin_dirs())
    if (!d.empty() && ::access((d + "/" + type).c_str(), X_OK) == 0) return d + "/" + type;
  const char* package =
      type == "dnsname" ? "golang-github-containernetworking-plugin-dnsname" : "containernetworking-plugins";
  throw Error(str("CNI plugin '", type, "' not found in ", join(plugin_dirs(), ":"), " (install the Debian package ",
                  package, ", or set CNI_PATH)"));
}

std::string dnsname_dir() { return default_state_root() + "/cni-dnsname"; }

namespace {

// One plugin's configuration as the runtime hands it over: the plugin's own
// object plus the list's name and version, the capability arguments it
// declared, and the previous result.
json plugin_config(const json& list, const json& plugin, const Attachment& a, const json& prev) {
  json c = plugin;
  c["cniVersion"] = list.value("cniVersion", "1.0.0");
  c["name"] = list.at("name");
  json rc = json::object();
  if (plugin.contains("capabilities"))
    for (const auto& [cap, on] : plugin["capabilities"].items())
      if (on.is_boolean() && on.get<bool>() && a.runtime_config.contains(cap)) rc[cap] = a.runtime_config[cap];
  c.erase("capabilities");
  // host-local keeps its leases under rt's state root (RT_STATE/cni-ipam),
  // not in the host-wide /var/lib/cni/networks: they go with the state
  // (a tmpfs at /run/rt, as leases do not outlive a boot) and never mix
  // with another tool's or another RT_STATE's network of the same name.
  if (c.contains("ipam") && c["ipam"].is_object() && c["ipam"].value("type", "") == "host-local" &&
      !c["ipam"].contains("dataDir"))
    c["ipam"]["dataDir"] = default_state_root() + "/cni-ipam";
  if (!rc.empty()) c["runtimeConfig"] = rc;
  if (!prev.is_null()) c["prevResult"] = prev;
  return c;
}

void restore_env(const char* name, bool changed, const std::optional<std::string>& old) {
  if (!changed) return;
  if (old) ::setenv(name, old->c_str(), 1);
  else ::unsetenv(name);
}

// Run one plugin: config in on a memfd, result out. Throws rt::Error with
// the plugin's own error message.
json exec_plugin(const std::string& command, const json& conf, const Attachment& a) {
  std::string type = conf.value("type", "");
  std::string prog = find_plugin(type);
  std::string text = conf.dump();
  UniqueFd in = input_fd("cni-config", text);
  // The plugin reads its parameters from the environment: set ours (rt-net
  // runs nothing else meanwhile).
  ::setenv("CNI_COMMAND", command.c_str(), 1);
  ::setenv("CNI_CONTAINERID", a.container_id.c_str(), 1);
  ::setenv("CNI_NETNS", a.netns.c_str(), 1);
  ::setenv("CNI_IFNAME", a.ifname.c_str(), 1);
  ::setenv("CNI_PATH", join(plugin_dirs(), ":").c_str(), 1);
  // dnsname names the container after K8S_POD_NAME, and keeps its files
  // under XDG_RUNTIME_DIR (else in the host-wide /run/containers).
  if (a.name.empty()) ::unsetenv("CNI_ARGS");
  else ::setenv("CNI_ARGS", str("IgnoreUnknown=1;K8S_POD_NAME=", a.name).c_str(), 1);
  // Only for that plugin: rt's own state root may come from it.
  std::optional<std::string> xdg;
  if (type == "dnsname") {
    std::string dir = dnsname_dir();
    if (const char* v = std::getenv("XDG_RUNTIME_DIR")) xdg = v;
    ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  }
  std::string out;
  int rc;
  try {
    rc = run_and_read({prog}, out, {.in = in.get()});
  } catch (...) {
    restore_env("XDG_RUNTIME_DIR", type == "dnsname", xdg);
    throw;
  }
  restore_env("XDG_RUNTIME_DIR", type == "dnsname", xdg);
  log::step("CNI ", command, " ", type, ": exit ", rc);
  std::string what = str("CNI ", command, " of plugin ", type, " on network ", conf.value("name", "?"));
  json result;
  if (!out.empty()) {
    result = json::parse(out, nullptr, false);
    if (result.is_discarded() && rc == 0) throw Error(str(what, ": the plugin's output is not JSON"));
  }
  if (rc != 0) {
    std::string msg = str("exit status ", rc);
    if (result.is_object() && result.contains("msg")) {
      msg = result["msg"].is_string() ? result["msg"].get<std::string>() : result["msg"].dump();
      if (result.contains("details") && result["details"].is_string() && !result["details"].get<std::string>().empty())
        msg += ": " + result["details"].get<std::string>();
    }
    throw Error(str(what, ": ", msg));
  }
  return result;
}

}  // namespace

json cni_add(const json& list, const Attachment& a) {
  json prev;
  try {
    for (const auto& plugin : list.at("plugins")) prev = exec_plugin("ADD", plugin_config(list, plugin, a, prev), a);
  } catch (const Error&) {
    try {
      cni_del(list, a, prev);
    } catch (const Error& e) {
      warn(str("cleaning up after a failed ADD: ", e.what()));
    }
    throw;
  }
  return prev;
}

void cni_del(const json& list, const Attachment& a, const json& prev_result) {
  std::string first;
  const json& plugins = list.at("plugins");
  for (auto it = plugins.rbegin(); it != plugins.rend(); ++it) {
    try {
      exec_plugin("DEL", plugin_config(list, *it, a, prev_result), a);
    } catch (const Error& e) {
      if (first.empty()) first = e.what();
      else warn(e.what());
    }
  }
  if (!first.empty()) throw Error(first);
}

}  // namespace rt::net
