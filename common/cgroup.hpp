// cgroups on v1, v2 and hybrid hosts, by concern (each header says more):
//   cgroup_host.hpp    where the hierarchies are, and the Tree groups live
//                      in (the kernel's, or RT_CGROUP_FS's files for tests)
//   cgroup_names.hpp   group names and paths: rt-NAME, exact paths
//   cgroup_limits.hpp  limits from options, checked and converted
//   cgroup_group.hpp   a group: create with limits, find, join, update,
//                      kill everything in it, remove
//   cgroup_stats.hpp   what a group uses
//   cgroup_gc.hpp      rt's groups listed, stale ones collected
//   cgroup_leaf.hpp    rootless: rt's own processes in a leaf of the
//                      delegated group, so that it can enable controllers
//   cgroup_devices.hpp device rules (v1 lines, v2 BPF programs)
//   cgroup_systemd.hpp the path systemd gives a unit (rt-oci --systemd-cgroup)
// Internal to them: cgroup_files.hpp (control files), cgroup_apply.hpp
// (limits into control files). A tool that needs most of it includes this.
#pragma once
#include "cgroup_gc.hpp"
#include "cgroup_group.hpp"
#include "cgroup_host.hpp"
#include "cgroup_leaf.hpp"
#include "cgroup_limits.hpp"
#include "cgroup_names.hpp"
#include "cgroup_stats.hpp"
