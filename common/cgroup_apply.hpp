// Writing limits into a group's directories: helpers of cgroup_group.cpp
// (no tool includes this).
#pragma once
#include <string>
#include <vector>

#include "cgroup_files.hpp"
#include "cgroup_host.hpp"
#include "cgroup_limits.hpp"

namespace rt::cgroup {

// Refuse a wanted cpuset the nearest existing ancestor `anc_dir` does not
// have (rt::Error naming what it has). `cpus`: CPUs, else memory nodes.
void check_cpuset(const Hierarchy& h, const std::string& anc_dir, const std::string& want, bool cpus);
// v1: a new cpuset group has no cpus and mems, and no task can join it
// until they are set: copy them from the parent (only into groups rt made).
void init_cpuset_v1(const std::string& dir, const std::string& cpus, const std::string& mems);
// The limits that exist on v1 only: refused on v2 before anything is made.
void check_v1_only(const Limits& l, const std::string& where);
// Write the limits into the v1 group `dir` of `h`. `update`: an existing
// group; only what `l` gives is written, no defaults. `fresh`: a group this
// process just made, whose limits are the kernel's defaults (none), so
// none is read first. `bpf_devices`: the device rules go to a BPF program
// on v2, not to this hierarchy.
void apply_v1(const Hierarchy& h, const GroupDir& dir, const Limits& l, bool bpf_devices, bool update = false,
              bool fresh = false);
// Write device rules into the v1 devices group `dir` (devices.deny,
// devices.allow, in the order v1_device_writes gives). Throws rt::Error
// "cannot set FILE to LINE in DIR: why".
void set_v1_devices(const GroupDir& dir, const std::vector<DeviceRule>& rules);
// Write the limits into the v2 group at `dir`, whose controllers `enabled`
// are on.
void apply_v2(const std::string& dir, const std::vector<std::string>& enabled, const Limits& l, bool update = false);

}  // namespace rt::cgroup
