// Storage drivers: how a container's root is assembled from the image's
// layers and the container's own writable layer (rt-mount
// --storage-driver), and which one rt-run uses when not told.
//
//   overlay         the kernel's overlayfs (in a user namespace without
//                   root: Linux 5.11 on, or a kernel that allows it)
//   fuse-overlayfs  the same in user space (Debian's fuse-overlayfs), a
//                   process serving the container's root for its lifetime
//   vfs             a copy of the layers into the writable layer, bound as
//                   the root: slow to start and costs the image's size per
//                   container, but works everywhere (podman's name for it)
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace rt::storage {

enum class Driver { overlay, fuse, vfs };

// The environment variable that forces a driver (as podman's
// STORAGE_DRIVER); rt-run --storage-driver wins over it.
inline constexpr const char* kEnvVar = "RT_STORAGE_DRIVER";
inline constexpr const char* kFuseProgram = "fuse-overlayfs";

// "overlay", "fuse-overlayfs", "vfs".
const char* name(Driver d);
// The reverse; nullopt for anything else.
std::optional<Driver> parse(std::string_view s);
// The one-line message for a value parse() refuses, naming `what` (the
// option or variable it came from).
std::string bad_value(std::string_view what, std::string_view value);

// Why fuse-overlayfs cannot serve a container here (not on PATH, or
// /dev/fuse missing or not readable and writable by the caller), with the
// remedy; nullopt when it can.
std::optional<std::string> fuse_unusable();

// Can this user mount the kernel's overlayfs in a user namespace of its
// own? Tried once (a child in a new user and mount namespace mounts an
// overlay of empty directories made below IMAGE_ROOT/containers, where
// containers' layers go), then read from a cache in STATE_ROOT
// (storage-probe) until the next boot or another image root. Always true
// for root, which needs no user namespace. Throws rt::Error only when the
// directories cannot be made.
struct Probe {
  bool ok = true;
  std::string why;  // when not: the kernel's answer
};
Probe kernel_overlay(const std::string& state_root, const std::string& image_root);

struct Choice {
  Driver driver = Driver::overlay;
  bool forced = false;  // named by --storage-driver or RT_STORAGE_DRIVER
  std::string why;      // a fallback: why not the kernel's overlayfs (and fuse-overlayfs)
};
// The driver a container gets: `asked` (a value parse() takes, or "" or
// "auto" to choose), else the kernel's overlayfs where it works, else
// fuse-overlayfs where it is usable, else vfs. Throws rt::Error for a bad
// `asked` (naming `what`).
Choice choose(std::string_view asked, std::string_view what, const std::string& state_root,
              const std::string& image_root);

// The one line a user is told when a container falls back to the copy.
std::string vfs_fallback_note(const Choice& c);

}  // namespace rt::storage
