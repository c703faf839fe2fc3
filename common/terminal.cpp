#include "terminal.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "fd_pass.hpp"
#include "fs.hpp"

namespace rt {

UniqueFd open_pty(std::string& slave) {
  UniqueFd m(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!m || ::grantpt(m.get()) != 0 || ::unlockpt(m.get()) != 0) throw_errno("cannot allocate a pseudo-terminal");
  char name[128];
  if (::ptsname_r(m.get(), name, sizeof name) != 0) throw_errno("cannot name the pseudo-terminal");
  slave = name;
  return m;
}

DevptsPty open_devpts_pty(int root_fd) {
  DevptsPty p;
  std::error_code ec;
  UniqueFd path = open_in_root(root_fd, "/dev/ptmx", O_PATH, ec);
  struct stat st {};
  struct statfs fs {};
  if (!path || ::fstat(path.get(), &st) != 0 || ::fstatfs(path.get(), &fs) != 0) return p;
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2) || fs.f_type != DEVPTS_SUPER_MAGIC) return p;
  UniqueFd m(::open(fd_path(path.get()).c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!m) throw_errno("cannot open the devpts ptmx");
  int unlock = 0;
  if (::ioctl(m.get(), TIOCSPTLCK, &unlock) != 0) throw_errno("cannot unlock the pseudo-terminal");
  int s = ::ioctl(m.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0) throw_errno("cannot open the pseudo-terminal's other end");
  p.master = std::move(m);
  p.slave = UniqueFd(s);
  return p;
}

void send_fd(int sock, int fd, const std::string& text) {
  if (int e = send_fd_raw(sock, fd, text.data(), text.size()))
    throw_errno("cannot send the terminal on the console socket", e);
}

const char* try_attach_to_pty(const char* slave) noexcept {
  if (::setsid() < 0) return "cannot start a session for the terminal";
  int t = ::open(slave, O_RDWR);
  if (t < 0) return kCannotOpenPty;
  if (::ioctl(t, TIOCSCTTY, 0) != 0) return "cannot set the controlling terminal";
  for (int i = 0; i < 3; ++i)
    if (::dup2(t, i) < 0) return "cannot attach the terminal";
  if (t > 2) ::close(t);  // else it is one of the three now
  return nullptr;
}

void attach_to_pty(const std::string& slave) {
  if (const char* what = try_attach_to_pty(slave.c_str()))
    throw_errno(what == kCannotOpenPty ? str(what, slave) : std::string(what));
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
