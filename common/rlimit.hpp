// Resource limits by name, as rt-exec --rlimit takes them and rt-oci checks
// a config's process.rlimits before anything is made.
#pragma once
#include <sys/resource.h>

#include <string>

namespace rt {

struct Rlimit {
  int resource;
  std::string name;
  rlimit value;
};
// "nofile=1024:4096", "core=0", "stack=unlimited", "RLIMIT_NOFILE=8"
// (HARD defaults to SOFT). Throws rt::Error "invalid WHAT 'SPEC': why".
Rlimit parse_rlimit(const std::string& spec, const std::string& what = "--rlimit");

}  // namespace rt
