// The cgroupfs path systemd gives a unit named the way OCI runtimes name
// it under --systemd-cgroup (linux.cgroupsPath "SLICE:PREFIX:NAME").
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace rt::cgroup {

struct SystemdUnit {
  std::string slice;  // SLICE, system.slice when empty
  std::string unit;   // PREFIX-NAME.scope, NAME.scope, or NAME when it is a .slice
  std::string path;   // as systemd_path()
};

// "SLICE:PREFIX:NAME" as the unit and its slice. Throws as systemd_path().
SystemdUnit systemd_unit(std::string_view spec, std::string_view what = "cgroupsPath");

// "SLICE:PREFIX:NAME" as the path, from a hierarchy's root, of the unit
// systemd would make: SLICE expanded at its dashes (a-b.slice ->
// /a.slice/a-b.slice; "-.slice" is the root; empty is system.slice), then
// PREFIX-NAME.scope (NAME.scope without a PREFIX; NAME itself when it is a
// .slice). Throws rt::Error naming WHAT when the value is malformed.
std::string systemd_path(std::string_view spec, std::string_view what = "cgroupsPath");

}  // namespace rt::cgroup
