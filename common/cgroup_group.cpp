// Groups: see cgroup_group.hpp.
#include "cgroup_group.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>

#include "cgroup_apply.hpp"
#include "cgroup_devices.hpp"
#include "cgroup_files.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "process.hpp"

namespace rt::cgroup {
namespace {

// ------------------------------------------------------------ directories

// rmdir of a group and of everything below it, retrying while the kernel
// still sees exiting tasks (EBUSY). ENOENT counts as done.
int remove_dir(const Tree& tree, const std::string& dir, int64_t deadline_us) {
  for (const auto& sub : tree.groups_below(dir))
    if (int e = remove_dir(tree, dir + "/" + sub, deadline_us)) return e;
  int wait = 1;
  for (;;) {
    int e = tree.remove(dir);
    if (e == 0) {
      log::step("removed ", dir);
      return 0;
    }
    if (e == ENOENT) return 0;
    if (e != EBUSY || log::now_us() > deadline_us) return e;
    sleep_ms(wait);
    wait = std::min(wait * 2, 50);
  }
}

// The cgroups from `cg` up to (not including) its nearest existing
// ancestor, on h, outermost first: what must be made for cg to exist. The
// root ("/") is never among them.
std::vector<std::string> missing_ancestors(const Hierarchy& h, std::string cg) {
  std::vector<std::string> out;
  for (; cg != "/" && !cg.empty() && !is_dir(h.dir(cg)); cg = parent_cg(cg)) out.insert(out.begin(), cg);
  return out;
}

// A parent directory rt made: removed only when nothing lives there any
// more (another group may have been made in it meanwhile).
void remove_made(const Tree& tree, const std::string& dir) {
  if (tree.groups_below(dir).empty() && tree.remove(dir) == 0) log::step("removed ", dir);
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
void signal_all(const Tree& tree, const Part& p, std::set<pid_t>& done) {
  std::set<pid_t> pids;
  procs_into(tree, p.dir, pids);
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

struct Plan {
  const Hierarchy* h;
  std::vector<std::string> controllers;  // wanted here (v1 or v2 names)
  std::vector<std::string> required;     // of which these must be there
  bool bpf_devices = false;
};

// Where the group is, or goes, in `h`: rt-NAME below `parent` ("" = the
// caller's cgroup), or at the exact `path` (normalize_path'd) when given.
Part place(const Hierarchy& h, const std::string& name, const std::string& parent, const std::string& path) {
  Part p;
  p.h = h;
  if (!path.empty()) {
    p.cg = resolve_path(h, path);
    p.base = parent_cg(p.cg);
  } else {
    p.base = parent.empty() ? h.self : parent;
    p.cg = group_cg(p.base, name);
  }
  p.dir = h.dir(p.cg);
  p.leaf = h.v2 && path.empty() ? p.dir + "/" + std::string(kLeaf) : p.dir;
  return p;
}

}  // namespace

UniqueFd lock_dir(const std::string& dir, bool wait) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fd;
  if (::flock(fd.get(), LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) return UniqueFd();
  return fd;
}

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
  bool v2_only = host.mode == Mode::v2 || host.unified_only;
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
      {"devices", nullptr, false, !l.device_rules.empty() && !use_uni && host.v1("devices")},
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
      if (!h.v2 && !h.named_only()) plan_for(&h);
  if (!l.device_rules.empty() && (use_uni || !host.v1("devices"))) {
    if (!uni)
      throw Error("cannot apply --devices: no devices controller (v1) and no cgroup v2 hierarchy for a BPF filter");
    plan_for(uni).bpf_devices = true;
  } else if (!l.device_rules.empty()) {
    v1_device_writes(l.device_rules);  // one that v1 cannot take is refused before anything is made
  }
  // Hierarchy order, so that every rt-cgroup locks in the same order.
  std::sort(plan.begin(), plan.end(), [&](const Plan& a, const Plan& b) { return a.h < b.h; });

  // 2. Check everything before creating anything.
  Group g;
  g.name = name;
  g.exact = exact;
  g.tree = host.tree;
  std::vector<std::vector<std::string>> missing(plan.size());  // parent components to create
  std::vector<bool> taken_over(plan.size());                   // exact: the directory was there
  for (size_t i = 0; i < plan.size(); ++i) {
    const Hierarchy& h = *plan[i].h;
    Part p = place(h, name, parent, path);
    // rt-NAME is new: its mkdir below says when it is not (and what was made
    // before it is taken down again). An exact path may be taken over.
    if (exact && exists(p.dir)) {
      std::set<pid_t> pids;
      procs_into(*g.tree, p.dir, pids);
      if (!pids.empty())
        throw Exists(str("the cgroup ", p.dir, " is in use (", pids.size(), " processes): not taking it over"));
      taken_over[i] = true;
    }
    missing[i] = missing_ancestors(h, p.base);
    std::string anc = missing[i].empty() ? p.base : parent_cg(missing[i].front());  // nearest existing ancestor
    // (missing_ancestors found it a directory, unless it is the root)
    if ((anc == "/" || anc.empty()) && !is_dir(h.dir(anc)))
      throw Error(str("no directory for the cgroup root of ", h.label(), " at ", h.mount));
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
        if (!g.tree->make(h, d)) continue;  // made meanwhile by someone else
        p.made.push_back(d);
        if (h.v2) {
          if (!p.enabled.empty()) set(d, "cgroup.subtree_control", "+" + rt::join(p.enabled, " +"));
        } else if (h.has("cpuset")) {
          init_cpuset_v1(d, "", "");
        }
      }
      if (!g.tree->make(h, p.dir) && !taken_over[i])
        throw Exists(str("a group named ", name, " exists already: ", p.dir, " (in use, or stale: see --gc)"));
      created = i + 1;
      // The lock's fd is the directory's: its files are opened through it.
      UniqueFd lock = lock_dir(p.dir, false);
      if (!lock || ::faccessat(lock.get(), "cgroup.procs", F_OK, 0) != 0)
        throw Error(str("cannot lock ", p.dir, " (removed or locked by a concurrent --gc? try again)"));
      GroupDir dir{lock.get(), p.dir};
      g.locks_.push_back(std::move(lock));
      if (h.v2) {
        apply_v2(p.dir, p.enabled, l);
        if (plan[i].bpf_devices) {
          if (!prog) prog = UniqueFd(load_device_program(l.device_rules));
          if (!g.tree->live()) {
            log::step("device filter loaded; not attached (fake tree)");
          } else {
            attach_device_program(p.dir, prog.get());
            log::step("attached the device filter to ", p.dir);
          }
        }
        // An exact group holds the processes itself: it hands nothing down.
        if (!exact) {
          if (!p.enabled.empty()) set(p.dir, "cgroup.subtree_control", "+" + rt::join(p.enabled, " +"));
          g.tree->make(h, p.leaf);
        }
      } else {
        apply_v1(h, dir, l, plan[i].bpf_devices, false, !taken_over[i]);
      }
    }
  } catch (...) {
    // No process has joined yet: nothing to kill, only directories.
    int64_t deadline = log::now_us() + 1000000;
    for (size_t i = g.parts.size(); i-- > 0;) {
      if (i < created) remove_dir(*g.tree, g.parts[i].dir, deadline);
      for (auto m = g.parts[i].made.rbegin(); m != g.parts[i].made.rend(); ++m) remove_made(*g.tree, *m);
    }
    throw;
  }
  return g;
}

std::optional<Group> Group::find(const Host& host, const std::string& arg, const std::string& parent, bool lock) {
  Group g;
  g.exact = is_path(arg);
  std::string path = g.exact ? normalize_path(arg) : "";
  if (!g.exact) check_name(arg);
  g.name = g.exact ? path : arg;
  g.tree = host.tree;
  for (const auto& h : host.hierarchies) {
    if (h.named_only()) continue;
    Part p = place(h, arg, parent, path);
    UniqueFd fd;
    if (lock) {
      fd = UniqueFd(::open(p.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!fd) continue;
      // Locked elsewhere (a gc removing it): left unlocked, as lock() does.
      if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) fd.reset();
    } else if (!is_dir(p.dir)) {
      continue;
    }
    // No leaf: the processes are in the group itself (on v1 it is the group).
    if (p.leaf != p.dir && !is_dir(p.leaf)) p.leaf = p.dir;
    g.parts.push_back(std::move(p));
    if (lock) g.locks_.push_back(std::move(fd));
  }
  if (g.parts.empty()) return std::nullopt;
  return g;
}

std::optional<Group> Group::from_dirs(const Host& host, const std::string& name, const std::vector<std::string>& dirs) {
  Group g;
  g.name = name;
  g.tree = host.tree;
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

// ------------------------------------------------------------ processes

Group::Leaf Group::v2_leaf() const {
  for (const auto& p : parts)
    if (p.h.v2 && tree->live()) return {UniqueFd(::open(p.leaf.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)), p.leaf};
  return {};
}

void Group::join(pid_t pid, bool skip_v2) const {
  std::string who = std::to_string(pid ? pid : ::getpid());
  // A single-threaded process moving itself on v1 writes "0" to `tasks`:
  // the kernel then skips the global threadgroup lock, whose first taking
  // waits for an RCU grace period (10-25 ms here, the biggest cost of a
  // container start). For one thread, moving the thread is moving the
  // process.
  bool self_thread = pid == 0 && tree->live() && own_thread_count() == 1;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Part& p = parts[i];
    if (skip_v2 && p.h.v2) continue;
    bool fast = self_thread && !p.h.v2;
    // Through the group's locked directory where the leaf is it (v1).
    GroupDir leaf{i < locks_.size() && p.leaf == p.dir ? locks_[i].get() : -1, p.leaf};
    UniqueFd f(leaf.open(fast ? "tasks" : "cgroup.procs", O_WRONLY | O_TRUNC | O_CLOEXEC));
    std::error_code ec = f ? write_fd(f.get(), fast ? "0" : who) : errno_code();
    if (ec) throw Error(str("cannot move process ", who, " into ", p.leaf), ec.value());
    log::step("moved ", who, " into ", p.leaf);
  }
  log::step("joined group ", name);
}

Group::JoinPlan Group::join_plan(bool skip_v2) const {
  // As join(0): a new child is a single thread, so on v1 it writes "0" to
  // tasks (no threadgroup lock, see join).
  JoinPlan plan;
  for (const auto& p : parts) {
    if (skip_v2 && p.h.v2) continue;
    bool fast = tree->live() && !p.h.v2;
    plan.writes.push_back({p.leaf + (fast ? "/tasks" : "/cgroup.procs"), p.leaf, fast});
  }
  return plan;
}

const Group::JoinPlan::Write* Group::JoinPlan::run(int64_t* done_at) const noexcept {
  char pid[16];
  auto [end, ec] = std::to_chars(pid, pid + sizeof pid, ::getpid());
  for (const auto& w : writes) {
    int fd = ::open(w.file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) return &w;
    const char* data = w.self_zero ? "0" : pid;
    size_t len = w.self_zero ? 1 : static_cast<size_t>(end - pid);
    ssize_t n;
    do n = ::write(fd, data, len);
    while (n < 0 && errno == EINTR);
    int e = n < 0 ? errno : EIO;
    ::close(fd);
    if (n != static_cast<ssize_t>(len)) {
      errno = e;
      return &w;
    }
    *done_at++ = log::now_us();
  }
  return nullptr;
}

void Group::set_devices(const std::vector<DeviceRule>& rules) const {
  if (rules.empty()) return;
  for (const auto& p : parts) {
    if (p.h.v2 || !p.h.has("devices")) continue;
    set_v1_devices(GroupDir{-1, p.dir}, rules);
    log::step("wrote the device rules to ", p.dir);
    return;
  }
  for (const auto& p : parts) {
    if (!p.h.v2) continue;
    UniqueFd prog(load_device_program(rules));
    if (!tree->live()) {
      log::step("device filter loaded; not attached (fake tree)");
    } else {
      attach_device_program(p.dir, prog.get());
      log::step("attached the device filter to ", p.dir);
    }
    return;
  }
  throw Error(str("cannot apply --devices to group ", name,
                  ": it has no devices controller (v1) and no cgroup v2 directory for a BPF filter"));
}

void Group::update(const Limits& l) const {
  if (!l.device_rules.empty())
    throw Error("--devices and --device-rule apply when a group is made, not to an existing one");
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
    bool v1 = std::any_of(ps.begin(), ps.end(), [](const Part& p) { return !p.h.v2; });
    if (!served)
      throw Error(
          str("cannot apply ", n.option, " to group ", name, ": it has no ", n.v1, " controller",
              v1 ? " (on cgroup v1 a group is made only in the hierarchies of the limits it was made with)" : ""));
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
    if (p.h.v2) apply_v2(p.dir, p.enabled, l, true);
    else apply_v1(p.h, GroupDir{-1, p.dir}, l, false, true);
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
    procs_into(*tree, p.dir, pids);
    if (!pids.empty()) return true;
  }
  return false;
}

bool Group::kill_all(int timeout_ms) const {
  if (!tree->live()) return true;  // a fake tree's pids are not ours to signal
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
    for (const auto& p : parts) signal_all(*tree, p, done);
    if (fz) write_cg(fz->dir + (fz->h.v2 ? "/cgroup.freeze" : "/freezer.state"), fz->h.v2 ? "0" : "THAWED");
    log::step("killed ", done.size(), " processes", frozen ? " and thawed" : "");
  }
  int wait = 1;
  while (populated()) {
    if (log::now_us() > deadline) return false;
    if (!killed || wait >= 16)
      for (const auto& p : parts) signal_all(*tree, p, done);
    sleep_ms(wait);
    wait = std::min(wait * 2, 50);
  }
  log::step("group ", name, " is empty");
  return true;
}

void Group::lock() {
  locks_.clear();
  for (const auto& p : parts) locks_.push_back(lock_dir(p.dir, false));
}

void Group::adopt_made(const std::vector<std::string>& dirs) {
  for (const auto& d : dirs)
    for (auto& p : parts)
      if (starts_with(d, p.h.mount + "/") && starts_with(p.dir, d + "/")) {
        p.made.push_back(d);
        break;
      }
}

std::optional<Group> find_on_host(const std::string& arg, const std::string& parent) {
  try {
    Host host = detect();
    return Group::find(host, arg, normalize_parent(parent));
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::vector<std::string> missing_parent_dirs(const Host& host, const std::string& parent) {
  std::vector<std::string> out;
  std::string base = normalize_parent(parent);
  if (base.empty()) return out;
  for (const auto& h : host.hierarchies) {
    if (h.named_only()) continue;
    for (const auto& cg : missing_ancestors(h, base)) out.push_back(h.dir(cg));
  }
  return out;
}

std::string Group::remove(int timeout_ms) {
  std::string err;
  int64_t deadline = log::now_us() + int64_t{std::max(timeout_ms, 1000)} * 1000;
  // Most often the group is empty by now, and rmdir says so: the kernel
  // refuses it (EBUSY) while a task or a group below is left. Only then
  // look inside, kill, and remove the rest.
  size_t gone = 0;  // parts removed, from the end
  auto removed = [&](const std::string& dir) {
    int e = tree->remove(dir);
    return e == 0 || e == ENOENT;
  };
  for (auto it = parts.rbegin(); it != parts.rend(); ++it, ++gone) {
    if ((it->leaf != it->dir && !removed(it->leaf)) || !removed(it->dir)) break;
    log::step("removed ", it->dir);
  }
  if (gone < parts.size()) {
    if (!kill_all(timeout_ms)) err = str("processes still running in group ", name, " after SIGKILL");
    for (size_t i = parts.size() - gone; i-- > 0;)
      if (int e = remove_dir(*tree, parts[i].dir, deadline); e && err.empty())
        err = str("cannot remove ", parts[i].dir, ": ", std::strerror(e));
  }
  for (auto it = parts.rbegin(); it != parts.rend(); ++it)
    for (auto m = it->made.rbegin(); m != it->made.rend(); ++m) remove_made(*tree, *m);
  locks_.clear();
  return err;
}

}  // namespace rt::cgroup
