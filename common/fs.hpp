// Files and directories: small, checked, errno-carrying helpers.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include "fd.hpp"

namespace rt {

// Whole file into a string. Throws rt::Error naming the path.
std::string read_file(const std::string& path);
// std::nullopt when the file cannot be read (errno in `ec` when given).
std::optional<std::string> try_read_file(const std::string& path, std::error_code* ec = nullptr);
// Write `data` to an existing file (procfs, cgroupfs): one write(2).
std::error_code write_file(const std::string& path, std::string_view data);
// Write a regular file atomically: temp name, rename. With `durable`, fsync
// the file before the rename and the directory after (the image store);
// runtime state under /run, which a reboot clears anyway, skips the fsyncs.
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644, bool durable = true);
// mkdir -p. Throws on failure other than EEXIST-as-directory.
void mkdir_p(const std::string& path, mode_t mode = 0755);
bool path_exists(const std::string& path);
bool is_dir(const std::string& path);
// Remove a directory tree without crossing mount points. Returns the first error.
std::error_code remove_tree(const std::string& path);

// openat2(2) with O_CLOEXEC added, retried on EAGAIN; -1 and errno on failure.
int sys_openat2(int dirfd, const char* path, int flags, uint64_t resolve);

// Paths inside a root directory, resolved with openat2(RESOLVE_IN_ROOT) so
// that no symlink or ".." can lead out of it.
//
// Open PATH (relative to root_fd, absolute paths allowed) with `flags`.
UniqueFd open_in_root(int root_fd, const std::string& path, int flags, std::error_code& ec);
// Make sure PATH exists inside the root, creating missing directories (and,
// when `as_file`, the last component as an empty regular file). Returns an
// O_PATH fd of it.
UniqueFd ensure_in_root(int root_fd, const std::string& path, bool as_file, std::error_code& ec);
// "/proc/self/fd/N": a path through which mount(2) reaches exactly fd N.
std::string fd_path(int fd);

}  // namespace rt
