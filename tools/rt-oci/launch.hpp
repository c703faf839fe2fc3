// Starting a chain of rt tools from rt-oci: the fds it is handed at fixed
// numbers, the console socket, and the pid the chain hands over.
#pragma once
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "fd.hpp"

namespace rt::oci {

// The console socket, connected: rt-exec sends the pty master on it.
UniqueFd connect_console(const std::string& socket_path);

// Start a chain with the environment on fd BASE, the ready pipe's write
// end on BASE+1 and (for create) the start FIFO on BASE+2, the seccomp
// profile on BASE+3, the pid pipe on BASE+4 and, with AT_PAUSE, rt-mount's
// ready and go pipes on BASE+5 and BASE+6, with a terminal the connected
// console socket on BASE+7 (rt-exec sends the pty master). With AT_PAUSE, runs it while
// rt-mount waits before pivot_root. Returns the chain's pid once rt-exec is
// ready; throws when the chain failed before.
struct Launch {
  std::vector<std::string> argv;
  std::string env_block;
  bool terminal = false;
  std::string console_socket;
  int base = 3;
  UniqueFd sync;                   // may be empty
  std::string seccomp_file;        // opened on BASE+3 when set (rt-exec reads it after pivot_root)
  UniqueFd pid;                    // may be empty: placed on BASE+4 (rt-unshare --pid-fd)
  std::function<void()> at_pause;  // rt-mount --ready-fd BASE+5 --sync-fd BASE+6 when set
  UniqueFd in;                     // the chain's stdin when set (else ours)
};
constexpr int kLaunchFds = 8;  // BASE to BASE+7

pid_t launch(Launch& l);

// The pid rt-unshare writes as one line on --pid-fd, read to end of file.
pid_t read_pid(int fd);

// runc's pid-file format (no newline: the shims parse it with Atoi);
// replaced atomically by a rename, never written through a symlink.
void write_user_pid_file(const Args& a, pid_t pid);

}  // namespace rt::oci
