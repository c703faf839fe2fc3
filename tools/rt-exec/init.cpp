#include "init.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "caps.hpp"
#include "chain.hpp"
#include "log.hpp"
#include "process.hpp"

namespace rt::exec {

void run_init(char* const* argv, char* const* envp, const char* path, const std::function<void()>& ready) {
  // Not PID 1 (a hand-written chain without a new pid namespace): orphans
  // of the program still come to us.
  if (::getpid() != 1 && ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    die_errno("cannot become a child subreaper for --init");
  // All of this before the fork: the program, once running, may look at
  // its init at once.
  // What an exec would leave this process: a user other than root keeps
  // only its ambient set (root keeps the bounding set it already holds).
  if (::geteuid() != 0) {
    caps::Set a = caps::ambient();
    caps::set({a, a, caps::get().inheritable});
  }
  // Nothing in the container may read or trace it (the program
  // becomes dumpable again by its exec).
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) die_errno("cannot make the init non-dumpable");
  // A SIGCHLD ignored by whoever started us would have the kernel reap
  // the program behind our back, and the init wait forever.
  ::signal(SIGCHLD, SIG_DFL);
  SignalForwarder sigs;  // blocked before fork: none is lost in between
  ready();
  pid_t child = ::fork();
  if (child < 0) die_errno("cannot fork the program under --init");
  if (child == 0) {
    run_child([&]() -> int {
      sigs.restore();
      log::step("exec ", argv[0], " under --init");
      exec_program_env(argv, envp, path);
    });
  }
  // The init needs no fd of the program's beyond stdio (a --preserve-fds
  // fd, a profile opened on the host): the program has its own copies.
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) != 0) log::warn("--init: cannot close fds from 3 up");
  // Every orphan that comes to us is reaped; what other processes send
  // (kill, rt-unshare forwarding) goes to the program, what a terminal
  // generates reached the program's process group already.
  int status = sigs.wait(child, {.reap_others = true});
  std::_Exit(exit_code_from_wait(status));
}

}  // namespace rt::exec
