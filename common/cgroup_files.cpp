// Control files: see cgroup_files.hpp.
#include "cgroup_files.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "error.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"

namespace rt::cgroup {

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::optional<uint64_t> to_u64(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s == "max") return kUnlimited;
  if (s.empty()) return std::nullopt;
  // v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages, or -1).
  if (s[0] == '-') return kUnlimited;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (UINT64_MAX - 9) / 10) return kUnlimited;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::optional<uint64_t> read_u64(const std::string& path) {
  auto s = try_read_file(path);
  if (!s) return std::nullopt;
  return to_u64(*s);
}

// "key value" lines (memory.stat, cpu.stat, memory.events, oom_control).
std::optional<uint64_t> key_value(std::string_view text, std::string_view key) {
  auto rest = line_value(text, key, ' ');
  return rest ? to_u64(*rest) : std::nullopt;
}

std::optional<uint64_t> read_key(const std::string& path, std::string_view key) {
  auto s = try_read_file(path);
  if (!s) return std::nullopt;
  return key_value(*s, key);
}

// Write a control file: one write(2). O_TRUNC so that a fake tree of plain
// files holds exactly what was written (cgroupfs ignores it).
std::error_code write_cg(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return errno_code();
  return write_fd(fd.get(), data);
}

std::error_code write_fd(int fd, std::string_view data) {
  ssize_t n;
  do n = ::write(fd, data.data(), data.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno_code();
  if (static_cast<size_t>(n) != data.size()) return errno_code(EIO);
  return {};
}

void set(const std::string& dir, std::string_view file, const std::string& value) {
  GroupDir{-1, dir}.set(file, value);
}

void throw_set_failed(std::string_view file, std::string_view value, const std::string& dir, std::error_code ec) {
  std::string why = ec.message();
  throw Error(str("cannot set ", file, " to ", value, " in ", dir, ": ", why));
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

int GroupDir::open(std::string_view file, int flags) const {
  if (fd < 0) return ::open(str(path, "/", file).c_str(), flags);
  return ::openat(fd, std::string(file).c_str(), flags);
}

void GroupDir::set(std::string_view file, const std::string& value) const {
  UniqueFd f(open(file, O_WRONLY | O_TRUNC | O_CLOEXEC));
  std::error_code ec = f ? write_fd(f.get(), value) : errno_code();
  if (ec) throw_set_failed(file, value, path, ec);
  log::step("set ", file, "=", value);
}

bool GroupDir::has(std::string_view file) const {
  if (fd < 0) return exists(str(path, "/", file));
  return ::faccessat(fd, std::string(file).c_str(), F_OK, 0) == 0;
}

void sleep_ms(int ms) {
  timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1000000L};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

void procs_into(const Tree& tree, const std::string& dir, std::set<pid_t>& out) {
  if (auto s = try_read_file(dir + "/cgroup.procs")) {
    for (const auto& w : words(*s)) {
      auto v = to_u64(w);
      if (v && *v > 0 && *v < kUnlimited) out.insert(static_cast<pid_t>(*v));
    }
  }
  for (const auto& sub : tree.groups_below(dir)) procs_into(tree, dir + "/" + sub, out);
}

}  // namespace rt::cgroup
