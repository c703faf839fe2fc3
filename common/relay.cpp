#include "relay.hpp"

#include <fcntl.h>

#include <cerrno>

#include "error.hpp"
#include "terminal.hpp"

namespace rt {

Relay::ChildStdio Relay::pipes_for_terminals(bool input) {
  ChildStdio c;
  if (!input) {
    c.in = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!c.in) throw_errno("cannot open /dev/null");
  } else if (::isatty(STDIN_FILENO)) {
    // No job control stops a reader without a controlling terminal: a
    // command holding the terminal could read what is typed at any time,
    // and change the terminal's modes.
    Pipe p = make_pipe();
    c.in = std::move(p.read);
    in_pipe_ = std::move(p.write);
    in_from_ = STDIN_FILENO;
  }
  if (::isatty(STDOUT_FILENO)) {
    Pipe p = make_pipe();
    c.out = std::move(p.write);
    out_pipe_ = std::move(p.read);
    out_ = out_pipe_.get();
  }
  if (::isatty(STDERR_FILENO)) {
    Pipe p = make_pipe();
    c.err = std::move(p.write);
    err_pipe_ = std::move(p.read);
    err_ = err_pipe_.get();
  }
  return c;
}

void Relay::set_pty(int master, bool input) {
  pty_ = master;
  in_from_ = input ? STDIN_FILENO : -1;
}

void Relay::add_to_poll(std::vector<pollfd>& p) const {
  for (int fd : {pty_, out_, err_})
    if (fd >= 0) p.push_back({fd, POLLIN, 0});
  if (in_from_ >= 0 && (pty_ >= 0 || in_pipe_)) p.push_back({in_from_, POLLIN, 0});
}

void Relay::deliver(int stream, const char* data, size_t len) {
  if (sink_) sink_(stream, data, len);
  else write_all(stream ? STDERR_FILENO : STDOUT_FILENO, data, len);
}

void Relay::handle(int fd) {
  char buf[16384];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (fd == in_from_) {
    int to = pty_ >= 0 ? pty_ : in_pipe_.get();
    if (n <= 0 || !write_all(to, buf, static_cast<size_t>(n))) {
      // EOF on stdin (or nobody reads any more): stop relaying. A pipe:
      // the command reads EOF; a pty stays, as docker's.
      in_from_ = -1;
      in_pipe_.reset();
    }
    return;
  }
  if (n <= 0) {  // EOF, or EIO on a pty whose slave is closed everywhere
    if (fd == pty_) pty_ = -1;
    if (fd == out_) out_ = -1;
    if (fd == err_) err_ = -1;
    return;
  }
  deliver(fd == err_ ? 1 : 0, buf, static_cast<size_t>(n));
}

}  // namespace rt
