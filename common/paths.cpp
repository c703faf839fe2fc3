#include "paths.hpp"

#include <unistd.h>

#include <cstdlib>

#include "error.hpp"

namespace rt {

static std::string env_or(const char* var, const std::string& dflt) {
  const char* v = std::getenv(var);
  return v && *v ? std::string(v) : dflt;
}

std::string default_state_root() {
  if (const char* v = std::getenv("RT_STATE"); v && *v) return v;
  if (::geteuid() == 0) return "/run/rt";
  return env_or("XDG_RUNTIME_DIR", str("/tmp/rt-", ::geteuid())) + "/rt";
}

std::string default_image_root() {
  if (const char* v = std::getenv("RT_ROOT"); v && *v) return v;
  if (::geteuid() == 0) return "/var/lib/rt";
  return env_or("XDG_DATA_HOME", env_or("HOME", "/tmp") + "/.local/share") + "/rt";
}

std::string self_dir() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/'));
}

}  // namespace rt
