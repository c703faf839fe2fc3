#include "exe_seal.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "log.hpp"
#include "mount.hpp"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U  // Linux 6.3: an executable memfd even where vm.memfd_noexec=1
#endif

namespace rt {

static constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

static UniqueFd memfd_copy(int fd, std::string_view name) {
  std::string n(name.substr(name.rfind('/') + 1));
  UniqueFd m(::memfd_create(n.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC));
  if (!m && errno == EINVAL) m = UniqueFd(::memfd_create(n.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!m) throw_errno(str("cannot make a sealed copy of ", name, ": memfd_create"));
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno(str("cannot make a sealed copy of ", name, ": fstat"));
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n_copied = ::sendfile(m.get(), fd, &off, static_cast<size_t>(st.st_size - off));
    if (n_copied < 0 && errno == EINTR) continue;
    if (n_copied <= 0) throw_errno(str("cannot make a sealed copy of ", name, ": sendfile"));
  }
  if (::fcntl(m.get(), F_ADD_SEALS, kSeals) != 0) throw_errno(str("cannot seal the copy of ", name));
  return m;
}

UniqueFd read_only_exe(int fd, std::string_view name) {
  UniqueFd clone = clone_tree(fd, false);
  if (clone) {
    int e = set_mount_attr_errno(clone.get(), MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, false);
    if (e == 0) {
      log::step("exec ", name, " from a read-only clone of its mount");
      return clone;
    }
    errno = e;
  }
  // No CAP_SYS_ADMIN over this mount namespace (an unprivileged user
  // joining a container) or an older kernel: a copy no one can write.
  log::step("cannot clone a read-only mount for ", name, " (", std::strerror(errno), "): a sealed memfd copy");
  return memfd_copy(fd, name);
}

}  // namespace rt
