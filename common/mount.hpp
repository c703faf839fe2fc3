// Mounts: the safety check, helpers around mount(2) and the new mount API
// (open_tree, move_mount, mount_setattr, fsopen/fsmount), mount points
// resolved inside a root, and the parsers for docker-style --bind/--tmpfs
// values (so rt-run can validate what it passes on to rt-mount).
//
// Functions named *_errno return 0 or an errno value, so the caller can name
// what failed and where ("cannot mount proc on /proc: ..."). Everything that
// returns an fd returns it CLOEXEC.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "fd.hpp"

namespace rt {

// ---- Safety ---------------------------------------------------------------

// Empty when the calling process is provably in a mount namespace other than
// the host's (PID 1's); otherwise why it is not, or why that cannot be
// checked. The namespaces are compared by /proc/self/ns/mnt and
// /proc/1/ns/mnt; when PID 1's cannot be read (an unprivileged caller, or a
// PID 1 that forbids inspection), by whether /proc/1/mountinfo lists the
// mount the caller's root is on (mount ids are unique across namespaces, and
// a copied namespace gets new ones).
std::string why_not_private_mount_ns();

// mount(NULL, "/", NULL, MS_REC|MS_PRIVATE): nothing mounted from here on
// propagates to another namespace. Returns 0 or errno.
int make_mounts_private_errno();

// ---- Paths inside a root --------------------------------------------------

// Lexically normalise an absolute container path: "//a/./b/../c" -> "/a/c";
// ".." never climbs above "/". Throws rt::Error ("invalid WHAT ...") when
// PATH is empty or relative.
std::string container_path(std::string_view path, std::string_view what);

// The mount id of the mount FD lies on (statx STATX_MNT_ID); 0 on failure.
uint64_t mount_id_of(int fd);

enum class Create { never, dir, file };

// An O_PATH fd of PATH inside the root ROOT_FD, resolved with
// rt::open_in_root (openat2 RESOLVE_IN_ROOT: no symlink or ".." leads out of
// the root). Missing components are created as directories (the last one as
// KIND says), each in the directory resolved before it, by name only, so a
// symlink planted in the rootfs cannot redirect the creation. Nothing is
// ever created on the mount whose id is PROTECTED_MNT (0: none): that fails
// with EXDEV. On failure returns an invalid fd and sets `ec`.
UniqueFd mount_point_in_root(int root_fd, const std::string& path, Create kind, uint64_t protected_mnt,
                             std::error_code& ec);

// "/proc/self/fd/N" in a fixed buffer: the path through which mount(2)
// reaches exactly the object fd N refers to (no allocation).
class FdPath {
 public:
  explicit FdPath(int fd);
  const char* c_str() const { return buf_; }

 private:
  char buf_[32];
};

// ---- Mounting -------------------------------------------------------------

// mount(2) onto the object TARGET_FD refers to. Returns 0 or errno.
int mount_on_fd_errno(const char* source, int target_fd, const char* fstype, unsigned long flags, const char* data);
// A detached copy of the mount tree at FD (open_tree OPEN_TREE_CLONE,
// recursive when asked). Invalid fd and errno set on failure.
UniqueFd clone_tree(int fd, bool recursive);
// mount_setattr(2) on FD: set/clear MOUNT_ATTR_* bits. Returns 0 or errno.
int set_mount_attr_errno(int fd, uint64_t set, uint64_t clear, bool recursive);
// move_mount(2): attach the (detached) mount MNT_FD onto TARGET_FD.
int attach_mount_errno(int mnt_fd, int target_fd);

struct OverlaySpec {
  std::vector<std::string> lower;  // top-most first
  std::string upper, work;         // both empty: a read-only overlay
  bool no_sync = false;            // overlayfs "volatile": no sync of the upper layer
};
// A detached overlayfs mount (fsopen/fsconfig/fsmount) with MOUNT_ATTR_*
// `attrs`. Lower layers are passed one by one ("lowerdir+", Linux 6.5+, so
// no escaping is needed), or as one escaped "lowerdir" on older kernels.
// Throws rt::Error naming the layers, with the kernel's own message.
UniqueFd make_overlay(const OverlaySpec& spec, uint64_t attrs);
// make_overlay in two steps: an overlayfs context with the lower layers
// set (their paths resolved now), then the rest of `spec` and the mount.
// In between, the caller may cover the lower layers' paths (rt-mount
// --upper-tmpfs mounts the upper layer's tmpfs where the overlay goes).
UniqueFd overlay_with_lowers(const OverlaySpec& spec);
UniqueFd mount_overlay(int fs_fd, const OverlaySpec& spec, uint64_t attrs);

// A detached, read-only mount (MOUNT_ATTR_RDONLY: the hierarchy itself is
// untouched) of the cgroup hierarchy CONTROLLERS names as /proc/self/cgroup
// does ("memory", "cpu,cpuacct", "name=systemd"; empty: cgroup2). Its root
// is the caller's cgroup namespace's. Throws rt::Error with the kernel's
// message and errno (EPERM: v1 hierarchies in a user namespace).
UniqueFd make_cgroup_mount(const std::string& controllers);

// A mount at a path of the caller's namespace, detached (umount2
// MNT_DETACH) when the object dies unless release()d.
class ScopedMount {
 public:
  ScopedMount() = default;
  explicit ScopedMount(std::string path) : path_(std::move(path)) {}
  ScopedMount(const ScopedMount&) = delete;
  ScopedMount& operator=(const ScopedMount&) = delete;
  ScopedMount(ScopedMount&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ScopedMount& operator=(ScopedMount&& o) noexcept;
  ~ScopedMount() { reset(); }
  const std::string& path() const { return path_; }
  std::string release() { return std::exchange(path_, {}); }
  void reset();

 private:
  std::string path_;
};

// ---- Docker-style mount specs (shared with rt-run) --------------------------

struct BindSpec {
  std::string source;  // host path, as given
  std::string target;  // normalised container path
  bool read_only = false;
};
// "SRC:DST[:ro|rw]". Throws rt::Error on a malformed value.
BindSpec parse_bind_spec(std::string_view s);

struct TmpfsSpec {
  std::string target;   // normalised container path
  unsigned long flags;  // MS_* (default nosuid,nodev,noexec, as docker)
  std::string data;     // size=...,mode=...,uid=...,gid=...,nr_inodes=...
};
// "DST[:OPTIONS]" with OPTIONS as docker takes them (size=64m,mode=1777,
// uid=N,gid=N,nr_inodes=N,huge=...,ro,rw,exec,noexec,suid,nosuid,dev,nodev,
// ...). Throws rt::Error on an unknown or malformed option.
TmpfsSpec parse_tmpfs_spec(std::string_view s);

// A mount as an OCI config.json lists it, on one command line word:
// "type=T,source=S,destination=D[,OPTION...]" (src/dst/target are
// aliases). OPTIONs are runc's: the MS_* flag words of mount(8) (ro, rw,
// nosuid, nodev, noexec, relatime, strictatime, ...), bind or rbind, a
// propagation (private, rprivate, shared, rshared, slave, rslave,
// unbindable, runbindable); any other word is filesystem data (mode=755,
// size=64m, newinstance, ...). A source or data with a comma cannot be
// written this way; idmap, ridmap and tmpcopyup are refused.
struct MountSpec {
  std::string spec;    // as given, for messages
  std::string type;    // "bind" for a bind without a type
  std::string source;  // host path for a bind
  std::string target;  // normalised container path
  bool bind = false, recursive = false;
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, ... (set)
  unsigned long clear = 0;        // flags named off (rw, suid, ...)
  unsigned long propagation = 0;  // MS_PRIVATE|MS_SHARED|MS_SLAVE|MS_UNBINDABLE, | MS_REC
  std::string data;
};
// Throws rt::Error "invalid --mount 'x': why".
MountSpec parse_mount_spec(std::string_view s);

// runc's and docker's default masked and read-only paths.
inline constexpr const char* kDefaultMaskedPaths[] = {
    "/proc/acpi",        "/proc/asound",        "/proc/interrupts", "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",          "/sys/firmware",    "/sys/devices/virtual/powercap",
};
inline constexpr const char* kDefaultReadonlyPaths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

}  // namespace rt
