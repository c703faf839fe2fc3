// Device access rules for a cgroup: the v1 devices controller's rule lines,
// and on cgroup v2 the equivalent BPF_PROG_TYPE_CGROUP_DEVICE program.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rt::cgroup {

// Access bits, as the kernel's BPF_DEVCG_ACC_* (and v1's "m", "r", "w").
inline constexpr unsigned kDevMknod = 1, kDevRead = 2, kDevWrite = 4, kDevAll = 7;

// One rule of a device list. type: 'a' (any), 'c' (char) or 'b' (block);
// major/minor -1 for "*".
struct DeviceRule {
  char type;
  int64_t major;
  int64_t minor;
  unsigned access;
  bool allow = true;
};

// What Docker allows by default: deny everything, then allow mknod of any
// node and open/read/write only of null, zero, full, random, urandom, tty,
// console, ptmx and pts/*.
const std::vector<DeviceRule>& docker_device_rules();

// "allow c 1:3 rwm", "deny a": KIND TYPE [MAJOR:MINOR [ACCESS]], MAJOR and
// MINOR numbers or '*' (default *:*), ACCESS letters of r, w, m (default
// rwm). Throws rt::Error "invalid --device-rule 'S': why".
DeviceRule parse_device_rule(const std::string& s);
// The rule in that form.
std::string device_rule_text(const DeviceRule& r);

// A list's meaning: for each access (m, r, w) a request asks for, the last
// rule of that access whose type and numbers match decides; no rule
// matches: allowed (the parent group's rules still apply above).

// "c 1:3 rwm": a line for the v1 devices.allow or devices.deny file.
std::string v1_rule_line(const DeviceRule& r);
// The lines to write, in order, that give a new v1 group (its list its
// parent's, allowing everything) exactly RULES: FILE is devices.allow or
// devices.deny. A rule of the kind the list already defaults to removes
// access only from identical earlier rules there: one that would have to
// carve into a different earlier rule is refused (throws rt::Error naming
// both; the v2 filter takes any list).
struct V1DeviceWrite {
  std::string file, line;
};
std::vector<V1DeviceWrite> v1_device_writes(const std::vector<DeviceRule>& rules);

// Load a BPF_PROG_TYPE_CGROUP_DEVICE program that decides as RULES say
// (above). Returns its fd; throws rt::Error (with the
// verifier's first line when it rejects the program).
int load_device_program(const std::vector<DeviceRule>& rules);
// Attach program `prog_fd` to the cgroup v2 directory `dir` (BPF_CGROUP_DEVICE,
// BPF_F_ALLOW_MULTI: programs of the ancestors still apply). Throws rt::Error.
void attach_device_program(const std::string& dir, int prog_fd);

}  // namespace rt::cgroup
