// Reading and writing cgroup control files: helpers of the cgroup_*.cpp
// files only (no tool includes this).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cgroup_host.hpp"
#include "cgroup_limits.hpp"

namespace rt::cgroup {

// The blank-separated words of `s`.
std::vector<std::string> words(std::string_view s);
bool contains(const std::vector<std::string>& v, std::string_view s);
// A number as a control file holds it: "max", "-1" and overflow are kUnlimited.
std::optional<uint64_t> to_u64(std::string_view s);
std::optional<uint64_t> read_u64(const std::string& path);
// The value of `key` in "key value" lines (memory.stat, cpu.stat, memory.events).
std::optional<uint64_t> key_value(std::string_view text, std::string_view key);
std::optional<uint64_t> read_key(const std::string& path, std::string_view key);
// Write a control file: one write(2).
std::error_code write_cg(const std::string& path, std::string_view data);
// One write(2) of `data` to the open control file `fd` (retried on EINTR).
std::error_code write_fd(int fd, std::string_view data);
// Write VALUE to DIR/FILE (GroupDir::set by path), or throw rt::Error
// "cannot set FILE to VALUE in DIR: why".
void set(const std::string& dir, std::string_view file, const std::string& value);
// Throw that error, for a write to a control file that failed with `ec`.
[[noreturn]] void throw_set_failed(std::string_view file, std::string_view value, const std::string& dir,
                                   std::error_code ec);
bool exists(const std::string& path);

// A group's directory, open (a dir fd, looked up once) or by path alone
// (fd -1): its control files are opened relative to it, a lookup of their
// name only, not of the whole path down the hierarchy each time.
struct GroupDir {
  int fd = -1;
  const std::string& path;
  // open(2) of FILE in it.
  int open(std::string_view file, int flags) const;
  // set and exists of FILE in it.
  void set(std::string_view file, const std::string& value) const;
  bool has(std::string_view file) const;
};
void sleep_ms(int ms);
// The pids in the group at `dir` and in every group below it.
void procs_into(const Tree& tree, const std::string& dir, std::set<pid_t>& out);

}  // namespace rt::cgroup
