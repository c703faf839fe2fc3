// rt-net's user-mode networks, pasta and slirp4netns (common/usernet.hpp):
// a helper process of the caller's own attaches to a container's network
// namespace, makes a tap device there, and carries its traffic (and the
// published ports) through sockets on the host. rt-net starts it, records
// its pid, and stops it by that pid on `down`.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

#include "cni.hpp"
#include "ports.hpp"

namespace rt::net {

struct UserModeUp {
  std::string tool;                // pasta | slirp4netns
  pid_t target = 0;                // a process in the namespace: /proc/PID/ns/net and its user namespace
  std::string ifname;              // the tap device's name inside
  std::vector<PortMapping> ports;  // host ports chosen already
  bool host_loopback = false;      // the gateway address reaches the host's 127.0.0.1
  std::string dir;                 // rt-net's state directory (a socket of slirp4netns's, while up runs)
  std::string id;
};

// Start the helper and return once the namespace is configured (and the
// ports published): {"program", "pid", "start"} for the record, and "ips",
// the container's addresses where known. Throws rt::Error with the helper's
// own message; on failure no helper is left running.
json usermode_up(const UserModeUp& u);
// Stop the helper a record names (`helper`: what usermode_up returned), by
// pid, when it is still that process. Idempotent.
void usermode_down(const json& helper);

}  // namespace rt::net
