#include "storage.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "error.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "mount.hpp"
#include "parse.hpp"
#include "process.hpp"

namespace rt::storage {

const char* name(Driver d) {
  switch (d) {
    case Driver::overlay: return "overlay";
    case Driver::fuse: return kFuseProgram;
    case Driver::vfs: return "vfs";
  }
  return "overlay";
}

std::optional<Driver> parse(std::string_view s) {
  for (Driver d : {Driver::overlay, Driver::fuse, Driver::vfs})
    if (s == name(d)) return d;
  return std::nullopt;
}

std::string bad_value(std::string_view what, std::string_view value) {
  return str("invalid ", what, " '", value, "': expected overlay, fuse-overlayfs or vfs");
}

std::optional<std::string> fuse_unusable() {
  if (find_on_path(kFuseProgram).empty()) return "fuse-overlayfs is not installed (Debian package fuse-overlayfs)";
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    int e = errno;
    if (e == ENOENT) return "there is no /dev/fuse (as root: modprobe fuse)";
    return str("/dev/fuse is not readable and writable by you (", std::strerror(e),
               "; distributions make it 0666: as root, chmod 0666 /dev/fuse)");
  }
  return std::nullopt;
}

namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

constexpr const char* kProbeFile = "storage-probe";

// In a child: a user namespace mapping only the caller's ids, a mount
// namespace it owns, and an overlay of two lower layers with an upper one
// (what a container needs), with `dir` as the working directory. Reports
// the kernel's answer on stderr.
[[noreturn]] void probe_child(uid_t uid, gid_t gid, int err_fd) {
  run_child([&] {
    ::dup2(err_fd, STDERR_FILENO);
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) throw_errno("cannot create a user namespace");
    if (write_file("/proc/self/setgroups", "deny") || write_file("/proc/self/uid_map", str("0 ", uid, " 1")) ||
        write_file("/proc/self/gid_map", str("0 ", gid, " 1")))
      throw_errno("cannot map the user namespace");
    make_overlay(OverlaySpec{{"l1", "l2"}, "u", "w", false}, 0);
    return 0;
  });
}

Probe run_probe(const std::string& image_root) {
  std::string base = image_root + "/containers";
  mkdir_p(base, 0700);
  std::string dir = base + "/.storage-probe-" + std::to_string(::getpid());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno(str("cannot create ", dir));
  for (const char* d : {"/l1", "/l2", "/u", "/w"}) ::mkdir((dir + d).c_str(), 0700);
  Pipe err = make_pipe();
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  pid_t pid = ::fork();
  if (pid < 0) {
    remove_tree(dir);
    throw_errno("cannot fork");
  }
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) std::_Exit(kExitToolFailure);
    probe_child(uid, gid, err.write.get());
  }
  err.write.reset();
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(err.read.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  int code = exit_code_from_wait(wait_child(pid));
  remove_tree(dir);
  Probe p;
  p.ok = code == 0;
  if (!p.ok) {
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    // "rt-run: cannot mount overlay (...): create: Operation not permitted ..." -> after the tool's name
    auto colon = msg.find(": ");
    p.why = colon == std::string::npos ? msg : msg.substr(colon + 2);
    if (p.why.empty()) p.why = str("the probe exited with status ", code);
  }
  return p;
}

}  // namespace

Probe kernel_overlay(const std::string& state_root, const std::string& image_root) {
  if (::geteuid() == 0) return {};
  // Cached for this boot and this image root: the answer changes with the
  // kernel (a reboot) or the file system the layers are on.
  std::string boot = trim(try_read_file("/proc/sys/kernel/random/boot_id").value_or(""));
  std::string key = str(boot, "\n", image_root, "\n");
  std::string cache = state_root + "/" + kProbeFile;
  if (auto text = try_read_file(cache); text && starts_with(*text, key)) {
    std::string rest = text->substr(key.size());
    if (rest == "ok\n") return {};
    if (starts_with(rest, "no: ")) return {false, trim(rest.substr(4))};
  }
  log::step("probing overlayfs in a user namespace");
  Probe p = run_probe(image_root);
  log::step("overlayfs in a user namespace: ", p.ok ? "works" : p.why);
  try {
    mkdir_p(state_root, 0700);
    write_file_atomic(cache, key + (p.ok ? std::string("ok\n") : str("no: ", p.why, "\n")), 0600, false);
  } catch (const Error& e) {
    log::debug("cannot cache the storage probe: ", e.what());
  }
  return p;
}

Choice choose(std::string_view asked, std::string_view what, const std::string& state_root,
              const std::string& image_root) {
  Choice c;
  if (!asked.empty() && asked != "auto") {
    auto d = parse(asked);
    if (!d) throw Error(bad_value(what, asked));
    c.driver = *d;
    c.forced = true;
    return c;
  }
  Probe p = kernel_overlay(state_root, image_root);
  if (p.ok) return c;
  c.why = str("overlayfs cannot be mounted in a user namespace here (", p.why, ")");
  if (auto no = fuse_unusable()) {
    c.driver = Driver::vfs;
    c.why += str(", nor fuse-overlayfs used: ", *no);
  } else {
    c.driver = Driver::fuse;
  }
  return c;
}

std::string vfs_fallback_note(const Choice& c) {
  return str("storage: copying the image's layers into the container (vfs: slow, and a copy per container): ", c.why);
}

}  // namespace rt::storage
