// rt-exec --init: a minimal init in front of the program, as docker run
// --init's tini. It is started after every limit of the program is in
// place (bounding set, ids, capabilities, no_new_privs, seccomp, working
// directory), so the init carries exactly the container's limits.
#pragma once
#include <functional>

namespace rt::exec {

// Fork: the child execs argv (PATH lookup with `path`, environment envp);
// this process stays as its init: reaps every zombie that comes to it (as
// PID 1 of a pid namespace, or as a child subreaper), forwards the signals
// other processes send it to the program, and exits with the program's
// status (128+N for signal N). Never returns. `ready` runs once the signals
// it forwards are held for it (blocked, so not even a signal sent to a PID
// 1 without a handler is lost), before the fork: a caller told "ready"
// there can signal the container at once.
[[noreturn]] void run_init(char* const* argv, char* const* envp, const char* path, const std::function<void()>& ready);

}  // namespace rt::exec
