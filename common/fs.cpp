#include "fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "error.hpp"
#include "parse.hpp"

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

void write_file_atomic(const std::string& path, std::string_view data, mode_t mode, bool durable) {
  std::string tmp = str(path, ".tmp.", ::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) throw_errno(str("cannot create ", tmp));
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::unlink(tmp.c_str());
      throw_errno(str("cannot write ", tmp), e);
    }
    off += static_cast<size_t>(n);
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

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

static std::error_code remove_at(int dirfd, const char* name, dev_t dev) {
  struct stat st {};
  if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? std::error_code{} : errno_code();
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) return errno_code();
    return {};
  }
  if (st.st_dev != dev) return errno_code(EBUSY);  // a mount point: never cross it
  UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return errno_code();
  DIR* d = ::fdopendir(::dup(fd.get()));
  if (!d) return errno_code();
  std::error_code first;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
    names.emplace_back(e->d_name);
  }
  ::closedir(d);
  for (const auto& n : names) {
    auto ec = remove_at(fd.get(), n.c_str(), dev);
    if (ec && !first) first = ec;
  }
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT && !first) first = errno_code();
  return first;
}

std::error_code remove_tree(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? std::error_code{} : errno_code();
  return remove_at(AT_FDCWD, path.c_str(), st.st_dev);
}

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

UniqueFd ensure_in_root(int root_fd, const std::string& path, bool as_file, std::error_code& ec) {
  UniqueFd fd = open_in_root(root_fd, path, O_PATH, ec);
  if (fd || ec.value() != ENOENT) return fd;
  // Walk down, creating what is missing. Each step is resolved inside the
  // root, so a symlink planted in the rootfs cannot redirect the creation.
  std::vector<std::string> parts;
  for (auto& p : split(path, '/'))
    if (!p.empty() && p != ".") parts.push_back(p);
  UniqueFd cur = open_in_root(root_fd, "/", O_PATH | O_DIRECTORY, ec);
  if (!cur) return cur;
  std::string sofar;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == "..") {
      ec = errno_code(EINVAL);
      return UniqueFd();
    }
    sofar += "/" + parts[i];
    bool last = i + 1 == parts.size();
    UniqueFd next = open_in_root(root_fd, sofar, O_PATH, ec);
    if (!next && ec.value() == ENOENT) {
      // Create in the directory we resolved last (cur), by name only.
      UniqueFd dir =
          open_in_root(root_fd, sofar.substr(0, sofar.rfind('/')).empty() ? "/" : sofar.substr(0, sofar.rfind('/')),
                       O_RDONLY | O_DIRECTORY, ec);
      if (!dir) return dir;
      if (last && as_file) {
        int f = ::openat(dir.get(), parts[i].c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0 && errno != EEXIST) {
          ec = errno_code();
          return UniqueFd();
        }
        if (f >= 0) ::close(f);
      } else if (::mkdirat(dir.get(), parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
        ec = errno_code();
        return UniqueFd();
      }
      next = open_in_root(root_fd, sofar, O_PATH, ec);
    }
    if (!next) return next;
    cur = std::move(next);
  }
  ec.clear();
  return cur;
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

}  // namespace rt
