#include "process.hpp"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "error.hpp"
#include "fs.hpp"

namespace rt {

SignalForwarder::SignalForwarder() {
  sigemptyset(&set_);
  for (int s : kForwardedSignals) sigaddset(&set_, s);
  sigaddset(&set_, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set_, &old_) != 0) die_errno("cannot block signals");
}

void SignalForwarder::restore() const { sigprocmask(SIG_SETMASK, &old_, nullptr); }

int SignalForwarder::wait(pid_t child, bool forward_tty) const {
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(child, &st, WNOHANG);
    if (r == child) return st;
    if (r < 0 && errno != EINTR) die_errno("cannot wait for the child");
    siginfo_t si{};
    int sig = ::sigwaitinfo(&set_, &si);
    if (sig < 0) continue;
    if (sig == SIGCHLD) continue;
    // si_code > 0 means the kernel sent it (a terminal's ^C, ^\, resize):
    // the child is in our foreground process group and got it too.
    if (si.si_code > 0 && !forward_tty) continue;
    ::kill(child, sig);
  }
}

void die_with_parent(int alive_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // The parent may have died before prctl: then the pipe's write end is
  // closed and poll reports POLLHUP.
  pollfd p{alive_fd, POLLIN, 0};
  if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLIN))) std::_Exit(kExitToolFailure);
}

void wait_for_parent(int go_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  char c;
  ssize_t n;
  do n = ::read(go_fd, &c, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) std::_Exit(kExitToolFailure);  // the parent is gone
}

std::optional<uint64_t> process_start_time(pid_t pid) {
  auto stat = try_read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return std::nullopt;
  // The command name (field 2) may hold spaces and parentheses: skip to the
  // last ')'.
  auto rp = stat->rfind(')');
  if (rp == std::string::npos) return std::nullopt;
  const char* p = stat->c_str() + rp + 2;           // field 3: the state
  if (*p == 'Z' || *p == 'X') return std::nullopt;  // a zombie is not alive
  for (int field = 3; field < 22 && *p; ++field) {
    while (*p && *p != ' ') ++p;
    while (*p == ' ') ++p;
  }
  char* end = nullptr;
  unsigned long long v = std::strtoull(p, &end, 10);
  if (end == p) return std::nullopt;
  return v;
}

long own_thread_count() {
  auto stat = try_read_file("/proc/self/stat");
  if (!stat) return 0;
  auto rp = stat->rfind(')');
  if (rp == std::string::npos) return 0;
  const char* p = stat->c_str() + rp + 2;  // field 3
  for (int field = 3; field < 20 && *p; ++field) {
    while (*p && *p != ' ') ++p;
    while (*p == ' ') ++p;
  }
  return std::strtol(p, nullptr, 10);
}

bool process_matches(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto st = process_start_time(pid);
  return st && *st == start_time;
}

}  // namespace rt
