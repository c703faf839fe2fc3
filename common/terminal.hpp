// Terminals: a pseudo-terminal for a container, the host terminal in raw
// mode while it is attached, window sizes, and copying bytes.
#pragma once
#include <termios.h>

#include <string>

#include "fd.hpp"

namespace rt {

// A new pty master (CLOEXEC); `slave` gets the path of its other end.
UniqueFd open_pty(std::string& slave);

// In a forked child: start a session and make `slave` its controlling
// terminal and stdin/stdout/stderr. Dies with a message on failure.
void attach_to_pty(const std::string& slave);

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
