// JSON renderings of cgroup statistics and listings, with the field names
// rt-cgroup(1) documents (rt-run and rt-repl print the same). Kept apart
// from cgroup.cpp so that the chain tools do not link a JSON library.
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
