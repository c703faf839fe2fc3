#include "launch.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <climits>
#include <cstring>

#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "process.hpp"
#include "terminal.hpp"

namespace rt::oci {

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

pid_t read_pid(int fd) {
  std::string line;
  char buf[32];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) line.append(buf, static_cast<size_t>(n));
  if (line.empty()) throw Error("the chain handed no pid over");
  return static_cast<pid_t>(parse_uint(line.substr(0, line.find('\n')), "the pid", INT32_MAX));
}

void write_user_pid_file(const Args& a, pid_t pid) {
  if (a.has("pid-file")) write_file_atomic(a.get("pid-file"), std::to_string(pid), 0644, false);
}

}  // namespace rt::oci
