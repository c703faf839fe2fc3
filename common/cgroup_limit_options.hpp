// The limit options rt-cgroup and rt-systemd share: one table gives their
// names, value names and help texts (each tool's own wording: rt-systemd's
// names the unit property it sets) and says which LimitArgs field each
// fills. Both tools add them to their options and read them back from here.
#pragma once
#include <boost/program_options.hpp>
#include <optional>
#include <string>

#include "cgroup_limits.hpp"

namespace rt::cgroup {
namespace po = boost::program_options;

// Whose --help: rt-cgroup's (every limit) or rt-systemd's (a scope's, a
// subset).
enum class LimitTool { cgroup, scope };

// Add the limit options of `tool` to `desc`, in the table's order.
void add_limit_options(po::options_description& desc, LimitTool tool);

// The name of the first limit option of `tool` given on the command line
// (a switch counts when set), without "--"; none: nullopt.
std::optional<std::string> first_limit_given(const po::variables_map& vm, LimitTool tool);

// The values of the limit options of `tool` as given. An empty value is bad
// input: "invalid --NAME '': empty value" (rt::die, exit 125).
LimitArgs limit_args(const po::variables_map& vm, LimitTool tool);

}  // namespace rt::cgroup
