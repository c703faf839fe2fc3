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

// One of rt's roots: the variable `env` names it; else `as_root` for root;
// else rt/ in the XDG directory `xdg` names, or `below_home` in HOME (when
// given); else `in_tmp` in the user's private /tmp/rt-UID.
static std::string root_dir(const char* env, const char* as_root, const char* xdg, const char* below_home,
                            const char* in_tmp) {
  if (const char* v = std::getenv(env); v && *v) return v;
  if (::geteuid() == 0) return as_root;
  if (const char* v = std::getenv(xdg); v && *v) return str(v, "/rt");
  if (const char* v = std::getenv("HOME"); below_home && v && *v) return str(v, below_home);
  return private_tmp_dir() + in_tmp;
}

std::string default_state_root() { return root_dir("RT_STATE", "/run/rt", "XDG_RUNTIME_DIR", nullptr, "/rt"); }

std::string default_image_root() {
  return root_dir("RT_ROOT", "/var/lib/rt", "XDG_DATA_HOME", "/.local/share/rt", "/data");
}

std::string default_config_root() {
  return root_dir("RT_CONFIG", "/etc/rt", "XDG_CONFIG_HOME", "/.config/rt", "/config");
}

std::string self_dir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/'));
}

}  // namespace rt
