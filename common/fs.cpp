#include "fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "error.hpp"

namespace rt {

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno("cannot create a pipe");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::optional<std::string> try_read_file(const std::string& path, std::error_code* ec) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (ec) *ec = errno_code();
    return std::nullopt;
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (ec) *ec = errno_code();
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  auto s = try_read_file(path, &ec);
  if (!s) throw Error(str("cannot read ", path), ec.value());
  return *s;
}

std::error_code write_file(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno_code();
  ssize_t n = ::write(fd.get(), data.data(), data.size());
  if (n < 0) return errno_code();
  if (static_cast<size_t>(n) != data.size()) return errno_code(EIO);
  return {};
}

void write_all(int fd, std::string_view data, std::string_view what) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(str("cannot write ", what));
    off += static_cast<size_t>(n);
  }
}

void write_file_atomic(const std::string& path, std::string_view data, mode_t mode, bool durable) {
  std::string tmp = str(path, ".tmp.", ::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throw_errno(str("cannot create ", tmp));
  try {
    write_all(fd.get(), data, tmp);
  } catch (const Error&) {
    ::unlink(tmp.c_str());
    throw;
  }
  if ((durable && ::fsync(fd.get()) != 0) || ::close(fd.release()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw_errno(str("cannot write ", tmp), e);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw_errno(str("cannot rename ", tmp, " to ", path), e);
  }
  if (!durable) return;
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d) ::fsync(d.get());
}

PendingPidFile::PendingPidFile(const std::string& path) : path_(path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  name_ = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name_.empty() || name_ == "." || name_ == "..")
    throw Error(str("invalid pid file '", path, "': not a file name"));
  auto refuse = [&](const std::string& why) { throw Error(str("refusing to write the pid file ", path, ": ", why)); };

  dir_ = UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  struct stat st {};
  if (!dir_ || ::fstat(dir_.get(), &st) != 0) throw_errno(str("cannot open the directory of the pid file ", path));
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) refuse(str("its directory ", dir, " belongs to uid ", st.st_uid));
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
    refuse(str("its directory ", dir, " is writable by others and not sticky"));

  if (::fstatat(dir_.get(), name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) refuse("it is a symbolic link");
    if (S_ISDIR(st.st_mode)) refuse("it is a directory");
  } else if (errno != ENOENT) {
    throw_errno(str("cannot stat the pid file ", path));
  }

  // A new file under a name nobody can have planted, renamed over the old.
  for (int attempt = 0; !file_; ++attempt) {
    uint32_t r = 0;
    if (::getrandom(&r, sizeof r, 0) != sizeof r) r = static_cast<uint32_t>(attempt);
    tmp_ = str(".", name_, ".", ::getpid(), ".", r, ".tmp");
    file_ = UniqueFd(::openat(dir_.get(), tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!file_ && (errno != EEXIST || attempt >= 16)) throw_errno(str("cannot create a pid file in ", dir));
  }
}

const char* PendingPidFile::commit(pid_t pid) const noexcept {
  char text[24];
  auto [end, ec] = std::to_chars(text, text + sizeof text - 1, pid);
  *end++ = '\n';
  auto len = static_cast<size_t>(end - text);
  if (::pwrite(file_.get(), text, len, 0) != static_cast<ssize_t>(len)) {
    if (errno == 0) errno = EIO;
    return "cannot write the pid file ";
  }
  if (::renameat(dir_.get(), tmp_.c_str(), dir_.get(), name_.c_str()) != 0) return "cannot write the pid file ";
  return nullptr;
}

PendingPidFile::~PendingPidFile() {
  // ENOENT once renamed: nothing of anyone else's has that exclusive name.
  if (dir_ && !tmp_.empty()) ::unlinkat(dir_.get(), tmp_.c_str(), 0);
}

void write_pid_file(const std::string& path, pid_t pid) {
  PendingPidFile f(path);
  if (f.commit(pid)) throw_errno(str("cannot write the pid file ", path));
}

void mkdir_p(const std::string& path, mode_t mode) {
  if (path.empty()) return;
  // The common case first: the parent exists (one syscall).
  if (::mkdir(path.c_str(), mode) == 0) return;
  if (errno == EEXIST) {
    if (!is_dir(path)) throw Error(str("cannot create directory ", path), ENOTDIR);
    return;
  }
  if (errno != ENOENT) throw_errno(str("cannot create directory ", path));
  auto slash =
      path.find_last_not_of('/') == std::string::npos ? std::string::npos : path.rfind('/', path.find_last_not_of('/'));
  if (slash != std::string::npos && slash > 0) mkdir_p(path.substr(0, slash), mode);
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) throw_errno(str("cannot create directory ", path));
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::string find_on_path(const std::string& prog) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    if (dir.empty()) continue;
    std::string f = str(dir, "/", prog);
    if (::access(f.c_str(), X_OK) == 0) return f;
  }
  return "";
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// An fd-relative walk by hand (not std::filesystem::remove_all): each step
// is taken relative to the directory already opened, never follows a
// symbolic link, and stops at a mount point (another st_dev) instead of
// deleting what is mounted there.
namespace {
// With a RemoveDirs (remove_tree_at's third argument), the directories
// below the top one are not removed where they are: once emptied, each is
// renamed into the top directory, and `remove` removes them all at the end.
struct Walk {
  dev_t dev;
  RemoveDirs remove = nullptr;
  int top = -1;
  std::vector<std::string> moved;  // names in the top directory
};

// Removes NAME, or with `w.remove` leaves it (a directory below the top,
// emptied) in w.moved.
std::error_code remove_at(int dirfd, const char* name, Walk& w, bool is_top) {
  struct stat st {};
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? std::error_code{} : errno_code();
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) return errno_code();
    return {};
  }
  if (st.st_dev != w.dev) return errno_code(EBUSY);  // a mount point: never cross it
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
  if (is_top) w.top = ::dirfd(d.get());
  for (const auto& n : names) {
    auto ec = remove_at(::dirfd(d.get()), n.c_str(), w, false);
    if (ec && !first) first = ec;
  }
  if (is_top && w.remove) {
    auto ec = w.remove(::dirfd(d.get()), w.moved);
    if (ec && !first) first = ec;
  }
  d.reset();
  if (!first && !is_top && w.remove) {
    if (dirfd == w.top) {
      w.moved.emplace_back(name);
      return first;
    }
    // Into the top directory, under a name no entry there has
    // (RENAME_NOREPLACE); removed here if that fails.
    char moved[32];
    std::snprintf(moved, sizeof moved, ".rt-removing-%zu", w.moved.size());
    if (::renameat2(dirfd, name, w.top, moved, RENAME_NOREPLACE) == 0) {
      w.moved.emplace_back(moved);
      return first;
    }
  }
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT && !first) first = errno_code();
  return first;
}
}  // namespace

std::error_code remove_tree_at(int dirfd, const std::string& name, RemoveDirs remove_dirs) {
  // The file system the removal starts on is the one of the directory
  // holding NAME: NAME itself may not be a mount point either.
  struct stat st {};
  std::string_view n = name;
  auto slash = n.find_last_of('/', n.find_last_not_of('/'));
  std::string parent = slash == std::string_view::npos ? "." : slash == 0 ? "/" : std::string(n.substr(0, slash));
  if (::fstatat(dirfd, parent.c_str(), &st, 0) != 0) return errno == ENOENT ? std::error_code{} : errno_code();
  Walk w{st.st_dev, remove_dirs, -1, {}};
  return remove_at(dirfd, name.c_str(), w, true);
}

std::error_code remove_tree(const std::string& path) { return remove_tree_at(AT_FDCWD, path); }

int sys_openat2(int dirfd, const char* path, int flags, uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = resolve;
  for (;;) {
    long r = ::syscall(SYS_openat2, dirfd, path, &how, sizeof how);
    if (r >= 0 || errno != EAGAIN) return static_cast<int>(r);
  }
}

UniqueFd open_in_root(int root_fd, const std::string& path, int flags, std::error_code& ec) {
  std::string rel = path;
  while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
  if (rel.empty()) rel = ".";
  int fd = sys_openat2(root_fd, rel.c_str(), flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) {
    ec = errno_code();
    return UniqueFd();
  }
  ec.clear();
  return UniqueFd(fd);
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace rt
