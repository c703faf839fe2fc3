// The lifecycle: create, start, run, kill, delete.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "chain.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "format.hpp"
#include "fs.hpp"
#include "hugetext.hpp"
#include "launch.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "paths.hpp"
#include "process.hpp"
#include "state.hpp"

namespace rt::oci {

namespace {

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

// A startContainer hook: it runs in the container, so it gets exactly what
// the container's process gets (its cgroup and namespaces, and rt-exec with
// its user, groups, capabilities, no_new_privs, seccomp, rlimits and cwd),
// never the runtime's privileges: its path resolves in the container's root,
// where the image may have put any program.
pid_t start_hook_in_container(const State& st, const std::vector<std::string>& argv,
                              const std::vector<std::string>& env, UniqueFd in) {
  constexpr int kBase = 3;  // launch's fds: env, ready, -, seccomp
  std::string seccomp_file;
  ExecContext x = exec_context(st, kBase, seccomp_file);
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

// poststop hooks: a failing one is a warning, as the runtime spec says; the
// container goes on to be removed.
void run_poststop_hooks(const State& st) {
  try {
    run_hooks(g_opts.root, st, "poststop");
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

}  // namespace

pid_t do_create(const Args& a, const std::string& id, bool explain) {
  std::string bundle = a.get("bundle", ".");
  char resolved[PATH_MAX];
  if (!::realpath(bundle.c_str(), resolved)) fail_errno(str("create: invalid --bundle ", bundle));
  bundle = resolved;
  unsigned preserve = static_cast<unsigned>(parse_uint(a.get("preserve-fds", "0"), "--preserve-fds", 1000));
  Bundle b;
  try {
    b = load_bundle(bundle);
    b.cgroup_path = cgroup_path_of(b.config, id, g_opts.systemd_cgroup);
    b.systemd_scope = systemd_scope_of(b.config, id, g_opts.systemd_cgroup);
    check_joined_userns(b.config, a.has("allow-host-root-userns"));
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
    return 0;
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
  if (!b.systemd_scope.empty()) st.systemd_unit = systemd_unit_of(b.systemd_scope);
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
    hugetext::ensure_loaded(g_opts.root, ctx.tool_dir);  // once per boot and binary (hugetext.hpp)
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
  return st.pid;
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
  run_poststop_hooks(st);
  std::string err = remove_container(g_opts.root, st, true);
  if (!err.empty()) fail(str("delete: ", err));
}

int do_run(const Args& a, const std::string& id) {
  bool detach = a.has("detach");
  // The init is handed over to the nearest subreaper: be it, to wait for it.
  if (!detach && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) fail_errno("run: cannot become a subreaper");
  SignalForwarder sigs;
  pid_t init = do_create(a, id, false);
  try {
    do_start(id);
  } catch (...) {
    State st = load_state_or_die(g_opts.root, id);
    remove_container(g_opts.root, st, true);
    throw;
  }
  if (detach) return 0;
  // The init's orphans are handed to us: reaped as they end, and after it.
  int status = sigs.wait(init, {.forward_tty = true, .reap_others = true});
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  State st = load_state_or_die(g_opts.root, id);
  run_poststop_hooks(st);
  remove_container(g_opts.root, st, true);
  return exit_code_from_wait(status);
}

}  // namespace rt::oci
