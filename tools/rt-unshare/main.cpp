// rt-unshare: enter new namespaces (or join existing ones), then exec.
//
//   rt-unshare [--pid] [--mount] [--uts] [--ipc] [--net] [--user] [--cgroup]
//              [--time] [--all] [--join TYPE=PATH]... [--net-from FD]
//              [--hostname NAME]
//              [--map-root-user | --uid-map I:O:N --gid-map I:O:N]
//              [--pid-file FILE] [--pid-fd FD] [--sync-fd FD] [--hand-over]
//              [--] PROGRAM [ARGS...]
//
// Without --pid/--time (or joining a pid namespace) it execs in place. With
// them it forks: the child is the program (PID 1 of a new pid namespace) and
// the parent forwards signals, waits, and exits with the child's status
// (or, with --hand-over, exits 0 at once: the child is the caller's).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "chain.hpp"

#include "fd.hpp"
#include "fd_pass.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "netif.hpp"
#include "parse.hpp"
#include "process.hpp"
#include "userns.hpp"

namespace {
using namespace rt;

struct NsKind {
  const char* name;  // option and --join TYPE
  int flag;          // CLONE_NEW*
};
// Order of setns when joining: user first (it grants the rights for the
// rest), mount late (paths were all opened already), pid and time last (they
// only affect children).
constexpr NsKind kNamespaces[] = {
    {"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},   {"mnt", CLONE_NEWNS},        {"pid", CLONE_NEWPID}, {"time", CLONE_NEWTIME},
};

int flag_of(const std::string& type) {
  std::string t = type == "mount" ? "mnt" : type;
  for (const auto& ns : kNamespaces)
    if (t == ns.name) return ns.flag;
  throw Error(str("unknown namespace type '", type, "' (expected user, cgroup, ipc, uts, net, mnt, pid or time)"));
}

std::string names_of(int flags) {
  std::string out;
  for (const auto& ns : kNamespaces)
    if (flags & ns.flag) out += (out.empty() ? "" : ", ") + std::string(ns.name);
  return out;
}

struct Join {
  int flag;
  std::string path;
  UniqueFd fd;
};

// Hand the program's pid on: to FILE atomically, and as one line on FD
// (then closed: the reader, rt-run, polls it along with the chain).
void hand_pid(const std::string& path, int fd, pid_t pid) {
  std::string text = std::to_string(pid) + "\n";
  if (!path.empty()) write_pid_file(path, pid);  // never through a symlink
  if (fd < 0) return;
  ssize_t n;
  do n = ::write(fd, text.data(), text.size());
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(text.size())) throw_errno(str("cannot write the pid on --pid-fd ", fd));
  ::close(fd);
}

// Block until the outside process sends the go-ahead on FD (fail if it
// closes FD first).
void wait_sync(int fd) {
  if (fd < 0) return;
  if (!wait_go(fd)) throw Error(str("sync fd ", fd, " was closed before the go-ahead byte"));
  ::close(fd);
  log::step("sync fd ", fd, ": go");
}

// An fd handed down by number: open, and not passed on to the program.
int handed_fd(const po::variables_map& vm, const char* name) {
  int fd = opt<int>(vm, name, -1);
  if (vm.count(name) && (fd < 0 || ::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0))
    die(str("--", name, " ", fd, ": not an open file descriptor"));
  return fd;
}

// Exec the next link: through its fd when it was opened before joining a
// mount namespace, else by PATH.
[[noreturn]] void exec_next(const ChainTool& tool, char** prog) {
  if (tool) exec_chain_tool(tool, prog);
  exec_program(prog);
}

int run(int argc, char** argv) {
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("pid", po::bool_switch(), "new PID namespace (forks: the program is its PID 1)")
      ("mount", po::bool_switch(), "new mount namespace")
      ("uts", po::bool_switch(), "new UTS namespace (hostname, domain name)")
      ("ipc", po::bool_switch(), "new IPC namespace")
      ("net", po::bool_switch(), "new network namespace (only a loopback, up: 127.0.0.1 and ::1)")
      ("user", po::bool_switch(), "new user namespace")
      ("cgroup", po::bool_switch(), "new cgroup namespace")
      ("time", po::bool_switch(), "new time namespace (forks)")
      ("all", po::bool_switch(), "all of the above but --user and --time")
      ("join", po::value<std::vector<std::string>>()->composing()->value_name("TYPE=PATH"), "join the namespace at PATH (setns); repeatable")
      ("net-from", po::value<int>()->value_name("FD"), "join the network namespace whose fd arrives on the unix socket FD (SCM_RIGHTS), waiting for it after making the new namespaces; one made ahead with lo up (rt-run's)")
      ("join-root", po::value<std::string>()->value_name("DIR"), "with --join mnt=...: after joining, make DIR (opened before, e.g. /proc/PID/root) the root and working directory, as a process of the namespace that chroot'ed sees them")
      ("hostname", po::value<std::string>()->value_name("NAME"), "set the hostname (needs --uts)")
      ("domainname", po::value<std::string>()->value_name("NAME"), "set the NIS domain name (needs --uts)")
      ("map-root-user", po::bool_switch(), "with --user: map root inside to the caller's uid and gid")
      ("uid-map", po::value<std::vector<std::string>>()->composing()->value_name("I:O:N"), "INNER:OUTER:COUNT uid mapping for --user; repeatable")
      ("gid-map", po::value<std::vector<std::string>>()->composing()->value_name("I:O:N"), "INNER:OUTER:COUNT gid mapping for --user; repeatable")
      ("pid-file", po::value<std::string>()->value_name("FILE"), "write the program's pid (as seen from here) to FILE")
      ("pid-fd", po::value<int>()->value_name("FD"), "write the program's pid (as seen from here) as one line on fd FD, then close it")
      ("sync-fd", po::value<int>()->value_name("FD"), "wait for one byte on fd FD before exec")
      ("hand-over", po::bool_switch(), "with --pid: once the child has its pid handed on, exit 0 instead of waiting; the caller (a subreaper) reaps the child");
  // clang-format on
  po::variables_map vm;
  int prog = parse_chain(argc, argv, desc, vm,
                         {"rt-unshare [OPTIONS] [--] PROGRAM [ARGS...]",
                          "Enter new namespaces or join existing ones, then exec PROGRAM."});

  int flags = 0;
  if (flag(vm, "all"))
    flags |= CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;
  for (const char* n : {"pid", "mount", "uts", "ipc", "net", "user", "cgroup", "time"})
    if (flag(vm, n)) flags |= flag_of(n);

  std::vector<Join> joins;
  for (const auto& j : opts<std::string>(vm, "join")) {
    auto [type, path] = parse_kv(j, "--join");
    joins.push_back({flag_of(type), path, UniqueFd()});
    if (flags & joins.back().flag) die(str("--join ", type, " conflicts with a new ", type, " namespace"));
  }
  std::sort(joins.begin(), joins.end(), [](const Join& a, const Join& b) {
    auto rank = [](int f) {
      for (size_t i = 0; i < std::size(kNamespaces); ++i)
        if (kNamespaces[i].flag == f) return i;
      return std::size(kNamespaces);
    };
    return rank(a.flag) < rank(b.flag);
  });
  auto joined = [&](int f) {
    return std::any_of(joins.begin(), joins.end(), [f](const Join& j) { return j.flag == f; });
  };

  int net_from = handed_fd(vm, "net-from");
  if (net_from >= 0 && ((flags & CLONE_NEWNET) || joined(CLONE_NEWNET)))
    die("--net-from conflicts with --net and --join net=... (one network namespace)");

  std::string hostname = opt<std::string>(vm, "hostname"), domain = opt<std::string>(vm, "domainname");
  if ((!hostname.empty() || !domain.empty()) && !(flags & CLONE_NEWUTS) && !joined(CLONE_NEWUTS))
    die("--hostname and --domainname need --uts (they would change the host's names)");
  if (hostname.size() > 64 || domain.size() > 64) die("--hostname and --domainname take at most 64 characters");

  IdMaps maps = IdMaps::from_options(flag(vm, "map-root-user"), opts<std::string>(vm, "uid-map"),
                                     opts<std::string>(vm, "gid-map"));
  if (!maps.empty() && !(flags & CLONE_NEWUSER)) die("--map-root-user, --uid-map and --gid-map need --user");

  bool forks = (flags & (CLONE_NEWPID | CLONE_NEWTIME)) || joined(CLONE_NEWPID);
  bool hand_over = flag(vm, "hand-over");
  if (hand_over && !forks)
    die("--hand-over needs --pid or --time (without them nothing forks: there is nothing to hand over)");
  std::string pid_file = opt<std::string>(vm, "pid-file");
  int pid_fd = handed_fd(vm, "pid-fd");
  int sync_fd = handed_fd(vm, "sync-fd");
  if (pid_fd >= 0 && pid_fd == sync_fd) die("--pid-fd and --sync-fd must be different fds");
  if (net_from >= 0 && (net_from == pid_fd || net_from == sync_fd))
    die("--net-from must be an fd of its own (not --pid-fd's or --sync-fd's)");

  // 1. Open every namespace to join before entering any: after a mount
  //    namespace switch the paths could mean something else.
  for (auto& j : joins) {
    j.fd = UniqueFd(::open(j.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!j.fd) die_errno(str("cannot open namespace ", j.path));
    // A namespace handed down as an fd (rt-run's user namespace made
    // ahead) is not passed on: the copy just opened is the one used.
    if (starts_with(j.path, "/proc/self/fd/")) {
      int n = std::atoi(j.path.c_str() + 14);
      if (n > 2 && n != pid_fd && n != sync_fd) ::close(n);
    }
  }
  UniqueFd join_root;
  if (vm.count("join-root")) {
    if (!joined(CLONE_NEWNS)) die("--join-root needs --join mnt=PATH (the root is one of that mount namespace)");
    std::string dir = opt<std::string>(vm, "join-root");
    join_root = UniqueFd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!join_root) die_errno(str("cannot open --join-root ", dir));
  }
  // Joining a mount namespace (a container's, for `rt-repl exec`) hides
  // the host's files: a next link like rt-exec is opened before.
  ChainTool next_tool = joined(CLONE_NEWNS) ? open_chain_tool(argv[prog]) : ChainTool();
  std::string user_ns;  // the user namespace joined, if any
  for (const auto& j : joins)
    if (j.flag == CLONE_NEWUSER) user_ns = j.path;
  bool host_root = ::geteuid() == 0;
  if (!user_ns.empty()) drop_groups_before_join();
  for (auto& j : joins) {
    // The kernel refuses to join one's own user namespace (EINVAL): we are
    // in it already, and as nothing more.
    struct stat theirs {
    }, ours{};
    if (j.flag == CLONE_NEWUSER && ::fstat(j.fd.get(), &theirs) == 0 && ::stat("/proc/self/ns/user", &ours) == 0 &&
        theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
      j.fd.reset();
      log::step("user namespace ", j.path, " is ours already");
      continue;
    }
    if (::setns(j.fd.get(), j.flag) != 0) die_errno(str("cannot join ", names_of(j.flag), " namespace ", j.path));
    j.fd.reset();  // joined: a resident rt-unshare holds no fd of it
    log::step("joined ", names_of(j.flag), " namespace ", j.path);
  }
  // setns put us at the namespace's root; a process there may have a root
  // below it (a chroot instead of pivot_root): take the one given.
  if (join_root) {
    if (::fchdir(join_root.get()) != 0 || ::chroot(".") != 0 || ::chdir("/") != 0)
      die_errno(str("cannot make --join-root ", opt<std::string>(vm, "join-root"), " the root"));
    join_root.reset();
    log::step("root: ", opt<std::string>(vm, "join-root"));
  }
  // In a joined user namespace, its root (as nsenter): see userns.hpp. A
  // caller without root whose namespace is still being mapped (rt-run's,
  // made ahead while the chain starts) becomes it after the go-ahead on
  // --sync-fd, before anything is exec'd: making the namespaces below needs
  // only the capabilities setns gave.
  bool root_later = false;
  if (!user_ns.empty()) {
    auto mapped = [](const char* f) { return !try_read_file(f).value_or("").empty(); };
    if (!host_root && sync_fd >= 0 && !(mapped("/proc/self/uid_map") && mapped("/proc/self/gid_map"))) {
      root_later = true;
    } else {
      become_joined_root(user_ns);
      log::step("root of the joined user namespace");
    }
  }
  auto become_root_now = [&] {
    if (!root_later) return;
    become_joined_root(user_ns);
    log::step("root of the joined user namespace (mapped meanwhile)");
  };

  // 2. New namespaces. A user namespace's id maps are written by a helper
  //    process that stays outside it.
  if (flags) {
    // Maps of the caller's own ids alone are written by this process once
    // in the namespace (no helper to fork and wait for); any other by a
    // helper that stays outside.
    bool self_map = self_mappable(maps);
    MapWriter writer;
    if (!maps.empty() && !self_map) writer.start(maps);
    if (::unshare(flags) != 0) {
      int e = errno;
      std::string hint;
      if (flags & CLONE_NEWUSER) {
        if (auto why = userns_blocked()) hint = str(" (", *why, ")");
        else if (e == ENOSPC) hint = " (the limit user.max_user_namespaces is reached)";
      } else if (e == EPERM && ::geteuid() != 0) {
        hint = " (hint: add --user --map-root-user)";
      }
      die_sys(e, str("cannot create new ", names_of(flags), " namespaces") + hint);
    }
    log::step("unshared ", names_of(flags));
    if (flags & CLONE_NEWUSER)
      if (auto why = apparmor_userns_restricted()) die(*why);
    if (!maps.empty()) {
      if (self_map) write_self_maps(maps);
      else writer.finish();
      become_mapped_root(maps);
      log::step("wrote uid/gid maps");
    }
    // A program that talks to itself on localhost needs lo up, as in
    // Docker's --network none. Root of a new user namespace (mapped by now)
    // owns the new network namespace too: this works rootless as well.
    if (flags & CLONE_NEWNET) {
      try {
        loopback_up();
      } catch (const Error& e) {
        die(e.what());
      }
      log::step("brought lo up");
    }
  }
  // 2b. The network namespace a sender made ahead (rt-run, with lo up
  //     already): received as late as possible, so that making it overlaps
  //     with the links before; waited for only when it is later than they.
  //     What arrives must be a network namespace other than ours: never the
  //     caller's (the host's) network.
  if (net_from >= 0) {
    UniqueFd ns = receive_fd(net_from);
    ::close(net_from);
    if (!ns) die(str("--net-from ", net_from, ": no network namespace arrived (the sender closed the socket)"));
    struct stat theirs {
    }, ours{};
    if (::fstat(ns.get(), &theirs) != 0 || ::stat("/proc/self/ns/net", &ours) != 0)
      die_errno(str("--net-from ", net_from, ": cannot stat the namespace received"));
    if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev)
      die(str("--net-from ", net_from, ": the namespace received is this process's own network namespace"));
    if (::setns(ns.get(), CLONE_NEWNET) != 0)
      die_errno(str("--net-from ", net_from, ": cannot join the namespace received"));
    log::step("joined the network namespace received on fd ", net_from);
  }
  if (!hostname.empty() && ::sethostname(hostname.data(), hostname.size()) != 0)
    die_errno(str("cannot set hostname ", hostname));
  if (!domain.empty() && ::setdomainname(domain.data(), domain.size()) != 0)
    die_errno(str("cannot set domain name ", domain));

  if (!forks) {
    hand_pid(pid_file, pid_fd, ::getpid());
    wait_sync(sync_fd);
    become_root_now();
    log::step("exec ", argv[prog]);
    exec_next(next_tool, argv + prog);
  }

  // 3. Fork: the child lands in the new pid (time) namespace. A SIGCHLD
  //    ignored by whoever started us would make the kernel reap the child
  //    behind our back (and send no SIGCHLD): the parent would wait
  //    forever. Reset it; the program gets the default too.
  ::signal(SIGCHLD, SIG_DFL);
  SignalForwarder sigs;
  Pipe alive = make_pipe();
  pid_t child = -1;
  if (!(flags & CLONE_NEWTIME) && !joined(CLONE_NEWTIME)) {
    // The child runs in our memory until it execs, while we wait
    // (vfork_child: no page tables copied). By the rule of process.hpp it
    // makes system calls only, on what is made here: the pid file's
    // temporary file, the next link's argv and environment. It hands its
    // own pid on (as we see it), before it can mount or pivot in the new
    // mount namespace, where the pid file's path could mean something
    // else. What it did is logged here once it has exec'd.
    std::optional<PendingPidFile> pending;
    if (!pid_file.empty()) pending.emplace(pid_file);
    std::vector<std::string> env_s = next_tool ? chain_tool_env(next_tool) : std::vector<std::string>();
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t outer = 0;
    // The child's report: when it had the go-ahead, when it got as far as
    // its exec, as pid `inner` (1 in a new pid namespace).
    int64_t go_at = 0, exec_at = 0;
    pid_t inner = 0;
    child = vfork_child(
        [&]() noexcept -> int {
          ::close(alive.write.get());
          // No death signal with --hand-over: we exit on purpose once it
          // has exec'd.
          if (!hand_over) die_with_parent(alive.read.get());
          ::close(alive.read.get());
          char pid[24];
          auto [end, ec] = std::to_chars(pid, pid + sizeof pid - 1, outer);
          *end++ = '\n';
          std::string_view pid_line(pid, static_cast<size_t>(end - pid));
          if (pending)
            if (const char* what = pending->commit(outer)) vfork_die(errno, kExitToolFailure, {what, pid_file});
          if (pid_fd >= 0) {
            ssize_t n;
            do n = ::write(pid_fd, pid_line.data(), pid_line.size());
            while (n < 0 && errno == EINTR);
            if (n != static_cast<ssize_t>(pid_line.size())) {
              int e = errno;
              char fd[16];
              auto [fend, fec] = std::to_chars(fd, fd + sizeof fd, pid_fd);
              vfork_die(e, kExitToolFailure,
                        {"cannot write the pid on --pid-fd ", std::string_view(fd, static_cast<size_t>(fend - fd))});
            }
            ::close(pid_fd);
          }
          if (sync_fd >= 0) {
            if (!vfork_wait_go(sync_fd)) {
              char fd[16];
              auto [fend, fec] = std::to_chars(fd, fd + sizeof fd, sync_fd);
              vfork_die(0, kExitToolFailure,
                        {"sync fd ", std::string_view(fd, static_cast<size_t>(fend - fd)),
                         " was closed before the go-ahead byte"});
            }
            ::close(sync_fd);
            go_at = log::now_us();
          }
          if (root_later) {
            if (const char* id = try_become_joined_root()) {
              int e = errno;
              std::string_view i(id);
              if (i == "groups") vfork_die(e, kExitToolFailure, {"cannot drop the supplementary groups"});
              vfork_die(e == EINVAL ? 0 : e, kExitToolFailure,
                        {"cannot become ", i, " 0 of the user namespace ", user_ns, e == EINVAL ? ": " : "",
                         e == EINVAL ? i : "", e == EINVAL ? " 0 has no mapping there" : ""});
            }
          }
          sigs.restore();
          inner = ::getpid();
          exec_at = log::now_us();
          if (next_tool) vfork_exec_chain_tool(next_tool, argv + prog, envp.data());
          vfork_exec(argv + prog);
        },
        -1, &outer, true);  // on our stack: its frames are small
    if (child < 0) die_errno("cannot fork");
    if (pid_fd >= 0) ::close(pid_fd);  // the child's to write, and written
    if (sync_fd >= 0) ::close(sync_fd);
    // We run again once it has exec'd or exited: one that failed before
    // (its pid not handed on, no go-ahead) is ours to report, even with
    // --hand-over.
    if (!exec_at) {
      int status = wait_child(child);
      return exit_code_from_wait(status);
    }
    if (go_at) log::step_at(go_at, "sync fd ", sync_fd, ": go");
    if (root_later) log::step_at(exec_at, "root of the joined user namespace (mapped meanwhile)");
    log::step_at(exec_at, "exec ", argv[prog], " as pid ", inner);
  } else {
    // A new time namespace refuses a child that shares our memory: fork.
    child = ::fork();
    if (child < 0) die_errno("cannot fork");
    if (child == 0) {
      run_child([&]() -> int {
        // Wait for the parent to write the pid file: once this child mounts
        // and pivots in the new mount namespace, the parent (in it too) can
        // no longer reach the path.
        alive.write.reset();
        if (pid_fd >= 0) ::close(pid_fd);  // the parent's to write and close
        if (hand_over) {
          // No death signal: the parent exits on purpose once it has sent
          // the go-ahead.
          if (!wait_go(alive.read.get())) std::_Exit(kExitToolFailure);
        } else {
          wait_for_parent(alive.read.get());
        }
        alive.read.reset();
        wait_sync(sync_fd);
        become_root_now();
        sigs.restore();
        log::step("exec ", argv[prog], " as pid ", ::getpid());
        exec_next(next_tool, argv + prog);
      });
    }
    alive.read.reset();
    if (sync_fd >= 0) ::close(sync_fd);  // only the child waits on it
    hand_pid(pid_file, pid_fd, child);
    send_go(alive.write, "the child");
  }
  if (hand_over) {
    log::step("handed child ", child, " over to the caller");
    return 0;
  }
  int status = sigs.wait(child);
  log::step("child ", child, " ended, exit ", exit_code_from_wait(status));
  return exit_code_from_wait(status);
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run, argc, argv); }
