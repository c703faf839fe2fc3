// rt-mount: in a new mount namespace, assemble the container's root, pivot
// into it, exec.
//
//   rt-mount (--rootfs DIR | --lower A[:B...] [--upper U --work W [--volatile]
//            [--storage-driver overlay|fuse-overlayfs|vfs] | --upper-tmpfs] [--rootfs MNT])
//            [--defaults] [--proc] [--sys] [--cgroupfs] [--dev] [--shm] [--mqueue] [--tmp]
//            [--mount type=T,source=S,destination=D[,OPT...]]... [--mknod SPEC]... [--dev-nodes]
//            [--bind SRC:DST[:ro]]... [--tmpfs DST[:OPTS]]... [--mask PATH]...
//            [--readonly-path PATH]... [--read-only] [--workdir DIR] [--chroot]
//            [--root-propagation MODE] [--ready-fd FD --sync-fd FD]
//            [--] PROGRAM [ARGS...]
//
// Order: refuse the host's mount namespace; validate every option and open
// every host path; make / recursively private; attach the next link's
// read-only clone below the old root; mount the root; proc, sys, cgroupfs,
// dev (+pts, console), shm, mqueue, tmp; --mount (in order); --mknod; --dev-nodes;
// --bind/--tmpfs (parents first); the pause of --ready-fd/--sync-fd;
// masked and read-only paths; --workdir; --read-only; pivot_root (or chroot);
// --root-propagation; exec. Every path inside the root is resolved with openat2 RESOLVE_IN_ROOT
// and mounted on through its fd, so no symlink in the image can lead a mount
// (or a mkdir) out of the root.
//
// Errors (HACKING.md): validation dies, before anything is made; from
// making / private on, a failure is an exception, caught by guarded_main
// (one line, 125). What unwinding undoes: the vfs driver's unfinished copy
// in --work (a guard in make_copied_root). The rest needs nothing: mounts
// are in this process's own mount namespace and go with it; fuse-overlayfs
// is killed as this process ends (PR_SET_PDEATHSIG); mount points made in
// a writable layer or, with --rootfs-mkdir, in the bound root are the
// container's, as a start that succeeds would make them.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "cgroup_host.hpp"
#include "chain.hpp"
#include "copy.hpp"
#include "dir.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "mount.hpp"
#include "parse.hpp"
#include "process.hpp"
#include "storage.hpp"

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
  OverlaySpec overlay;       // no lower layers: --rootfs is bound as the root
  bool upper_tmpfs = false;  // the writable layer on a tmpfs of our own (--upper-tmpfs)
  storage::Driver driver = storage::Driver::overlay;
  std::string fuse_program;  // fuse-overlayfs: its path, and /dev/fuse opened
  UniqueFd fuse_dev;
  std::string fuse_log;  // --fuse-log: the daemon's stderr, opened (append)
  UniqueFd fuse_log_fd;
  bool proc = false, sys = false, dev = false, shm = false, mqueue = false, tmp = false, cgroupfs = false;
  bool read_only = false, chroot = false, rootfs_mkdir = false;
  std::vector<UserMount> mounts;
  struct Generic {
    MountSpec m;
    UniqueFd source;  // a bind's, opened before anything is mounted
    bool source_is_dir = true;
  };
  std::vector<Generic> generic;  // --mount, in the order given
  bool dev_nodes = false;
  struct Node {
    std::string spec;  // as given, for messages
    std::string path;  // normalised container path
    mode_t type = S_IFCHR;
    unsigned major = 0, minor = 0;
    mode_t mode = 0666;
    uid_t uid = 0;
    gid_t gid = 0;
  };
  std::vector<Node> nodes;                                   // --mknod
  unsigned long root_propagation = 0;                        // --root-propagation: MS_SHARED, ... | MS_REC
  std::vector<std::pair<std::string, std::string>> sysctls;  // key as a path below /proc/sys, value
  std::vector<std::string> masked, readonly;
  std::string workdir;
  int ready_fd = -1, sync_fd = -1;
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

// The sysctls that belong to a namespace (runc's list): only these may be
// set from a container.
bool namespaced_sysctl(const std::string& k) {
  static const char* kIpc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",          "kernel.sem",
                               "kernel.shmall", "kernel.shmmax", "kernel.shm_rmid_forced", "kernel.shmmni"};
  for (const char* n : kIpc)
    if (k == n) return true;
  return starts_with(k, "net.") || starts_with(k, "fs.mqueue.") || k == "kernel.hostname" || k == "kernel.domainname";
}

// --mknod type=c|b|u|p,major=N,minor=N,path=P[,mode=OCTAL][,uid=N][,gid=N]:
// an entry of config.json's linux.devices (mode 0666, uid and gid 0 unless
// given, as runc).
Options::Node parse_node(const std::string& s) {
  Options::Node n;
  n.spec = s;
  auto bad = [&](const std::string& why) { return Error(str("invalid --mknod '", s, "': ", why)); };
  bool type = false, major = false, minor = false;
  for (const auto& w : split(s, ',')) {
    auto [k, v] = parse_kv(w, "--mknod");
    if (k == "type") {
      if (v == "c" || v == "u") n.type = S_IFCHR;
      else if (v == "b") n.type = S_IFBLK;
      else if (v == "p") n.type = S_IFIFO;
      else throw bad(str("type '", v, "': expected c, u, b or p"));
      type = true;
    } else if (k == "major") {
      n.major = static_cast<unsigned>(parse_uint(v, "--mknod major", 0xfff)), major = true;
    } else if (k == "minor") {
      n.minor = static_cast<unsigned>(parse_uint(v, "--mknod minor", 0xfffff)), minor = true;
    } else if (k == "path") {
      n.path = container_path(v, "--mknod path");
    } else if (k == "mode") {
      unsigned long m = 0;
      for (char ch : v) m = ch >= '0' && ch <= '7' && m <= 07777 ? m * 8 + static_cast<unsigned long>(ch - '0') : ~0UL;
      if (v.empty() || m > 07777) throw bad(str("mode '", v, "': expected an octal mode, 0 to 7777"));
      n.mode = static_cast<mode_t>(m);
    } else if (k == "uid") {
      n.uid = static_cast<uid_t>(parse_uint(v, "--mknod uid", UINT32_MAX - 1));
    } else if (k == "gid") {
      n.gid = static_cast<gid_t>(parse_uint(v, "--mknod gid", UINT32_MAX - 1));
    } else {
      throw bad(str("unknown key '", k, "' (expected type, major, minor, path, mode, uid, gid)"));
    }
  }
  if (!type || n.path.empty()) throw bad("type= and path= are required");
  if (n.type != S_IFIFO && !(major && minor)) throw bad("a device needs major= and minor=");
  if (n.type == S_IFIFO) n.major = n.minor = 0;
  if (n.path == "/") throw bad("cannot make a node on /");
  return n;
}

// --root-propagation: the root mount's propagation once pivoted into.
unsigned long parse_propagation(const std::string& s) {
  bool rec = starts_with(s, "r");
  std::string base = rec ? s.substr(1) : s;
  unsigned long p = base == "shared"       ? MS_SHARED
                    : base == "slave"      ? MS_SLAVE
                    : base == "private"    ? MS_PRIVATE
                    : base == "unbindable" ? MS_UNBINDABLE
                                           : 0;
  if (!p)
    throw Error(str("invalid --root-propagation '", s,
                    "': expected shared, slave, private or unbindable (each also with an r prefix)"));
  return p | (rec ? MS_REC : 0);
}

// vfs: the copy is made in W/rt-vfs-copy, marked finished by
// W/rt-vfs-copied, then renamed onto U (see make_copied_root).
constexpr const char* kVfsCopy = "rt-vfs-copy";
constexpr const char* kVfsDone = "rt-vfs-copied";

// --storage-driver vfs: the finished copy is renamed onto U, which must be
// empty until then (never a partial copy; the user's files are never
// thrown away) and on the same mount as W (rename(2) crosses no mount).
void validate_vfs(const Options& o) {
  UniqueFd up(::open(o.overlay.upper.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd wk(::open(o.overlay.work.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!up || !wk) die_errno(str("invalid --upper ", o.overlay.upper, " or --work ", o.overlay.work));
  if (mount_id_of(up.get()) != mount_id_of(wk.get()))
    die(str("--storage-driver vfs: --upper ", o.overlay.upper, " and --work ", o.overlay.work,
            " must be on the same mount (the copy is renamed from one to the other)"));
  struct stat st {};
  if (::fstatat(wk.get(), kVfsDone, &st, AT_SYMLINK_NOFOLLOW) == 0) return;
  if (!dir_names(o.overlay.upper).empty())
    die(str("--storage-driver vfs: --upper ", o.overlay.upper, " is not empty and --work ", o.overlay.work,
            " has no finished copy of the layers (", kVfsDone, "): the copy goes into an empty directory"));
}

// --storage-driver fuse-overlayfs or vfs: a writable layer to serve or copy
// into; fuse-overlayfs found and /dev/fuse opened (in this user namespace:
// the kernel mounts a FUSE connection only for the namespace that opened it).
void validate_storage(Options& o) {
  const char* d = storage::name(o.driver);
  if (o.overlay.upper.empty()) die(str("--storage-driver ", d, " needs --upper and --work"));
  if (o.driver == storage::Driver::vfs) {
    validate_vfs(o);
    return;
  }
  // fuse-overlayfs takes its layers in one -o option, with no escapes.
  for (const auto* p : {&o.overlay.upper, &o.overlay.work})
    if (p->find_first_of(":,") != std::string::npos) die(str("--storage-driver ", d, ": ", *p, " has a ':' or ','"));
  for (const auto& l : o.overlay.lower)
    if (l.find(',') != std::string::npos) die(str("--storage-driver ", d, ": layer ", l, " has a ','"));
  o.fuse_program = find_on_path(storage::kFuseProgram);
  if (o.fuse_program.empty())
    die(str("--storage-driver ", d, ": fuse-overlayfs is not installed (Debian package fuse-overlayfs)"));
  o.fuse_dev = UniqueFd(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
  if (!o.fuse_dev) {
    int e = errno;
    die(str(
        "--storage-driver ", d, ": cannot open /dev/fuse: ", std::strerror(e),
        e == ENOENT ? " (as root: modprobe fuse)" : " (distributions make it 0666: as root, chmod 0666 /dev/fuse)"));
  }
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
  o.upper_tmpfs = flag(vm, "upper-tmpfs");
  if (o.upper_tmpfs) {
    if (o.overlay.lower.empty()) die("--upper-tmpfs needs --lower");
    if (!o.overlay.upper.empty() || !o.overlay.work.empty()) die("--upper-tmpfs replaces --upper and --work");
    if (o.overlay.no_sync) die("--volatile needs --upper and --work (a tmpfs is never synced)");
  }
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
  if (vm.count("storage-driver")) {
    std::string d = opt<std::string>(vm, "storage-driver");
    auto driver = storage::parse(d);
    if (!driver) die(storage::bad_value("--storage-driver", d));
    o.driver = *driver;
  }
  if (o.upper_tmpfs && o.driver != storage::Driver::overlay)
    die(str("--upper-tmpfs works with the overlay storage driver only, not ", storage::name(o.driver)));
  if (o.driver != storage::Driver::overlay) validate_storage(o);
  if (vm.count("fuse-log")) {
    o.fuse_log = opt<std::string>(vm, "fuse-log");
    if (o.driver != storage::Driver::fuse) die("--fuse-log needs --storage-driver fuse-overlayfs");
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
  bool cgroup_ns = in_own_cgroup_ns();
  o.cgroupfs = (defaults || flag(vm, "cgroupfs")) && cgroup_ns;
  if (flag(vm, "cgroupfs") && !o.cgroupfs)
    die("--cgroupfs needs a cgroup namespace of its own (rt-unshare --cgroup): without one it would show the host's "
        "whole cgroup tree");
  if (o.cgroupfs && !o.sys) die("--cgroupfs needs --sys (it mounts on /sys/fs/cgroup)");
  o.read_only = flag(vm, "read-only");
  o.chroot = flag(vm, "chroot");
  o.rootfs_mkdir = flag(vm, "rootfs-mkdir");
  if (o.rootfs_mkdir && !o.overlay.lower.empty())
    die("--rootfs-mkdir applies to a bound --rootfs only (an overlay is writable)");

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
  for (const auto& s : opts<std::string>(vm, "mount")) {
    Options::Generic g{parse_mount_spec(s), UniqueFd(), true};
    if (g.m.bind) {
      g.source = UniqueFd(::open(g.m.source.c_str(), O_PATH | O_CLOEXEC));
      struct stat st {};
      if (!g.source || ::fstat(g.source.get(), &st) != 0)
        die_errno(str("invalid --mount '", s, "': source ", g.m.source));
      g.source_is_dir = S_ISDIR(st.st_mode);
    } else if (g.m.type == "cgroup" || g.m.type == "cgroup2") {
      if (!cgroup_ns)
        die(str("invalid --mount '", s,
                "': a cgroup mount needs a cgroup namespace of its own (rt-unshare --cgroup): without one it would "
                "show the host's whole cgroup tree"));
      if (g.m.target != "/sys/fs/cgroup")
        die(str("invalid --mount '", s, "': rt mounts cgroups on /sys/fs/cgroup only"));
    }
    o.generic.push_back(std::move(g));
  }
  o.dev_nodes = flag(vm, "dev-nodes");
  for (const auto& s : opts<std::string>(vm, "mknod")) o.nodes.push_back(parse_node(s));
  if (vm.count("root-propagation")) o.root_propagation = parse_propagation(opt<std::string>(vm, "root-propagation"));
  for (const auto& kv : opts<std::string>(vm, "sysctl")) {
    auto [key, value] = parse_kv(kv, "--sysctl");
    if (!namespaced_sysctl(key))
      die(str("invalid --sysctl '", kv, "': ", key,
              " is not a namespaced sysctl (net.*, kernel.msg*/sem/shm*, fs.mqueue.*, kernel.hostname, "
              "kernel.domainname): it would change the host"));
    std::string path = key;
    for (char& c : path)
      if (c == '.') c = '/';
      else if (c == '/') c = '.';  // as sysctl(8): a '/' in a key stands for a '.' in the name
    if (path.find("..") != std::string::npos) die(str("invalid --sysctl '", kv, "'"));
    o.sysctls.emplace_back("/proc/sys/" + path, value);
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
  // Handed down by number: open, and never passed on to the program.
  for (auto [name, fd] : {std::pair{"ready-fd", &o.ready_fd}, std::pair{"sync-fd", &o.sync_fd}}) {
    if (!vm.count(name)) continue;
    *fd = opt<int>(vm, name);
    if (*fd < 3 || ::fcntl(*fd, F_SETFD, FD_CLOEXEC) < 0)
      die(str("--", name, " ", *fd, ": not an open file descriptor above 2"));
  }
  if ((o.ready_fd < 0) != (o.sync_fd < 0) || (o.ready_fd >= 0 && o.ready_fd == o.sync_fd))
    die("--ready-fd and --sync-fd go together, as two different fds");
  // Last: the only file validate makes.
  if (!o.fuse_log.empty()) {
    o.fuse_log_fd = UniqueFd(::open(o.fuse_log.c_str(), O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!o.fuse_log_fd) die_errno(str("invalid --fuse-log ", o.fuse_log));
  }
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
      throw Error(str("cannot create ", path, " for ", what, ": it is missing in --rootfs ", rootfs,
                      ", which rt-mount never modifies (create it there, or give the container a writable layer with "
                      "--lower ",
                      rootfs, " --upper U --work W)"));
    throw_errno(str("cannot create ", path, " for ", what, " in the root"), ec.value());
  }
};

// Mount a filesystem of type FSTYPE on PATH (created if missing) for the
// option WHAT; returns the mount point's fd.
UniqueFd mount_fs(const Root& root, const char* what, const char* path, const char* fstype, const char* source,
                  unsigned long flags, const char* data, const char* hint = "") {
  UniqueFd t = root.at(path, Create::dir, what);
  if (int e = mount_on_fd_errno(source, t.get(), fstype, flags, data))
    throw_errno(str("cannot mount ", fstype, " on ", path, e == EPERM ? hint : ""), e);
  log::step("mounted ", fstype, " on ", path);
  return t;
}

// fuse-overlayfs serving the FUSE connection of `dev`, already made: in a
// session of its own (the container's terminal signals are not its), in a
// mount namespace of its own (rt-mount's pivot_root below would otherwise
// move its root and working directory into the very file system it serves),
// killed when rt-mount's process (then the container's program) ends, in the
// container's pid namespace where there is one. It gets the connection as
// fd 3 ("/dev/fd/3": libfuse mounts nothing then) and no other fd of ours.
// Its stderr is the --fuse-log file, where what it says as long as it runs
// is kept; without one, a pipe, closed once it serves (what it says later
// is lost). What it says while starting ("unknown argument ignored:
// lazytime" from every start of 1.10) is rt-mount's to report, not the
// container's output: `said` is where to read it (see daemon_said).
struct Said {
  UniqueFd fd;      // the pipe's read end, or the log (read with pread)
  off_t from = -1;  // in the log: where this start's words begin; -1: a pipe
};

Said start_fuse_overlayfs(const Options& o, int dev) {
  std::string opts = str("lowerdir=", join(o.overlay.lower, ":"), ",upperdir=", o.overlay.upper,
                         ",workdir=", o.overlay.work, o.overlay.no_sync ? ",volatile" : "");
  const char* argv[] = {o.fuse_program.c_str(), "-f", "-o", opts.c_str(), "/dev/fd/3", nullptr};
  pid_t parent = ::getpid();
  Said said;
  Pipe err;
  int err_fd = o.fuse_log_fd.get();
  if (err_fd >= 0) {
    said.from = ::lseek(err_fd, 0, SEEK_END);
    said.fd = UniqueFd(::fcntl(err_fd, F_DUPFD_CLOEXEC, 3));
    if (said.from < 0 || !said.fd) throw_errno(str("cannot read --fuse-log ", o.fuse_log));
  } else {
    err = make_pipe();
    err_fd = err.write.get();
    said.fd = std::move(err.read);
  }
  // In our memory until it execs (vfork_child: system calls only, see the
  // rule in process.hpp).
  pid_t pid = vfork_child([&]() noexcept -> int {
    if (::dup2(err_fd, STDERR_FILENO) < 0) std::_Exit(kExitToolFailure);
    if (::setsid() < 0) vfork_die(errno, kExitToolFailure, {"fuse-overlayfs: cannot start a session"});
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent)
      vfork_die(errno, kExitToolFailure, {"fuse-overlayfs: cannot tie it to rt-mount"});
    if (::unshare(CLONE_NEWNS) != 0)
      vfork_die(errno, kExitToolFailure, {"fuse-overlayfs: cannot make a mount namespace"});
    if (dev == 3 ? ::fcntl(dev, F_SETFD, 0) != 0 : ::dup2(dev, 3) != 3)
      vfork_die(errno, kExitToolFailure, {"fuse-overlayfs: fd 3"});
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0 || ::dup2(null, STDIN_FILENO) < 0 || ::dup2(null, STDOUT_FILENO) < 0)
      vfork_die(errno, kExitToolFailure, {"fuse-overlayfs: cannot open /dev/null"});
    ::close_range(4, ~0U, 0);
    ::execv(argv[0], const_cast<char* const*>(argv));
    vfork_die(errno, kExitToolFailure, {"cannot execute ", argv[0]});
  });
  if (pid < 0) throw_errno("cannot start fuse-overlayfs");
  log::step("started fuse-overlayfs (pid ", pid, o.fuse_log.empty() ? "" : str(", stderr to ", o.fuse_log), ")");
  return said;
}

// What fuse-overlayfs wrote on its stderr since it started, its lines
// joined by "; ".
std::string daemon_said(const Said& said) {
  std::string out;
  int fd = said.fd.get();
  if (said.from < 0 && ::fcntl(fd, F_SETFL, O_NONBLOCK) != 0) return out;
  char buf[1024];
  for (ssize_t n;
       (n = said.from < 0 ? ::read(fd, buf, sizeof buf)
                          : ::pread(fd, buf, sizeof buf, said.from + static_cast<off_t>(out.size()))) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  for (size_t i; (i = out.find('\n')) != std::string::npos;) out.replace(i, 1, "; ");
  return out;
}

// The root through fuse-overlayfs: a FUSE connection on /dev/fuse (opened in
// validate), a detached mount of it, the daemon started on it (`said`: its
// stderr).
UniqueFd make_fuse_root(Options& o, Said& said) {
  auto fail = [&](const char* what) {
    throw_errno(str("cannot mount fuse-overlayfs (lower ", join(o.overlay.lower, ":"), ", upper ", o.overlay.upper,
                    "): ", what));
  };
  UniqueFd fs(::fsopen("fuse", FSOPEN_CLOEXEC));
  if (!fs) fail("fsopen");
  const std::pair<const char*, std::string> params[] = {
      {"source", storage::kFuseProgram},        {"subtype", storage::kFuseProgram},
      {"fd", std::to_string(o.fuse_dev.get())}, {"rootmode", "40000"},
      {"user_id", std::to_string(::geteuid())}, {"group_id", std::to_string(::getegid())}};
  for (const auto& [k, v] : params)
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, k, v.c_str(), 0) != 0) fail(k);
  // Every user of the container (not only its root), with the kernel
  // checking permissions from the owners and modes fuse-overlayfs reports.
  for (const char* flag : {"allow_other", "default_permissions"})
    if (::fsconfig(fs.get(), FSCONFIG_SET_FLAG, flag, nullptr, 0) != 0) fail(flag);
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) fail("create");
  said = start_fuse_overlayfs(o, o.fuse_dev.get());
  // The daemon's copy is the connection's only one now: when it ends, the
  // connection is aborted and nothing waits on it.
  o.fuse_dev.reset();
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, 0));
  if (!mnt) fail("fsmount");
  return mnt;
}

// The root as a copy of the layers in the upper directory (vfs), made on
// the first start, all or nothing: the layers are copied into W/rt-vfs-copy
// (a directory with U's owner and mode), synced, W/rt-vfs-copied marks the
// copy finished, and a rename puts it in U's place (U is empty: validate_vfs). A
// copy that fails (a full disk, a file it cannot read) is removed at once;
// one a signal or a crash cut short (no mark) is removed by the next start,
// which copies again; a finished one not yet renamed (the mark, and
// W/rt-vfs-copy still there) is renamed by the next start.
UniqueFd make_copied_root(const Options& o) {
  UniqueFd work(::open(o.overlay.work.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!work) throw_errno(str("invalid --work ", o.overlay.work));
  auto exists = [&](const char* name) {
    struct stat st {};
    return ::fstatat(work.get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0;
  };
  auto drop_copy = [&]() {
    if (auto ec = remove_tree_at(work.get(), kVfsCopy))
      log::warn("vfs: cannot remove the partial copy ", o.overlay.work, "/", kVfsCopy, ": ", ec.message());
  };
  if (!exists(kVfsDone)) {
    if (exists(kVfsCopy)) {
      drop_copy();
      log::step("vfs: removed the partial copy an earlier start left in ", o.overlay.work);
    }
    struct stat up {};
    if (::stat(o.overlay.upper.c_str(), &up) != 0) throw_errno(str("invalid --upper ", o.overlay.upper));
    if (::mkdirat(work.get(), kVfsCopy, 0700) != 0) throw_errno(str("cannot create ", o.overlay.work, "/", kVfsCopy));
    // Until the mark, a failure (an exception of any kind) removes the copy
    // on its way out.
    struct DropUnlessDone {
      decltype(drop_copy)& drop;
      bool done = false;
      ~DropUnlessDone() {
        if (!done) drop();
      }
    } guard{drop_copy};
    UniqueFd copy(::openat(work.get(), kVfsCopy, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!copy) throw_errno(str("cannot open ", o.overlay.work, "/", kVfsCopy));
    // U's owner and mode (the container root's): EINVAL is an owner this
    // user namespace does not map, which stays as it is.
    if (::fchown(copy.get(), up.st_uid, up.st_gid) != 0 && errno != EINVAL)
      throw_errno(str("cannot set the owner of ", o.overlay.work, "/", kVfsCopy));
    if (::fchmod(copy.get(), up.st_mode & 07777) != 0)
      throw_errno(str("cannot set the mode of ", o.overlay.work, "/", kVfsCopy));
    mnt::CopyStats c = mnt::copy_layers(o.overlay.lower, copy.get());
    log::step("vfs: copied ", o.overlay.lower.size(), " layer(s) into ", o.overlay.work, "/", kVfsCopy, ": ", c.entries,
              " entries, ", c.bytes, " bytes");
    // The copy on disk before the mark is: after a crash a mark means a
    // whole copy. One syncfs(2) of the layer's file system, not an fsync of
    // every file. --volatile: never synced, as an overlay's upper layer.
    if (!o.overlay.no_sync && ::syncfs(copy.get()) != 0)
      throw_errno(str("cannot sync the copy in ", o.overlay.work, "/", kVfsCopy));
    UniqueFd mark(::openat(work.get(), kVfsDone, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!mark) throw_errno(str("cannot mark the copy in ", o.overlay.work, " as done"));
    guard.done = true;
  }
  if (exists(kVfsCopy)) {
    if (::renameat(work.get(), kVfsCopy, AT_FDCWD, o.overlay.upper.c_str()) != 0)
      throw_errno(str("cannot rename the copy ", o.overlay.work, "/", kVfsCopy, " to ", o.overlay.upper));
    log::step("vfs: renamed the copy to ", o.overlay.upper);
  }
  UniqueFd upper(::open(o.overlay.upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!upper) throw_errno(str("invalid --upper ", o.overlay.upper));
  UniqueFd mnt = clone_tree(upper.get(), false);
  if (!mnt) throw_errno(str("cannot bind ", o.overlay.upper, " as the root"));
  return mnt;
}

// --upper-tmpfs: an overlay whose upper and work directories are on a tmpfs
// mounted where the overlay goes (then covered by it), once the lower
// layers' paths, which it may cover, are resolved: the layer lives in
// memory and goes away with this mount namespace, so nothing is made on
// (or later removed from) a disk. For a root made read-only (--read-only)
// that still needs mount points the layers lack (/etc/hosts).
UniqueFd make_tmpfs_upper_overlay(Options& o) {
  UniqueFd ovl = overlay_with_lowers(o.overlay);
  UniqueFd fs(::fsopen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs) throw_errno("--upper-tmpfs: cannot create a tmpfs (fsopen)");
  if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "mode", "0700", 0) != 0 ||
      ::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    throw_errno("--upper-tmpfs: cannot create a tmpfs");
  UniqueFd tmp(::fsmount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  if (!tmp) throw_errno("--upper-tmpfs: cannot create a tmpfs (fsmount)");
  // The upper directory's mode becomes the root's: 0755, as a disk layer's.
  if (::mkdirat(tmp.get(), "upper", 0755) != 0 || ::mkdirat(tmp.get(), "work", 0700) != 0)
    throw_errno("--upper-tmpfs: cannot create the layer's directories on the tmpfs");
  // Attached (overlayfs takes its layers from mounts of this namespace),
  // below where the overlay goes.
  if (int e = attach_mount_errno(tmp.get(), o.rootfs_fd.get()))
    throw_errno(str("--upper-tmpfs: cannot mount the tmpfs on ", o.rootfs), e);
  FdPath at(tmp.get());
  o.overlay.upper = str(at.c_str(), "/upper");
  o.overlay.work = str(at.c_str(), "/work");
  return mount_overlay(ovl.get(), o.overlay, 0);
}

Root mount_root(Options& o) {
  Root root;
  root.rootfs = o.rootfs;
  UniqueFd mnt;
  Said said;
  const char* how;
  if (o.driver == storage::Driver::fuse) {
    mnt = make_fuse_root(o, said);
    how = "fuse-overlayfs";
  } else if (o.driver == storage::Driver::vfs) {
    mnt = make_copied_root(o);
    how = "vfs: a bind of the copy";
  } else if (o.upper_tmpfs) {
    mnt = make_tmpfs_upper_overlay(o);
    how = "overlay, writable layer on a tmpfs";
  } else if (!o.overlay.lower.empty() && (o.overlay.lower.size() > 1 || !o.overlay.upper.empty())) {
    mnt = make_overlay(o.overlay, o.overlay.upper.empty() ? MOUNT_ATTR_RDONLY : 0);
    how = o.overlay.upper.empty() ? "read-only overlay" : "overlay";
  } else {
    // A bound --rootfs, or a single --lower without --upper (overlayfs
    // wants two layers to be read-only): a read-only bind of that layer.
    bool layer = !o.overlay.lower.empty();
    UniqueFd src(layer ? ::open(o.overlay.lower[0].c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC) : -1);
    if (layer && !src) throw_errno(str("invalid --lower layer ", o.overlay.lower[0]));
    mnt = clone_tree(layer ? src.get() : o.rootfs_fd.get(), true);
    if (!mnt) throw_errno(str("cannot bind ", layer ? o.overlay.lower[0] : o.rootfs, " as the root"));
    if (layer) {
      if (int e = set_mount_attr_errno(mnt.get(), MOUNT_ATTR_RDONLY, 0, true))
        throw_errno(str("cannot make ", o.overlay.lower[0], " read-only"), e);
    }
    how = layer ? "read-only bind of the layer" : "bind";
  }
  if (int e = attach_mount_errno(mnt.get(), o.rootfs_fd.get()))
    throw_errno(str("cannot mount the root on ", o.rootfs), e);
  if (o.driver == storage::Driver::fuse) {
    // A first request (statfs is always one): answered once the daemon
    // serves the root, or refused when it failed. Our end of its stderr is
    // closed then: without --fuse-log its later words are lost (libfuse
    // ignores SIGPIPE by then).
    struct statfs sf {};
    bool served = ::fstatfs(mnt.get(), &sf) == 0;
    int e = errno;
    std::string msg = daemon_said(said);
    said.fd.reset();
    o.fuse_log_fd.reset();
    if (!served) throw_errno(str("fuse-overlayfs does not serve the root", msg.empty() ? "" : str(" (", msg, ")")), e);
    if (!msg.empty()) log::debug("fuse-overlayfs said: ", msg);
  }
  log::step("mounted the root (", how, ") on ", o.rootfs);
  root.fd = std::move(mnt);
  if (o.overlay.lower.empty() && !o.rootfs_mkdir) root.protected_mnt = mount_id_of(root.fd.get());
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
  if (e != EPERM) throw_errno("cannot mount sysfs on /sys", e);
  // A user namespace without a network namespace of its own may not mount
  // sysfs: bind the host's /sys, read-only all the way down.
  UniqueFd host(::open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd tree = host ? clone_tree(host.get(), true) : UniqueFd();
  if (!tree) throw_errno("cannot mount sysfs on /sys (not permitted) nor bind the host's /sys");
  if (int e2 = set_mount_attr_errno(
          tree.get(), MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0, true))
    throw_errno("cannot make the bind of /sys read-only", e2);
  if (int e2 = attach_mount_errno(tree.get(), t.get())) throw_errno("cannot bind the host's /sys on /sys", e2);
  log::step("sysfs not permitted: bound the host's /sys on /sys (read-only)");
}

// /sys/fs/cgroup as docker shows it, read-only: the container's own groups
// (its cgroup namespace's root). v2: one cgroup2 mount. v1 and hybrid: a
// tmpfs with a mount per hierarchy, named as /proc/self/cgroup names it, a
// link per controller of a combined one ("cpu" -> "cpu,cpuacct"), and the
// v2 tree on "unified". A hierarchy in which the container has no group of
// its own is left out: it would show the host's whole tree. The host's
// mount of it tells (cgroup::detect reads its root as this namespace sees
// it: "/" when the namespace's root is the mount's; from the layout
// rt-cgroup or rt-run handed down, made relative to the cgroup they said
// this namespace was made in), and the new mount confirms (only a
// hierarchy's root has release_agent on v1 and lacks cgroup.events on v2).
void mount_cgroupfs(const Root& root) {
  cgroup::Host host = cgroup::detect(cgroup::Handed::new_cgroup_namespace);
  if (host.fake()) throw Error("--cgroupfs: RT_CGROUP_FS is set (a fake cgroup tree cannot be mounted)");
  std::vector<std::string> shown, hidden;
  // TARGET gives the mount point, made once the hierarchy is to be shown.
  auto attach = [&](const cgroup::Hierarchy& h, const std::string& path, auto&& target) {
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
    UniqueFd t = target();
    if (int e = attach_mount_errno(m.get(), t.get())) throw_errno(str("cannot mount the cgroup tree on ", path), e);
    return true;
  };
  if (host.mode == cgroup::Mode::v2) {
    attach(*host.unified(), "/sys/fs/cgroup", [&] { return root.at("/sys/fs/cgroup", Create::dir, "--cgroupfs"); });
  } else {
    mount_fs(root, "--cgroupfs", "/sys/fs/cgroup", "tmpfs", "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
    UniqueFd top = root.at("/sys/fs/cgroup", Create::never, "--cgroupfs");
    for (const auto& h : host.hierarchies) {
      std::string name = h.v2 ? "unified" : starts_with(h.label(), "name=") ? h.label().substr(5) : h.label();
      std::string path = "/sys/fs/cgroup/" + name;
      // In the tmpfs just mounted, which holds only what is made here: a
      // directory made and opened by name (no lookup from the root).
      auto in_top = [&] {
        if (::mkdirat(top.get(), name.c_str(), 0755) != 0 && errno != EEXIST) throw_errno(str("cannot create ", path));
        UniqueFd t(::openat(top.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!t) throw_errno(str("cannot open ", path));
        return t;
      };
      if (!attach(h, path, in_top) || h.controllers.size() < 2) continue;
      for (const auto& one : h.controllers)
        if (::symlinkat(name.c_str(), top.get(), one.c_str()) != 0 && errno != EEXIST)
          throw_errno(str("cannot link /sys/fs/cgroup/", one));
    }
    if (int e = set_mount_attr_errno(top.get(), MOUNT_ATTR_RDONLY, 0, false))
      throw_errno("cannot make /sys/fs/cgroup read-only", e);
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
  if (f < 0) throw_errno(str("cannot create /dev/", name));
  ::close(f);
  UniqueFd fd(::openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw_errno(str("cannot open /dev/", name));
  return fd;
}

// The standard nodes and links in the root's /dev (DEV, or looked up;
// skipped where they exist), and /dev/console bound to the terminal on stdin
// when there is one.
void populate_dev(const Root& root, int dev = -1) {
  UniqueFd opened;
  if (dev < 0) {
    std::error_code ec;
    opened = open_in_root(root.fd.get(), "/dev", O_PATH | O_DIRECTORY, ec);
    if (!opened) throw_errno("cannot open /dev", ec.value());
    dev = opened.get();
  }
  bool mknod_ok = true;
  for (const auto& n : kDevNodes) {
    // mknodat fails with EEXIST on anything of that name (a dangling
    // symlink too): no lookup before it.
    if (mknod_ok) {
      if (::mknodat(dev, n.name, S_IFCHR | 0666, makedev(n.major, n.minor)) == 0 || errno == EEXIST) continue;
      if (errno != EPERM) throw_errno(str("cannot create /dev/", n.name));
      mknod_ok = false;  // a user namespace: bind the host's nodes instead
    }
    if (::faccessat(dev, n.name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) continue;
    UniqueFd f = dev_file(dev, n.name);
    std::string host = str("/dev/", n.name);
    if (int e = mount_on_fd_errno(host.c_str(), f.get(), nullptr, MS_BIND, nullptr))
      throw_errno(str("cannot bind the host's ", host, " on /dev/", n.name, " (mknod is not permitted)"), e);
  }
  log::step(mknod_ok ? "created" : "bound the host's", " /dev/{null,zero,full,random,urandom,tty}");
  for (const auto& l : kDevLinks)
    if (::symlinkat(l[1], dev, l[0]) != 0 && errno != EEXIST) throw_errno(str("cannot create the symlink /dev/", l[0]));
  if (::isatty(STDIN_FILENO)) {
    // As docker -t: /dev/console is the terminal the container was given.
    // Bound by its path: the mount behind fd 0 belongs to the namespace
    // this one was copied from, and the kernel binds only from this one.
    char tty[256];
    if (int e2 = ::ttyname_r(STDIN_FILENO, tty, sizeof tty))
      throw_errno("cannot find the name of the terminal on stdin for /dev/console", e2);
    if (::faccessat(dev, "console", F_OK, AT_SYMLINK_NOFOLLOW) != 0) ::close(dev_file(dev, "console").release());
    UniqueFd c(::openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!c) throw_errno("cannot open /dev/console");
    if (int e2 = mount_on_fd_errno(tty, c.get(), nullptr, MS_BIND, nullptr))
      throw_errno(str("cannot bind the terminal ", tty, " on /dev/console"), e2);
    log::step("bound the terminal ", tty, " on /dev/console");
  }
}

// One --mknod: the node made in the root (parents created), its mode and
// owner set. Where mknod is not permitted (a user namespace) the host's node
// of the same path is bound instead, if it is the same device; its mode and
// owner stay the host's. An existing node of the same type and number is
// kept (mode and owner set); anything else there is an error.
void make_node(const Root& root, const Options::Node& n) {
  auto slash = n.path.rfind('/');
  std::string parent = n.path.substr(0, slash), name = n.path.substr(slash + 1);
  UniqueFd dir = root.at(parent.empty() ? "/" : parent, Create::dir, n.spec);
  dev_t rdev = makedev(n.major, n.minor);
  auto same = [&](const struct stat& st) {
    return (st.st_mode & S_IFMT) == n.type && (n.type == S_IFIFO || st.st_rdev == rdev);
  };
  struct stat st {};
  if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!same(st))
      throw_errno(str("cannot make ", n.path, " for --mknod '", n.spec, "': something else is there"), EEXIST);
  } else if (::mknodat(dir.get(), name.c_str(), n.type | n.mode, rdev) != 0) {
    if (errno != EPERM) throw_errno(str("cannot make ", n.path, " for --mknod '", n.spec, "'"));
    struct stat host {};
    if (::stat(n.path.c_str(), &host) != 0 || !same(host))
      throw_errno(str("cannot make ", n.path, " for --mknod '", n.spec,
                      "' (mknod is not permitted here, and the host has no such node at that path to bind)"),
                  EPERM);
    UniqueFd f = dev_file(dir.get(), name.c_str());
    if (int e = mount_on_fd_errno(n.path.c_str(), f.get(), nullptr, MS_BIND, nullptr))
      throw_errno(str("cannot bind the host's ", n.path, " for --mknod '", n.spec, "'"), e);
    log::step("bound the host's ", n.path, " (mknod is not permitted)");
    return;
  }
  if (::fchmodat(dir.get(), name.c_str(), n.mode, 0) != 0) throw_errno(str("cannot set the mode of ", n.path));
  if (::fchownat(dir.get(), name.c_str(), n.uid, n.gid, AT_SYMLINK_NOFOLLOW) != 0)
    throw_errno(str("cannot set the owner of ", n.path));
  log::step("made ", n.path, " (", n.type == S_IFIFO ? "fifo" : str(n.major, ":", n.minor), ")");
}

void mount_dev(const Root& root) {
  mount_fs(root, "--dev", "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  std::error_code ec;
  UniqueFd dev = open_in_root(root.fd.get(), "/dev", O_PATH | O_DIRECTORY, ec);
  if (!dev) throw_errno("cannot open /dev after mounting it", ec.value());
  if (::mkdirat(dev.get(), "pts", 0755) != 0) throw_errno("cannot create /dev/pts");
  UniqueFd pts(::openat(dev.get(), "pts", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!pts) throw_errno("cannot open /dev/pts");
  constexpr unsigned long kPtsFlags = MS_NOSUID | MS_NOEXEC;
  int e = mount_on_fd_errno("devpts", pts.get(), "devpts", kPtsFlags, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  if (e == EINVAL)  // gid 5 is not mapped in this user namespace
    e = mount_on_fd_errno("devpts", pts.get(), "devpts", kPtsFlags, "newinstance,ptmxmode=0666,mode=0620");
  if (e) throw_errno("cannot mount devpts on /dev/pts", e);
  log::step("mounted devpts on /dev/pts");
  populate_dev(root, dev.get());
}

// mount_setattr bits for the MS_* flags of a bind.
uint64_t attrs_of(unsigned long ms) {
  uint64_t a = 0;
  if (ms & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
  if (ms & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
  if (ms & MS_NODEV) a |= MOUNT_ATTR_NODEV;
  if (ms & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
  if (ms & MS_NODIRATIME) a |= MOUNT_ATTR_NODIRATIME;
  if (ms & MS_NOATIME) a |= MOUNT_ATTR_NOATIME;
  if (ms & MS_STRICTATIME) a |= MOUNT_ATTR_STRICTATIME;
  return a;
}

// One --mount, in the order given. A bind is a clone of the source's tree
// with the flags set on it (recursively for rbind); anything else is
// mount(2) of the type with its flags and data; cgroup is the container's
// own cgroups, as --cgroupfs. The propagation comes last, on the new mount.
void mount_generic(const Root& root, const Options::Generic& g) {
  const MountSpec& m = g.m;
  if (m.type == "cgroup" || m.type == "cgroup2") {
    mount_cgroupfs(root);
  } else if (m.bind) {
    UniqueFd t = root.at(m.target, g.source_is_dir ? Create::dir : Create::file, m.spec);
    UniqueFd tree = clone_tree(g.source.get(), m.recursive);
    if (!tree) throw_errno(str("cannot bind ", m.source, " for --mount '", m.spec, "'"));
    uint64_t set = attrs_of(m.flags), clear = attrs_of(m.clear);
    if (set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME)) clear |= MOUNT_ATTR__ATIME;
    if ((m.flags & MS_RELATIME) && !(set & MOUNT_ATTR__ATIME)) clear |= MOUNT_ATTR__ATIME;  // relatime is 0
    clear &= ~set;
    // mount_setattr(2) takes an atime mode only with the whole atime field cleared.
    if (clear & MOUNT_ATTR__ATIME) clear |= MOUNT_ATTR__ATIME;
    if (set || clear) {
      if (int e = set_mount_attr_errno(tree.get(), set, clear, m.recursive))
        throw_errno(str("cannot set the options of --mount '", m.spec, "'"), e);
    }
    if (int e = attach_mount_errno(tree.get(), t.get()))
      throw_errno(str("cannot bind ", m.source, " on ", m.target), e);
    log::step("bound ", m.source, " on ", m.target, m.flags & MS_RDONLY ? " (read-only)" : "");
  } else {
    UniqueFd t = root.at(m.target, Create::dir, m.spec);
    if (int e = mount_on_fd_errno(m.source.c_str(), t.get(), m.type.c_str(), m.flags, m.data.c_str()))
      throw_errno(str("cannot mount ", m.type, " on ", m.target, m.data.empty() ? "" : " with " + m.data), e);
    log::step("mounted ", m.type, " on ", m.target);
  }
  if (m.propagation) {
    std::error_code ec;
    UniqueFd t = open_in_root(root.fd.get(), m.target, O_PATH, ec);
    if (!t) throw_errno(str("cannot open ", m.target, " to set its propagation"), ec.value());
    if (int e = mount_on_fd_errno(nullptr, t.get(), nullptr, m.propagation, nullptr))
      throw_errno(str("cannot set the propagation of ", m.target), e);
  }
}

void mount_user(const Root& root, const UserMount& m) {
  if (!m.is_bind) {
    UniqueFd t = root.at(m.target, Create::dir, m.spec);
    if (int e = mount_on_fd_errno("tmpfs", t.get(), "tmpfs", m.flags, m.data.c_str()))
      throw_errno(str("cannot mount tmpfs on ", m.target, m.data.empty() ? "" : " with " + m.data), e);
    log::step("mounted tmpfs on ", m.target);
    return;
  }
  UniqueFd t = root.at(m.target, m.source_is_dir ? Create::dir : Create::file, m.spec);
  UniqueFd tree = clone_tree(m.source.get(), true);
  if (!tree) throw_errno(str("cannot bind ", m.spec));
  if (m.read_only) {
    if (int e = set_mount_attr_errno(tree.get(), MOUNT_ATTR_RDONLY, 0, true))
      throw_errno(str("cannot make ", m.spec, " read-only"), e);
  }
  if (int e = attach_mount_errno(tree.get(), t.get())) throw_errno(str("cannot bind ", m.spec, " on ", m.target), e);
  log::step("bound ", m.target, m.read_only ? " (read-only)" : "");
}

// Masked paths: /dev/null over a file, an empty read-only tmpfs over a
// directory. Paths missing in the root are skipped, as runc does.
void mask(const Root& root, const std::string& path) {
  std::error_code ec;
  UniqueFd t = open_in_root(root.fd.get(), path, O_PATH, ec);
  if (!t) {
    if (ec.value() == ENOENT) return;
    throw_errno(str("cannot mask ", path), ec.value());
  }
  struct stat st {};
  if (::fstat(t.get(), &st) != 0) throw_errno(str("cannot mask ", path));
  int e = S_ISDIR(st.st_mode)
              ? mount_on_fd_errno("tmpfs", t.get(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755")
              : mount_on_fd_errno("/dev/null", t.get(), nullptr, MS_BIND, nullptr);
  if (e) throw_errno(str("cannot mask ", path), e);
  log::step("masked ", path);
}

void make_readonly(const Root& root, const std::string& path) {
  std::error_code ec;
  UniqueFd t = open_in_root(root.fd.get(), path, O_PATH, ec);
  if (!t) {
    if (ec.value() == ENOENT) return;
    throw_errno(str("cannot make ", path, " read-only"), ec.value());
  }
  UniqueFd tree = clone_tree(t.get(), true);
  if (!tree) throw_errno(str("cannot make ", path, " read-only"));
  int e = set_mount_attr_errno(tree.get(), MOUNT_ATTR_RDONLY, 0, true);
  if (!e) e = attach_mount_errno(tree.get(), t.get());
  if (e) throw_errno(str("cannot make ", path, " read-only"), e);
  log::step("made ", path, " read-only");
}

// The next link's read-only clone (open_chain_tool: a mount of its own, the
// root of an anonymous mount namespace) would be dissolved when its last fd
// is closed, at the exec of the next link, and that waits for an RCU grace
// period there (namespace_unlock: synchronize_rcu_expedited in rt-exec's
// first instant, 0.1-0.3 ms on a quiet test VM, 1.4-2.5 ms under load).
// Attached over the tool's own file in this namespace (private by now:
// nothing propagates to the host's), it is part of the old root, which
// pivot_root stacks on the new one and whose detach waits for a grace
// period anyway: it goes with it, before anything of the container's runs.
// The fd's close then finds no namespace to dissolve, and the last
// reference (rt-exec's exec of the payload) frees the mount after a grace
// period nobody waits for (call_rcu). The clone stays as read-only as it
// was: /proc/PID/exe of the next link names a file on it. Not with
// --chroot (the old root stays), nor for a memfd copy (no mount).
void attach_tool_clone(const ChainTool& tool) {
  UniqueFd target(::open(tool.path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  int e = target ? attach_mount_errno(tool.fd.get(), target.get()) : errno;
  if (e) log::debug("the clone of ", tool.path, " stays detached: ", std::strerror(e));
  else log::step("attached the clone of ", tool.path, " below the old root");
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
      ("storage-driver", po::value<std::string>()->value_name("DRIVER"), "how --lower and --upper become the root: overlay (the kernel's overlayfs, the default), fuse-overlayfs (the same served by fuse-overlayfs, a process that ends with the container), vfs (the layers copied into --upper once, which is bound as the root)")
      ("fuse-log", po::value<std::string>()->value_name("FILE"), "with --storage-driver fuse-overlayfs: append what the daemon says to FILE (made 0600 if missing), as long as it runs")
      ("upper-tmpfs", po::bool_switch(), "with --lower, instead of --upper and --work: the overlay's writable layer on a tmpfs, gone with the container (nothing made on disk); with --read-only, for the mount points the layers lack")
      ("volatile", po::bool_switch(), "never sync the upper layer (no sync at unmount, fsync a no-op): for a layer thrown away afterwards")
      ("defaults", po::bool_switch(), "--proc --sys --cgroupfs --dev --shm --mqueue --tmp and the default masked and read-only paths")
      ("proc", po::bool_switch(), "mount proc on /proc (nosuid, noexec, nodev)")
      ("sys", po::bool_switch(), "mount sysfs read-only on /sys")
      ("cgroupfs", po::bool_switch(), "mount the container's cgroups read-only on /sys/fs/cgroup (needs a cgroup namespace)")
      ("dev", po::bool_switch(), "tmpfs on /dev with the standard nodes, symlinks, devpts and console")
      ("shm", po::bool_switch(), "tmpfs on /dev/shm (1777, 64m)")
      ("mqueue", po::bool_switch(), "mqueue on /dev/mqueue")
      ("tmp", po::bool_switch(), "tmpfs on /tmp (1777)")
      ("mount", po::value<std::vector<std::string>>()->composing()->value_name("type=T,source=S,destination=D[,OPT...]"), "mount as an OCI config.json lists it (bind, rbind, tmpfs, proc, ...; flags, propagation, data); in the order given; repeatable")
      ("sysctl", po::value<std::vector<std::string>>()->composing()->value_name("KEY=VALUE"), "after the mounts: set a namespaced sysctl (net.*, kernel.msg*/sem/shm*, fs.mqueue.*) through the root's /proc/sys; repeatable")
      ("mknod", po::value<std::vector<std::string>>()->composing()->value_name("type=T,major=N,minor=N,path=P[,mode=M,uid=U,gid=G]"), "after the mounts: make a device node (c, u, b) or FIFO (p) in the root, as config.json's linux.devices; repeatable")
      ("root-propagation", po::value<std::string>()->value_name("MODE"), "after pivot_root: the root mount's propagation (shared, slave, private, unbindable; r prefix: recursive)")
      ("dev-nodes", po::bool_switch(), "after the mounts: create the standard device nodes and links in /dev, and /dev/console when stdin is a terminal")
      ("bind", po::value<std::vector<std::string>>()->composing()->value_name("SRC:DST[:ro]"), "bind SRC (recursively) on DST; repeatable")
      ("tmpfs", po::value<std::vector<std::string>>()->composing()->value_name("DST[:OPTS]"), "mount a tmpfs on DST (docker's options: size=64m,mode=1777,...); repeatable")
      ("mask", po::value<std::vector<std::string>>()->composing()->value_name("PATH"), "hide PATH (/dev/null over a file, empty tmpfs over a directory); repeatable")
      ("readonly-path", po::value<std::vector<std::string>>()->composing()->value_name("PATH"), "make PATH read-only; repeatable")
      ("read-only", po::bool_switch(), "make the root read-only once everything is mounted")
      ("workdir", po::value<std::string>()->value_name("DIR"), "working directory (created if missing)")
      ("rootfs-mkdir", po::bool_switch(), "create missing mount points in the bound --rootfs (it is modified, as an OCI runtime does in a bundle)")
      ("chroot", po::bool_switch(), "chroot instead of pivot_root (weaker: chroot can be escaped)")
      ("ready-fd", po::value<int>()->value_name("FD"), "once the mounts are made, before masks and pivot_root: write one byte on FD and close it")
      ("sync-fd", po::value<int>()->value_name("FD"), "then wait for one byte on FD before going on (a caller's turn in the assembled root: rt-oci's hooks)");
  // clang-format on
  po::variables_map vm;
  int prog =
      parse_chain(argc, argv, desc, vm,
                  {"rt-mount [OPTIONS] [--] PROGRAM [ARGS...]",
                   "In a new mount namespace: assemble the container's root, pivot_root into it, exec PROGRAM."});
  if (!refusal.empty()) die(refusal);
  log::step("checked the mount namespace");

  Options o = validate(vm);
  ChainTool tool = open_chain_tool(argv[prog]);
  mode_t old_umask = ::umask(0);  // modes below are exact

  if (int e = make_mounts_private_errno()) die_sys(e, "cannot make / private");
  log::step("made / private (recursive)");
  if (tool && !o.chroot) attach_tool_clone(tool);

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
  for (const auto& g : o.generic) mount_generic(root, g);
  for (const auto& n : o.nodes) make_node(root, n);
  if (o.dev_nodes) populate_dev(root);
  for (const auto& [path, value] : o.sysctls) {
    std::error_code ec;
    UniqueFd f = open_in_root(root.fd.get(), path, O_WRONLY, ec);
    if (!f) throw_errno(str("cannot set sysctl ", path, " (is proc mounted on /proc?)"), ec.value());
    if (::write(f.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
      throw_errno(str("cannot set sysctl ", path, " to ", value));
    log::step("set ", path, " to ", value);
  }
  for (const auto& m : o.mounts) mount_user(root, m);
  if (o.ready_fd >= 0) {
    // A caller's turn in the assembled root before pivot_root (rt-oci's
    // createRuntime and createContainer hooks).
    UniqueFd ready(o.ready_fd);
    send_go(ready, "the caller on --ready-fd");
    log::step("ready fd ", o.ready_fd, ": sent");
    if (!wait_go(o.sync_fd)) throw Error(str("sync fd ", o.sync_fd, " was closed before the go-ahead byte"));
    ::close(o.sync_fd);
    log::step("sync fd ", o.sync_fd, ": go");
  }
  for (const auto& p : o.masked) mask(root, p);
  for (const auto& p : o.readonly) make_readonly(root, p);

  UniqueFd wd;
  if (!o.workdir.empty()) {
    wd = root.at(o.workdir, Create::dir, "--workdir");
    struct stat st {};
    if (::fstat(wd.get(), &st) != 0 || !S_ISDIR(st.st_mode)) throw_errno(str("invalid --workdir ", o.workdir), ENOTDIR);
  }
  if (o.read_only) {
    if (int e = set_mount_attr_errno(root.fd.get(), MOUNT_ATTR_RDONLY, 0, false))
      throw_errno("cannot make the root read-only", e);
    log::step("made the root read-only");
  }

  if (::fchdir(root.fd.get()) != 0) throw_errno(str("cannot enter the root ", o.rootfs));
  if (o.chroot) {
    if (::chroot(".") != 0) throw_errno(str("cannot chroot into ", o.rootfs));
    log::step("chroot into ", o.rootfs);
  } else {
    // pivot_root(".", "."): the old root ends up stacked on the new one and
    // is detached at once, so nothing of the host stays reachable.
    if (::syscall(SYS_pivot_root, ".", ".") != 0) {
      int e = errno;
      throw_errno(
          str("cannot pivot_root into ", o.rootfs) +
              (e == EINVAL ? " (hint: a root on an initramfs cannot be pivoted; --chroot can, less safely)" : ""),
          e);
    }
    log::step("pivot_root into ", o.rootfs);
    if (::umount2(".", MNT_DETACH) != 0) throw_errno("cannot detach the old root");
    log::step("detached the old root");
  }
  if (::chdir("/") != 0) throw_errno("cannot chdir to / in the new root");
  if (o.root_propagation) {
    if (::mount(nullptr, "/", nullptr, o.root_propagation, nullptr) != 0)
      throw_errno("cannot set the propagation of the root");
    log::step("set the root's propagation");
  }
  if (wd && ::fchdir(wd.get()) != 0) throw_errno(str("cannot chdir to ", o.workdir));

  ::umask(old_umask);
  if (tool) {
    log::step("exec ", argv[prog], " (the host's, opened before pivot_root)");
    exec_chain_tool(tool, argv + prog);
  }
  log::step("exec ", argv[prog]);
  exec_program(argv + prog);
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run, argc, argv); }
