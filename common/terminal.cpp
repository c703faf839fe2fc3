#include "terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

#include "error.hpp"

namespace rt {

UniqueFd open_pty(std::string& slave) {
  UniqueFd m(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!m || ::grantpt(m.get()) != 0 || ::unlockpt(m.get()) != 0) throw_errno("cannot allocate a pseudo-terminal");
  char name[128];
  if (::ptsname_r(m.get(), name, sizeof name) != 0) throw_errno("cannot name the pseudo-terminal");
  slave = name;
  return m;
}

void attach_to_pty(const std::string& slave) {
  if (::setsid() < 0) die_errno("cannot start a session for the terminal");
  int t = ::open(slave.c_str(), O_RDWR);
  if (t < 0) die_errno(str("cannot open ", slave));
  if (::ioctl(t, TIOCSCTTY, 0) != 0) die_errno("cannot set the controlling terminal");
  for (int i = 0; i < 3; ++i)
    if (::dup2(t, i) < 0) die_errno("cannot attach the terminal");
  if (t > 2) ::close(t);
}

RawTerminal::RawTerminal(int fd) {
  if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
  termios raw = saved_;
  ::cfmakeraw(&raw);
  if (::tcsetattr(fd, TCSADRAIN, &raw) == 0) fd_ = fd;
}

RawTerminal::~RawTerminal() {
  if (fd_ >= 0) ::tcsetattr(fd_, TCSADRAIN, &saved_);
}

void copy_winsize(int from, int to) {
  winsize ws{};
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

bool write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        pollfd pf{fd, POLLOUT, 0};
        ::poll(&pf, 1, 1000);
        continue;
      }
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace rt
