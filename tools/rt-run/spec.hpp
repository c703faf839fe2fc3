// What `rt-run` was asked for, validated: the options parsed into plain
// data, before anything is created.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "chain.hpp"

namespace rt::run {

struct Spec {
  // What to run.
  std::string rootfs;  // --rootfs/-f DIR (absolute)
  std::string image;   // IMAGE (when no --rootfs)
  std::vector<std::string> command;
  std::optional<std::vector<std::string>> entrypoint;  // --entrypoint ("" = none)
  std::string pull = "missing";                        // missing | always | never

  // Identity and lifecycle.
  std::string name;
  bool detach = false, auto_remove = false, interactive = false, tty = false;
  bool explain = false;
  std::string log_level;

  // Process.
  std::vector<std::string> env;  // K=V, in order (-e and --env-file)
  std::string workdir, user, hostname;
  std::vector<std::string> cap_add, cap_drop;
  std::string seccomp = "default";  // default | unconfined | FILE
  bool no_new_privs = true;
  bool init = false;

  // Filesystem.
  std::vector<std::string> volumes;  // SRC:DST[:ro] with SRC absolute
  std::vector<std::string> tmpfs;    // DST[:OPTS]
  bool read_only = false;
  // --storage-driver, else RT_STORAGE_DRIVER ("" or auto: rt-run chooses);
  // storage_from names where it came from, for messages.
  std::string storage_driver, storage_from;

  // Resources (passed to rt-cgroup as given, validated here).
  std::string memory, memory_swap, cpus, cpu_shares, cpuset_cpus, pids_limit, cgroup_parent;

  // Network.
  std::string network = "none";      // none | host | bridge | NAME | container:NAME | ns:PATH | pasta | slirp4netns
  bool host_loopback = false;        // pasta:host-loopback, slirp4netns:host-loopback
  std::string ip;                    // --ip
  std::vector<std::string> publish;  // -p specs, validated
  bool publish_all = false;          // -P: the image's ExposedPorts
  std::vector<std::string> dns, dns_search, dns_options;  // for /etc/resolv.conf
  std::vector<std::string> add_hosts;                     // NAME:IP, validated

  std::vector<std::string> hooks;  // STAGE=PROGRAM
};

// True for the user-mode networks, pasta and slirp4netns: rt-net attaches
// a helper to the namespace the chain makes, before the chain goes on.
inline bool user_network(const Spec& s) { return s.network == "pasta" || s.network == "slirp4netns"; }

// True when the network is one of rt-net's CNI networks (bridge or a named
// network): rt-net sets it up before the chain and tears it down after.
inline bool cni_network(const Spec& s) {
  return s.network != "none" && s.network != "host" && s.network.rfind("container:", 0) != 0 &&
         s.network.rfind("ns:", 0) != 0 && !user_network(s);
}

// Options rt-run understands, for --help and parsing.
void add_options(po::options_description& desc);
// Turn the parsed options and the words after them (IMAGE/COMMAND) into a
// Spec. Throws rt::Error with a one-line message on any bad value.
Spec make_spec(const po::variables_map& vm, const std::vector<std::string>& rest);

}  // namespace rt::run
