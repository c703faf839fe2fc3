#include "netns.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "error.hpp"
#include "fd.hpp"
#include "log.hpp"
#include "netif.hpp"

namespace rt::net {

void make_netns(const std::string& path) {
  UniqueFd own(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!own) throw_errno("cannot open this process's network namespace");
  UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!file) throw_errno(str("cannot create ", path));
  file.reset();
  bool mounted = false;
  try {
    if (::unshare(CLONE_NEWNET) != 0) throw_errno("cannot create a network namespace");
    loopback_up();
    if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0)
      throw_errno(str("cannot bind-mount the network namespace on ", path));
    mounted = true;
    if (::setns(own.get(), CLONE_NEWNET) != 0) throw_errno("cannot return to the original network namespace");
  } catch (...) {
    // Back home first (a failed setns would leave us in the new one),
    // then nothing of the namespace stays.
    ::setns(own.get(), CLONE_NEWNET);
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
    ::unlink(path.c_str());
    throw;
  }
  log::step("network namespace held at ", path);
}

void remove_netns(const std::string& path) {
  if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    throw_errno(str("cannot unmount the network namespace ", path));
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno(str("cannot remove ", path));
}

bool is_netns(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  return fd && ::ioctl(fd.get(), NS_GET_NSTYPE) == CLONE_NEWNET;
}

}  // namespace rt::net
