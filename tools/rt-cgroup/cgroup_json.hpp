// rt-cgroup's JSON output (--stats, --list, --gc, --info with --json), with
// the field names rt-cgroup(1) documents. Only rt-cgroup prints these, so
// they live beside it; the cgroup library in common/ links no JSON code.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "cgroup.hpp"

namespace rt::cgroup {

// One object on one line (no newline). `cpu_pct` over `interval_ms`.
std::string stats_json(const std::string& name, const Stats& s, std::optional<double> cpu_pct, int64_t interval_ms);
std::string list_json(const std::vector<Listed>& groups);
std::string gc_json(const std::vector<Collected>& groups);
std::string host_json(const Host& host);

}  // namespace rt::cgroup
