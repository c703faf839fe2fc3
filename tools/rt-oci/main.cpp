// rt-oci: the OCI runtime command line (runc's) over a bundle, composing
// the rt chain. What containerd's runc shim and podman call.
//
//   rt-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug]
//          [--systemd-cgroup] [--explain] COMMAND [OPTIONS] [ID]
//
// create runs the chain (rt-oci --explain create prints it):
//   rt-cgroup --no-wait (the group stays; nothing waits)
//   rt-unshare --hand-over (the pid namespace's parent exits; the caller reaps)
//   rt-mount (the config's mounts in order)
//   rt-exec --ready-fd R --sync-fd S (signals "set up", waits for start)
// and returns once rt-exec is ready; no rt process stays. start writes the
// byte rt-exec waits for into the state directory's exec.fifo. The state,
// the cgroup and the FIFO are removed by delete.
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <iostream>

#include "caps.hpp"
#include "cgroup.hpp"
#include "chain.hpp"
#include "error.hpp"
#include "format.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "paths.hpp"
#include "process.hpp"
#include "state.hpp"
#include "terminal.hpp"

namespace {
using namespace rt;
using namespace rt::oci;
namespace cg = rt::cgroup;

struct Global {
  std::string root = "/run/rt-oci";
  std::string log_file, log_format = "text";
  bool debug = false, systemd_cgroup = false, explain = false;
};
Global g_opts;

// A message in --log (runc's format: text, or JSON lines with level, msg
// and time, whose last error line containerd shows its user).
void log_line(const char* level, const std::string& msg) {
  if (g_opts.log_file.empty()) return;
  int fd = ::open(g_opts.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string line = g_opts.log_format == "json"
                         ? json{{"level", level}, {"msg", msg}, {"time", rfc3339_now()}}.dump() + "\n"
                         : str(rfc3339_now(), " ", level, ": ", msg, "\n");
  if (::write(fd, line.data(), line.size()) < 0) {
  }
  ::close(fd);
}

// die, with the message in --log too.
[[noreturn]] void fail(const std::string& msg) {
  log_line("error", msg);
  die(msg);
}
[[noreturn]] void fail_errno(const std::string& what) {
  int e = errno;
  fail(str(what, ": ", std::strerror(e)));
}

const char* kUsage =
    "Usage: rt-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug] [--systemd-cgroup] [--explain]\n"
    "              COMMAND [OPTIONS] ID\n"
    "Run OCI bundles through the rt chain, with runc's command line.\n\n"
    "Commands:\n"
    "  create --bundle DIR [--pid-file F] [--console-socket PATH] [--no-pivot] [--no-new-keyring]\n"
    "         [--preserve-fds N] ID     set the container up; its process waits for start\n"
    "  start ID                          run the created container's process\n"
    "  run --bundle DIR [--detach] [--pid-file F] [--console-socket PATH] [--no-pivot] [--preserve-fds N] ID\n"
    "                                    create + start, and wait unless --detach\n"
    "  state ID                          the runtime-spec state as JSON\n"
    "  kill [--all] ID [SIGNAL]          send SIGNAL (name or number, default SIGTERM)\n"
    "  delete [--force] ID               remove a stopped container (--force: kill it first)\n"
    "  list [--format table|json] [--quiet]\n"
    "  ps [--format table|json] ID       the processes in the container's cgroup\n"
    "  exec [--process FILE] [--detach] [--pid-file F] [--console-socket PATH] [--tty] [--env K=V]\n"
    "       [--cwd DIR] [--user UID[:GID]] [--cap CAP] [--no-new-privs] [--preserve-fds N] ID [ARGS...]\n"
    "                                    run a process in a running container\n"
    "  pause ID, resume ID               freeze and thaw the container's cgroup\n"
    "  events [--interval D] [--stats] ID  stats every D (5s) and oom events until it stops; --stats: one reading\n"
    "  update [--resources FILE|-] [--memory N] [--memory-swap N] [--memory-reservation N]\n"
    "         [--kernel-memory-tcp N] [--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus L]\n"
    "         [--cpuset-mems L] [--pids-limit N] [--blkio-weight N] ID\n"
    "                                    change the limits of a container (rt-cgroup --update)\n"
    "  spec [--bundle DIR] [--rootless]  write a default config.json\n"
    "  features                          what rt-oci supports, as runtime-spec features JSON\n\n"
    "Global options:\n"
    "  --root DIR        state directory (default /run/rt-oci)\n"
    "  --log FILE        append messages to FILE\n"
    "  --log-format F    text or json (one object a line: level, msg, time)\n"
    "  --debug           log the chain's timeline (RT_LOG=debug)\n"
    "  --systemd-cgroup  cgroupsPath as SLICE:PREFIX:NAME, made at the path systemd would use (refused where systemd "
    "runs)\n"
    "  --explain         with create, run or update: print the chain (or rt-cgroup) as a shell command and exit\n"
    "  --help, --version\n";

// ------------------------------------------------------------ arguments

struct Args {
  std::vector<std::string> words;  // positional
  std::map<std::string, std::string> opts;
  std::map<std::string, std::vector<std::string>> multi;  // every value of a repeated option
  bool has(const std::string& k) const { return opts.count(k) > 0; }
  std::vector<std::string> all(const std::string& k) const {
    auto it = multi.find(k);
    return it == multi.end() ? std::vector<std::string>{} : it->second;
  }
  std::string get(const std::string& k, const std::string& d = "") const {
    auto it = opts.find(k);
    return it == opts.end() ? d : it->second;
  }
};

// Parse a command's options: `with_value` take one (as --k v or --k=v),
// `switches` none. runc's single-dash spellings (-d, -f, -a) are taken too.
Args parse_args(const std::vector<std::string>& in, const std::string& cmd, const std::vector<std::string>& with_value,
                const std::vector<std::string>& switches, const std::map<std::string, std::string>& shorts = {}) {
  Args a;
  for (size_t i = 0; i < in.size(); ++i) {
    std::string w = in[i];
    if (w == "--") {
      for (++i; i < in.size(); ++i) a.words.push_back(in[i]);
      break;
    }
    if (w.size() < 2 || w[0] != '-' || (!a.words.empty() && cmd != "kill")) {
      if (cmd == "exec" && a.words.empty()) {  // ID, then the command untouched
        a.words.push_back(w);
        for (++i; i < in.size(); ++i) a.words.push_back(in[i]);
        break;
      }
      a.words.push_back(w);
      continue;
    }
    if (auto s = shorts.find(w); s != shorts.end()) w = s->second;
    std::string key = w.substr(w[1] == '-' ? 2 : 1), val;
    auto eq = key.find('=');
    bool inline_val = eq != std::string::npos;
    if (inline_val) val = key.substr(eq + 1), key.resize(eq);
    if (std::find(with_value.begin(), with_value.end(), key) != with_value.end()) {
      if (!inline_val) {
        if (i + 1 >= in.size()) fail(str(cmd, ": --", key, " needs a value"));
        val = in[++i];
      }
      a.opts[key] = val;
      a.multi[key].push_back(val);
    } else if (std::find(switches.begin(), switches.end(), key) != switches.end()) {
      a.opts[key] = inline_val ? val : "true";
    } else if (cmd == "kill" && !a.words.empty()) {
      a.words.push_back(w);  // a signal like -9 is not an option
    } else {
      fail(str(cmd, ": unknown option '", in[i], "' (see rt-oci --help)"));
    }
  }
  return a;
}

std::string one_id(const Args& a, const std::string& cmd, size_t max_words = 1) {
  if (a.words.empty()) fail(str(cmd, ": no container id given"));
  if (a.words.size() > max_words) fail(str(cmd, ": unexpected argument '", a.words[max_words], "'"));
  check_id(a.words[0]);
  return a.words[0];
}

// ------------------------------------------------------------ create

// The rt tools that put a host program into the container's cgroup and
// namespaces (the createContainer hooks': they run as the runtime, before
// pivot_root, so their path is the host's).
std::vector<std::string> in_container(const State& st) {
  std::vector<std::string> a = {self_dir() + "/rt-cgroup", "--join", st.cgroup_name};
  if (!st.cgroup_parent.empty()) a.insert(a.end(), {"--parent", st.cgroup_parent});
  a.push_back("--");
  for (auto& w : join_namespaces(self_dir(), st.pid)) a.push_back(std::move(w));
  return a;
}

struct Created {
  pid_t init = 0;
};

// The console socket, connected: rt-exec sends the pty master on it.
UniqueFd connect_console(const std::string& socket_path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("cannot create a unix socket for --console-socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) throw Error(str("--console-socket ", socket_path, ": path too long"));
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size());
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno(str("cannot connect to --console-socket ", socket_path));
  return s;
}

// Start a chain with the environment on fd BASE, the ready pipe's write
// end on BASE+1 and (for create) the start FIFO on BASE+2, the seccomp
// profile on BASE+3, the pid pipe on BASE+4 and, with AT_PAUSE, rt-mount's
// ready and go pipes on BASE+5 and BASE+6, with a terminal the connected
// console socket on BASE+7 (rt-exec sends the pty master). With AT_PAUSE, runs it while
// rt-mount waits before pivot_root. Returns the chain's pid once rt-exec is
// ready; throws when the chain failed before.
struct Launch {
  std::vector<std::string> argv;
  std::string env_block;
  bool terminal = false;
  std::string console_socket;
  int base = 3;
  UniqueFd sync;                   // may be empty
  std::string seccomp_file;        // opened on BASE+3 when set (rt-exec reads it after pivot_root)
  UniqueFd pid;                    // may be empty: placed on BASE+4 (rt-unshare --pid-fd)
  std::function<void()> at_pause;  // rt-mount --ready-fd BASE+5 --sync-fd BASE+6 when set
  UniqueFd in;                     // the chain's stdin when set (else ours)
};
constexpr int kLaunchFds = 8;  // BASE to BASE+7

pid_t launch(Launch& l) {
  UniqueFd env(::memfd_create("rt-oci-env", MFD_CLOEXEC));
  if (!env || !write_all(env.get(), l.env_block.data(), l.env_block.size()) || ::lseek(env.get(), 0, SEEK_SET) != 0)
    throw_errno("cannot pass the environment to rt-exec");
  Pipe ready = make_pipe();
  UniqueFd seccomp;
  if (!l.seccomp_file.empty()) {
    seccomp = UniqueFd(::open(l.seccomp_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!seccomp) throw_errno(str("cannot open ", l.seccomp_file));
  }
  Pipe mount_ready, mount_go;
  if (l.at_pause) mount_ready = make_pipe(), mount_go = make_pipe();
  UniqueFd console;
  if (l.terminal) console = connect_console(l.console_socket);
  // Every fd of ours moves above the ones the chain gets at fixed numbers
  // (after the preserved ones), which are then dup2'd in place: only they
  // (and the preserved fds) reach the chain.
  auto high = [&](UniqueFd& fd) {
    if (!fd) return;
    UniqueFd moved(::fcntl(fd.get(), F_DUPFD_CLOEXEC, l.base + kLaunchFds));
    if (!moved) throw_errno("cannot move a file descriptor");
    fd = std::move(moved);
  };
  for (UniqueFd* fd : {&env, &ready.write, &ready.read, &l.sync, &seccomp, &l.pid, &console, &mount_ready.read,
                       &mount_ready.write, &mount_go.read, &mount_go.write, &l.in})
    high(*fd);
  if (::dup2(env.get(), l.base) < 0 || ::dup2(ready.write.get(), l.base + 1) < 0 ||
      (l.sync && ::dup2(l.sync.get(), l.base + 2) < 0) || (seccomp && ::dup2(seccomp.get(), l.base + 3) < 0) ||
      (l.pid && ::dup2(l.pid.get(), l.base + 4) < 0) ||
      (l.at_pause &&
       (::dup2(mount_ready.write.get(), l.base + 5) < 0 || ::dup2(mount_go.read.get(), l.base + 6) < 0)) ||
      (console && ::dup2(console.get(), l.base + 7) < 0))
    throw_errno("cannot place a file descriptor for the chain");
  env.reset(), ready.write.reset(), l.sync.reset(), seccomp.reset(), l.pid.reset();
  mount_ready.write.reset(), mount_go.read.reset(), console.reset();
  // The chain starts with no signal blocked, whatever rt-oci blocks for its
  // own forwarding: a payload would inherit the mask (SIGTERM never arriving,
  // a shell's wait never woken by SIGCHLD).
  sigset_t none;
  sigemptyset(&none);
  pid_t pid = spawn(l.argv, {.in = l.in ? l.in.get() : kInherit, .mask = &none});
  l.in.reset();
  for (int fd = l.base; fd < l.base + kLaunchFds; ++fd) ::close(fd);
  log::step("started the chain as ", pid);
  auto failed = [&] {
    int code = exit_code_from_wait(wait_child(pid));
    return Error(str("the chain failed before the process was set up", code ? str(" (exit ", code, ")") : "",
                     ": its message is on the container's stderr"));
  };
  if (l.at_pause) {
    if (!wait_go(mount_ready.read.get())) throw failed();
    l.at_pause();
    send_go(mount_go.write, "rt-mount on --sync-fd");
  }
  if (!wait_go(ready.read.get())) throw failed();
  return pid;
}

// The pid rt-unshare writes as one line on --pid-fd, read to end of file.
pid_t read_pid(int fd) {
  std::string line;
  char buf[32];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) line.append(buf, static_cast<size_t>(n));
  if (line.empty()) throw Error("the chain handed no pid over");
  return static_cast<pid_t>(parse_uint(line.substr(0, line.find('\n')), "the pid", INT32_MAX));
}

// runc's pid-file format (no newline: the shims parse it with Atoi);
// replaced atomically by a rename, never written through a symlink.
void write_user_pid_file(const Args& a, pid_t pid) {
  if (a.has("pid-file")) write_file_atomic(a.get("pid-file"), std::to_string(pid), 0644, false);
}

Created do_create(const Args& a, const std::string& id, bool explain) {
  std::string bundle = a.get("bundle", ".");
  char resolved[PATH_MAX];
  if (!::realpath(bundle.c_str(), resolved)) fail_errno(str("create: invalid --bundle ", bundle));
  bundle = resolved;
  unsigned preserve = static_cast<unsigned>(parse_uint(a.get("preserve-fds", "0"), "--preserve-fds", 1000));
  Bundle b;
  try {
    b = load_bundle(bundle);
    b.cgroup_path = cgroup_path_of(b.config, id, g_opts.systemd_cgroup);
  } catch (const Error& e) {
    fail(e.what());
  }
  if (b.terminal && !a.has("console-socket") && !explain)
    fail("create: process.terminal is set: a --console-socket is needed to hand the terminal over");
  for (const auto& n : b.notes) log_line("warning", n);

  std::string dir = g_opts.root + "/" + id;
  ChainContext ctx;
  ctx.id = id;
  ctx.bundle = bundle;
  ctx.state_dir = dir;
  ctx.tool_dir = self_dir();
  ctx.pid_fd = static_cast<int>(3 + preserve + 4);
  ctx.seccomp_file = str("/proc/self/fd/", 3 + preserve + 3);  // on fd BASE+3 (see launch)
  ctx.preserve_fds = preserve;
  ctx.no_pivot = a.has("no-pivot");
  int base = static_cast<int>(3 + preserve);
  ctx.env_fd = base, ctx.ready_fd = base + 1, ctx.sync_fd = base + 2;  // base+3 seccomp, base+4 pid
  ctx.console_fd = base + 7;                                           // with process.terminal (see launch)
  // The hooks that run while the container is set up: rt-mount pauses for
  // them before pivot_root, as runc's init does.
  auto has_hooks = [&](const char* stage) {
    const json* h = b.config.contains("hooks") ? &b.config["hooks"] : nullptr;
    return h && h->is_object() && h->contains(stage) && (*h)[stage].is_array() && !(*h)[stage].empty();
  };
  bool pause = has_hooks("prestart") || has_hooks("createRuntime") || has_hooks("createContainer");
  if (pause) ctx.mount_ready_fd = base + 5, ctx.mount_sync_fd = base + 6;
  std::vector<std::string> chain;
  try {
    chain = build_chain(b, ctx);
  } catch (const Error& e) {
    fail(e.what());
  }
  if (explain) {
    std::string out;
    for (const auto& w : chain) out += (out.empty() ? "" : " ") + shell_quote(w);
    std::printf("%s %d<ENV %d>READY %d<>%s/exec.fifo %d>PID%s\n", out.c_str(), ctx.env_fd, ctx.ready_fd, ctx.sync_fd,
                dir.c_str(), ctx.pid_fd, pause ? str(" ", base + 5, ">MOUNTED ", base + 6, "<GO").c_str() : "");
    return {};
  }

  // Side effects start here: the state directory first, so that delete
  // --force finds whatever a killed create left.
  mkdir_p(g_opts.root, 0700);
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) fail(str("create: container ", id, " exists already"));
    fail_errno(str("create: cannot make ", dir));
  }
  State st;
  st.id = id;
  st.bundle = bundle;
  st.rootfs = b.rootfs;
  st.created = rfc3339_now();
  st.annotations = b.config.value("annotations", json::object());
  st.cgroup_name = b.cgroup_path.empty() ? id : b.cgroup_path;
  st.hooks = b.config.value("hooks", json::object());
  st.process = b.config["process"];
  st.personality = personality_of(b.config);
  st.creator = ::getpid();
  st.creator_start = process_start_time(::getpid()).value_or(0);
  pid_t chain_pid = -1;
  try {
    save_state(g_opts.root, st);
    std::string seccomp_file = dir + "/seccomp.json";
    // 0644: rt-exec reopens it through /proc/self/fd, maybe as a user namespace's root.
    if (!b.seccomp.is_null()) write_file_atomic(seccomp_file, b.seccomp.dump(), 0644, false);
    std::string fifo = dir + "/exec.fifo";
    if (::mkfifo(fifo.c_str(), 0600) != 0) throw_errno(str("cannot make ", fifo));
    UniqueFd sync(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    if (!sync) throw_errno(str("cannot open ", fifo));
    Pipe pid_pipe = make_pipe();
    UniqueFd pid_read(::fcntl(pid_pipe.read.get(), F_DUPFD_CLOEXEC, base + 8));  // above launch's fds
    if (!pid_read) throw_errno("cannot move a file descriptor");
    pid_pipe.read.reset();
    Launch l{chain,
             b.env_block,
             b.terminal,
             a.get("console-socket"),
             base,
             std::move(sync),
             b.seccomp.is_null() ? "" : seccomp_file,
             std::move(pid_pipe.write),
             {},
             UniqueFd()};
    auto learn_pid = [&] {
      st.pid = read_pid(pid_read.get());
      st.pid_start = process_start_time(st.pid).value_or(0);
      save_state(g_opts.root, st);
    };
    if (pause)
      l.at_pause = [&] {
        // The mounts are made, pivot_root is not: prestart and createRuntime
        // from here, createContainer in the container's namespaces.
        learn_pid();
        run_hooks(g_opts.root, st, "prestart", {}, "created");  // as crun (runtime-tools checks it)
        run_hooks(g_opts.root, st, "createRuntime", {}, "creating");
        run_hooks(g_opts.root, st, "createContainer", spawn_hook(in_container(st)), "creating");
      };
    chain_pid = launch(l);
    if (!pause) learn_pid();
    if (b.new_pid_ns) wait_child(chain_pid);  // rt-unshare, handing over: exits at once
    chain_pid = -1;
    write_user_pid_file(a, st.pid);
    log::step("created ", id, ": init ", st.pid);
  } catch (...) {
    if (chain_pid > 0) {
      ::kill(chain_pid, SIGKILL);
      ::waitpid(chain_pid, nullptr, 0);
    }
    remove_container(g_opts.root, st, true);
    throw;
  }
  return {st.pid};
}

// ------------------------------------------------------------ the rest

// A startContainer hook: it runs in the container, so it gets exactly what
// the container's process gets (its cgroup and namespaces, and rt-exec with
// its user, groups, capabilities, no_new_privs, seccomp, rlimits and cwd),
// never the runtime's privileges: its path resolves in the container's root,
// where the image may have put any program.
pid_t start_hook_in_container(const State& st, const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, UniqueFd in) {
  constexpr int kBase = 3;  // launch's fds: env, ready, -, seccomp
  ExecContext x;
  x.tool_dir = self_dir();
  x.cgroup_name = st.cgroup_name;
  x.cgroup_parent = st.cgroup_parent;
  std::string seccomp_file = g_opts.root + "/" + st.id + "/seccomp.json";
  if (!path_exists(seccomp_file)) seccomp_file.clear();
  else x.seccomp_file = str("/proc/self/fd/", kBase + 3);
  x.init_pid = st.pid;
  x.personality = st.personality;
  x.env_fd = kBase, x.ready_fd = kBase + 1;
  std::string env_block;
  for (const auto& e : env) env_block += e + '\0';
  Launch l{build_hook_chain(st.process, x, argv),
           env_block,
           false,
           "",
           kBase,
           UniqueFd(),
           seccomp_file,
           UniqueFd(),
           {},
           std::move(in)};
  return launch(l);
}

void do_start(const std::string& id) {
  State st = load_state_or_die(g_opts.root, id);
  std::string s = status_of(g_opts.root, st);
  if (s != "created") fail(str("start: container ", id, " is ", s, ", not created"));
  // startContainer: in the container, with its process's limits, before the
  // payload runs; a failure stops the container (and whatever a hook left).
  try {
    run_hooks(g_opts.root, st, "startContainer",
              [&](const std::vector<std::string>& argv, const std::vector<std::string>& env, UniqueFd in) {
                return start_hook_in_container(st, argv, env, std::move(in));
              });
  } catch (const Error& e) {
    if (process_matches(st.pid, st.pid_start)) ::kill(st.pid, SIGKILL);
    for (pid_t p : container_pids(st)) ::kill(p, SIGKILL);
    fail(str("start: ", e.what(), " (container ", id, " is stopped)"));
  }
  std::string fifo = g_opts.root + "/" + id + "/exec.fifo";
  UniqueFd f(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!f) fail_errno(str("start: container ", id, " is not waiting (", fifo, ")"));
  ::unlink(fifo.c_str());
  if (::write(f.get(), "0", 1) != 1) fail_errno(str("start: cannot release container ", id));
  log::step("started ", id);
  try {
    // As crun: "running" (the payload has been released), even when it
    // has ended already by the time the hook reads its state.
    run_hooks(g_opts.root, st, "poststart", {}, "running");
  } catch (const Error& e) {
    log_line("warning", e.what());
    warn(e.what());
  }
}

int signal_of(std::string s) {
  if (s.empty()) return SIGTERM;
  if (std::isdigit(static_cast<unsigned char>(s[0]))) return static_cast<int>(parse_uint(s, "signal", 64));
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (starts_with(s, "SIG")) s.erase(0, 3);
  for (int n = 1; n < 65; ++n) {
    const char* abbrev = sigabbrev_np(n);
    if (abbrev && s == abbrev) return n;
  }
  fail(str("kill: unknown signal '", s, "'"));
}

void do_kill(const Args& a) {
  std::string id = one_id(a, "kill", 2);
  int sig = signal_of(a.words.size() > 1 ? a.words[1] : "");
  State st = load_state_or_die(g_opts.root, id);
  std::string s = status_of(g_opts.root, st);
  if (a.has("all")) {
    for (pid_t p : container_pids(st)) ::kill(p, sig);
    return;
  }
  if (s == "stopped" || s == "creating" || st.pid <= 0) fail(str("kill: container ", id, " is not running"));
  if (::kill(st.pid, sig) != 0) fail_errno(str("kill: cannot signal the init ", st.pid));
}

void do_delete(const Args& a) {
  std::string id = one_id(a, "delete");
  bool force = a.has("force");
  auto loaded = load_state(g_opts.root, id);
  if (!loaded) {
    if (force) return;  // as runc: nothing to delete
    fail(str("delete: container ", id, " does not exist"));
  }
  State& st = *loaded;
  std::string s = status_of(g_opts.root, st);
  if ((s == "running" || s == "paused" || (s == "creating")) && !force)
    fail(str("delete: container ", id, " is ", s, " (stop it first, or use --force)"));
  if (force && (s == "running" || s == "paused" || s == "created")) ::kill(st.pid, SIGKILL);
  try {
    run_hooks(g_opts.root, st, "poststop");
  } catch (const Error& e) {
    log_line("warning", e.what());
    warn(e.what());
  }
  std::string err = remove_container(g_opts.root, st, true);
  if (!err.empty()) fail(str("delete: ", err));
}

void print_state(const std::string& id) {
  State st = load_state_or_die(g_opts.root, id);
  std::printf("%s\n", state_json(g_opts.root, st).dump(2).c_str());
}

void do_list(const Args& a) {
  auto all = list_states(g_opts.root);
  std::string fmt = a.get("format", "table");
  if (fmt == "json") {
    json arr = json::array();
    for (auto& st : all) arr.push_back(state_json(g_opts.root, st));
    std::printf("%s\n", arr.dump().c_str());
    return;
  }
  if (a.has("quiet")) {
    for (auto& st : all) std::printf("%s\n", st.id.c_str());
    return;
  }
  std::printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
  for (auto& st : all) {
    std::string s = status_of(g_opts.root, st);
    std::printf("%-20s %-8d %-10s %-40s %-30s %s\n", st.id.c_str(), s == "stopped" ? 0 : st.pid, s.c_str(),
                st.bundle.c_str(), st.created.c_str(), "root");
  }
}

void do_ps(const Args& a) {
  std::string id = one_id(a, "ps");
  State st = load_state_or_die(g_opts.root, id);
  auto pids = container_pids(st);
  if (a.get("format", "table") == "json") {
    std::printf("%s\n", json(pids).dump().c_str());
    return;
  }
  std::printf("PID\n");
  for (pid_t p : pids) std::printf("%d\n", p);
}

// exec: a process in a running container, as runc exec: --process FILE,
// or the container's own process with ARGS and the options below.
int do_exec(const Args& a) {
  if (a.words.empty()) fail("exec: no container id given");
  std::string id = a.words[0];
  check_id(id);
  State st = load_state_or_die(g_opts.root, id);
  std::string s = status_of(g_opts.root, st);
  if (s != "running" && s != "created") fail(str("exec: container ", id, " is ", s));
  json proc;
  if (a.has("process")) {
    std::error_code ec;
    auto text = try_read_file(a.get("process"), &ec);
    if (!text) fail(str("exec: cannot read --process ", a.get("process"), ": ", ec.message()));
    try {
      proc = json::parse(*text);
    } catch (const json::exception& e) {
      fail(str("exec: cannot parse --process ", a.get("process"), ": ", e.what()));
    }
  } else {
    if (a.words.size() < 2) fail("exec: no command given (ARGS or --process FILE)");
    Bundle b = load_bundle(st.bundle);
    proc = b.config["process"];
    proc["args"] = json(std::vector<std::string>(a.words.begin() + 1, a.words.end()));
    proc["terminal"] = a.has("tty");
    for (const auto& e : a.all("env")) proc["env"].push_back(e);
    if (a.has("cwd")) proc["cwd"] = a.get("cwd");
    if (a.has("user")) {
      auto ug = split(a.get("user"), ':');
      proc["user"]["uid"] = parse_uint(ug[0], "--user uid", UINT32_MAX);
      proc["user"]["gid"] = ug.size() > 1 ? parse_uint(ug[1], "--user gid", UINT32_MAX) : 0;
    }
    for (const auto& c : a.all("cap"))
      for (const char* set : {"bounding", "effective", "permitted"}) proc["capabilities"][set].push_back(c);
    if (a.has("no-new-privs")) proc["noNewPrivileges"] = true;
  }
  if (!proc.is_object()) fail("exec: the process must be a JSON object");
  bool terminal = proc.value("terminal", false);
  if (terminal && !a.has("console-socket")) fail("exec: a terminal needs a --console-socket");
  bool detach = a.has("detach");
  unsigned preserve = static_cast<unsigned>(parse_uint(a.get("preserve-fds", "0"), "--preserve-fds", 1000));

  std::string dir = g_opts.root + "/" + id;
  ExecContext x;
  x.tool_dir = self_dir();
  x.cgroup_name = st.cgroup_name;
  x.cgroup_parent = st.cgroup_parent;
  std::string seccomp_file = path_exists(dir + "/seccomp.json") ? dir + "/seccomp.json" : "";
  if (!seccomp_file.empty()) x.seccomp_file = str("/proc/self/fd/", 3 + preserve + 3);  // see launch
  x.init_pid = st.pid;
  x.personality = st.personality;
  x.preserve_fds = preserve;
  int base = static_cast<int>(3 + preserve);
  // In the container's pid namespace, rt-unshare forks the process and hands
  // it over (its pid on pid_fd); sharing ours, it has nothing to fork: the
  // chain's own process becomes the command.
  bool own_pid_ns = !same_namespace(st.pid, "pid");
  x.env_fd = base, x.ready_fd = base + 1, x.pid_fd = own_pid_ns ? base + 2 : -1;
  if (terminal) x.console_fd = base + 7;  // see launch
  std::vector<std::string> chain;
  try {
    chain = build_exec_chain(proc, x);
  } catch (const Error& e) {
    fail(str("exec: ", e.what()));
  }
  if (!detach && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) fail_errno("exec: cannot become a subreaper");
  SignalForwarder sigs;
  pid_t pid = 0;
  Pipe pid_pipe = make_pipe();
  // Above the fds launch places at fixed numbers.
  pid_pipe.read = UniqueFd(::fcntl(pid_pipe.read.get(), F_DUPFD_CLOEXEC, base + 8));
  if (!pid_pipe.read) fail_errno("exec: cannot move a file descriptor");
  {
    Launch l{chain,        env_block_of(proc),
             terminal,     a.get("console-socket"),
             base,         std::move(pid_pipe.write),
             seccomp_file, UniqueFd(),
             {},           UniqueFd()};
    pid_t chain_pid = launch(l);
    if (own_pid_ns) {
      wait_child(chain_pid);  // rt-unshare hands the process over and exits
      pid = read_pid(pid_pipe.read.get());
    } else {
      pid = chain_pid;
    }
    write_user_pid_file(a, pid);
  }
  if (detach) return 0;
  int status = sigs.wait(pid, {.forward_tty = true});
  return exit_code_from_wait(status);
}

// update: the new limits as a linux.resources object (from --resources,
// then the single options over it), applied by rt-cgroup --update.
int do_update(const Args& a) {
  std::string id = one_id(a, "update");
  State st = load_state_or_die(g_opts.root, id);
  json r = json::object();
  if (a.has("resources")) {
    std::string file = a.get("resources");
    std::optional<std::string> text;
    if (file == "-") {
      std::string in;
      char buf[4096];
      ssize_t n;
      while ((n = ::read(0, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) in.append(buf, static_cast<size_t>(n));
      text = in;
    } else {
      text = try_read_file(file);
      if (!text) fail_errno(str("update: cannot read --resources ", file));
    }
    try {
      r = json::parse(*text);
    } catch (const json::exception& e) {
      fail(str("update: --resources ", file, ": not JSON: ", e.what()));
    }
    if (!r.is_object()) fail(str("update: --resources ", file, ": expected a linux.resources object"));
  }
  auto num = [&](const char* opt) -> json {
    std::string v = a.get(opt);
    if (v == "-1") return -1;
    return static_cast<int64_t>(starts_with(opt, "memory") || starts_with(opt, "kernel")
                                    ? parse_size(v, str("--", opt))
                                    : parse_uint(v, str("--", opt)));
  };
  // clang-format off
  const std::pair<const char*, std::vector<const char*>> single[] = {
      {"memory", {"memory", "limit"}},          {"memory-swap", {"memory", "swap"}},
      {"memory-reservation", {"memory", "reservation"}}, {"kernel-memory-tcp", {"memory", "kernelTCP"}},
      {"cpu-shares", {"cpu", "shares"}},        {"cpu-quota", {"cpu", "quota"}},
      {"cpu-period", {"cpu", "period"}},        {"pids-limit", {"pids", "limit"}},
      {"blkio-weight", {"blockIO", "weight"}}};
  // clang-format on
  for (const auto& [opt, where] : single)
    if (a.has(opt)) r[where[0]][where[1]] = num(opt);
  if (a.has("cpuset-cpus")) r["cpu"]["cpus"] = a.get("cpuset-cpus");
  if (a.has("cpuset-mems")) r["cpu"]["mems"] = a.get("cpuset-mems");
  if (a.has("kernel-memory"))
    log_line("warning", "update: --kernel-memory ignored: kernel memory limits are deprecated");
  if (r.contains("devices")) fail("update: linux.resources.devices: a container's device rules are set at create");
  std::vector<std::string> argv = {self_dir() + "/rt-cgroup", "--update", st.cgroup_name};
  if (!st.cgroup_parent.empty()) argv.insert(argv.end(), {"--parent", st.cgroup_parent});
  try {
    auto flags = resource_flags(r);
    if (flags.empty()) fail("update: nothing to change (give --resources or a limit option)");
    argv.insert(argv.end(), flags.begin(), flags.end());
  } catch (const Error& e) {
    fail(str("update: ", e.what()));
  }
  if (g_opts.explain) {
    std::string out;
    for (const auto& w : argv) out += (out.empty() ? "" : " ") + shell_quote(w);
    std::printf("%s\n", out.c_str());
    return 0;
  }
  std::string s = status_of(g_opts.root, st);
  if (s == "stopped") fail(str("update: container ", id, " is stopped"));
  int code = run_and_wait(argv);
  if (code != 0) fail(str("update: rt-cgroup --update failed for container ", id, " (its message is above)"));
  return 0;
}

void do_freeze(const Args& a, bool freeze) {
  const char* cmd = freeze ? "pause" : "resume";
  std::string id = one_id(a, cmd);
  State st = load_state_or_die(g_opts.root, id);
  std::string s = status_of(g_opts.root, st);
  if (freeze ? s != "running" : s != "paused") fail(str(cmd, ": container ", id, " is ", s));
  set_frozen(st, freeze);
}

// spec: a default config.json, as `runc spec` writes one (a shell on a
// terminal, the namespaces, mounts and masked paths a container gets).
void do_spec(const Args& a) {
  std::string dir = a.get("bundle", ".");
  std::string path = dir + "/config.json";
  if (path_exists(path)) fail(str("spec: ", path, " exists already"));
  bool rootless = a.has("rootless");
  json caps = json::array({"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"});
  json ns = json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  if (!rootless) ns.push_back({{"type", "network"}});
  else ns.push_back({{"type", "user"}});
  json mounts = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", rootless ? json({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"})
                            : json({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"})}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/sys"},
       {"type", rootless ? "none" : "sysfs"},
       {"source", rootless ? "/sys" : "sysfs"},
       {"options",
        rootless ? json({"rbind", "nosuid", "noexec", "nodev", "ro"}) : json({"nosuid", "noexec", "nodev", "ro"})}},
  });
  json linux = {
      {"namespaces", ns},
      {"maskedPaths",
       {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
      {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
  };
  if (rootless) {
    linux["uidMappings"] = json::array({{{"containerID", 0}, {"hostID", ::geteuid()}, {"size", 1}}});
    linux["gidMappings"] = json::array({{{"containerID", 0}, {"hostID", ::getegid()}, {"size", 1}}});
  } else {
    linux["resources"] = {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
  }
  json config = {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", true},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"sh"}},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
        {"cwd", "/"},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
        {"noNewPrivileges", true}}},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "rt"},
      {"mounts", mounts},
      {"linux", linux},
  };
  write_file_atomic(path, config.dump(1, '\t') + "\n", 0644, false);
}

// features: what this runtime supports, as runtime-spec's features.json.
void do_features() {
  json caps = json::array();
  for (int c = 0; c < 64; ++c)
    if (const char* n = caps::name(c)) caps.push_back(n);
  json f = {
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.0.2"},
      {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", {"async",      "atime",         "bind",    "defaults", "dev",         "diratime", "dirsync",
                        "exec",       "mand",          "noatime", "nodev",    "nodiratime",  "noexec",   "nomand",
                        "norelatime", "nostrictatime", "nosuid",  "private",  "rbind",       "relatime", "remount",
                        "ro",         "rprivate",      "rshared", "rslave",   "runbindable", "rw",       "shared",
                        "slave",      "strictatime",   "suid",    "sync",     "unbindable"}},
      {"linux",
       {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}},
        {"capabilities", caps},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions",
           {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
            "SCMP_ACT_LOG", "SCMP_ACT_TRAP", "SCMP_ACT_TRACE"}},
          {"operators",
           {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
            "SCMP_CMP_NE"}}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations", {{"org.opencontainers.runc.version", "none: rt-oci " RT_VERSION}}},
  };
  std::printf("%s\n", f.dump(2).c_str());
}

// events --stats: one runc-style stats event of the container's cgroup.
// One runc-style stats event of a group.
json stats_event(const std::string& id, const cgroup::Stats& s) {
  auto num = [](const std::optional<uint64_t>& v) { return v && *v != cgroup::kUnlimited ? json(*v) : json(0); };
  json data = {
      {"cpu",
       {{"usage", {{"total", num(s.cpu_usage_ns)}, {"user", num(s.cpu_user_ns)}, {"kernel", num(s.cpu_system_ns)}}},
        {"throttling",
         {{"periods", num(s.cpu_periods)},
          {"throttledPeriods", num(s.cpu_throttled_periods)},
          {"throttledTime", num(s.cpu_throttled_ns)}}}}},
      {"memory",
       {{"usage", {{"usage", num(s.memory_usage)}, {"limit", num(s.memory_limit)}, {"max", num(s.memory_peak)}}},
        {"oom_kill", num(s.oom_kills)}}},
      {"pids", {{"current", num(s.pids_current)}, {"limit", num(s.pids_limit)}}},
  };
  return json{{"type", "stats"}, {"id", id}, {"data", data}};
}

// events: a stats event every --interval (default 5s) and an oom event
// whenever the group's OOM kill counter rises (checked every 100 ms), one
// JSON object a line, until the container stops; --stats: one stats event.
void do_events(const Args& a) {
  std::string id = one_id(a, "events");
  int64_t interval_ms = parse_duration_ms(a.get("interval", "5s"), "--interval");
  if (interval_ms <= 0) fail("events: --interval must be positive");
  State st = load_state_or_die(g_opts.root, id);
  auto g = group_of(st);
  if (!g) fail(str("events: container ", id, " has no cgroup"));
  auto emit = [](const json& e) {
    std::printf("%s\n", e.dump().c_str());
    if (std::fflush(stdout) != 0) throw_errno("events: cannot write");
  };
  cgroup::Stats s = cgroup::read_stats(*g);
  if (a.has("stats")) {
    emit(stats_event(id, s));
    return;
  }
  constexpr int64_t kTick = 100;
  uint64_t ooms = s.oom_kills.value_or(0);
  for (int64_t since = interval_ms;; since += kTick) {
    auto gone = [&] { return !path_exists(g_opts.root + "/" + id) || status_of(g_opts.root, st) == "stopped"; };
    // An OOM kill can end the container between two ticks (the killer may
    // take the init too): read the counter once more before leaving.
    bool last = gone();
    try {
      s = cgroup::read_stats(*g);
    } catch (const Error&) {
      if (last || gone()) return;  // deleted meanwhile
      throw;
    }
    if (s.oom_kills.value_or(0) > ooms) {
      ooms = *s.oom_kills;
      emit(json{{"type", "oom"}, {"id", id}});
    }
    if (last) return;
    if (since >= interval_ms) {
      emit(stats_event(id, s));
      since = 0;
    }
    ::usleep(kTick * 1000);
  }
}

int do_run(const Args& a, const std::string& id) {
  bool detach = a.has("detach");
  // The init is handed over to the nearest subreaper: be it, to wait for it.
  if (!detach && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) fail_errno("run: cannot become a subreaper");
  SignalForwarder sigs;
  Created c = do_create(a, id, false);
  try {
    do_start(id);
  } catch (...) {
    State st = load_state_or_die(g_opts.root, id);
    remove_container(g_opts.root, st, true);
    throw;
  }
  if (detach) return 0;
  // The init's orphans are handed to us: reaped as they end, and after it.
  int status = sigs.wait(c.init, {.forward_tty = true, .reap_others = true});
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  State st = load_state_or_die(g_opts.root, id);
  try {
    run_hooks(g_opts.root, st, "poststop");
  } catch (const Error& e) {
    log_line("warning", e.what());
    warn(e.what());
  }
  remove_container(g_opts.root, st, true);
  return exit_code_from_wait(status);
}

int run_main(int argc, char** argv) {
  int i = 1;
  for (; i < argc; ++i) {
    std::string w = argv[i];
    auto value = [&](const char* name) -> std::string {
      std::string n = str("--", name);
      if (w == n || w == "-" + n.substr(2)) {
        if (i + 1 >= argc) fail(str(n, " needs a value"));
        return argv[++i];
      }
      return w.substr(n.size() + 1);
    };
    auto is = [&](const char* name) {
      std::string n = str("--", name);
      return w == n || w == "-" + n.substr(2) || starts_with(w, n + "=");
    };
    if (is("root")) g_opts.root = value("root");
    else if (is("log")) g_opts.log_file = value("log");
    else if (is("log-format")) g_opts.log_format = value("log-format");
    else if (is("rootless") || is("criu")) value(w.find("criu") != std::string::npos ? "criu" : "rootless");
    else if (w == "--debug") g_opts.debug = true;
    else if (w == "--systemd-cgroup") g_opts.systemd_cgroup = true;
    else if (w == "--explain") g_opts.explain = true;
    else if (w == "--help" || w == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (w == "--version" || w == "-v") {
      std::printf("rt-oci version %s\nspec: 1.0.2\n", RT_VERSION);
      return 0;
    } else if (starts_with(w, "-")) {
      fail(str("unknown option '", w, "' (see rt-oci --help)"));
    } else {
      break;
    }
  }
  if (g_opts.log_format != "text" && g_opts.log_format != "json")
    fail(str("invalid --log-format '", g_opts.log_format, "': expected text or json"));
  if (g_opts.debug) log::set_level(log::Level::debug, true);
  if (i >= argc) fail("no command given (see rt-oci --help)");
  std::string cmd = argv[i];
  std::vector<std::string> rest(argv + i + 1, argv + argc);
  const std::vector<std::string> create_vals = {"bundle", "pid-file", "console-socket", "preserve-fds"};
  const std::vector<std::string> create_sw = {"no-pivot", "no-new-keyring", "detach"};
  if (g_opts.explain && cmd != "create" && cmd != "run" && cmd != "update")
    fail("--explain applies to create, run and update");
  if (cmd == "create" || cmd == "run") {
    auto sw = create_sw;
    if (cmd == "create") sw.pop_back();
    Args a = parse_args(rest, cmd, create_vals, sw, {{"-b", "--bundle"}, {"-d", "--detach"}});
    std::string id = one_id(a, cmd);
    if (g_opts.explain) {
      do_create(a, id, true);
      return 0;
    }
    if (cmd == "run") return do_run(a, id);
    do_create(a, id, false);
    return 0;
  }
  if (cmd == "start") {
    do_start(one_id(parse_args(rest, cmd, {}, {}), cmd));
  } else if (cmd == "state") {
    print_state(one_id(parse_args(rest, cmd, {}, {}), cmd));
  } else if (cmd == "kill") {
    do_kill(parse_args(rest, cmd, {}, {"all"}, {{"-a", "--all"}}));
  } else if (cmd == "delete") {
    do_delete(parse_args(rest, cmd, {}, {"force"}, {{"-f", "--force"}}));
  } else if (cmd == "list") {
    Args a = parse_args(rest, cmd, {"format"}, {"quiet"}, {{"-f", "--format"}, {"-q", "--quiet"}});
    if (!a.words.empty()) fail(str("list: unexpected argument '", a.words[0], "'"));
    do_list(a);
  } else if (cmd == "exec") {
    return do_exec(parse_args(rest, cmd,
                              {"process", "pid-file", "console-socket", "env", "cwd", "user", "cap", "preserve-fds",
                               "process-label", "apparmor"},
                              {"detach", "tty", "no-new-privs"},
                              {{"-p", "--process"},
                               {"-d", "--detach"},
                               {"-t", "--tty"},
                               {"-e", "--env"},
                               {"-u", "--user"},
                               {"-c", "--cap"}}));
  } else if (cmd == "spec") {
    Args a = parse_args(rest, cmd, {"bundle"}, {"rootless"}, {{"-b", "--bundle"}});
    if (!a.words.empty()) fail(str("spec: unexpected argument '", a.words[0], "'"));
    do_spec(a);
  } else if (cmd == "features") {
    do_features();
  } else if (cmd == "events") {
    do_events(parse_args(rest, cmd, {"interval"}, {"stats"}));
  } else if (cmd == "update") {
    return do_update(
        parse_args(rest, cmd,
                   {"resources", "memory", "memory-swap", "memory-reservation", "kernel-memory", "kernel-memory-tcp",
                    "cpu-shares", "cpu-quota", "cpu-period", "cpuset-cpus", "cpuset-mems", "pids-limit", "blkio-weight",
                    "cpu-rt-period", "cpu-rt-runtime", "l3-cache-schema", "mem-bw-schema"},
                   {}, {{"-r", "--resources"}}));
  } else if (cmd == "pause" || cmd == "resume") {
    do_freeze(parse_args(rest, cmd, {}, {}), cmd == "pause");
  } else if (cmd == "ps") {
    do_ps(parse_args(rest, cmd, {"format"}, {}, {{"-f", "--format"}}));
  } else {
    fail(str("unknown command '", cmd, "' (see rt-oci --help)"));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Every failure also goes to --log, where the engines look for it.
  try {
    return run_main(argc, argv);
  } catch (const rt::Error& e) {
    log_line("error", e.what());
    rt::die(e.what(), e.status());
  } catch (const std::exception& e) {
    log_line("error", e.what());
    rt::die(e.what());
  }
}
