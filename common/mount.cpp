#include "mount.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "error.hpp"
#include "fs.hpp"
#include "parse.hpp"
#include "userns.hpp"

namespace rt {

// ---- Safety ---------------------------------------------------------------

static bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Is the mount MNT_ID among those listed in a mountinfo file?
static bool mountinfo_lists(const std::string& info, uint64_t mnt_id) {
  const char* p = info.c_str();
  while (*p) {
    char* end = nullptr;
    unsigned long long id = std::strtoull(p, &end, 10);
    if (end != p && id == mnt_id) return true;
    const char* nl = std::strchr(p, '\n');
    if (!nl) break;
    p = nl + 1;
  }
  return false;
}

std::string why_not_private_mount_ns() {
  struct stat self {};
  struct stat init {};
  if (::stat("/proc/self/ns/mnt", &self) != 0)
    return str("refusing to run: cannot check the mount namespace: /proc/self/ns/mnt: ", std::strerror(errno),
               " (is /proc mounted?)");
  constexpr const char* kHost =
      "refusing to run in the host's mount namespace: every mount would change the host's mount table (run it "
      "under rt-unshare --mount)";
  if (::stat("/proc/1/ns/mnt", &init) == 0) {
    if (!same_file(self, init)) return {};
    char buf[16] = {};
    if (::readlink("/proc/self", buf, sizeof buf - 1) == 1 && buf[0] == '1')
      return "refusing to run: /proc shows this process as PID 1, so the host's mount namespace cannot be told "
             "apart (run it under rt-unshare --mount, with the host's /proc)";
    return kHost;
  }
  // PID 1's namespace cannot be named (an unprivileged caller, or a PID 1
  // that forbids inspection). A mount belongs to exactly one namespace and
  // a copied namespace gets new mount ids: if PID 1's mount table lists the
  // mount our root is on, we share its namespace.
  int err = errno;
  std::error_code ec;
  auto info = try_read_file("/proc/1/mountinfo", &ec);
  struct statx stx {};
  if (!info || ::statx(AT_FDCWD, "/", AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) != 0 || !(stx.stx_mask & STATX_MNT_ID))
    return str("refusing to run: cannot check that this is not the host's mount namespace: /proc/1/ns/mnt: ",
               std::strerror(err), "; /proc/1/mountinfo: ", info ? "no mount id for /" : ec.message());
  if (mountinfo_lists(*info, stx.stx_mnt_id)) return kHost;
  return {};
}

int make_mounts_private_errno() {
  return ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 ? 0 : errno;
}

// ---- Paths inside a root --------------------------------------------------

std::string container_path(std::string_view path, std::string_view what) {
  if (path.empty() || path.front() != '/')
    throw Error(str("invalid ", what, " '", path, "': expected an absolute path inside the container"));
  std::string out;
  out.reserve(path.size());
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view comp = path.substr(i, j - i);
    i = j;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      auto slash = out.rfind('/');
      out.erase(slash == std::string::npos ? 0 : slash);
      continue;
    }
    out.push_back('/');
    out.append(comp);
  }
  return out.empty() ? "/" : out;
}

uint64_t mount_id_of(int fd) {
  struct statx stx {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) != 0) return 0;
  return (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
}

UniqueFd mount_point_in_root(int root_fd, const std::string& path, Create kind, uint64_t protected_mnt,
                             std::error_code& ec) {
  UniqueFd fd = open_in_root(root_fd, path, O_PATH, ec);
  if (fd || ec.value() != ENOENT || kind == Create::never) return fd;
  // The directory to create the last component in: the parent, resolved
  // inside the root as a whole when it exists (one lookup: most mount
  // points miss only their last component), else made the same way first,
  // so that a missing component is always created by name in the directory
  // resolved before it.
  size_t end = path.find_last_not_of('/');
  if (end == std::string::npos) return fd;  // "/" is never missing
  size_t slash = path.rfind('/', end);
  size_t begin = slash == std::string::npos ? 0 : slash + 1;
  std::string name = path.substr(begin, end + 1 - begin);
  if (name == "." || name == "..") {  // callers pass normalised paths
    ec = errno_code(EINVAL);
    return UniqueFd();
  }
  std::string parent = slash == std::string::npos ? std::string() : path.substr(0, slash);
  UniqueFd cur = parent.find_first_not_of('/') == std::string::npos
                     ? open_in_root(root_fd, "/", O_PATH | O_DIRECTORY, ec)
                     : mount_point_in_root(root_fd, parent, Create::dir, protected_mnt, ec);
  if (!cur) return cur;
  if (protected_mnt && mount_id_of(cur.get()) == protected_mnt) {
    ec = errno_code(EXDEV);
    return UniqueFd();
  }
  int r;
  if (kind == Create::file) {
    r = ::openat(cur.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (r >= 0) ::close(r);
  } else {
    r = ::mkdirat(cur.get(), name.c_str(), 0755);
  }
  if (r < 0 && errno != EEXIST) {
    ec = errno_code();
    return UniqueFd();
  }
  // Resolve it again: if the name was (or raced to become) a symlink, this
  // follows it inside the root, or fails when it dangles.
  return open_in_root(root_fd, path, O_PATH, ec);
}

FdPath::FdPath(int fd) { std::snprintf(buf_, sizeof buf_, "/proc/self/fd/%d", fd); }

// ---- Mounting -------------------------------------------------------------

int mount_on_fd_errno(const char* source, int target_fd, const char* fstype, unsigned long flags, const char* data) {
  FdPath target(target_fd);
  return ::mount(source, target.c_str(), fstype, flags, data) == 0 ? 0 : errno;
}

UniqueFd clone_tree(int fd, bool recursive) {
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  return UniqueFd(::open_tree(fd, "", flags));
}

int set_mount_attr_errno(int fd, uint64_t set, uint64_t clear, bool recursive) {
  struct mount_attr attr {};
  attr.attr_set = set;
  attr.attr_clr = clear;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  return ::mount_setattr(fd, "", flags, &attr, sizeof attr) == 0 ? 0 : errno;
}

int attach_mount_errno(int mnt_fd, int target_fd) {
  return ::move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == 0 ? 0 : errno;
}

// The last message the kernel left in a filesystem context ("overlay:
// failed to resolve 'x': -2"), without its "e " prefix.
static std::string fs_context_message(int fs_fd) {
  std::string last;
  char buf[512];
  for (;;) {
    ssize_t n = ::read(fs_fd, buf, sizeof buf - 1);
    if (n <= 0) break;
    buf[n] = 0;
    std::string_view m(buf, static_cast<size_t>(n));
    while (!m.empty() && m.back() == '\n') m.remove_suffix(1);
    if (m.size() > 2 && m[1] == ' ') m.remove_prefix(2);
    last.assign(m);
  }
  return last;
}

static std::string escape_layer(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == ':' || c == ',' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

[[noreturn]] static void overlay_fail(const OverlaySpec& spec, int fs_fd, int err, const char* what) {
  std::string msg = fs_fd >= 0 ? fs_context_message(fs_fd) : std::string();
  std::string lower = join(spec.lower, ":");
  std::string m = str("cannot mount overlay (lower ", lower);
  if (!spec.upper.empty()) m += str(", upper ", spec.upper, ", work ", spec.work);
  m += str("): ", what, ": ", std::strerror(err));
  m += msg.empty() ? std::string(" (the kernel log may say more: dmesg)") : str(" (", msg, ")");
  throw Error(m);
}

UniqueFd overlay_with_lowers(const OverlaySpec& spec) {
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs) overlay_fail(spec, -1, errno, "fsopen");
  bool one_by_one = true;
  for (size_t i = 0; i < spec.lower.size(); ++i) {
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", spec.lower[i].c_str(), 0) == 0) continue;
    if (i == 0 && errno == EINVAL) {  // before Linux 6.5: no "lowerdir+"
      fs_context_message(fs.get());   // drop the "unknown parameter" message
      one_by_one = false;
      break;
    }
    overlay_fail(spec, fs.get(), errno, str("lower layer ", spec.lower[i]).c_str());
  }
  if (!one_by_one) {
    std::string all;
    for (const auto& l : spec.lower) all += (all.empty() ? "" : ":") + escape_layer(l);
    if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir", all.c_str(), 0) != 0)
      overlay_fail(spec, fs.get(), errno, "lower layers");
  }
  return fs;
}

UniqueFd mount_overlay(int fs_fd, const OverlaySpec& spec, uint64_t attrs) {
  int fs = fs_fd;
  if (!spec.upper.empty()) {
    if (::fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", spec.upper.c_str(), 0) != 0)
      overlay_fail(spec, fs, errno, "upper directory");
    if (::fsconfig(fs, FSCONFIG_SET_STRING, "workdir", spec.work.c_str(), 0) != 0)
      overlay_fail(spec, fs, errno, "work directory");
    if (spec.no_sync && ::fsconfig(fs, FSCONFIG_SET_FLAG, "volatile", nullptr, 0) != 0)
      overlay_fail(spec, fs, errno, "volatile");
  }
  // In a user namespace overlayfs cannot use trusted.* xattrs: layers
  // unpacked there mark opaque directories with user.overlay.opaque.
  if (!in_initial_userns() && ::fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", nullptr, 0) != 0)
    overlay_fail(spec, fs, errno, "userxattr");
  if (::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) overlay_fail(spec, fs, errno, "create");
  UniqueFd mnt(::fsmount(fs, FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs)));
  if (!mnt) overlay_fail(spec, fs, errno, "fsmount");
  return mnt;
}

UniqueFd make_overlay(const OverlaySpec& spec, uint64_t attrs) {
  UniqueFd fs = overlay_with_lowers(spec);
  return mount_overlay(fs.get(), spec, attrs);
}

UniqueFd make_cgroup_mount(const std::string& controllers) {
  bool v2 = controllers.empty();
  UniqueFd fs(::fsopen(v2 ? "cgroup2" : "cgroup", FSOPEN_CLOEXEC));
  auto fail = [&](const char* what) {
    int e = errno;
    std::string msg = fs ? fs_context_message(fs.get()) : std::string();
    throw Error(str("cannot mount the cgroup hierarchy ", v2 ? "cgroup2" : controllers, ": ", what,
                    msg.empty() ? "" : str(" (", msg, ")")),
                e);
  };
  if (!fs) fail("fsopen");
  // v1: each controller is a flag; a named hierarchy is "none" + name=NAME.
  for (const auto& c : v2 ? std::vector<std::string>{} : split(controllers, ',')) {
    bool named = starts_with(c, "name=");
    if (named && ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, "none", nullptr, 0) != 0) fail("none");
    int rc = named ? ::fsconfig(fs.get(), FSCONFIG_SET_STRING, "name", c.c_str() + 5, 0)
                   : ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, c.c_str(), nullptr, 0);
    if (rc != 0) fail(c.c_str());
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) fail("create");
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC,
                         MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
  if (!mnt) fail("fsmount");
  return mnt;
}

ScopedMount& ScopedMount::operator=(ScopedMount&& o) noexcept {
  if (this != &o) {
    reset();
    path_ = std::exchange(o.path_, {});
  }
  return *this;
}

void ScopedMount::reset() {
  if (!path_.empty()) ::umount2(path_.c_str(), MNT_DETACH);
  path_.clear();
}

// ---- Docker-style mount specs ---------------------------------------------

BindSpec parse_bind_spec(std::string_view s) {
  auto f = split(s, ':');
  if (f.size() < 2 || f.size() > 3 || f[0].empty() || f[1].empty())
    throw Error(str("invalid --bind '", s, "': expected SRC:DST or SRC:DST:ro"));
  BindSpec b;
  b.source = f[0];
  b.target = container_path(f[1], "--bind destination");
  if (b.target == "/") throw Error(str("invalid --bind '", s, "': cannot bind onto / (use --rootfs)"));
  if (f.size() == 3) {
    if (f[2] == "ro") b.read_only = true;
    else if (f[2] != "rw") throw Error(str("invalid --bind '", s, "': unknown mode '", f[2], "' (expected ro or rw)"));
  }
  return b;
}

namespace {
struct FlagWord {
  const char* name;
  unsigned long set, clear;
};
// clang-format off
constexpr FlagWord kTmpfsFlags[] = {
    {"ro", MS_RDONLY, 0},           {"rw", 0, MS_RDONLY},
    {"nosuid", MS_NOSUID, 0},       {"suid", 0, MS_NOSUID},
    {"nodev", MS_NODEV, 0},         {"dev", 0, MS_NODEV},
    {"noexec", MS_NOEXEC, 0},       {"exec", 0, MS_NOEXEC},
    {"sync", MS_SYNCHRONOUS, 0},    {"async", 0, MS_SYNCHRONOUS},
    {"dirsync", MS_DIRSYNC, 0},     {"noatime", MS_NOATIME, 0},
    {"atime", 0, MS_NOATIME},       {"nodiratime", MS_NODIRATIME, 0},
    {"diratime", 0, MS_NODIRATIME}, {"relatime", MS_RELATIME, MS_STRICTATIME},
    {"norelatime", 0, MS_RELATIME}, {"strictatime", MS_STRICTATIME, MS_RELATIME},
    {"nostrictatime", 0, MS_STRICTATIME},
};
// clang-format on
}  // namespace

TmpfsSpec parse_tmpfs_spec(std::string_view s) {
  auto colon = s.find(':');
  std::string_view dst = s.substr(0, colon);
  std::string_view opts = colon == std::string_view::npos ? std::string_view() : s.substr(colon + 1);
  TmpfsSpec t;
  t.target = container_path(dst, "--tmpfs destination");
  if (t.target == "/") throw Error(str("invalid --tmpfs '", s, "': cannot mount a tmpfs on / (use --rootfs)"));
  t.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (opts.empty()) return t;
  for (const auto& o : split(opts, ',')) {
    if (o.empty()) continue;
    bool done = false;
    for (const auto& fw : kTmpfsFlags)
      if (o == fw.name) {
        t.flags = (t.flags & ~fw.clear) | fw.set;
        done = true;
      }
    if (done) continue;
    auto eq = o.find('=');
    std::string key = o.substr(0, eq), val = eq == std::string::npos ? "" : o.substr(eq + 1);
    std::string what = str("--tmpfs option ", key);
    if (eq == std::string::npos || val.empty())
      throw Error(str("invalid --tmpfs '", s, "': unknown option '", o,
                      "' (expected size=, mode=, uid=, gid=, nr_inodes=, huge=, or ro, rw, exec, noexec, suid, "
                      "nosuid, dev, nodev, sync, async, noatime, relatime, strictatime, ...)"));
    std::string norm;
    if (key == "size") {
      if (val.back() == '%') {
        uint64_t pct = parse_uint(std::string_view(val).substr(0, val.size() - 1), what, 100);
        if (pct == 0) throw Error(str("invalid ", what, " '", val, "': must be above 0%"));
        norm = str(pct, "%");
      } else {
        norm = std::to_string(parse_size(val, what));
      }
    } else if (key == "nr_inodes" || key == "nr_blocks") {
      norm = std::to_string(parse_size(val, what));
    } else if (key == "mode") {
      unsigned long mode = 0;
      for (char c : val)
        mode = c >= '0' && c <= '7' && mode <= 07777 ? mode * 8 + static_cast<unsigned long>(c - '0') : ~0UL;
      if (mode > 07777)
        throw Error(str("invalid ", what, " '", val, "': expected an octal mode up to 7777, such as 1777"));
      norm = val;
    } else if (key == "uid" || key == "gid") {
      norm = std::to_string(parse_uint(val, what, 0xfffffffe));
    } else if (key == "huge") {
      if (val != "never" && val != "always" && val != "within_size" && val != "advise" && val != "deny" &&
          val != "force")
        throw Error(str("invalid ", what, " '", val, "': expected never, always, within_size or advise"));
      norm = val;
    } else {
      throw Error(str("invalid --tmpfs '", s, "': unknown option '", key,
                      "' (expected size, mode, uid, gid, nr_inodes, nr_blocks or huge)"));
    }
    if (!t.data.empty()) t.data += ',';
    t.data += key + "=" + norm;
  }
  return t;
}

}  // namespace rt

namespace rt {

MountSpec parse_mount_spec(std::string_view s) {
  MountSpec m;
  m.spec = s;
  auto bad = [&](const std::string& why) { return Error(str("invalid --mount '", s, "': ", why)); };
  std::string dest;
  std::vector<std::string> data;
  for (const auto& w : split(s, ',')) {
    if (w.empty()) continue;
    auto eq = w.find('=');
    std::string key = w.substr(0, eq), val = eq == std::string::npos ? "" : w.substr(eq + 1);
    if (eq != std::string::npos && key == "type") {
      m.type = val;
    } else if (eq != std::string::npos && (key == "source" || key == "src")) {
      m.source = val;
    } else if (eq != std::string::npos && (key == "destination" || key == "dst" || key == "target")) {
      dest = val;
    } else if (w == "bind" || w == "rbind") {
      m.bind = true;
      m.recursive = w == "rbind";
    } else if (w == "private" || w == "rprivate" || w == "shared" || w == "rshared" || w == "slave" || w == "rslave" ||
               w == "unbindable" || w == "runbindable") {
      bool rec = w[0] == 'r';
      std::string base = rec ? w.substr(1) : w;
      m.propagation = (base == "private"  ? MS_PRIVATE
                       : base == "shared" ? MS_SHARED
                       : base == "slave"  ? MS_SLAVE
                                          : MS_UNBINDABLE) |
                      (rec ? MS_REC : 0);
    } else if (w == "idmap" || w == "ridmap" || w == "tmpcopyup" || starts_with(w, "uidmap=") ||
               starts_with(w, "gidmap=")) {
      throw bad(str("option '", w, "' is not supported by rt-mount"));
    } else {
      bool done = false;
      for (const auto& fw : kTmpfsFlags)
        if (w == fw.name) {
          m.flags = (m.flags & ~fw.clear) | fw.set;
          m.clear = (m.clear & ~fw.set) | fw.clear;
          done = true;
        }
      if (w == "remount" || w == "mand" || w == "nomand" || w == "defaults") done = true;  // as runc: no effect here
      if (!done) data.push_back(w);
    }
  }
  if (dest.empty()) throw bad("no destination= (expected type=T,source=S,destination=D[,OPTION...])");
  m.target = container_path(dest, "--mount destination");
  if (m.type == "bind") m.bind = true;
  if (m.type.empty()) {
    if (!m.bind) throw bad("no type= (and not a bind)");
    m.type = "bind";
  }
  if (m.bind && m.source.empty()) throw bad("a bind needs source=");
  if (m.source.empty()) m.source = m.type;
  if (m.target == "/") throw bad("cannot mount on / (the root is --rootfs)");
  if (m.bind) {
    // mount(2) ignores the data of MS_BIND, and runc passes it on regardless:
    // a KEY=VALUE option (mode=, size=) on a bind has no effect. A bare word
    // that is no flag is still refused: it is most likely a misspelled one.
    for (const auto& d : data)
      if (d.find('=') == std::string::npos) throw bad(str("unknown option '", d, "' for a bind"));
    data.clear();
  }
  m.data = join(data, ",");
  return m;
}

}  // namespace rt
