#include "cgroup_systemd.hpp"

#include "error.hpp"
#include "parse.hpp"

namespace rt::cgroup {
namespace {

constexpr std::string_view kSlice = ".slice";

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// As far as a path needs: no '/', no blank or control character, not "." or "..".
bool unit_chars_ok(std::string_view s) {
  if (s.empty() || s == "." || s == "..") return false;
  for (char c : s)
    if (c == '/' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  return true;
}

// a-b-c.slice sits in a-b.slice, which sits in a.slice: /a.slice/a-b.slice/a-b-c.slice.
// "-.slice" is the root: "". Empty on a malformed name.
std::optional<std::string> expand_slice(std::string_view slice) {
  if (!ends_with(slice, kSlice) || slice.size() == kSlice.size() || !unit_chars_ok(slice)) return std::nullopt;
  std::string base(slice.substr(0, slice.size() - kSlice.size()));
  if (base == "-") return "";
  std::string path, lead;
  for (const auto& c : split(base, '-')) {
    if (c.empty()) return std::nullopt;
    path += "/" + lead + c + std::string(kSlice);
    lead += c + "-";
  }
  return path;
}

}  // namespace

SystemdUnit systemd_unit(std::string_view spec, std::string_view what) {
  auto bad = [&](const std::string& why) { return Error(str("invalid ", what, " '", spec, "': ", why)); };
  auto parts = split(spec, ':');
  if (parts.size() != 3) throw bad("expected SLICE:PREFIX:NAME (--systemd-cgroup)");
  const std::string slice = parts[0].empty() ? "system.slice" : parts[0];
  const std::string &prefix = parts[1], &name = parts[2];
  auto parent = expand_slice(slice);
  if (!parent) throw bad(str("'", slice, "' is not a slice name (A.slice, A-B.slice: no empty part between dashes)"));
  if (name.empty()) throw bad("empty NAME");
  if (ends_with(name, kSlice)) {
    // A slice of its own: systemd places it by its name, which must then
    // name SLICE as its parent.
    auto own = expand_slice(name);
    if (!own) throw bad(str("'", name, "' is not a slice name"));
    if (own->substr(0, own->rfind('/')) != *parent) throw bad(str("slice '", name, "' does not sit in '", slice, "'"));
    return {slice, name, *own};
  }
  if (!prefix.empty() && !unit_chars_ok(prefix)) throw bad(str("invalid PREFIX '", prefix, "'"));
  std::string unit = prefix.empty() ? name + ".scope" : prefix + "-" + name + ".scope";
  if (!unit_chars_ok(unit)) throw bad(str("invalid NAME '", name, "'"));
  return {slice, unit, *parent + "/" + unit};
}

std::string systemd_path(std::string_view spec, std::string_view what) { return systemd_unit(spec, what).path; }

}  // namespace rt::cgroup
