#include "rlimit.hpp"

#include <cctype>

#include "error.hpp"
#include "parse.hpp"

namespace rt {
namespace {

struct RlimitName {
  const char* name;
  int resource;
};
constexpr RlimitName kRlimits[] = {
    {"cpu", RLIMIT_CPU},           {"fsize", RLIMIT_FSIZE},
    {"data", RLIMIT_DATA},         {"stack", RLIMIT_STACK},
    {"core", RLIMIT_CORE},         {"rss", RLIMIT_RSS},
    {"nproc", RLIMIT_NPROC},       {"nofile", RLIMIT_NOFILE},
    {"memlock", RLIMIT_MEMLOCK},   {"as", RLIMIT_AS},
    {"locks", RLIMIT_LOCKS},       {"sigpending", RLIMIT_SIGPENDING},
    {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"rtprio", RLIMIT_RTPRIO},     {"rttime", RLIMIT_RTTIME},
};

rlim_t limit_value(const std::string& s, const std::string& spec, const std::string& what) {
  if (s == "unlimited" || s == "infinity" || s == "-1") return RLIM_INFINITY;
  return static_cast<rlim_t>(parse_uint(s, str(what, " ", spec, " value"), RLIM_INFINITY - 1));
}

}  // namespace

Rlimit parse_rlimit(const std::string& spec, const std::string& what) {
  auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0)
    throw Error(str("invalid ", what, " '", spec, "': expected NAME=SOFT[:HARD], e.g. nofile=1024:4096"));
  std::string name = spec.substr(0, eq);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (starts_with(name, "rlimit_")) name.erase(0, 7);
  const RlimitName* n = nullptr;
  for (const auto& r : kRlimits)
    if (name == r.name) n = &r;
  if (!n) {
    std::string known;
    for (const auto& r : kRlimits) known += str(known.empty() ? "" : ", ", r.name);
    throw Error(str("invalid ", what, " '", spec, "': unknown limit '", spec.substr(0, eq), "' (known: ", known, ")"));
  }
  auto vals = split(spec.substr(eq + 1), ':');
  if (vals.size() > 2) throw Error(str("invalid ", what, " '", spec, "': expected NAME=SOFT[:HARD]"));
  rlimit v{};
  v.rlim_cur = limit_value(vals[0], spec, what);
  v.rlim_max = vals.size() == 2 ? limit_value(vals[1], spec, what) : v.rlim_cur;  // docker: HARD defaults to SOFT
  if (v.rlim_cur > v.rlim_max)
    throw Error(str("invalid ", what, " '", spec, "': the soft limit is above the hard limit"));
  return {n->resource, n->name, v};
}

}  // namespace rt
