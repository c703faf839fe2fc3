// remove_tree (fs.hpp): a file of its own, so that only the tools that
// remove trees link its thread.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "error.hpp"
#include "fs.hpp"

namespace rt {
namespace {

// Where the walk puts the directories it has emptied: renamed into the top
// directory (`top`, the tree's root) as `names`, all removed at the end by
// two threads at once. Removing a directory frees its block, and on a file
// system that discards freed blocks synchronously (ext4 without a journal,
// mounted with discard, as on rt's test VMs) each removal waits for the
// disk: a removed container layer has 6 or 7 directories (upper, work and
// overlayfs's work/work/incompat/volatile), and their waits overlap so.
struct Flat {
  int top = -1;
  std::vector<std::string> names;
};

std::error_code remove_flat(int top, const std::vector<std::string>& names) {
  std::atomic<size_t> next{0};
  std::error_code errs[2];
  auto work = [&](std::error_code& first) noexcept {
    for (size_t i; (i = next++) < names.size();)
      if (::unlinkat(top, names[i].c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT && !first) first = errno_code();
  };
  std::optional<std::thread> helper;
  if (names.size() > 1) {
    try {
      helper.emplace(work, std::ref(errs[1]));
    } catch (const std::system_error&) {
      // no second thread: this one removes them all
    }
  }
  work(errs[0]);
  if (helper) helper->join();
  return errs[0] ? errs[0] : errs[1];
}

// An fd-relative walk by hand (not std::filesystem::remove_all): each step
// is taken relative to the directory already opened, never follows a
// symbolic link, and stops at a mount point (another st_dev) instead of
// deleting what is mounted there. `flat`: the top directory's (see Flat);
// null for the top directory itself.
std::error_code remove_at(int dirfd, const char* name, dev_t dev, Flat* flat) {
  struct stat st {};
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? std::error_code{} : errno_code();
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) return errno_code();
    return {};
  }
  if (st.st_dev != dev) return errno_code(EBUSY);  // a mount point: never cross it
  // A directory we may not list or empty (mode 000 in an image layer, or
  // made so in a container's layer) when CAP_DAC_OVERRIDE does not let us
  // anyway (rootless, a dropped capability): its owner makes it 0700 first.
  if (::faccessat(dirfd, name, R_OK | W_OK | X_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW) != 0 && errno == EACCES &&
      ::fchmodat(dirfd, name, 0700, 0) != 0) {
    // not here: openat or unlinkat below names the error
  }
  // One fd per level (the DIR's own), so that a deep tree or a low fd
  // limit (rt-run --rm near RLIMIT_NOFILE) still goes. fd-relative, not a
  // Boost.Filesystem walk: each level is opened O_NOFOLLOW from its
  // parent's fd, so no link swapped in meanwhile can lead it elsewhere.
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno_code();
  std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(fd), ::closedir);
  if (!d) {
    std::error_code ec = errno_code();
    ::close(fd);
    return ec;
  }
  std::error_code first;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d.get())) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  Flat own;
  if (!flat) own.top = ::dirfd(d.get());
  for (const auto& n : names) {
    auto ec = remove_at(::dirfd(d.get()), n.c_str(), dev, flat ? flat : &own);
    if (ec && !first) first = ec;
  }
  if (!flat) {
    // The top: its emptied directories (now all in it) go at once, then it.
    auto ec = remove_flat(::dirfd(d.get()), own.names);
    if (ec && !first) first = ec;
    d.reset();
    if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT && !first) first = errno_code();
    return first;
  }
  d.reset();
  if (first) {  // not empty: left where it is
    ::unlinkat(dirfd, name, AT_REMOVEDIR);
    return first;
  }
  if (dirfd == flat->top) {
    flat->names.emplace_back(name);
    return first;
  }
  // Emptied: into the top directory, under a name no entry there has
  // (RENAME_NOREPLACE); removed here if that fails.
  char moved[32];
  std::snprintf(moved, sizeof moved, ".rt-removing-%zu", flat->names.size());
  if (::renameat2(dirfd, name, flat->top, moved, RENAME_NOREPLACE) == 0) {
    flat->names.emplace_back(moved);
    return first;
  }
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT && !first) first = errno_code();
  return first;
}

}  // namespace

std::error_code remove_tree_at(int dirfd, const std::string& name) {
  // The file system the removal starts on is the one of the directory
  // holding NAME: NAME itself may not be a mount point either.
  struct stat st {};
  std::string_view n = name;
  auto slash = n.find_last_of('/', n.find_last_not_of('/'));
  std::string parent = slash == std::string_view::npos ? "." : slash == 0 ? "/" : std::string(n.substr(0, slash));
  if (::fstatat(dirfd, parent.c_str(), &st, 0) != 0) return errno == ENOENT ? std::error_code{} : errno_code();
  return remove_at(dirfd, name.c_str(), st.st_dev, nullptr);
}

std::error_code remove_tree(const std::string& path) { return remove_tree_at(AT_FDCWD, path); }

}  // namespace rt
