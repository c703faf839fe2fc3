#include "cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

#include "cgroup_devices.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "process.hpp"

namespace rt::cgroup {
namespace {

// ------------------------------------------------------------ small helpers

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::optional<uint64_t> to_u64(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s == "max") return kUnlimited;
  if (s.empty()) return std::nullopt;
  // v1 reports "no limit" as a huge number (PAGE_COUNTER_MAX pages, or -1).
  if (s[0] == '-') return kUnlimited;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (UINT64_MAX - 9) / 10) return kUnlimited;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::optional<uint64_t> read_u64(const std::string& path) {
  auto s = try_read_file(path);
  if (!s) return std::nullopt;
  return to_u64(*s);
}

// "key value" lines (memory.stat, cpu.stat, memory.events, oom_control).
std::optional<uint64_t> key_value(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ')
      return to_u64(line.substr(key.size() + 1));
    pos = eol + 1;
  }
  return std::nullopt;
}

std::optional<uint64_t> read_key(const std::string& path, std::string_view key) {
  auto s = try_read_file(path);
  if (!s) return std::nullopt;
  return key_value(*s, key);
}

// Write a control file: one write(2). O_TRUNC so that a fake tree of plain
// files holds exactly what was written (cgroupfs ignores it).
std::error_code write_cg(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd) return errno_code();
  ssize_t n;
  do n = ::write(fd.get(), data.data(), data.size());
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno_code();
  if (static_cast<size_t>(n) != data.size()) return errno_code(EIO);
  return {};
}

void set(const std::string& dir, std::string_view file, const std::string& value) {
  std::string path = str(dir, "/", file);
  if (auto ec = write_cg(path, value)) {
    std::string why = ec.message();
    throw Error(str("cannot set ", file, " to ", value, " in ", dir, ": ", why));
  }
  log::step("set ", file, "=", value);
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string parent_cg(std::string_view cg) {
  auto p = cg.rfind('/');
  if (p == std::string_view::npos || p == 0) return "/";
  return std::string(cg.substr(0, p));
}

void sleep_ms(int ms) {
  timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1000000L};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

std::string unescape_mountinfo(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    auto digit = [&](size_t k) { return s[k] >= '0' && s[k] <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && digit(i + 1) && digit(i + 2) && digit(i + 3)) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Subdirectories of a directory (names), sorted.
std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    bool isdir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      isdir = ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    if (isdir) out.emplace_back(n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// The pids in a group and every group below it.
void procs_into(const std::string& dir, std::set<pid_t>& out, bool fake) {
  if (auto s = try_read_file(dir + "/cgroup.procs")) {
    for (const auto& w : words(*s)) {
      auto v = to_u64(w);
      if (v && *v > 0 && *v < kUnlimited) out.insert(static_cast<pid_t>(*v));
    }
  }
  for (const auto& sub : subdirs(dir))
    if (!fake || sub[0] != '.') procs_into(dir + "/" + sub, out, fake);
}

// ------------------------------------------------------------ fake trees

// A new directory in a fake tree gets the files the kernel would create.
void populate_fake(const Hierarchy& h, const std::string& dir) {
  std::string tpl = h.mount + "/.template";
  DIR* d = ::opendir(tpl.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    std::string src = tpl + "/" + e->d_name;
    struct stat st {};
    if (::stat(src.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    auto data = try_read_file(src);
    std::string dst = dir + "/" + e->d_name;
    UniqueFd fd(::open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd || !data) continue;
    const std::string& bytes = *data;
    ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
    (void)n;
  }
  ::closedir(d);
}

void unlink_files(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    struct stat st {};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
      ::unlinkat(::dirfd(d), e->d_name, 0);
  }
  ::closedir(d);
}

// mkdir of a cgroup; false when it exists already. Throws on other errors.
bool make_dir(const Hierarchy& h, const std::string& dir, bool fake) {
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST) return false;
    throw_errno(str("cannot create cgroup ", dir));
  }
  if (fake) populate_fake(h, dir);
  log::step("created ", dir);
  return true;
}

// rmdir of a cgroup and of everything below it, retrying while the kernel
// still sees exiting tasks (EBUSY). ENOENT counts as done.
std::error_code remove_dir(const std::string& dir, bool fake, int64_t deadline_us) {
  for (const auto& sub : subdirs(dir))
    if (!fake || sub[0] != '.')
      if (auto ec = remove_dir(dir + "/" + sub, fake, deadline_us)) return ec;
  if (fake) unlink_files(dir);
  int wait = 1;
  for (;;) {
    if (::rmdir(dir.c_str()) == 0) {
      log::step("removed ", dir);
      return {};
    }
    int e = errno;
    if (e == ENOENT) return {};
    if (e != EBUSY || log::now_us() > deadline_us) return errno_code(e);
    sleep_ms(wait);
    wait = std::min(wait * 2, 50);
  }
}

// A parent directory rt made: removed only when nothing lives there any
// more (another group may have been made in it meanwhile).
void remove_made(const std::string& dir, bool fake) {
  if (fake) {
    if (!subdirs(dir).empty()) return;
    unlink_files(dir);
  }
  if (::rmdir(dir.c_str()) == 0) log::step("removed ", dir);
}

// ------------------------------------------------------------ signalling

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }
int pidfd_kill(int fd) { return static_cast<int>(::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0)); }

// True when /proc/PID/cgroup puts the process at `cg` (or below) in `h`.
bool in_group(pid_t pid, const Hierarchy& h, const std::string& cg) {
  auto text = try_read_file(str("/proc/", pid, "/cgroup"));
  if (!text) return false;
  std::string id = h.v2 ? "0" : std::to_string(h.id);
  for (const auto& line : split(*text, '\n')) {
    auto c1 = line.find(':');
    if (c1 == std::string::npos || line.compare(0, c1, id) != 0) continue;
    auto c2 = line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    std::string_view path(line.c_str() + c2 + 1, line.size() - c2 - 1);
    return path == cg || (path.size() > cg.size() && path.substr(0, cg.size()) == cg && path[cg.size()] == '/');
  }
  return false;
}

// SIGKILL every process of the part. A pid is signalled through a pidfd
// after checking, with the pidfd held, that it is still in the group: a
// recycled pid is never hit.
void signal_all(const Part& p, std::set<pid_t>& done) {
  std::set<pid_t> pids;
  procs_into(p.dir, pids, false);
  for (pid_t pid : pids) {
    if (done.count(pid)) continue;
    UniqueFd fd(pidfd_open(pid));
    if (!fd) continue;
    if (!in_group(pid, p.h, p.cg)) continue;
    if (pidfd_kill(fd.get()) == 0) done.insert(pid);
  }
}

bool wait_frozen(const Part& p, int64_t deadline_us) {
  int wait = 1;
  for (;;) {
    bool frozen = p.h.v2 ? read_key(p.dir + "/cgroup.events", "frozen") == 1u
                         : try_read_file(p.dir + "/freezer.state").value_or("").rfind("FROZEN", 0) == 0;
    if (frozen) return true;
    if (log::now_us() > deadline_us) return false;
    sleep_ms(wait);
    wait = std::min(wait * 2, 20);
  }
}

// ------------------------------------------------------------ detection

struct SelfLine {
  int id;
  std::vector<std::string> controllers;
  std::string path;
};

std::vector<SelfLine> parse_self(const std::string& text) {
  std::vector<SelfLine> out;
  for (const auto& line : split(text, '\n')) {
    auto c1 = line.find(':');
    auto c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    SelfLine s;
    s.id = std::atoi(line.substr(0, c1).c_str());
    std::string ctl = line.substr(c1 + 1, c2 - c1 - 1);
    if (!ctl.empty()) s.controllers = split(ctl, ',');
    s.path = line.substr(c2 + 1);
    if (s.path.empty()) s.path = "/";
    out.push_back(std::move(s));
  }
  return out;
}

void hierarchies_from_mountinfo(Host& host, const std::vector<SelfLine>& self) {
  std::string info = read_file("/proc/self/mountinfo");
  bool have_v2 = false;
  std::set<int> have_v1;
  for (const auto& line : split(info, '\n')) {
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto pre = words(std::string_view(line).substr(0, dash));
    auto post = words(std::string_view(line).substr(dash + 3));
    if (pre.size() < 5 || post.size() < 3) continue;
    const std::string& fstype = post[0];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    Hierarchy h;
    h.root = unescape_mountinfo(pre[3]);
    h.mount = unescape_mountinfo(pre[4]);
    if (fstype == "cgroup2") {
      if (have_v2) continue;
      have_v2 = true;
      h.v2 = true;
      h.id = 0;
      for (const auto& s : self)
        if (s.id == 0 && s.controllers.empty()) h.self = s.path;
    } else {
      auto opts = split(post[2], ',');
      const SelfLine* match = nullptr;
      for (const auto& s : self)
        if (!s.controllers.empty() && contains(opts, s.controllers[0])) match = &s;
      if (!match || have_v1.count(match->id)) continue;
      have_v1.insert(match->id);
      h.id = match->id;
      h.controllers = match->controllers;
      h.self = match->path;
    }
    host.hierarchies.push_back(std::move(h));
  }
}

void hierarchies_from_fake(Host& host, const std::string& fs, const std::vector<SelfLine>& self) {
  auto add_v2 = [&](const std::string& mount) {
    Hierarchy h;
    h.v2 = true;
    h.id = 0;
    h.mount = mount;
    for (const auto& s : self)
      if (s.id == 0 && s.controllers.empty()) h.self = s.path;
    host.hierarchies.push_back(std::move(h));
  };
  if (exists(fs + "/cgroup.controllers")) {
    add_v2(fs);
    return;
  }
  for (const auto& sub : subdirs(fs)) {
    if (sub[0] == '.') continue;
    std::string mount = fs + "/" + sub;
    struct stat st {};
    if (::lstat(mount.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (exists(mount + "/cgroup.controllers")) {
      add_v2(mount);
      continue;
    }
    Hierarchy h;
    h.mount = mount;
    h.controllers = split(sub == "systemd" ? "name=systemd" : sub, ',');
    for (const auto& s : self)
      if (!s.controllers.empty() && contains(h.controllers, s.controllers[0])) {
        h.id = s.id;
        h.self = s.path;
      }
    host.hierarchies.push_back(std::move(h));
  }
}

bool named_only(const Hierarchy& h) {
  return !h.v2 && std::all_of(h.controllers.begin(), h.controllers.end(),
                              [](const std::string& c) { return starts_with(c, "name="); });
}

}  // namespace

// ================================================================ Hierarchy, Host

bool Hierarchy::has(std::string_view c) const { return contains(controllers, c); }

std::string Hierarchy::dir(std::string_view cg) const {
  std::string_view rel = cg;
  if (root != "/" && starts_with(cg, root) && (cg.size() == root.size() || cg[root.size()] == '/'))
    rel = cg.substr(root.size());
  if (rel.empty() || rel == "/") return mount;
  return mount + std::string(rel);
}

std::string Hierarchy::label() const { return v2 ? "unified" : join(controllers, ","); }

const char* mode_name(Mode m) {
  switch (m) {
    case Mode::v1: return "v1";
    case Mode::v2: return "v2";
    case Mode::hybrid: return "hybrid";
  }
  return "?";
}

const Hierarchy* Host::v1(std::string_view controller) const {
  for (const auto& h : hierarchies)
    if (!h.v2 && h.has(controller)) return &h;
  return nullptr;
}

const Hierarchy* Host::unified() const {
  for (const auto& h : hierarchies)
    if (h.v2) return &h;
  return nullptr;
}

Host detect() {
  Host host;
  const char* fs = std::getenv("RT_CGROUP_FS");
  const char* self_file = std::getenv("RT_CGROUP_SELF");
  std::string self_path = self_file && *self_file ? self_file : "/proc/self/cgroup";
  auto self = parse_self(read_file(self_path));
  if (fs && *fs) {
    host.fake = true;
    if (!is_dir(fs)) throw Error(str("RT_CGROUP_FS=", fs, ": not a directory"));
    hierarchies_from_fake(host, fs, self);
  } else {
    hierarchies_from_mountinfo(host, self);
  }
  bool v1 = false, v2 = false;
  for (const auto& h : host.hierarchies) {
    if (h.v2) v2 = true;
    else if (!named_only(h)) v1 = true;
  }
  if (!v1 && !v2) throw Error("no cgroup hierarchy is mounted (neither cgroup nor cgroup2 in /proc/self/mountinfo)");
  host.mode = v1 && v2 ? Mode::hybrid : v2 ? Mode::v2 : Mode::v1;
  if (host.mode == Mode::hybrid) {
    const char* u = std::getenv("RT_CGROUP_UNIFIED");
    host.hybrid_unified = u && std::string_view(u) == "1";
  }
  log::step("cgroup layout: ", mode_name(host.mode), host.fake ? " (fake tree)" : "", ", ", host.hierarchies.size(),
            " hierarchies");
  return host;
}

std::optional<std::string> not_delegated(const Host& host) {
  uid_t uid = ::geteuid();
  const char* remedy =
      "rootless limits need cgroup v2 with a subtree delegated to you, e.g. systemd-run --user --scope -p "
      "Delegate=yes rt-run ...; or run as root, or without the limit";
  const Hierarchy* u = host.unified();
  if (host.mode != Mode::v2 || !u)
    return str("this host's cgroups are ", mode_name(host.mode), ", which delegate nothing to uid ", uid, " (", remedy,
               ")");
  std::string dir = u->dir(u->self);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return str("cannot stat your cgroup ", dir, ": ", std::strerror(errno));
  struct stat procs {};
  if (st.st_uid != uid || ::stat((dir + "/cgroup.procs").c_str(), &procs) != 0 || procs.st_uid != uid ||
      ::access(dir.c_str(), W_OK) != 0)
    return str("your cgroup ", u->self, " is not delegated to uid ", uid, " (it belongs to uid ", st.st_uid, "; ",
               remedy, ")");
  return std::nullopt;
}

// ================================================================ limits

std::vector<unsigned> parse_cpu_list(std::string_view s, std::string_view what) {
  std::set<unsigned> out;
  auto bad = [&](std::string_view why) { return Error(str("invalid ", what, " '", s, "': ", why)); };
  if (s.empty()) throw bad("expected a list such as 0-3,5");
  for (const auto& item : split(s, ',')) {
    auto dash = item.find('-');
    std::string a = item.substr(0, dash), b = dash == std::string::npos ? a : item.substr(dash + 1);
    uint64_t lo, hi;
    try {
      lo = parse_uint(a, what, 8191);
      hi = parse_uint(b, what, 8191);
    } catch (const Error&) {
      throw bad("expected numbers and ranges such as 0-3,5 (at most 8191)");
    }
    if (lo > hi) throw bad(str("range ", item, " goes backwards"));
    for (uint64_t i = lo; i <= hi; ++i) out.insert(static_cast<unsigned>(i));
  }
  return {out.begin(), out.end()};
}

void check_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 128 && name[0] != '.' && name[0] != '-';
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) ok = false;
  if (!ok)
    throw Error(str("invalid name '", name,
                    "': expected letters, digits, '_', '.' and '-' (not first), at most 128 characters"));
}

std::string normalize_parent(std::string_view parent) {
  if (parent.empty()) return "";
  std::string out;
  for (const auto& c : split(parent, '/')) {
    if (c.empty()) continue;
    if (c == "." || c == "..")
      throw Error(
          str("invalid --parent '", parent, "': no '.' or '..' components (it is relative to each hierarchy's root)"));
    out += "/" + c;
  }
  return out.empty() ? "/" : out;
}

std::string normalize_path(std::string_view path, std::string_view what) {
  if (path.empty()) throw Error(str("invalid ", what, " '': empty path"));
  std::string out;
  for (const auto& c : split(path, '/')) {
    if (c.empty()) continue;
    if (c == "." && out.empty() && path[0] != '/') continue;  // "./name": a relative path of one component
    if (c == "." || c == "..") throw Error(str("invalid ", what, " '", path, "': no '.' or '..' components"));
    out += (out.empty() && path[0] != '/' ? "" : "/") + c;
  }
  if (out.empty()) throw Error(str("invalid ", what, " '", path, "': the root cgroup is nobody's own group"));
  return out;
}

std::string resolve_path(const Hierarchy& h, std::string_view path) {
  if (!path.empty() && path[0] == '/') return std::string(path);
  std::string base = h.v2 ? parent_cg(h.self) : h.self;
  if (base.empty() || base.back() != '/') base += '/';
  return base + std::string(path);
}

uint64_t shares_to_weight(uint64_t shares) {
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  double l = std::log2(static_cast<double>(shares));
  double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return static_cast<uint64_t>(std::ceil(std::pow(10, exponent)));
}

uint64_t weight_to_shares(uint64_t weight) {
  if (weight <= 1) return 2;
  if (weight >= 10000) return 262144;
  // Solve l^2 + 125 l - 612 (log10(w) + 7/34) = 0 for l = log2(shares).
  double c = 612.0 * (std::log10(static_cast<double>(weight)) + 7.0 / 34.0);
  double l = (-125.0 + std::sqrt(125.0 * 125.0 + 4.0 * c)) / 2.0;
  auto s = static_cast<uint64_t>(std::llround(std::exp2(l)));
  return std::clamp<uint64_t>(s, 2, 262144);
}

uint64_t blkio_to_io_weight(uint64_t w) { return w < 10 ? 1 : 1 + (w - 10) * 9999 / 990; }

Limits parse_limits(const LimitArgs& a) {
  Limits l;
  if (!a.memory.empty()) {
    l.memory = parse_size(a.memory, "--memory");
    if (*l.memory < kMinMemory) throw Error(str("invalid --memory '", a.memory, "': at least 6M (as Docker)"));
  }
  if (!a.memory_swap.empty() && a.memory_swap != "0") {
    if (a.memory_swap == "-1") {
      l.memory_swap = -1;
    } else {
      uint64_t v = parse_size(a.memory_swap, "--memory-swap");
      if (v > static_cast<uint64_t>(INT64_MAX))
        throw Error(str("invalid --memory-swap '", a.memory_swap, "': too large"));
      l.memory_swap = static_cast<int64_t>(v);
    }
    if (!l.memory)
      throw Error(str("invalid --memory-swap '", a.memory_swap, "': it is memory plus swap, so it needs --memory"));
    if (*l.memory_swap >= 0 && static_cast<uint64_t>(*l.memory_swap) < *l.memory)
      throw Error(str("invalid --memory-swap '", a.memory_swap,
                      "': less than --memory (it is memory plus swap; -1: unlimited swap)"));
  }
  if (!a.memory_reservation.empty()) {
    l.memory_reservation = parse_size(a.memory_reservation, "--memory-reservation");
    if (l.memory && *l.memory_reservation > *l.memory)
      throw Error(str("invalid --memory-reservation '", a.memory_reservation, "': more than --memory"));
  }
  if (!a.cpus.empty()) {
    double v = parse_double(a.cpus, "--cpus");
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (v < 0.01) throw Error(str("invalid --cpus '", a.cpus, "': at least 0.01"));
    if (n > 0 && v > static_cast<double>(n))
      throw Error(str("invalid --cpus '", a.cpus, "': more than the ", n, " CPUs of this host"));
    l.cpus = v;
  }
  if (!a.cpu_shares.empty()) {
    l.cpu_shares = parse_uint(a.cpu_shares, "--cpu-shares", 262144);
    if (*l.cpu_shares < 2) throw Error(str("invalid --cpu-shares '", a.cpu_shares, "': between 2 and 262144"));
  }
  if (!a.cpu_weight.empty()) {
    if (l.cpu_shares) throw Error("--cpu-shares and --cpu-weight say the same thing on two scales: give one");
    l.cpu_weight = parse_uint(a.cpu_weight, "--cpu-weight", 10000);
    if (*l.cpu_weight < 1) throw Error(str("invalid --cpu-weight '", a.cpu_weight, "': between 1 and 10000"));
  }
  if (!a.cpuset_cpus.empty()) {
    parse_cpu_list(a.cpuset_cpus, "--cpuset-cpus");
    l.cpuset_cpus = a.cpuset_cpus;
  }
  if (!a.cpuset_mems.empty()) {
    parse_cpu_list(a.cpuset_mems, "--cpuset-mems");
    l.cpuset_mems = a.cpuset_mems;
  }
  if (!a.pids.empty()) {
    if (a.pids == "-1" || a.pids == "max") {
      l.pids = -1;
    } else {
      uint64_t v = parse_uint(a.pids, "--pids", 4194304);
      if (v < 1) throw Error(str("invalid --pids '", a.pids, "': at least 1 (-1 or max: no limit)"));
      l.pids = static_cast<int64_t>(v);
    }
  }
  if (!a.io_weight.empty()) {
    l.io_weight = parse_uint(a.io_weight, "--io-weight", 1000);
    if (*l.io_weight < 10) throw Error(str("invalid --io-weight '", a.io_weight, "': between 10 and 1000"));
  }
  if (!a.devices.empty()) {
    if (a.devices != "docker") throw Error(str("invalid --devices '", a.devices, "': expected docker"));
    l.devices_docker = true;
  }
  if (!a.cpu_quota.empty()) {
    if (l.cpus) throw Error("--cpus and --cpu-quota say the same thing: give one");
    if (a.cpu_quota == "-1" || a.cpu_quota == "max") {
      l.cpu_quota = -1;
    } else {
      uint64_t v = parse_uint(a.cpu_quota, "--cpu-quota", INT64_MAX);
      if (v < 1000) throw Error(str("invalid --cpu-quota '", a.cpu_quota, "': at least 1000 (us; -1: no limit)"));
      l.cpu_quota = static_cast<int64_t>(v);
    }
  }
  if (!a.cpu_period.empty()) {
    if (l.cpus) throw Error("--cpus sets the period (100000 us): give --cpu-quota with --cpu-period");
    l.cpu_period = parse_uint(a.cpu_period, "--cpu-period", 1000000);
    if (*l.cpu_period < 1000)
      throw Error(str("invalid --cpu-period '", a.cpu_period, "': between 1000 and 1000000 (us)"));
  }
  if (!a.swappiness.empty()) l.swappiness = parse_uint(a.swappiness, "--memory-swappiness", 100);
  l.oom_kill_disable = a.oom_kill_disable;
  if (!a.kernel_tcp.empty()) l.kernel_tcp = parse_size(a.kernel_tcp, "--kernel-memory-tcp");
  for (const auto& h : a.hugetlb) {
    auto eq = h.find('=');
    std::string size = h.substr(0, eq);
    bool ok = eq != std::string::npos && size.size() > 2 && std::isdigit(static_cast<unsigned char>(size[0]));
    if (ok) {
      std::string unit = size.substr(size.find_first_not_of("0123456789"));
      ok = unit == "KB" || unit == "MB" || unit == "GB";
    }
    if (!ok) throw Error(str("invalid --hugetlb '", h, "': expected PAGESIZE=LIMIT, as 2MB=64M (KB, MB or GB pages)"));
    l.hugetlb.push_back({size, parse_size(h.substr(eq + 1), "--hugetlb")});
  }
  for (const auto& u : a.unified) {
    auto eq = u.find('=');
    std::string key = u.substr(0, eq);
    bool ok = eq != std::string::npos && key.find('.') != std::string::npos && key[0] != '.';
    for (char c : key) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
    if (!ok)
      throw Error(
          str("invalid --unified '", u, "': expected FILE=VALUE with a cgroup v2 file name, as memory.high=64M"));
    if (starts_with(key, "cgroup."))
      throw Error(str("invalid --unified '", u, "': the cgroup.* files are rt-cgroup's (no limits there)"));
    l.unified.emplace_back(key, u.substr(eq + 1));
  }
  auto rates = [](const std::vector<std::string>& in, const char* opt) {
    std::vector<Limits::DeviceRate> out;
    for (const auto& r : in) {
      auto colon = r.find(':'), eq = r.find('=');
      if (colon == std::string::npos || eq == std::string::npos || eq < colon)
        throw Error(str("invalid ", opt, " '", r, "': expected MAJOR:MINOR=RATE, as 8:0=1048576"));
      try {
        out.push_back({static_cast<unsigned>(parse_uint(r.substr(0, colon), opt, 4095)),
                       static_cast<unsigned>(parse_uint(r.substr(colon + 1, eq - colon - 1), opt, 1048575)),
                       parse_size(r.substr(eq + 1), opt)});
      } catch (const Error&) {
        throw Error(str("invalid ", opt, " '", r, "': expected MAJOR:MINOR=RATE, as 8:0=1048576"));
      }
    }
    return out;
  };
  l.read_bps = rates(a.read_bps, "--device-read-bps");
  l.write_bps = rates(a.write_bps, "--device-write-bps");
  l.read_iops = rates(a.read_iops, "--device-read-iops");
  l.write_iops = rates(a.write_iops, "--device-write-iops");
  return l;
}

bool Limits::any() const {
  return memory || memory_swap || memory_reservation || cpus || cpu_shares || cpu_weight || !cpuset_cpus.empty() ||
         !cpuset_mems.empty() || pids || io_weight || devices_docker || cpu_quota || cpu_period || swappiness ||
         oom_kill_disable || kernel_tcp || !hugetlb.empty() || !unified.empty() || !read_bps.empty() ||
         !write_bps.empty() || !read_iops.empty() || !write_iops.empty();
}

// ================================================================ Group::create

namespace {

struct Plan {
  const Hierarchy* h;
  std::vector<std::string> controllers;  // wanted here (v1 or v2 names)
  std::vector<std::string> required;     // of which these must be there
  bool bpf_devices = false;
};

// The cpus (or mems) a cpuset group may be given: its parent's effective set.
std::vector<unsigned> effective_set(const Hierarchy& h, const std::string& dir, bool cpus) {
  std::string f = h.v2 ? (cpus ? "cpuset.cpus.effective" : "cpuset.mems.effective")
                       : (cpus ? "cpuset.effective_cpus" : "cpuset.effective_mems");
  auto s = try_read_file(dir + "/" + f);
  if (!s && !h.v2) s = try_read_file(dir + (cpus ? "/cpuset.cpus" : "/cpuset.mems"));
  if (!s) return {};
  auto w = words(*s);
  if (w.empty()) return {};
  try {
    return parse_cpu_list(w[0], f);
  } catch (const Error&) {
    return {};
  }
}

void check_cpuset(const Hierarchy& h, const std::string& anc_dir, const std::string& want, bool cpus) {
  if (want.empty()) return;
  auto allowed = effective_set(h, anc_dir, cpus);
  if (allowed.empty()) return;  // unknown: the kernel will say
  const char* opt = cpus ? "--cpuset-cpus" : "--cpuset-mems";
  for (unsigned c : parse_cpu_list(want, opt)) {
    if (std::binary_search(allowed.begin(), allowed.end(), c)) continue;
    std::string have;
    for (unsigned a : allowed) have += (have.empty() ? "" : ",") + std::to_string(a);
    throw Error(str("invalid ", opt, " '", want, "': ", cpus ? "CPU " : "memory node ", c, " is not available here (",
                    anc_dir, " has ", have, ")"));
  }
}

// v1: a new cpuset group has no cpus and mems, and no task can join it
// until they are set: copy them from the parent (only into groups rt made).
void init_cpuset_v1(const std::string& dir, const std::string& cpus, const std::string& mems) {
  std::string parent = dir.substr(0, dir.rfind('/'));
  auto first = [](const std::optional<std::string>& s) {
    auto w = words(s.value_or(""));
    return w.empty() ? std::string() : w[0];
  };
  std::string c = cpus.empty() ? first(try_read_file(parent + "/cpuset.cpus")) : cpus;
  std::string m = mems.empty() ? first(try_read_file(parent + "/cpuset.mems")) : mems;
  set(dir, "cpuset.cpus", c);
  set(dir, "cpuset.mems", m);
}

// One line per device: "8:0 1048576" (v1 blkio.throttle.*).
void set_rates(const std::string& d, const char* file, const std::vector<Limits::DeviceRate>& rates) {
  for (const auto& r : rates) set(d, file, str(r.major, ":", r.minor, " ", r.rate));
}

// `update`: an existing group; only what `l` gives is written, no defaults.
void apply_v1(const Part& p, const Limits& l, bool bpf_devices, bool update = false) {
  const Hierarchy& h = p.h;
  const std::string& d = p.dir;
  if (h.has("cpuset")) {
    if (!update) init_cpuset_v1(d, l.cpuset_cpus, l.cpuset_mems);
    else {
      if (!l.cpuset_cpus.empty()) set(d, "cpuset.cpus", l.cpuset_cpus);
      if (!l.cpuset_mems.empty()) set(d, "cpuset.mems", l.cpuset_mems);
    }
  }
  if (h.has("memory")) {
    if (l.memory_reservation) set(d, "memory.soft_limit_in_bytes", std::to_string(*l.memory_reservation));
    bool memsw = exists(d + "/memory.memsw.limit_in_bytes");
    // memory.limit_in_bytes may never exceed memory.memsw.limit_in_bytes:
    // raise the pair in the order that keeps it so at each step.
    std::optional<uint64_t> cur_memsw = memsw ? read_u64(d + "/memory.memsw.limit_in_bytes") : std::nullopt;
    std::optional<uint64_t> new_memsw;
    if (l.memory_swap) {
      if (*l.memory_swap >= 0 && !memsw)
        throw Error(
            str("cannot apply --memory-swap: swap accounting is off on this host (no memory.memsw.limit_in_bytes in ",
                d, "; boot with swapaccount=1)"));
      if (memsw) new_memsw = *l.memory_swap < 0 ? kUnlimited : static_cast<uint64_t>(*l.memory_swap);
    } else if (l.memory && memsw) {
      if (!update) new_memsw = *l.memory * 2;  // Docker's default: as much swap as memory
      else if (cur_memsw && *cur_memsw < *l.memory) new_memsw = *l.memory;
    }
    auto memsw_text = [](uint64_t v) { return v == kUnlimited ? std::string("-1") : std::to_string(v); };
    bool memsw_first = new_memsw && l.memory && cur_memsw && *l.memory > *cur_memsw;
    if (memsw_first) set(d, "memory.memsw.limit_in_bytes", memsw_text(*new_memsw));
    if (l.memory) set(d, "memory.limit_in_bytes", std::to_string(*l.memory));
    if (new_memsw && !memsw_first) set(d, "memory.memsw.limit_in_bytes", memsw_text(*new_memsw));
    if (l.swappiness) set(d, "memory.swappiness", std::to_string(*l.swappiness));
    if (l.oom_kill_disable) set(d, "memory.oom_control", "1");
    if (l.kernel_tcp) set(d, "memory.kmem.tcp.limit_in_bytes", std::to_string(*l.kernel_tcp));
  }
  if (h.has("cpu")) {
    if (l.cpus) {
      set(d, "cpu.cfs_period_us", std::to_string(kCpuPeriodUs));
      set(d, "cpu.cfs_quota_us", std::to_string(std::llround(*l.cpus * kCpuPeriodUs)));
    }
    if (l.cpu_period) set(d, "cpu.cfs_period_us", std::to_string(*l.cpu_period));
    if (l.cpu_quota) set(d, "cpu.cfs_quota_us", std::to_string(*l.cpu_quota));
    if (l.cpu_shares) set(d, "cpu.shares", std::to_string(*l.cpu_shares));
    if (l.cpu_weight) set(d, "cpu.shares", std::to_string(weight_to_shares(*l.cpu_weight)));
  }
  if (h.has("pids") && l.pids) set(d, "pids.max", *l.pids < 0 ? "max" : std::to_string(*l.pids));
  if (h.has("blkio")) {
    if (l.io_weight) {
      if (exists(d + "/blkio.weight")) set(d, "blkio.weight", std::to_string(*l.io_weight));
      else if (exists(d + "/blkio.bfq.weight")) set(d, "blkio.bfq.weight", std::to_string(*l.io_weight));
      else
        throw Error(str("cannot apply --io-weight: ", d,
                        " has neither blkio.weight nor blkio.bfq.weight (no proportional I/O scheduler)"));
    }
    set_rates(d, "blkio.throttle.read_bps_device", l.read_bps);
    set_rates(d, "blkio.throttle.write_bps_device", l.write_bps);
    set_rates(d, "blkio.throttle.read_iops_device", l.read_iops);
    set_rates(d, "blkio.throttle.write_iops_device", l.write_iops);
  }
  if (h.has("hugetlb"))
    for (const auto& hp : l.hugetlb) set(d, str("hugetlb.", hp.size, ".limit_in_bytes"), std::to_string(hp.limit));
  if (h.has("devices") && l.devices_docker && !bpf_devices) {
    set(d, "devices.deny", "a");
    for (const auto& r : docker_device_rules()) set(d, "devices.allow", v1_rule_line(r));
  }
}

void apply_v2(const Part& p, const Limits& l, bool update = false) {
  const std::string& d = p.dir;
  auto on = [&](const char* c) { return contains(p.enabled, c); };
  auto need = [&](const char* file, const char* option) {
    if (!exists(d + "/" + file))
      throw Error(
          str("cannot apply ", option, ": ", d, " has no ", file, " (controller not enabled, or not in this kernel)"));
  };
  if (on("cpuset")) {
    if (!l.cpuset_cpus.empty()) set(d, "cpuset.cpus", l.cpuset_cpus);
    if (!l.cpuset_mems.empty()) set(d, "cpuset.mems", l.cpuset_mems);
  }
  if (on("cpu")) {
    if (l.cpus) set(d, "cpu.max", str(std::llround(*l.cpus * kCpuPeriodUs), " ", kCpuPeriodUs));
    if (l.cpu_quota || l.cpu_period) {
      // cpu.max is "QUOTA PERIOD": one of them alone keeps the other.
      auto cur = words(try_read_file(d + "/cpu.max").value_or(""));
      std::string quota = cur.size() == 2 ? cur[0] : "max", period = cur.size() == 2 ? cur[1] : "100000";
      if (l.cpu_quota) quota = *l.cpu_quota < 0 ? "max" : std::to_string(*l.cpu_quota);
      if (l.cpu_period) period = std::to_string(*l.cpu_period);
      set(d, "cpu.max", str(quota, " ", period));
    }
    if (l.cpu_shares) set(d, "cpu.weight", std::to_string(shares_to_weight(*l.cpu_shares)));
    if (l.cpu_weight) set(d, "cpu.weight", std::to_string(*l.cpu_weight));
  }
  if (on("memory")) {
    if (l.memory_reservation) set(d, "memory.low", std::to_string(*l.memory_reservation));
    if (l.memory) set(d, "memory.max", std::to_string(*l.memory));
    bool swap = exists(d + "/memory.swap.max");
    if (l.memory_swap) {
      if (*l.memory_swap >= 0) need("memory.swap.max", "--memory-swap");
      std::optional<uint64_t> mem = l.memory;
      if (!mem) mem = read_u64(d + "/memory.max");
      if (swap)
        set(d, "memory.swap.max",
            *l.memory_swap < 0 || !mem || *mem == kUnlimited
                ? "max"
                : std::to_string(static_cast<uint64_t>(*l.memory_swap) - std::min<uint64_t>(*mem, *l.memory_swap)));
    } else if (l.memory && swap && !update) {
      set(d, "memory.swap.max", std::to_string(*l.memory));  // Docker's default: as much swap as memory
    }
  }
  if (on("pids") && l.pids) set(d, "pids.max", *l.pids < 0 ? "max" : std::to_string(*l.pids));
  if (on("io")) {
    if (l.io_weight) {
      if (exists(d + "/io.bfq.weight")) set(d, "io.bfq.weight", std::to_string(*l.io_weight));
      else if (exists(d + "/io.weight")) set(d, "io.weight", str("default ", blkio_to_io_weight(*l.io_weight)));
      else throw Error(str("cannot apply --io-weight: ", d, " has neither io.bfq.weight nor io.weight"));
    }
    // io.max: one line per device, "8:0 rbps=N wbps=N riops=N wiops=N".
    std::map<std::pair<unsigned, unsigned>, std::string> io_max;
    auto add = [&](const std::vector<Limits::DeviceRate>& rs, const char* key) {
      for (const auto& r : rs) io_max[{r.major, r.minor}] += str(" ", key, "=", r.rate);
    };
    add(l.read_bps, "rbps");
    add(l.write_bps, "wbps");
    add(l.read_iops, "riops");
    add(l.write_iops, "wiops");
    for (const auto& [dev, keys] : io_max) set(d, "io.max", str(dev.first, ":", dev.second, keys));
  }
  if (on("hugetlb"))
    for (const auto& hp : l.hugetlb) set(d, str("hugetlb.", hp.size, ".max"), std::to_string(hp.limit));
  for (const auto& [file, value] : l.unified) set(d, file, value);
}

// The limits that exist on v1 only: refused on v2 before anything is made.
void check_v1_only(const Limits& l, const std::string& where) {
  const char* what = l.swappiness         ? "--memory-swappiness"
                     : l.oom_kill_disable ? "--oom-kill-disable"
                     : l.kernel_tcp       ? "--kernel-memory-tcp"
                                          : nullptr;
  if (what) throw Error(str("cannot apply ", what, ": cgroup v2 has no such setting (", where, " is v2)"));
}

UniqueFd lock_dir(const std::string& dir, bool wait) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fd;
  if (::flock(fd.get(), LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) return UniqueFd();
  return fd;
}

}  // namespace

Group Group::create(const Host& host, const std::string& name, const std::string& parent, const Limits& l) {
  check_name(name);
  return make(host, name, parent, "", l);
}

Group Group::create_at(const Host& host, const std::string& path, const Limits& l) {
  return make(host, path, "", normalize_path(path), l);
}

Group Group::make(const Host& host, const std::string& name, const std::string& parent, const std::string& path,
                  const Limits& l) {
  bool exact = !path.empty();
  bool need_mem =
      l.memory || l.memory_swap || l.memory_reservation || l.swappiness || l.oom_kill_disable || l.kernel_tcp;
  bool need_cpu = l.cpus || l.cpu_shares || l.cpu_weight || l.cpu_quota || l.cpu_period;
  bool need_io =
      l.io_weight || !l.read_bps.empty() || !l.write_bps.empty() || !l.read_iops.empty() || !l.write_iops.empty();
  bool need_cpuset = !l.cpuset_cpus.empty() || !l.cpuset_mems.empty();
  const Hierarchy* uni = host.unified();
  bool v2_only = host.mode == Mode::v2;
  bool use_uni = uni && (v2_only || host.hybrid_unified);

  // 1. Which hierarchy serves which controller.
  std::vector<Plan> plan;
  auto plan_for = [&](const Hierarchy* h) -> Plan& {
    for (auto& p : plan)
      if (p.h == h) return p;
    plan.push_back({h, {}, {}, false});
    return plan.back();
  };
  std::optional<std::vector<std::string>> uni_controllers;  // read lazily (hybrid only)
  auto on_unified = [&](const char* c) {
    if (!uni || !c) return false;
    if (v2_only) return true;  // delegation is checked below
    if (!uni_controllers)
      uni_controllers = words(try_read_file(uni->dir(uni->root) + "/cgroup.controllers").value_or(""));
    return contains(*uni_controllers, c);
  };
  struct Want {
    const char* v1;
    const char* v2;  // nullptr: nothing to enable on v2 (core files do it)
    bool always;     // for stats or for the kill path
    bool required;   // a limit needs it
  };
  const Want wants[] = {
      {"memory", "memory", true, need_mem},
      {"pids", "pids", true, l.pids.has_value()},
      {"cpuacct", nullptr, true, false},
      {"freezer", nullptr, true, false},
      {"cpu", "cpu", v2_only, need_cpu},
      {"cpuset", "cpuset", false, need_cpuset},
      {"blkio", "io", v2_only, need_io},
      {"hugetlb", "hugetlb", false, !l.hugetlb.empty()},
      {"devices", nullptr, false, l.devices_docker && !use_uni && host.v1("devices")},
  };
  for (const auto& w : wants) {
    if (!w.always && !w.required) continue;
    if (!v2_only)
      if (const Hierarchy* h = host.v1(w.v1)) {
        auto& p = plan_for(h);
        p.controllers.emplace_back(w.v1);
        if (w.required) p.required.emplace_back(w.v1);
        continue;
      }
    if (on_unified(w.v2)) {
      auto& p = plan_for(uni);
      p.controllers.emplace_back(w.v2);
      if (w.required) p.required.emplace_back(w.v2);
      continue;
    }
    if (w.required && !(v2_only && !w.v2))
      throw Error(str("the ", w.v1, " controller is not available on this host (not mounted as cgroup v1",
                      uni ? " and not in the v2 hierarchy's cgroup.controllers" : "", ")"));
  }
  if (use_uni) plan_for(uni);
  // --unified FILE=VALUE: v2 files, in the controller the name starts with.
  if (!l.unified.empty()) {
    if (!use_uni)
      throw Error(str("cannot apply --unified ", l.unified[0].first, "=", l.unified[0].second,
                      ": it sets cgroup v2 files and this host's limits are on v1",
                      uni ? " (RT_CGROUP_UNIFIED=1 uses its v2 hierarchy)" : ""));
    auto& p = plan_for(uni);
    for (const auto& [file, value] : l.unified) {
      std::string c = file.substr(0, file.find('.'));
      if (!contains(p.controllers, c)) p.controllers.push_back(c);
      if (!contains(p.required, c)) p.required.push_back(c);
    }
  }
  for (const auto& p : plan)
    if (p.h->v2 && contains(p.controllers, "memory")) check_v1_only(l, p.h->mount);
  // An exact group is made in every v1 hierarchy, as runc makes an OCI
  // cgroupsPath: what reads it there (kubelet, cAdvisor, validation suites)
  // finds it wherever it looks.
  if (exact && !v2_only)
    for (const auto& h : host.hierarchies)
      if (!h.v2 && !named_only(h)) plan_for(&h);
  if (l.devices_docker && (use_uni || !host.v1("devices"))) {
    if (!uni)
      throw Error("cannot apply --devices: no devices controller (v1) and no cgroup v2 hierarchy for a BPF filter");
    plan_for(uni).bpf_devices = true;
  }
  // Hierarchy order, so that every rt-cgroup locks in the same order.
  std::sort(plan.begin(), plan.end(), [&](const Plan& a, const Plan& b) { return a.h < b.h; });

  // 2. Check everything before creating anything.
  Group g;
  g.name = name;
  g.exact = exact;
  g.fake = host.fake;
  std::vector<std::vector<std::string>> missing(plan.size());  // parent components to create
  std::vector<bool> taken_over(plan.size());                   // exact: the directory was there
  for (size_t i = 0; i < plan.size(); ++i) {
    const Hierarchy& h = *plan[i].h;
    Part p;
    p.h = h;
    if (exact) {
      p.cg = resolve_path(h, path);
      p.base = parent_cg(p.cg);
    } else {
      p.base = parent.empty() ? h.self : parent;
      p.cg = group_cg(p.base, name);
    }
    p.dir = h.dir(p.cg);
    p.leaf = h.v2 && !exact ? p.dir + "/" + std::string(kLeaf) : p.dir;
    if (exists(p.dir)) {
      if (!exact)
        throw Exists(str("a group named ", name, " exists already: ", p.dir, " (in use, or stale: see --gc)"));
      std::set<pid_t> pids;
      procs_into(p.dir, pids, g.fake);
      if (!pids.empty())
        throw Exists(str("the cgroup ", p.dir, " is in use (", pids.size(), " processes): not taking it over"));
      taken_over[i] = true;
    }
    std::string anc = p.base;  // nearest existing ancestor
    while (!is_dir(h.dir(anc))) {
      missing[i].insert(missing[i].begin(), anc);
      if (anc == "/") throw Error(str("no directory for the cgroup root of ", h.label(), " at ", h.mount));
      anc = parent_cg(anc);
    }
    std::string anc_dir = h.dir(anc);
    if (h.v2) {
      std::error_code ec;
      auto sc = try_read_file(anc_dir + "/cgroup.subtree_control", &ec);
      if (!sc) throw Error(str("cannot read ", anc_dir, "/cgroup.subtree_control"), ec.value());
      auto delegated = words(*sc);
      for (const auto& c : plan[i].required)
        if (!contains(delegated, c))
          throw Error(str("the ", c, " controller is not delegated to ", anc, " (", anc_dir,
                          "/cgroup.subtree_control does not enable it), and rt only enables controllers in groups it "
                          "created: use --parent with a cgroup that delegates ",
                          c));
      for (const auto& c : plan[i].controllers)
        if (contains(delegated, c)) p.enabled.push_back(c);
    } else if (h.has("memory") && l.memory_swap && *l.memory_swap >= 0 &&
               !exists(anc_dir + "/memory.memsw.limit_in_bytes")) {
      throw Error(
          str("cannot apply --memory-swap: swap accounting is off on this host (no memory.memsw.limit_in_bytes in ",
              anc_dir, "; boot with swapaccount=1)"));
    }
    if (h.v2 ? contains(p.enabled, "cpuset") : h.has("cpuset")) {
      check_cpuset(h, anc_dir, l.cpuset_cpus, true);
      check_cpuset(h, anc_dir, l.cpuset_mems, false);
    }
    g.parts.push_back(std::move(p));
  }

  // 3. Create, apply, lock. On failure, take down what this call made (and
  // nothing else: a group of that name made meanwhile by someone else stays).
  UniqueFd prog;
  size_t created = 0;  // parts whose rt-NAME this call made
  try {
    for (size_t i = 0; i < g.parts.size(); ++i) {
      Part& p = g.parts[i];
      const Hierarchy& h = p.h;
      for (const auto& cg : missing[i]) {
        std::string d = h.dir(cg);
        if (!make_dir(h, d, g.fake)) continue;  // made meanwhile by someone else
        p.made.push_back(d);
        if (h.v2) {
          if (!p.enabled.empty()) set(d, "cgroup.subtree_control", "+" + rt::join(p.enabled, " +"));
        } else if (h.has("cpuset")) {
          init_cpuset_v1(d, "", "");
        }
      }
      if (!make_dir(h, p.dir, g.fake) && !taken_over[i])
        throw Exists(str("a group named ", name, " exists already: ", p.dir, " (in use, or stale: see --gc)"));
      created = i + 1;
      UniqueFd lock = lock_dir(p.dir, false);
      if (!lock || ::faccessat(lock.get(), "cgroup.procs", F_OK, 0) != 0)
        throw Error(str("cannot lock ", p.dir, " (removed or locked by a concurrent --gc? try again)"));
      g.locks_.push_back(std::move(lock));
      if (h.v2) {
        apply_v2(p, l);
        if (plan[i].bpf_devices) {
          if (!prog) prog = UniqueFd(load_device_program(docker_device_rules()));
          if (g.fake) {
            log::step("device filter loaded; not attached (fake tree)");
          } else {
            attach_device_program(p.dir, prog.get());
            log::step("attached the device filter to ", p.dir);
          }
        }
        // An exact group holds the processes itself: it hands nothing down.
        if (!exact) {
          if (!p.enabled.empty()) set(p.dir, "cgroup.subtree_control", "+" + rt::join(p.enabled, " +"));
          make_dir(h, p.leaf, g.fake);
        }
      } else {
        apply_v1(p, l, plan[i].bpf_devices);
      }
    }
  } catch (...) {
    // No process has joined yet: nothing to kill, only directories.
    int64_t deadline = log::now_us() + 1000000;
    for (size_t i = g.parts.size(); i-- > 0;) {
      if (i < created) remove_dir(g.parts[i].dir, g.fake, deadline);
      for (auto m = g.parts[i].made.rbegin(); m != g.parts[i].made.rend(); ++m) remove_made(*m, g.fake);
    }
    throw;
  }
  return g;
}

// ================================================================ find

std::optional<Group> Group::find(const Host& host, const std::string& name, const std::string& parent) {
  check_name(name);
  Group g;
  g.name = name;
  g.fake = host.fake;
  for (const auto& h : host.hierarchies) {
    if (named_only(h)) continue;
    Part p;
    p.h = h;
    p.base = parent.empty() ? h.self : parent;
    p.cg = group_cg(p.base, name);
    p.dir = h.dir(p.cg);
    if (!is_dir(p.dir)) continue;
    p.leaf = h.v2 && is_dir(p.dir + "/" + std::string(kLeaf)) ? p.dir + "/" + std::string(kLeaf) : p.dir;
    g.parts.push_back(std::move(p));
  }
  if (g.parts.empty()) return std::nullopt;
  return g;
}

std::optional<Group> Group::find_at(const Host& host, const std::string& path) {
  std::string clean = normalize_path(path);
  Group g;
  g.name = clean;
  g.exact = true;
  g.fake = host.fake;
  for (const auto& h : host.hierarchies) {
    if (named_only(h)) continue;
    Part p;
    p.h = h;
    p.cg = resolve_path(h, clean);
    p.base = parent_cg(p.cg);
    p.dir = h.dir(p.cg);
    if (!is_dir(p.dir)) continue;
    p.leaf = p.dir;
    g.parts.push_back(std::move(p));
  }
  if (g.parts.empty()) return std::nullopt;
  return g;
}

std::optional<Group> Group::from_dirs(const Host& host, const std::string& name, const std::vector<std::string>& dirs) {
  Group g;
  g.name = name;
  g.fake = host.fake;
  for (std::string d : dirs) {
    // A v2 leaf stands for its group.
    if (d.size() > kLeaf.size() + 1 &&
        std::string_view(d).substr(d.size() - kLeaf.size() - 1) == "/" + std::string(kLeaf))
      d.resize(d.size() - kLeaf.size() - 1);
    if (!is_dir(d)) continue;
    bool dup = false;
    for (const auto& p : g.parts) dup = dup || p.dir == d;
    if (dup) continue;
    for (const auto& h : host.hierarchies) {
      if (!starts_with(d, h.mount + "/")) continue;
      Part p;
      p.h = h;
      std::string rel = d.substr(h.mount.size());
      p.cg = h.root == "/" ? rel : h.root + rel;
      p.base = parent_cg(p.cg);
      p.dir = d;
      p.leaf = h.v2 && is_dir(d + "/" + std::string(kLeaf)) ? d + "/" + std::string(kLeaf) : d;
      g.parts.push_back(std::move(p));
      break;
    }
  }
  if (g.parts.empty()) return std::nullopt;
  return g;
}

std::vector<std::string> Group::dirs() const {
  std::vector<std::string> out;
  for (const auto& p : parts) out.push_back(p.dir);
  return out;
}

const Part* Group::part_with(std::string_view controller) const {
  for (const auto& p : parts)
    if (!p.h.v2 && p.h.has(controller)) return &p;
  for (const auto& p : parts)
    if (p.h.v2) return &p;
  return nullptr;
}

// ================================================================ join, kill, remove

pid_t Group::fork(bool* in_v2) const {
  *in_v2 = false;
  for (const auto& p : parts) {
    if (!p.h.v2 || fake) continue;
    UniqueFd leaf(::open(p.leaf.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!leaf) break;
    clone_args args{};
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(leaf.get());
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) {
      // An old kernel (ENOSYS, E2BIG) or a group that refuses it: fork and
      // write cgroup.procs, which reports the real error if there is one.
      log::debug("clone3 CLONE_INTO_CGROUP: ", std::strerror(errno), "; fork and move instead");
      break;
    }
    *in_v2 = true;
    if (pid > 0) log::step("started ", pid, " in ", p.leaf);
    return static_cast<pid_t>(pid);
  }
  return ::fork();
}

void Group::join(pid_t pid, bool skip_v2) const {
  std::string who = std::to_string(pid ? pid : ::getpid());
  // A single-threaded process moving itself on v1 writes "0" to `tasks`:
  // the kernel then skips the global threadgroup lock, whose first taking
  // waits for an RCU grace period (10-25 ms here, the biggest cost of a
  // container start). For one thread, moving the thread is moving the
  // process.
  bool self_thread = pid == 0 && !fake && own_thread_count() == 1;
  for (const auto& p : parts) {
    if (skip_v2 && p.h.v2) continue;
    bool fast = self_thread && !p.h.v2;
    if (auto ec = fast ? write_cg(p.leaf + "/tasks", "0") : write_cg(p.leaf + "/cgroup.procs", who)) {
      std::string why = ec.message();
      throw Error(str("cannot move process ", who, " into ", p.leaf, ": ", why));
    }
    log::step("moved ", who, " into ", p.leaf);
  }
  log::step("joined group ", name);
}

void Group::update(const Limits& l) const {
  if (l.devices_docker) throw Error("--devices applies when a group is made, not to an existing one");
  std::vector<Part> ps = parts;
  for (auto& p : ps)
    if (p.h.v2) p.enabled = words(try_read_file(p.dir + "/cgroup.controllers").value_or(""));
  // Every limit given needs a hierarchy of the group with its controller.
  struct Need {
    bool given;
    const char* v1;
    const char* v2;
    const char* option;
  };
  const Need needs[] = {
      {l.memory || l.memory_swap || l.memory_reservation || l.swappiness || l.oom_kill_disable || l.kernel_tcp,
       "memory", "memory", "--memory"},
      {l.cpus || l.cpu_shares || l.cpu_weight || l.cpu_quota || l.cpu_period, "cpu", "cpu", "--cpu-*"},
      {!l.cpuset_cpus.empty() || !l.cpuset_mems.empty(), "cpuset", "cpuset", "--cpuset-*"},
      {l.pids.has_value(), "pids", "pids", "--pids"},
      {l.io_weight || !l.read_bps.empty() || !l.write_bps.empty() || !l.read_iops.empty() || !l.write_iops.empty(),
       "blkio", "io", "--io-weight/--device-*"},
      {!l.hugetlb.empty(), "hugetlb", "hugetlb", "--hugetlb"},
  };
  for (const auto& n : needs) {
    if (!n.given) continue;
    bool served = false;
    for (const auto& p : ps) served = served || (p.h.v2 ? contains(p.enabled, n.v2) : p.h.has(n.v1));
    if (!served) throw Error(str("cannot apply ", n.option, " to group ", name, ": it has no ", n.v1, " controller"));
  }
  for (const auto& [file, value] : l.unified) {
    bool served = false;
    for (const auto& p : ps) served = served || (p.h.v2 && contains(p.enabled, file.substr(0, file.find('.'))));
    if (!served)
      throw Error(str("cannot apply --unified ", file, " to group ", name, ": not a v2 group with that controller"));
  }
  for (const auto& p : ps)
    if (p.h.v2 && contains(p.enabled, "memory")) check_v1_only(l, p.dir);
  for (const auto& p : ps) {
    if (p.h.v2) apply_v2(p, l, true);
    else apply_v1(p, l, false, true);
  }
  log::step("updated group ", name);
}

bool Group::populated() const {
  for (const auto& p : parts) {
    if (p.h.v2) {
      if (auto v = read_key(p.dir + "/cgroup.events", "populated")) {
        if (*v) return true;
        continue;
      }
    }
    std::set<pid_t> pids;
    procs_into(p.dir, pids, fake);
    if (!pids.empty()) return true;
  }
  return false;
}

bool Group::kill_all(int timeout_ms) const {
  if (fake) return true;  // a fake tree's pids are not ours to signal
  if (!populated()) return true;
  int64_t deadline = log::now_us() + int64_t{timeout_ms} * 1000;
  bool killed = false;
  for (const auto& p : parts)
    if (p.h.v2 && !write_cg(p.dir + "/cgroup.kill", "1")) {
      killed = true;
      log::step("wrote cgroup.kill of ", p.dir);
    }
  std::set<pid_t> done;
  if (!killed) {
    // Freeze, so that nothing forks while we go through the list.
    const Part* fz = nullptr;
    for (const auto& p : parts)
      if ((!p.h.v2 && p.h.has("freezer")) || (p.h.v2 && exists(p.dir + "/cgroup.freeze"))) fz = &p;
    bool frozen = fz &&
                  !write_cg(fz->dir + (fz->h.v2 ? "/cgroup.freeze" : "/freezer.state"), fz->h.v2 ? "1" : "FROZEN") &&
                  wait_frozen(*fz, log::now_us() + 1000000);
    if (frozen) log::step("froze ", fz->dir);
    for (const auto& p : parts) signal_all(p, done);
    if (fz) write_cg(fz->dir + (fz->h.v2 ? "/cgroup.freeze" : "/freezer.state"), fz->h.v2 ? "0" : "THAWED");
    log::step("killed ", done.size(), " processes", frozen ? " and thawed" : "");
  }
  int wait = 1;
  while (populated()) {
    if (log::now_us() > deadline) return false;
    if (!killed || wait >= 16)
      for (const auto& p : parts) signal_all(p, done);
    sleep_ms(wait);
    wait = std::min(wait * 2, 50);
  }
  log::step("group ", name, " is empty");
  return true;
}

std::string Group::remove(int timeout_ms) {
  std::string err;
  int64_t deadline = log::now_us() + int64_t{std::max(timeout_ms, 1000)} * 1000;
  // Most often the group is empty by now, and rmdir says so: the kernel
  // refuses it (EBUSY) while a task or a group below is left. Only then
  // look inside, kill, and remove the rest.
  size_t gone = 0;  // parts removed, from the end
  if (!fake)
    for (auto it = parts.rbegin(); it != parts.rend(); ++it, ++gone) {
      if (it->leaf != it->dir && ::rmdir(it->leaf.c_str()) != 0 && errno != ENOENT) break;
      if (::rmdir(it->dir.c_str()) != 0 && errno != ENOENT) break;
      log::step("removed ", it->dir);
    }
  if (gone < parts.size()) {
    if (!kill_all(timeout_ms)) err = str("processes still running in group ", name, " after SIGKILL");
    for (size_t i = parts.size() - gone; i-- > 0;)
      if (auto ec = remove_dir(parts[i].dir, fake, deadline); ec && err.empty())
        err = str("cannot remove ", parts[i].dir, ": ", ec.message());
  }
  for (auto it = parts.rbegin(); it != parts.rend(); ++it)
    for (auto m = it->made.rbegin(); m != it->made.rend(); ++m) remove_made(*m, fake);
  locks_.clear();
  return err;
}

// ================================================================ stats

Stats read_stats(const Group& g) {
  Stats s;
  s.time_us = log::now_us();
  bool any = false;
  for (const auto& p : g.parts) any = any || is_dir(p.dir);
  if (!any) throw Error(str("no group ", g.exact ? "" : kPrefix, g.name, " any more"));

  if (const Part* p = g.part_with("memory")) {
    const std::string& d = p->dir;
    if (!p->h.v2) {
      s.memory_usage = read_u64(d + "/memory.usage_in_bytes");
      s.memory_limit = read_u64(d + "/memory.limit_in_bytes");
      if (s.memory_limit && *s.memory_limit >= (uint64_t{1} << 62)) s.memory_limit = kUnlimited;
      s.memory_peak = read_u64(d + "/memory.max_usage_in_bytes");
      if (auto st = try_read_file(d + "/memory.stat")) {
        s.memory_anon = key_value(*st, "total_rss");
        if (!s.memory_anon) s.memory_anon = key_value(*st, "rss");
      }
      s.oom_kills = read_key(d + "/memory.oom_control", "oom_kill");
    } else if (exists(d + "/memory.current")) {
      s.memory_usage = read_u64(d + "/memory.current");
      s.memory_limit = read_u64(d + "/memory.max");
      s.memory_peak = read_u64(d + "/memory.peak");
      s.memory_anon = read_key(d + "/memory.stat", "anon");
      s.oom_kills = read_key(d + "/memory.events", "oom_kill");
    }
  }
  if (const Part* p = g.part_with("cpuacct"); p && !p->h.v2) {
    s.cpu_usage_ns = read_u64(p->dir + "/cpuacct.usage");
    s.cpu_user_ns = read_u64(p->dir + "/cpuacct.usage_user");
    s.cpu_system_ns = read_u64(p->dir + "/cpuacct.usage_sys");
    if (!s.cpu_user_ns) {
      long hz = ::sysconf(_SC_CLK_TCK);
      if (auto st = try_read_file(p->dir + "/cpuacct.stat"); st && hz > 0) {
        if (auto u = key_value(*st, "user")) s.cpu_user_ns = *u * (1000000000 / static_cast<uint64_t>(hz));
        if (auto y = key_value(*st, "system")) s.cpu_system_ns = *y * (1000000000 / static_cast<uint64_t>(hz));
      }
    }
  }
  if (const Part* p = g.part_with("cpu")) {
    auto st = try_read_file(p->dir + "/cpu.stat");
    if (p->h.v2) {
      if (st) {
        auto us = [&](const char* k) -> std::optional<uint64_t> {
          auto v = key_value(*st, k);
          return v ? std::optional<uint64_t>(*v * 1000) : std::nullopt;
        };
        s.cpu_usage_ns = us("usage_usec");
        s.cpu_user_ns = us("user_usec");
        s.cpu_system_ns = us("system_usec");
        s.cpu_periods = key_value(*st, "nr_periods");
        s.cpu_throttled_periods = key_value(*st, "nr_throttled");
        s.cpu_throttled_ns = us("throttled_usec");
      }
      if (auto m = try_read_file(p->dir + "/cpu.max")) {
        auto w = words(*m);
        auto q = w.size() == 2 ? to_u64(w[0]) : std::nullopt;
        auto per = w.size() == 2 ? to_u64(w[1]) : std::nullopt;
        if (q && per && *q != kUnlimited && *per) s.cpu_limit = static_cast<double>(*q) / static_cast<double>(*per);
      }
    } else if (p->h.has("cpu")) {
      if (st) {
        s.cpu_periods = key_value(*st, "nr_periods");
        s.cpu_throttled_periods = key_value(*st, "nr_throttled");
        s.cpu_throttled_ns = key_value(*st, "throttled_time");
      }
      auto q = try_read_file(p->dir + "/cpu.cfs_quota_us");
      auto per = read_u64(p->dir + "/cpu.cfs_period_us");
      if (q && per && *per && !q->empty() && (*q)[0] != '-')
        if (auto qv = to_u64(*q)) s.cpu_limit = static_cast<double>(*qv) / static_cast<double>(*per);
    }
  }
  if (const Part* p = g.part_with("pids"); p && exists(p->dir + "/pids.current")) {
    s.pids_current = read_u64(p->dir + "/pids.current");
    s.pids_limit = read_u64(p->dir + "/pids.max");
  }
  if (const Part* p = g.part_with("blkio")) {
    if (p->h.v2) {
      if (auto st = try_read_file(p->dir + "/io.stat")) {
        uint64_t r = 0, w = 0;
        for (const auto& tok : words(*st)) {
          if (starts_with(tok, "rbytes=")) r += to_u64(tok.substr(7)).value_or(0);
          if (starts_with(tok, "wbytes=")) w += to_u64(tok.substr(7)).value_or(0);
        }
        s.io_read_bytes = r;
        s.io_write_bytes = w;
      }
    } else if (p->h.has("blkio")) {
      auto st = try_read_file(p->dir + "/blkio.throttle.io_service_bytes_recursive");
      if (!st) st = try_read_file(p->dir + "/blkio.throttle.io_service_bytes");
      if (st) {
        uint64_t r = 0, w = 0;
        for (const auto& line : split(*st, '\n')) {
          auto f = words(line);
          if (f.size() != 3) continue;
          if (f[1] == "Read") r += to_u64(f[2]).value_or(0);
          if (f[1] == "Write") w += to_u64(f[2]).value_or(0);
        }
        s.io_read_bytes = r;
        s.io_write_bytes = w;
      }
    }
  }
  return s;
}

std::optional<double> cpu_percent(const Stats& a, const Stats& b) {
  if (!a.cpu_usage_ns || !b.cpu_usage_ns || b.time_us <= a.time_us || *b.cpu_usage_ns < *a.cpu_usage_ns)
    return std::nullopt;
  double used = static_cast<double>(*b.cpu_usage_ns - *a.cpu_usage_ns);
  double wall = static_cast<double>(b.time_us - a.time_us) * 1000.0;
  return used / wall * 100.0;
}

// ================================================================ list, gc

std::vector<Listed> list(const Host& host, const std::string& parent) {
  std::map<std::string, Listed> found;
  for (const auto& h : host.hierarchies) {
    if (named_only(h)) continue;
    std::string base = h.dir(parent.empty() ? h.self : parent);
    for (const auto& sub : subdirs(base)) {
      if (!starts_with(sub, kPrefix) || sub.size() == kPrefix.size()) continue;
      auto& l = found[sub.substr(kPrefix.size())];
      l.name = sub.substr(kPrefix.size());
      l.dirs.push_back(base + "/" + sub);
    }
  }
  std::vector<Listed> out;
  for (auto& [n, l] : found) {
    std::set<pid_t> pids;
    for (const auto& d : l.dirs) {
      if (!lock_dir(d, false)) l.in_use = true;
      procs_into(d, pids, host.fake);
    }
    l.processes = pids.size();
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<Collected> gc(const Host& host, const std::string& parent, const std::string& only) {
  std::vector<Collected> out;
  for (auto& l : list(host, parent)) {
    if (!only.empty() && l.name != only) continue;
    Collected c{l.name, l.dirs, ""};
    if (l.in_use) {
      c.skipped = "in use (its supervisor is running)";
    } else if (l.processes) {
      c.skipped = str(l.processes, " processes still running (--remove ", l.name, " kills them)");
    } else {
      // Hold the locks while removing, so that nobody takes it meanwhile.
      std::vector<UniqueFd> locks;
      for (const auto& d : l.dirs) {
        UniqueFd fd = lock_dir(d, false);
        if (!fd && is_dir(d)) c.skipped = "in use (its supervisor is running)";
        locks.push_back(std::move(fd));
      }
      if (c.skipped.empty())
        if (auto g = Group::from_dirs(host, l.name, l.dirs)) {
          std::string err = g->remove(1000);
          if (!err.empty()) c.skipped = err;
        }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace rt::cgroup
