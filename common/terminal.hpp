// Terminals: a pseudo-terminal for a container, the host terminal in raw
// mode while it is attached, window sizes, and copying bytes.
#pragma once
#include <termios.h>

#include <string>

#include "fd.hpp"

namespace rt {

// A new pty master (CLOEXEC); `slave` gets the path of its other end.
UniqueFd open_pty(std::string& slave);

// A pty of the devpts whose ptmx is ROOT_FD's /dev/ptmx (an fd of a root
// directory): the path is resolved inside that root with no magic link and
// must be a devpts ptmx (5:2 on a devpts) before it is opened, through
// that fd; the slave comes from TIOCGPTPEER, with no path at all. So a
// container that owns its /dev cannot plant something else there. Both
// ends empty when there is no such ptmx; throws rt::Error when one cannot
// be set up.
struct DevptsPty {
  UniqueFd master, slave;
};
DevptsPty open_devpts_pty(int root_fd);

// Send FD over the connected unix socket SOCK with SCM_RIGHTS (runc's
// --console-socket protocol: the message text names it): fd_pass.hpp's
// send_fd_raw, for callers that throw. Throws rt::Error.
void send_fd(int sock, int fd, const std::string& text);

// In a forked child (inside rt::run_child): start a session and make
// `slave` its controlling terminal and stdin/stdout/stderr. Throws
// rt::Error.
void attach_to_pty(const std::string& slave);
// The same for a vfork_child body (no exceptions, no allocation): nullptr,
// or what failed with errno set ("cannot open " wants the slave's path
// after it).
const char* try_attach_to_pty(const char* slave) noexcept;
inline constexpr const char* kCannotOpenPty = "cannot open ";

// The terminal on `fd` in raw mode for the lifetime of this object (no-op
// when fd is not a terminal); restored on destruction.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_ = -1;
  termios saved_{};
};

// Copy the window size of terminal `from` to `to` (a pty master).
void copy_winsize(int from, int to);

// write(2) all of it, waiting on EAGAIN; false on error.
bool write_all(int fd, const char* p, size_t n);

}  // namespace rt
