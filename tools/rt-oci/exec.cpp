// exec: a process in a running container.
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "chain.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "hugetext.hpp"
#include "launch.hpp"
#include "parse.hpp"
#include "paths.hpp"
#include "process.hpp"
#include "state.hpp"

namespace rt::oci {

// exec: a process in a running container, as runc exec: --process FILE,
// or the container's own process with ARGS and the options below.
ExecContext exec_context(const State& st, int base, std::string& seccomp_file) {
  ExecContext x;
  x.tool_dir = self_dir();
  x.cgroup_name = st.cgroup_name;
  x.cgroup_parent = st.cgroup_parent;
  seccomp_file = str(g_opts.root, "/", st.id, "/seccomp.json");
  if (!path_exists(seccomp_file)) seccomp_file.clear();
  else x.seccomp_file = str("/proc/self/fd/", base + 3);  // see launch
  x.init_pid = st.pid;
  x.personality = st.personality;
  x.env_fd = base, x.ready_fd = base + 1;
  return x;
}

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

  int base = static_cast<int>(3 + preserve);
  std::string seccomp_file;
  ExecContext x = exec_context(st, base, seccomp_file);
  x.preserve_fds = preserve;
  // In the container's pid namespace, rt-unshare forks the process and hands
  // it over (its pid on pid_fd); sharing ours, it has nothing to fork: the
  // chain's own process becomes the command.
  bool own_pid_ns = !same_namespace(st.pid, "pid");
  x.pid_fd = own_pid_ns ? base + 2 : -1;
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
    hugetext::ensure_loaded(g_opts.root, x.tool_dir);  // once per boot and binary (hugetext.hpp)
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

}  // namespace rt::oci
