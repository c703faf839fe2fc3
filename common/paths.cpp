#include "paths.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "error.hpp"
#include "fd.hpp"

namespace rt {

// /tmp/rt-UID, the fallback of a user without XDG_RUNTIME_DIR (or HOME).
// Anyone may have created that name first, to read or replace what rt
// keeps there: it is used only when it is a directory of this user's (not
// a symlink), then made 0700. In a sticky /tmp nobody else can rename or
// remove it afterwards, so the path stays the one checked.
static std::string private_tmp_dir() {
  uid_t uid = ::geteuid();
  std::string dir = str("/tmp/rt-", uid);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno(str("cannot create ", dir));
  auto refuse = [&](const std::string& why) {
    throw Error(
        str("refusing to keep rt's files in ", dir, ": ", why, " (set XDG_RUNTIME_DIR, or RT_STATE and RT_ROOT)"));
  };
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) refuse("it is a symbolic link");
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ELOOP || errno == ENOTDIR) refuse("it is not a directory");
    throw_errno(str("cannot open ", dir));
  }
  if (::fstat(fd.get(), &st) != 0) throw_errno(str("cannot stat ", dir));
  if (st.st_uid != uid) refuse(str("it belongs to uid ", st.st_uid, ", not to you"));
  if ((st.st_mode & 077) && ::fchmod(fd.get(), 0700) != 0) throw_errno(str("cannot make ", dir, " private"));
  return dir;
}

std::string default_state_root() {
  if (const char* v = std::getenv("RT_STATE"); v && *v) return v;
  if (::geteuid() == 0) return "/run/rt";
  if (const char* v = std::getenv("XDG_RUNTIME_DIR"); v && *v) return str(v, "/rt");
  return private_tmp_dir() + "/rt";
}

std::string default_image_root() {
  if (const char* v = std::getenv("RT_ROOT"); v && *v) return v;
  if (::geteuid() == 0) return "/var/lib/rt";
  if (const char* v = std::getenv("XDG_DATA_HOME"); v && *v) return str(v, "/rt");
  if (const char* v = std::getenv("HOME"); v && *v) return str(v, "/.local/share/rt");
  return private_tmp_dir() + "/data";
}

std::string default_config_root() {
  if (const char* v = std::getenv("RT_CONFIG"); v && *v) return v;
  if (::geteuid() == 0) return "/etc/rt";
  if (const char* v = std::getenv("XDG_CONFIG_HOME"); v && *v) return str(v, "/rt");
  if (const char* v = std::getenv("HOME"); v && *v) return str(v, "/.config/rt");
  return private_tmp_dir() + "/config";
}

std::string self_dir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/'));
}

}  // namespace rt
