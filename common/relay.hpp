// Relaying a command's terminal or pipes: what rt-run does for its
// container and rt-repl exec for its command. The caller's terminal never
// reaches the command: it gets a pty of its own (-t) or, where the caller's
// stdio is a terminal, a pipe in its place, and this side copies the bytes.
// The caller runs the poll loop (it also waits for signals and for the
// command to end); the relay says what to poll and handles what is ready.
#pragma once
#include <poll.h>
#include <unistd.h>

#include <functional>
#include <vector>

#include "fd.hpp"

namespace rt {

class Relay {
 public:
  // Pipes in place of the caller's stdio where it is a terminal (stdin
  // only with `input`; without it the command reads /dev/null). The
  // returned fds are the command's 0, 1, 2 (empty: keep the caller's, not
  // a terminal), to dup2 in the child and close here once it has them.
  struct ChildStdio {
    UniqueFd in, out, err;
  };
  ChildStdio pipes_for_terminals(bool input);

  // A pty master: its output goes to `out_to`, and with `input` the
  // caller's stdin goes to it.
  void set_pty(int master, bool input);
  // Output goes to `to` instead of the caller's stdout/stderr: stream 0 is
  // stdout (or the pty), 1 stderr (a detached container's log).
  void set_sink(std::function<void(int stream, const char* data, size_t len)> to) { sink_ = std::move(to); }
  // Pipes made elsewhere: the read ends of the command's stdout and stderr.
  void set_output_pipes(int out, int err) { out_ = out, err_ = err; }

  // Append what to poll now.
  void add_to_poll(std::vector<pollfd>& p) const;
  // Copy what `fd` (one that add_to_poll gave, with events) has.
  void handle(int fd);
  // Output still to come (pty or pipes open).
  bool output_open() const { return pty_ >= 0 || out_ >= 0 || err_ >= 0; }
  int pty() const { return pty_; }

 private:
  void deliver(int stream, const char* data, size_t len);
  int pty_ = -1;
  int out_ = -1, err_ = -1;  // read ends of the command's pipes
  UniqueFd out_pipe_, err_pipe_;
  int in_from_ = -1;  // the caller's stdin, while open
  UniqueFd in_pipe_;  // the command's stdin (without a pty)
  std::function<void(int, const char*, size_t)> sink_;
};

}  // namespace rt
