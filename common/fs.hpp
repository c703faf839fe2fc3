// Files and directories: small, checked, errno-carrying helpers.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "fd.hpp"

namespace rt {

// Whole file into a string. Throws rt::Error naming the path.
std::string read_file(const std::string& path);
// std::nullopt when the file cannot be read (errno in `ec` when given).
std::optional<std::string> try_read_file(const std::string& path, std::error_code* ec = nullptr);
// Write `data` to an existing file (procfs, cgroupfs): one write(2).
std::error_code write_file(const std::string& path, std::string_view data);
// All of `data` to `fd`, however many write(2)s it takes (EINTR retried).
// Throws rt::Error "cannot write WHAT: why".
void write_all(int fd, std::string_view data, std::string_view what);
// Write a regular file atomically: temp name, rename. With `durable`, fsync
// the file before the rename and the directory after (the image store);
// runtime state under /run, which a reboot clears anyway, skips the fsyncs.
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644, bool durable = true);
// Write "PID\n" to a pid file someone named on a command line, safely even
// where others can write (as /tmp): the directory must be root's or ours
// and not writable by others unless sticky; a symbolic link there is
// refused, never followed; the file is replaced atomically (an exclusive
// temporary name, then rename(2) in that same directory, opened once).
// Throws rt::Error.
void write_pid_file(const std::string& path, pid_t pid);
// write_pid_file in two steps, for a pid that only a vfork_child knows (see
// process.hpp): the checks and the exclusive temporary file here (throws
// rt::Error as write_pid_file), the write and the rename in commit().
class PendingPidFile {
 public:
  explicit PendingPidFile(const std::string& path);
  // Write `pid` and rename the file into place: system calls only, no
  // allocation. nullptr, or what failed (errno set).
  const char* commit(pid_t pid) const noexcept;
  // The temporary file is removed when commit() did not rename it.
  ~PendingPidFile();
  PendingPidFile(const PendingPidFile&) = delete;
  PendingPidFile& operator=(const PendingPidFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_, name_, tmp_;
  UniqueFd dir_, file_;
};
// mkdir -p. Throws on failure other than EEXIST-as-directory.
void mkdir_p(const std::string& path, mode_t mode = 0755);
bool path_exists(const std::string& path);
// The first executable PROG in PATH's directories (/usr/local/bin:/usr/bin:/bin
// without PATH); "" when there is none.
std::string find_on_path(const std::string& prog);
bool is_dir(const std::string& path);
// Remove NAME (relative to dirfd, or a path with AT_FDCWD) and everything
// below it: never following a symbolic link, never crossing into another
// file system (EBUSY at a mount point, NAME included), emptying directories
// nobody may read (mode 000) too. Gone already is success. Returns the
// first error, after removing all it could.
// With `remove_dirs`, the directories below NAME are not removed one by
// one where they are: each, once emptied, is renamed into NAME and
// remove_dirs(NAME's fd, their names) removes them all (remove_dirs_overlapped).
using RemoveDirs = std::error_code (*)(int top_fd, const std::vector<std::string>& names);
std::error_code remove_tree_at(int dirfd, const std::string& name, RemoveDirs remove_dirs = nullptr);
std::error_code remove_tree(const std::string& path);
// A RemoveDirs that removes the directories by two threads at once: on a
// file system that discards a freed block synchronously (ext4 without a
// journal, mounted with discard, as on rt's test VMs), each directory's
// removal waits for the disk, and the waits then overlap. Each directory is
// held open across its rmdir, so that its block is freed (and discarded) at
// the close, outside the top directory's lock, which every rmdir here
// takes. It returns once every name is gone, without waiting for the second
// thread to end (or start: where it had no CPU yet, this one removed them
// all), nor for its last discard. In a file of its own (fs_remove.cpp):
// only the tools that use it link the thread.
std::error_code remove_dirs_overlapped(int top_fd, const std::vector<std::string>& names);

// openat2(2) with O_CLOEXEC added, retried on EAGAIN; -1 and errno on failure.
int sys_openat2(int dirfd, const char* path, int flags, uint64_t resolve);

// Paths inside a root directory, resolved with openat2(RESOLVE_IN_ROOT) so
// that no symlink or ".." can lead out of it.
//
// Open PATH (relative to root_fd, absolute paths allowed) with `flags`.
UniqueFd open_in_root(int root_fd, const std::string& path, int flags, std::error_code& ec);
// "/proc/self/fd/N": a path through which mount(2) reaches exactly fd N.
std::string fd_path(int fd);

}  // namespace rt
