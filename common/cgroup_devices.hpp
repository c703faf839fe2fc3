// Device access rules for a cgroup: the v1 devices controller's rule lines,
// and on cgroup v2 the equivalent BPF_PROG_TYPE_CGROUP_DEVICE program.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rt::cgroup {

// Access bits, as the kernel's BPF_DEVCG_ACC_* (and v1's "m", "r", "w").
inline constexpr unsigned kDevMknod = 1, kDevRead = 2, kDevWrite = 4, kDevAll = 7;

// One allow rule. type: 'a' (any), 'c' (char) or 'b' (block); major/minor
// -1 for "*".
struct DeviceRule {
  char type;
  int64_t major;
  int64_t minor;
  unsigned access;
};

// What Docker allows by default: mknod of any node; open/read/write only of
// null, zero, full, random, urandom, tty, console, ptmx and pts/*.
const std::vector<DeviceRule>& docker_device_rules();

// "c 1:3 rwm": a line for the v1 devices.allow file.
std::string v1_rule_line(const DeviceRule& r);

// Load a BPF_PROG_TYPE_CGROUP_DEVICE program that allows exactly `rules`
// (everything else denied). Returns its fd; throws rt::Error (with the
// verifier's first line when it rejects the program).
int load_device_program(const std::vector<DeviceRule>& rules);
// Attach program `prog_fd` to the cgroup v2 directory `dir` (BPF_CGROUP_DEVICE,
// BPF_F_ALLOW_MULTI: programs of the ancestors still apply). Throws rt::Error.
void attach_device_program(const std::string& dir, int prog_fd);

}  // namespace rt::cgroup
