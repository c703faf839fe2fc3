#include "usermode.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "error.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "process.hpp"
#include "usernet.hpp"

namespace rt::net {
namespace {

UniqueFd pidfd_of(pid_t pid) { return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); }

// What a helper wrote on stderr (a memfd): its last non-empty line.
std::string last_line(int fd) {
  std::string text;
  char buf[4096];
  ssize_t n;
  off_t off = 0;
  while ((n = ::pread(fd, buf, sizeof buf, off)) > 0) {
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
  auto lines = split(text, '\n');
  for (auto it = lines.rbegin(); it != lines.rend(); ++it)
    if (!it->empty()) return *it;
  return "";
}

// Wait (at most `ms`) for a process that is not necessarily our child to
// end; true when it has.
bool wait_gone(int pidfd, int ms) {
  pollfd p{pidfd, POLLIN, 0};
  int r;
  do r = ::poll(&p, 1, ms);
  while (r < 0 && errno == EINTR);
  return r == 1;
}

void stop(pid_t pid, uint64_t start) {
  if (!process_matches(pid, start)) return;
  UniqueFd pfd = pidfd_of(pid);
  if (!pfd || !process_matches(pid, start)) return;  // gone meanwhile
  // Nothing to save: the helper keeps no state (and pasta does not stop
  // on SIGTERM).
  ::syscall(SYS_pidfd_send_signal, pfd.get(), SIGKILL, nullptr, 0);
  if (!wait_gone(pfd.get(), 2000)) throw Error(str("cannot stop the network helper, pid ", pid));
}

json helper_record(const std::string& tool, pid_t pid) {
  return {{"program", tool}, {"pid", pid}, {"start", process_start_time(pid).value_or(0)}};
}

// pasta: forks to the background once the namespace is configured; its
// parent's exit status says whether that worked.
json pasta_up(const UserModeUp& u) {
  std::vector<std::string> argv{find_on_path(usernet::kPasta), "--config-net", "--quiet", "--ns-ifname", u.ifname};
  std::string tcp, udp;
  for (const auto& m : u.ports) {
    std::string& list = m.protocol == "udp" ? udp : tcp;
    if (!list.empty()) list += ",";
    list += str(m.host_ip.empty() ? "" : m.host_ip + "/", m.host_port, ":", m.container_port);
  }
  // Only the published ports in, and none of the host's loopback ports
  // inside: pasta's default (-T auto) would make the host's 127.0.0.1
  // services the container's own.
  argv.insert(argv.end(),
              {"-t", tcp.empty() ? "none" : tcp, "-u", udp.empty() ? "none" : udp, "-T", "none", "-U", "none"});
  if (!u.host_loopback) argv.emplace_back("--no-map-gw");
  std::string pid_file = str(u.dir, "/", u.id, ".pasta.pid");
  ::unlink(pid_file.c_str());
  argv.insert(argv.end(), {"--pid", pid_file, std::to_string(u.target)});
  UniqueFd err(::memfd_create("pasta-stderr", MFD_CLOEXEC));
  if (!err) throw_errno("cannot create a memfd");
  log::step("starting ", join(argv, " "));
  int rc = run_and_wait(argv, {.in = kDevNull, .out = kDevNull, .err = err.get()});
  auto text = try_read_file(pid_file);
  ::unlink(pid_file.c_str());
  pid_t pid = text ? static_cast<pid_t>(std::strtol(text->c_str(), nullptr, 10)) : 0;
  if (rc != 0) {
    if (pid > 0) stop(pid, process_start_time(pid).value_or(0));
    std::string msg = last_line(err.get());
    throw Error(str("pasta failed: ", msg.empty() ? str("exit status ", rc) : msg));
  }
  if (pid <= 0) throw Error(str("pasta wrote no pid in ", pid_file));
  json h = helper_record(usernet::kPasta, pid);
  h["ips"] = json::array();  // the host's own, as pasta copies them
  return h;
}

// One request on slirp4netns's API socket; returns its error text or "".
std::string slirp_request(int dirfd, const std::string& name, const json& req) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("cannot create a socket");
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  // Through the directory's fd: the socket's full path may be too long for
  // sun_path.
  std::string path = str("/proc/self/fd/", dirfd, "/", name);
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw_errno("cannot connect to slirp4netns's API socket");
  std::string text = req.dump();
  if (::write(s.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw_errno("cannot write to slirp4netns's API socket");
  ::shutdown(s.get(), SHUT_WR);
  std::string reply;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(s.get(), buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
  json r = json::parse(reply, nullptr, false);
  if (r.is_discarded()) return str("no answer (", reply, ")");
  if (r.contains("error")) return r["error"].value("desc", r["error"].dump());
  return "";
}

// slirp4netns: stays in the foreground, so it is started in a session of
// its own and says on --ready-fd when the namespace is configured; ports go
// through its API socket, which is removed once they are set.
json slirp_up(const UserModeUp& u) {
  std::string sock = u.id + ".slirp4netns.sock";
  UniqueFd dirfd(::open(u.dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dirfd) throw_errno(str("cannot open ", u.dir));
  ::unlinkat(dirfd.get(), sock.c_str(), 0);
  std::vector<std::string> argv{find_on_path(usernet::kSlirp),
                                "--configure",
                                "--mtu=65520",
                                "--ready-fd=3",
                                "--api-socket",
                                sock,
                                "--enable-seccomp"};
  if (!u.host_loopback) argv.emplace_back("--disable-host-loopback");
  argv.insert(argv.end(), {str("--userns-path=/proc/", u.target, "/ns/user"), "--netns-type=path",
                           str("/proc/", u.target, "/ns/net"), u.ifname});
  UniqueFd err(::memfd_create("slirp4netns-output", MFD_CLOEXEC));
  if (!err) throw_errno("cannot create a memfd");
  Pipe ready = make_pipe();
  log::step("starting ", join(argv, " "));
  pid_t pid = spawn(argv, {.in = kDevNull,
                           .out = err.get(),
                           .err = err.get(),
                           .fds = {{ready.write.get(), 3}},
                           .new_session = true,
                           .cwd = u.dir});
  ready.write.reset();
  UniqueFd pfd = pidfd_of(pid);
  try {
    if (!pfd) throw_errno("cannot open a pidfd for slirp4netns");
    pollfd p[2] = {{ready.read.get(), POLLIN, 0}, {pfd.get(), POLLIN, 0}};
    int r;
    do r = ::poll(p, 2, 10000);
    while (r < 0 && errno == EINTR);
    char b = 0;
    bool ok = r > 0 && (p[0].revents & POLLIN) && ::read(ready.read.get(), &b, 1) == 1;
    if (!ok) {
      std::string msg = last_line(err.get());
      throw Error(str("slirp4netns failed: ", r == 0 ? "not ready after 10 s" : msg.empty() ? "it exited" : msg));
    }
    for (const auto& m : u.ports) {
      json req = {{"execute", "add_hostfwd"},
                  {"arguments",
                   {{"proto", m.protocol},
                    {"host_addr", m.host_ip.empty() ? "0.0.0.0" : m.host_ip},
                    {"host_port", m.host_port},
                    {"guest_port", m.container_port}}}};
      std::string e = slirp_request(dirfd.get(), sock, req);
      if (!e.empty()) throw Error(str("slirp4netns cannot publish ", port_text(m), ": ", e));
    }
    ::unlinkat(dirfd.get(), sock.c_str(), 0);
  } catch (...) {
    ::unlinkat(dirfd.get(), sock.c_str(), 0);
    ::kill(pid, SIGKILL);
    wait_child(pid);
    throw;
  }
  json h = helper_record(usernet::kSlirp, pid);
  h["ips"] = json::array({"10.0.2.100/24"});  // slirp4netns's fixed address
  return h;
}

}  // namespace

json usermode_up(const UserModeUp& u) { return u.tool == usernet::kPasta ? pasta_up(u) : slirp_up(u); }

void usermode_down(const json& helper) {
  pid_t pid = helper.value("pid", 0);
  uint64_t start = helper.value("start", uint64_t{0});
  if (pid > 0) stop(pid, start);
  log::step("stopped ", helper.value("program", "the helper"), ", pid ", pid);
}

}  // namespace rt::net
