// rt's groups below a parent: listed, and the stale ones collected.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "cgroup_host.hpp"

namespace rt::cgroup {

struct Listed {
  std::string name;               // NAME of rt-NAME
  std::vector<std::string> dirs;  // where it exists
  bool in_use = false;            // its supervisor holds the lock
  size_t processes = 0;
};

// Every rt-* group below `parent` ("" = the caller's cgroups).
std::vector<Listed> list(const Host& host, const std::string& parent);

struct Collected {
  std::string name;
  std::vector<std::string> dirs;
  std::string skipped;  // why it was left ("" = removed)
};
// Remove the rt-* groups below `parent` (only `only` when not empty) whose
// supervisor is gone (no lock) and that have no process left.
std::vector<Collected> gc(const Host& host, const std::string& parent, const std::string& only = "");

}  // namespace rt::cgroup
