#include "copy.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <utility>

#include "error.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "log.hpp"

namespace rt::mnt {
namespace {

bool is_whiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

// overlayfs's own attributes: whiteouts and opaque directories are applied
// by the copy, never copied.
bool overlay_xattr(std::string_view n) {
  return n.substr(0, 16) == "trusted.overlay." || n.substr(0, 13) == "user.overlay.";
}

bool opaque(int dir_fd) {
  char v[2];
  for (const char* key : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
    ssize_t n = ::fgetxattr(dir_fd, key, v, sizeof v);
    if (n == 1 && v[0] == 'y') return true;
  }
  return false;
}

// The names in an open directory (not "." and ".."): an fd-relative
// listing of a directory already opened O_NOFOLLOW from its parent.
std::vector<std::string> names_in(int dir_fd, const std::string& shown) {
  int fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) throw_errno(str("cannot list ", shown));
  std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(fd), ::closedir);
  if (!d) {
    int e = errno;
    ::close(fd);
    throw Error(str("cannot list ", shown), e);
  }
  std::vector<std::string> out;
  while (dirent* e = ::readdir(d.get()))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) out.emplace_back(e->d_name);
  return out;
}

class Copier {
 public:
  Copier(int dest_root, CopyStats& stats) : root_(dest_root), stats_(stats) {}

  void layer(const std::string& path) {
    UniqueFd src(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!src) throw_errno(str("cannot open layer ", path));
    layer_ = path;
    links_.clear();
    merge(src.get(), root_, "");
  }

 private:
  int root_;
  CopyStats& stats_;
  std::string layer_;
  // Hard links within the layer being copied: (dev, ino) -> the first copy's path below the root.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;

  std::string shown(const std::string& rel) const { return str(layer_, "/", rel); }

  // Whatever DST has at NAME, gone (a file, a link, a whole tree).
  void clear(int dst, const std::string& name, const std::string& rel) {
    if (auto ec = remove_tree_at(dst, name)) throw Error(str("cannot replace ", rel, " in the copy"), ec.value());
  }

  // Owner, mode, extended attributes and times of SRC's entry NAME on the
  // copy's FD (a regular file or directory: an open fd).
  void metadata(int src, const std::string& name, int fd, const struct stat& st, const std::string& rel) {
    if (::fchown(fd, st.st_uid, st.st_gid) != 0) {
      // An owner the user namespace does not map (a layer file of an id
      // it lacks shows as the overflow id): the copy stays root's.
      if (errno != EINVAL) throw_errno(str("cannot set the owner of ", rel, " in the copy"));
      log::debug("vfs: ", rel, ": owner ", st.st_uid, ":", st.st_gid, " not mapped here, left as it is");
    }
    if (::fchmod(fd, st.st_mode & 07777) != 0) throw_errno(str("cannot set the mode of ", rel, " in the copy"));
    copy_xattrs(src, name, fd, rel);
    const timespec ts[2] = {st.st_atim, st.st_mtim};
    if (::futimens(fd, ts) != 0) throw_errno(str("cannot set the times of ", rel, " in the copy"));
  }

  void copy_xattrs(int src, const std::string& name, int fd, const std::string& rel) {
    // Through an O_PATH fd of the source: flistxattr needs a real fd, and the
    // source is no symbolic link here.
    UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!s) return;
    ssize_t n = ::flistxattr(s.get(), nullptr, 0);
    if (n <= 0) return;
    std::string list(static_cast<size_t>(n), '\0');
    n = ::flistxattr(s.get(), list.data(), list.size());
    if (n <= 0) return;
    list.resize(static_cast<size_t>(n));
    for (size_t i = 0; i < list.size();) {
      size_t end = list.find('\0', i);
      if (end == std::string::npos) end = list.size();
      std::string key = list.substr(i, end - i);
      i = end + 1;
      if (key.empty() || overlay_xattr(key)) continue;
      ssize_t len = ::fgetxattr(s.get(), key.c_str(), nullptr, 0);
      if (len < 0) continue;
      std::string v(static_cast<size_t>(len), '\0');
      len = ::fgetxattr(s.get(), key.c_str(), v.data(), v.size());
      if (len < 0) continue;
      if (::fsetxattr(fd, key.c_str(), v.data(), static_cast<size_t>(len), 0) != 0) {
        // As rt-pull: what this user may not set (trusted.*, security.* in a
        // user namespace) or the file system cannot hold is left out.
        if (errno == ENOTSUP || errno == EPERM || errno == EACCES) {
          log::debug("vfs: ", rel, ": xattr ", key, " not copied: ", std::strerror(errno));
          continue;
        }
        throw_errno(str("cannot set xattr ", key, " on ", rel, " in the copy"));
      }
    }
  }

  void merge(int src, int dst, const std::string& rel_dir) {
    for (const auto& name : names_in(src, shown(rel_dir))) {
      std::string rel = rel_dir.empty() ? name : rel_dir + "/" + name;
      struct stat st {};
      if (::fstatat(src, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) throw_errno(str("cannot stat ", shown(rel)));
      if (is_whiteout(st)) {
        clear(dst, name, rel);
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        dir(src, dst, name, st, rel);
      } else if (S_ISREG(st.st_mode)) {
        file(src, dst, name, st, rel);
      } else if (S_ISLNK(st.st_mode)) {
        symlink(src, dst, name, st, rel);
      } else if (S_ISSOCK(st.st_mode)) {
        continue;  // a socket in a layer serves nobody
      } else {
        node(dst, name, st, rel);
      }
      ++stats_.entries;
    }
  }

  void dir(int src, int dst, const std::string& name, const struct stat& st, const std::string& rel) {
    UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!s) throw_errno(str("cannot open ", shown(rel)));
    struct stat have {};
    bool exists = ::fstatat(dst, name.c_str(), &have, AT_SYMLINK_NOFOLLOW) == 0;
    // A directory over a file, or an opaque one: nothing of the layers
    // below stays.
    if (exists && (!S_ISDIR(have.st_mode) || opaque(s.get()))) {
      clear(dst, name, rel);
      exists = false;
    }
    if (!exists && ::mkdirat(dst, name.c_str(), 0700) != 0) throw_errno(str("cannot create ", rel, " in the copy"));
    UniqueFd d(::openat(dst, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!d) throw_errno(str("cannot open ", rel, " in the copy"));
    // Writable for the walk below (a 0555 directory in the image); the
    // mode and the times are set once it is filled.
    if (::fchmod(d.get(), 0700) != 0) throw_errno(str("cannot set the mode of ", rel, " in the copy"));
    merge(s.get(), d.get(), rel);
    metadata(src, name, d.get(), st, rel);
  }

  void file(int src, int dst, const std::string& name, const struct stat& st, const std::string& rel) {
    clear(dst, name, rel);
    if (st.st_nlink > 1) {
      auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, rel);
      if (!first) {
        link(it->second, dst, name, rel);
        return;
      }
    }
    UniqueFd s(::openat(src, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!s) throw_errno(str("cannot open ", shown(rel)));
    UniqueFd d(::openat(dst, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!d) throw_errno(str("cannot create ", rel, " in the copy"));
    stats_.bytes += contents(s.get(), d.get(), rel);
    metadata(src, name, d.get(), st, rel);
  }

  // copy_file_range (in the kernel, a reflink where the file system can),
  // read and write where it cannot.
  uint64_t contents(int s, int d, const std::string& rel) {
    uint64_t done = 0;
    bool plain = false;
    while (!plain) {
      ssize_t n = ::copy_file_range(s, nullptr, d, nullptr, 1 << 30, 0);
      if (n == 0) return done;
      if (n > 0) {
        done += static_cast<uint64_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (done == 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) plain = true;
      else throw_errno(str("cannot copy ", rel));
    }
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(s, buf, sizeof buf);
      if (n == 0) return done;
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno(str("cannot read ", rel));
      }
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(d, buf + off, static_cast<size_t>(n - off));
        if (w < 0) {
          if (errno == EINTR) continue;
          throw_errno(str("cannot write ", rel, " in the copy"));
        }
        off += w;
      }
      done += static_cast<uint64_t>(n);
    }
  }

  // A hard link to the copy of FIRST (made earlier in this layer): its
  // directory is resolved below the root with no symbolic link followed.
  void link(const std::string& first, int dst, const std::string& name, const std::string& rel) {
    auto slash = first.rfind('/');
    std::string dir = slash == std::string::npos ? "." : first.substr(0, slash);
    std::string base = slash == std::string::npos ? first : first.substr(slash + 1);
    int fd = sys_openat2(root_, dir.c_str(), O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    if (fd < 0) throw_errno(str("cannot link ", rel, " to ", first, " in the copy"));
    UniqueFd d(fd);
    if (::linkat(d.get(), base.c_str(), dst, name.c_str(), 0) != 0)
      throw_errno(str("cannot link ", rel, " to ", first, " in the copy"));
  }

  void symlink(int src, int dst, const std::string& name, const struct stat& st, const std::string& rel) {
    clear(dst, name, rel);
    std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : 256) + 1, '\0');
    ssize_t n = ::readlinkat(src, name.c_str(), target.data(), target.size());
    if (n < 0) throw_errno(str("cannot read the link ", shown(rel)));
    target.resize(static_cast<size_t>(n));
    if (::symlinkat(target.c_str(), dst, name.c_str()) != 0) throw_errno(str("cannot create ", rel, " in the copy"));
    if (::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 && errno != EINVAL)
      throw_errno(str("cannot set the owner of ", rel, " in the copy"));
    const timespec ts[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dst, name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0)
      throw_errno(str("cannot set the times of ", rel, " in the copy"));
  }

  // A FIFO, or a device node where this user may make one (not in a user
  // namespace: an image's devices are left out there, as a rootless
  // unpack leaves them out).
  void node(int dst, const std::string& name, const struct stat& st, const std::string& rel) {
    clear(dst, name, rel);
    if (::mknodat(dst, name.c_str(), st.st_mode & (S_IFMT | 07777), st.st_rdev) != 0) {
      if (errno == EPERM && !S_ISFIFO(st.st_mode)) {
        log::debug("vfs: ", rel, ": device node not permitted here, left out");
        return;
      }
      throw_errno(str("cannot create ", rel, " in the copy"));
    }
    if (::fchownat(dst, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 && errno != EINVAL)
      throw_errno(str("cannot set the owner of ", rel, " in the copy"));
    if (::fchmodat(dst, name.c_str(), st.st_mode & 07777, 0) != 0)
      throw_errno(str("cannot set the mode of ", rel, " in the copy"));
  }
};

}  // namespace

CopyStats copy_layers(const std::vector<std::string>& lower, int dest_fd) {
  CopyStats stats;
  Copier c(dest_fd, stats);
  for (auto it = lower.rbegin(); it != lower.rend(); ++it) c.layer(*it);
  return stats;
}

}  // namespace rt::mnt
