// rt-mount: in a new mount namespace, assemble the container's root, pivot
// into it, exec.
//
//   rt-mount (--rootfs DIR | --lower A[:B...] [--upper U --work W [--volatile]] [--rootfs MNT])
//            [--defaults] [--proc] [--sys] [--cgroupfs] [--dev] [--shm] [--mqueue] [--tmp]
//            [--bind SRC:DST[:ro]]... [--tmpfs DST[:OPTS]]... [--mask PATH]...
//            [--readonly-path PATH]... [--read-only] [--workdir DIR] [--chroot]
//            [--] PROGRAM [ARGS...]
//
// Order: refuse the host's mount namespace; validate every option and open
// every host path; make / recursively private; mount the root; proc, sys, cgroupfs,
// dev (+pts, console), shm, mqueue, tmp; --bind/--tmpfs (parents first);
// masked and read-only paths; --workdir; --read-only; pivot_root (or chroot);
// exec. Every path inside the root is resolved with openat2 RESOLVE_IN_ROOT
// and mounted on through its fd, so no symlink in the image can lead a mount
// (or a mkdir) out of the root.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "cgroup.hpp"
#include "chain.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "mount.hpp"
#include "parse.hpp"

namespace {
using namespace rt;

struct UserMount {
  bool is_bind = true;
  std::string spec;    // as given, for messages
  std::string target;  // normalised container path
  size_t depth = 0;    // components in target: parents are mounted first
  // --bind
  UniqueFd source;
  bool source_is_dir = true;
  bool read_only = false;
  // --tmpfs
  unsigned long flags = 0;
  std::string data;
};

struct Options {
  std::string rootfs;  // the root (bind), or where the overlay is mounted
  UniqueFd rootfs_fd;
  OverlaySpec overlay;  // no lower layers: --rootfs is bound as the root
  bool proc = false, sys = false, dev = false, shm = false, mqueue = false, tmp = false, cgroupfs = false;
  bool read_only = false, chroot = false;
  std::vector<UserMount> mounts;
  std::vector<std::string> masked, readonly;
  std::string workdir;
};

// The overlay's mount point when no --rootfs is given: /tmp of this private
// mount namespace (as bubblewrap does). Every host path rt-mount needs is
// opened before the root is attached, so covering it hides nothing needed.
constexpr const char* kDefaultOverlayMountPoint = "/tmp";

bool asks_for_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if (a == "--help" || a == "--version") return true;
  }
  return false;
}

UniqueFd open_host_dir(const std::string& path, const char* what) {
  UniqueFd fd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) die_errno(str("invalid ", what, " ", path));
  return fd;
}

struct stat check_host_dir(const std::string& path, const char* what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) die_errno(str("invalid ", what, " ", path));
  if (!S_ISDIR(st.st_mode)) die_sys(ENOTDIR, str("invalid ", what, " ", path));
  return st;
}

size_t depth_of(const std::string& p) { return static_cast<size_t>(std::count(p.begin(), p.end(), '/')); }

// Whether we are in a cgroup namespace other than the host's: the initial
// one has a fixed inode number (PROC_CGROUP_INIT_INO, linux/proc_ns.h).
// (/proc/1/ns/cgroup cannot be compared: from a new pid namespace it is
// often not readable.)
bool in_own_cgroup_ns() {
  constexpr ino_t kInitCgroupNsIno = 0xEFFFFFFBU;
  struct stat st {};
  return ::stat("/proc/self/ns/cgroup", &st) == 0 && st.st_ino != kInitCgroupNsIno;
}

// Parse and check everything before the first mount: a bad value must leave
// nothing behind.
Options validate(const po::variables_map& vm) {
  Options o;
  o.rootfs = opt<std::string>(vm, "rootfs");
  for (const auto& l : opts<std::string>(vm, "lower"))
    for (auto& layer : split(l, ':')) {
      if (layer.empty()) die(str("invalid --lower '", l, "': empty layer (expected DIR[:DIR...])"));
      o.overlay.lower.push_back(std::move(layer));
    }
  o.overlay.upper = opt<std::string>(vm, "upper");
  o.overlay.work = opt<std::string>(vm, "work");
  o.overlay.no_sync = flag(vm, "volatile");
  if (o.overlay.lower.empty()) {
    if (o.rootfs.empty()) die("no root given: use --rootfs DIR, or --lower DIR[:DIR...] --upper U --work W");
    if (!o.overlay.upper.empty() || !o.overlay.work.empty()) die("--upper and --work need --lower");
  }
  if (o.overlay.upper.empty() != o.overlay.work.empty()) die("--upper and --work go together");
  if (o.overlay.no_sync && o.overlay.upper.empty()) die("--volatile needs --upper and --work");
  for (const auto& l : o.overlay.lower) check_host_dir(l, "--lower layer");
  if (!o.overlay.upper.empty()) {
    // overlayfs reports these to the kernel log only: name them here.
    struct stat up = check_host_dir(o.overlay.upper, "--upper"), wk = check_host_dir(o.overlay.work, "--work");
    if (up.st_dev != wk.st_dev)
      die(str("--upper ", o.overlay.upper, " and --work ", o.overlay.work, " must be on the same filesystem"));
    if (up.st_ino == wk.st_ino)
      die(str("--upper and --work must be different directories (both ", o.overlay.work, ")"));
  }
  o.rootfs_fd = open_host_dir(o.rootfs.empty() ? kDefaultOverlayMountPoint : o.rootfs,
                              o.rootfs.empty() ? "overlay mount point" : "--rootfs");
  if (o.rootfs.empty()) o.rootfs = kDefaultOverlayMountPoint;

  bool defaults = flag(vm, "defaults");
  o.proc = defaults || flag(vm, "proc");
  o.sys = defaults || flag(vm, "sys");
  o.dev = defaults || flag(vm, "dev");
  o.shm = defaults || flag(vm, "shm");
  o.mqueue = defaults || flag(vm, "mqueue");
  o.tmp = defaults || flag(vm, "tmp");
  // Mounted in a cgroup namespace the cgroup tree shows the container's own
  // groups; without one it would show the host's whole tree: --defaults
  // then leaves /sys/fs/cgroup empty, an explicit --cgroupfs is refused.
  o.cgroupfs = (defaults || flag(vm, "cgroupfs")) && in_own_cgroup_ns();
  if (flag(vm, "cgroupfs") && !o.cgroupfs)
    die("--cgroupfs needs a cgroup namespace of its own (rt-unshare --cgroup): without one it would show the host's "
        "whole cgroup tree");
  if (o.cgroupfs && !o.sys) die("--cgroupfs needs --sys (it mounts on /sys/fs/cgroup)");
  o.read_only = flag(vm, "read-only");
  o.chroot = flag(vm, "chroot");

  for (const auto& s : opts<std::string>(vm, "bind")) {
    BindSpec b = parse_bind_spec(s);
    UserMount m;
    m.spec = str("--bind ", s);
    m.target = b.target;
    m.read_only = b.read_only;
    m.source = UniqueFd(::open(b.source.c_str(), O_PATH | O_CLOEXEC));
    if (!m.source) die_errno(str("invalid --bind '", s, "': source ", b.source));
    struct stat st {};
    if (::fstat(m.source.get(), &st) != 0) die_errno(str("invalid --bind '", s, "': source ", b.source));
    m.source_is_dir = S_ISDIR(st.st_mode);
    o.mounts.push_back(std::move(m));
  }
  for (const auto& s : opts<std::string>(vm, "tmpfs")) {
    TmpfsSpec t = parse_tmpfs_spec(s);
    UserMount m;
    m.is_bind = false;
    m.spec = str("--tmpfs ", s);
    m.target = t.target;
    m.flags = t.flags;
    m.data = std::move(t.data);
    o.mounts.push_back(std::move(m));
  }
  for (size_t i = 0; i < o.mounts.size(); ++i) {
    o.mounts[i].depth = depth_of(o.mounts[i].target);
    for (size_t j = 0; j < i; ++j)
      if (o.mounts[j].target == o.mounts[i].target)
        die(str("duplicate mount point ", o.mounts[i].target, " (", o.mounts[j].spec, " and ", o.mounts[i].spec, ")"));
  }
  std::stable_sort(o.mounts.begin(), o.mounts.end(),
                   [](const UserMount& a, const UserMount& b) { return a.depth < b.depth; });

  if (defaults) {
    for (const char* p : kDefaultMaskedPaths) o.masked.emplace_back(p);
    for (const char* p : kDefaultReadonlyPaths) o.readonly.emplace_back(p);
  }
  for (const auto& p : opts<std::string>(vm, "mask")) {
    o.masked.push_back(container_path(p, "--mask"));
    if (o.masked.back() == "/") die("invalid --mask '/': cannot mask the root");
  }
  for (const auto& p : opts<std::string>(vm, "readonly-path")) {
    o.readonly.push_back(container_path(p, "--readonly-path"));
    if (o.readonly.back() == "/") die("invalid --readonly-path '/': use --read-only");
  }
  if (vm.count("workdir")) o.workdir = container_path(opt<std::string>(vm, "workdir"), "--workdir");
  return o;
}

// The container's root while it is being assembled.
struct Root {
  UniqueFd fd;                 // the root mount (RESOLVE_IN_ROOT anchor)
  uint64_t protected_mnt = 0;  // a bound --rootfs: never create anything on it
  std::string rootfs;          // for messages

  // The mount point PATH, created if missing (as KIND).
  UniqueFd at(const std::string& path, Create kind, std::string_view what) const {
    std::error_code ec;
    UniqueFd t = mount_point_in_root(fd.get(), path, kind, protected_mnt, ec);
    if (t) return t;
    if (ec.value() == EXDEV)
      die(str("cannot create ", path, " for ", what, ": it is missing in --rootfs ", rootfs,
              ", which rt-mount never modifies (create it there, or give the container a writable layer with "
              "--lower ",
              rootfs, " --upper U --work W)"));
    die_sys(ec.value(), str("cannot create ", path, " for ", what, " in the root"));
  }
};

// Mount a filesystem of type FSTYPE on PATH (created if missing) for the
// option WHAT; returns the mount point's fd.
UniqueFd mount_fs(const Root& root, const char* what, const char* path, const char* fstype, const char* source,
                  unsigned long flags, const char* data, const char* hint = "") {
  UniqueFd t = root.at(path, Create::dir, what);
  if (int e = mount_on_fd_errno(source, t.get(), fstype, flags, data))
    die_sys(e, str("cannot mount ", fstype, " on ", path, e == EPERM ? hint : ""));
  log::step("mounted ", fstype, " on ", path);
  return t;
}

Root mount_root(const Options& o) {
  Root root;
  root.rootfs = o.rootfs;
  UniqueFd mnt;
  const char* how;
  if (!o.overlay.lower.empty() && (o.overlay.lower.size() > 1 || !o.overlay.upper.empty())) {
    mnt = make_overlay(o.overlay, o.overlay.upper.empty() ? MOUNT_ATTR_RDONLY : 0);
    how = o.overlay.upper.empty() ? "read-only overlay" : "overlay";
  } else {
    // A bound --rootfs, or a single --lower without --upper (overlayfs
    // wants two layers to be read-only): a read-only bind of that layer.
    bool layer = !o.overlay.lower.empty();
    UniqueFd src = layer ? open_host_dir(o.overlay.lower[0], "--lower layer") : UniqueFd();
    mnt = clone_tree(layer ? src.get() : o.rootfs_fd.get(), true);
    if (!mnt) die_errno(str("cannot bind ", layer ? o.overlay.lower[0] : o.rootfs, " as the root"));
    if (layer) {
      if (int e = set_mount_attr_errno(mnt.get(), MOUNT_ATTR_RDONLY, 0, true))
        die_sys(e, str("cannot make ", o.overlay.lower[0], " read-only"));
    }
    how = layer ? "read-only bind of the layer" : "bind";
  }
  if (int e = attach_mount_errno(mnt.get(), o.rootfs_fd.get())) die_sys(e, str("cannot mount the root on ", o.rootfs));
  log::step("mounted the root (", how, ") on ", o.rootfs);
  root.fd = std::move(mnt);
  if (o.overlay.lower.empty()) root.protected_mnt = mount_id_of(root.fd.get());
  return root;
}

void mount_sys(const Root& root) {
  UniqueFd t = root.at("/sys", Create::dir, "--sys");
  constexpr unsigned long kFlags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  int e = mount_on_fd_errno("sysfs", t.get(), "sysfs", kFlags, nullptr);
  if (e == 0) {
    log::step("mounted sysfs on /sys (read-only)");
    return;
  }
  if (e != EPERM) die_sys(e, "cannot mount sysfs on /sys");
  // A user namespace without a network namespace of its own may not mount
  // sysfs: bind the host's /sys, read-only all the way down.
  UniqueFd host(::open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd tree = host ? clone_tree(host.get(), true) : UniqueFd();
  if (!tree) die_errno("cannot mount sysfs on /sys (not permitted) nor bind the host's /sys");
  if (int e2 = set_mount_attr_errno(
          tree.get(), MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0, true))
    die_sys(e2, "cannot make the bind of /sys read-only");
  if (int e2 = attach_mount_errno(tree.get(), t.get())) die_sys(e2, "cannot bind the host's /sys on /sys");
  log::step("sysfs not permitted: bound the host's /sys on /sys (read-only)");
}

// /sys/fs/cgroup as docker shows it, read-only: the container's own groups
// (its cgroup namespace's root). v2: one cgroup2 mount. v1 and hybrid: a
// tmpfs with a mount per hierarchy, named as /proc/self/cgroup names it, a
// link per controller of a combined one ("cpu" -> "cpu,cpuacct"), and the
// v2 tree on "unified". A hierarchy in which the container has no group of
// its own is left out: it would show the host's whole tree. The host's
// mount of it tells (cgroup::detect reads its root as this namespace sees
// it: "/" when the namespace's root is the mount's), and the new mount
// confirms (only a hierarchy's root has release_agent on v1 and lacks
// cgroup.events on v2).
void mount_cgroupfs(const Root& root) {
  cgroup::Host host = cgroup::detect();
  if (host.fake) die("--cgroupfs: RT_CGROUP_FS is set (a fake cgroup tree cannot be mounted)");
  std::vector<std::string> shown, hidden;
  auto attach = [&](const cgroup::Hierarchy& h, const std::string& path) {
    std::string controllers = h.v2 ? std::string() : join(h.controllers, ",");
    UniqueFd m;
    if (h.root != "/") {
      try {
        m = make_cgroup_mount(controllers);
      } catch (const Error& e) {
        if (e.err() != EPERM) throw;  // v1 in a user namespace: not permitted
      }
    }
    bool own = m && (h.v2 ? ::faccessat(m.get(), "cgroup.events", F_OK, 0) == 0
                          : ::faccessat(m.get(), "release_agent", F_OK, 0) != 0);
    (own ? shown : hidden).push_back(h.label());
    if (!own) return false;
    UniqueFd t = root.at(path, Create::dir, "--cgroupfs");
    if (int e = attach_mount_errno(m.get(), t.get())) die_sys(e, str("cannot mount the cgroup tree on ", path));
    return true;
  };
  if (host.mode == cgroup::Mode::v2) {
    attach(*host.unified(), "/sys/fs/cgroup");
  } else {
    mount_fs(root, "--cgroupfs", "/sys/fs/cgroup", "tmpfs", "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
    UniqueFd top = root.at("/sys/fs/cgroup", Create::never, "--cgroupfs");
    for (const auto& h : host.hierarchies) {
      std::string name = h.v2 ? "unified" : starts_with(h.label(), "name=") ? h.label().substr(5) : h.label();
      if (!attach(h, "/sys/fs/cgroup/" + name) || h.controllers.size() < 2) continue;
      for (const auto& one : h.controllers)
        if (::symlinkat(name.c_str(), top.get(), one.c_str()) != 0 && errno != EEXIST)
          die_errno(str("cannot link /sys/fs/cgroup/", one));
    }
    if (int e = set_mount_attr_errno(top.get(), MOUNT_ATTR_RDONLY, 0, false))
      die_sys(e, "cannot make /sys/fs/cgroup read-only");
  }
  log::step("mounted cgroups on /sys/fs/cgroup (read-only): ", join(shown, " "),
            hidden.empty() ? "" : "; left out (no group of its own, or not permitted): ", join(hidden, " "));
}

struct DevNode {
  const char* name;
  unsigned major, minor;
};
constexpr DevNode kDevNodes[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                                 {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
constexpr const char* kDevLinks[][2] = {{"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"},
                                        {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
                                        {"ptmx", "pts/ptmx"},          {"core", "/proc/kcore"}};

// An empty regular file NAME in DIR, to bind a device node on.
UniqueFd dev_file(int dir, const char* name) {
  int f = ::openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (f < 0) die_errno(str("cannot create /dev/", name));
  ::close(f);
  UniqueFd fd(::openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) die_errno(str("cannot open /dev/", name));
  return fd;
}

void mount_dev(const Root& root) {
  mount_fs(root, "--dev", "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  std::error_code ec;
  UniqueFd dev = open_in_root(root.fd.get(), "/dev", O_PATH | O_DIRECTORY, ec);
  if (!dev) die_sys(ec.value(), "cannot open /dev after mounting it");
  bool mknod_ok = true;
  for (const auto& n : kDevNodes) {
    if (mknod_ok) {
      if (::mknodat(dev.get(), n.name, S_IFCHR | 0666, makedev(n.major, n.minor)) == 0) continue;
      if (errno != EPERM) die_errno(str("cannot create /dev/", n.name));
      mknod_ok = false;  // a user namespace: bind the host's nodes instead
    }
    UniqueFd f = dev_file(dev.get(), n.name);
    std::string host = str("/dev/", n.name);
    if (int e = mount_on_fd_errno(host.c_str(), f.get(), nullptr, MS_BIND, nullptr))
      die_sys(e, str("cannot bind the host's ", host, " on /dev/", n.name, " (mknod is not permitted)"));
  }
  log::step(mknod_ok ? "created" : "bound the host's", " /dev/{null,zero,full,random,urandom,tty}");
  for (const auto& l : kDevLinks)
    if (::symlinkat(l[1], dev.get(), l[0]) != 0) die_errno(str("cannot create the symlink /dev/", l[0]));
  if (::mkdirat(dev.get(), "pts", 0755) != 0) die_errno("cannot create /dev/pts");
  UniqueFd pts(::openat(dev.get(), "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!pts) die_errno("cannot open /dev/pts");
  constexpr unsigned long kPtsFlags = MS_NOSUID | MS_NOEXEC;
  int e = mount_on_fd_errno("devpts", pts.get(), "devpts", kPtsFlags, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  if (e == EINVAL)  // gid 5 is not mapped in this user namespace
    e = mount_on_fd_errno("devpts", pts.get(), "devpts", kPtsFlags, "newinstance,ptmxmode=0666,mode=0620");
  if (e) die_sys(e, "cannot mount devpts on /dev/pts");
  log::step("mounted devpts on /dev/pts");
  if (::isatty(STDIN_FILENO)) {
    // As docker -t: /dev/console is the terminal the container was given.
    // Bound by its path: the mount behind fd 0 belongs to the namespace
    // this one was copied from, and the kernel binds only from this one.
    char tty[256];
    if (int e2 = ::ttyname_r(STDIN_FILENO, tty, sizeof tty))
      die_sys(e2, "cannot find the name of the terminal on stdin for /dev/console");
    UniqueFd c = dev_file(dev.get(), "console");
    if (int e2 = mount_on_fd_errno(tty, c.get(), nullptr, MS_BIND, nullptr))
      die_sys(e2, str("cannot bind the terminal ", tty, " on /dev/console"));
    log::step("bound the terminal ", tty, " on /dev/console");
  }
}

void mount_user(const Root& root, const UserMount& m) {
  if (!m.is_bind) {
    UniqueFd t = root.at(m.target, Create::dir, m.spec);
    if (int e = mount_on_fd_errno("tmpfs", t.get(), "tmpfs", m.flags, m.data.c_str()))
      die_sys(e, str("cannot mount tmpfs on ", m.target, m.data.empty() ? "" : " with " + m.data));
    log::step("mounted tmpfs on ", m.target);
    return;
  }
  UniqueFd t = root.at(m.target, m.source_is_dir ? Create::dir : Create::file, m.spec);
  UniqueFd tree = clone_tree(m.source.get(), true);
  if (!tree) die_errno(str("cannot bind ", m.spec));
  if (m.read_only) {
    if (int e = set_mount_attr_errno(tree.get(), MOUNT_ATTR_RDONLY, 0, true))
      die_sys(e, str("cannot make ", m.spec, " read-only"));
  }
  if (int e = attach_mount_errno(tree.get(), t.get())) die_sys(e, str("cannot bind ", m.spec, " on ", m.target));
  log::step("bound ", m.target, m.read_only ? " (read-only)" : "");
}

// Masked paths: /dev/null over a file, an empty read-only tmpfs over a
// directory. Paths missing in the root are skipped, as runc does.
void mask(const Root& root, const std::string& path) {
  std::error_code ec;
  UniqueFd t = open_in_root(root.fd.get(), path, O_PATH, ec);
  if (!t) {
    if (ec.value() == ENOENT) return;
    die_sys(ec.value(), str("cannot mask ", path));
  }
  struct stat st {};
  if (::fstat(t.get(), &st) != 0) die_errno(str("cannot mask ", path));
  int e = S_ISDIR(st.st_mode)
              ? mount_on_fd_errno("tmpfs", t.get(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755")
              : mount_on_fd_errno("/dev/null", t.get(), nullptr, MS_BIND, nullptr);
  if (e) die_sys(e, str("cannot mask ", path));
  log::step("masked ", path);
}

void make_readonly(const Root& root, const std::string& path) {
  std::error_code ec;
  UniqueFd t = open_in_root(root.fd.get(), path, O_PATH, ec);
  if (!t) {
    if (ec.value() == ENOENT) return;
    die_sys(ec.value(), str("cannot make ", path, " read-only"));
  }
  UniqueFd tree = clone_tree(t.get(), true);
  if (!tree) die_errno(str("cannot make ", path, " read-only"));
  int e = set_mount_attr_errno(tree.get(), MOUNT_ATTR_RDONLY, 0, true);
  if (!e) e = attach_mount_errno(tree.get(), t.get());
  if (e) die_sys(e, str("cannot make ", path, " read-only"));
  log::step("made ", path, " read-only");
}

int run(int argc, char** argv) {
  // Safety first: a mount made in the host's namespace would change the
  // host's mount table. Only --help and --version may pass, and the check
  // is repeated after parsing in case they were an option's value.
  std::string refusal = why_not_private_mount_ns();
  if (!refusal.empty() && !asks_for_help(argc, argv)) die(refusal);

  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("rootfs", po::value<std::string>()->value_name("DIR"), "bind DIR as the root; with --lower: where the overlay is mounted")
      ("lower", po::value<std::vector<std::string>>()->composing()->value_name("DIR[:DIR...]"), "overlayfs lower layers, top-most first; repeatable")
      ("upper", po::value<std::string>()->value_name("DIR"), "overlayfs upper layer: the container's writes land here")
      ("work", po::value<std::string>()->value_name("DIR"), "overlayfs work directory (same filesystem as --upper)")
      ("volatile", po::bool_switch(), "never sync the upper layer (no sync at unmount, fsync a no-op): for a layer thrown away afterwards")
      ("defaults", po::bool_switch(), "--proc --sys --cgroupfs --dev --shm --mqueue --tmp and the default masked and read-only paths")
      ("proc", po::bool_switch(), "mount proc on /proc (nosuid, noexec, nodev)")
      ("sys", po::bool_switch(), "mount sysfs read-only on /sys")
      ("cgroupfs", po::bool_switch(), "mount the container's cgroups read-only on /sys/fs/cgroup (needs a cgroup namespace)")
      ("dev", po::bool_switch(), "tmpfs on /dev with the standard nodes, symlinks, devpts and console")
      ("shm", po::bool_switch(), "tmpfs on /dev/shm (1777, 64m)")
      ("mqueue", po::bool_switch(), "mqueue on /dev/mqueue")
      ("tmp", po::bool_switch(), "tmpfs on /tmp (1777)")
      ("bind", po::value<std::vector<std::string>>()->composing()->value_name("SRC:DST[:ro]"), "bind SRC (recursively) on DST; repeatable")
      ("tmpfs", po::value<std::vector<std::string>>()->composing()->value_name("DST[:OPTS]"), "mount a tmpfs on DST (docker's options: size=64m,mode=1777,...); repeatable")
      ("mask", po::value<std::vector<std::string>>()->composing()->value_name("PATH"), "hide PATH (/dev/null over a file, empty tmpfs over a directory); repeatable")
      ("readonly-path", po::value<std::vector<std::string>>()->composing()->value_name("PATH"), "make PATH read-only; repeatable")
      ("read-only", po::bool_switch(), "make the root read-only once everything is mounted")
      ("workdir", po::value<std::string>()->value_name("DIR"), "working directory (created if missing)")
      ("chroot", po::bool_switch(), "chroot instead of pivot_root (weaker: chroot can be escaped)");
  // clang-format on
  po::variables_map vm;
  int prog =
      parse_chain(argc, argv, desc, vm,
                  {"rt-mount [OPTIONS] [--] PROGRAM [ARGS...]",
                   "In a new mount namespace: assemble the container's root, pivot_root into it, exec PROGRAM."});
  if (!refusal.empty()) die(refusal);
  log::step("checked the mount namespace");

  Options o = validate(vm);
  UniqueFd tool = open_chain_tool(argv[prog]);
  mode_t old_umask = ::umask(0);  // modes below are exact

  if (int e = make_mounts_private_errno()) die_sys(e, "cannot make / private");
  log::step("made / private (recursive)");

  Root root = mount_root(o);
  if (o.proc) mount_fs(root, "--proc", "/proc", "proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, nullptr);
  if (o.sys) mount_sys(root);
  if (o.cgroupfs) mount_cgroupfs(root);
  if (o.dev) mount_dev(root);
  if (o.shm)
    mount_fs(root, "--shm", "/dev/shm", "tmpfs", "shm", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  if (o.mqueue)
    mount_fs(root, "--mqueue", "/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr,
             " (hint: in a user namespace, mqueue needs an IPC namespace of its own: rt-unshare --ipc)");
  if (o.tmp) mount_fs(root, "--tmp", "/tmp", "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
  for (const auto& m : o.mounts) mount_user(root, m);
  for (const auto& p : o.masked) mask(root, p);
  for (const auto& p : o.readonly) make_readonly(root, p);

  UniqueFd wd;
  if (!o.workdir.empty()) {
    wd = root.at(o.workdir, Create::dir, "--workdir");
    struct stat st {};
    if (::fstat(wd.get(), &st) != 0 || !S_ISDIR(st.st_mode)) die_sys(ENOTDIR, str("invalid --workdir ", o.workdir));
  }
  if (o.read_only) {
    if (int e = set_mount_attr_errno(root.fd.get(), MOUNT_ATTR_RDONLY, 0, false))
      die_sys(e, "cannot make the root read-only");
    log::step("made the root read-only");
  }

  if (::fchdir(root.fd.get()) != 0) die_errno(str("cannot enter the root ", o.rootfs));
  if (o.chroot) {
    if (::chroot(".") != 0) die_errno(str("cannot chroot into ", o.rootfs));
    log::step("chroot into ", o.rootfs);
  } else {
    // pivot_root(".", "."): the old root ends up stacked on the new one and
    // is detached at once, so nothing of the host stays reachable.
    if (::syscall(SYS_pivot_root, ".", ".") != 0) {
      int e = errno;
      die_sys(e,
              str("cannot pivot_root into ", o.rootfs) +
                  (e == EINVAL ? " (hint: a root on an initramfs cannot be pivoted; --chroot can, less safely)" : ""));
    }
    log::step("pivot_root into ", o.rootfs);
    if (::umount2(".", MNT_DETACH) != 0) die_errno("cannot detach the old root");
    log::step("detached the old root");
  }
  if (::chdir("/") != 0) die_errno("cannot chdir to / in the new root");
  if (wd && ::fchdir(wd.get()) != 0) die_errno(str("cannot chdir to ", o.workdir));

  ::umask(old_umask);
  if (tool) {
    log::step("exec ", argv[prog], " (the host's, opened before pivot_root)");
    exec_chain_tool(tool.get(), argv + prog);
  }
  log::step("exec ", argv[prog]);
  exec_program(argv + prog);
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run, argc, argv); }
