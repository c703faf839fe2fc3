// A host binary of rt that runs inside a container must not be reachable
// for writing from there (the CVE-2019-5736 class: a container process
// opens /proc/PID/exe of an rt process in its pid namespace, or makes rt
// exec a `#!/proc/self/exe` script to run rt's file again under its own
// credentials, and writes the file once nothing executes it). See
// "Host binaries" in rt(7).
#pragma once
#include <string_view>

#include "fd.hpp"

namespace rt {

// An fd to execveat(AT_EMPTY_PATH) the regular file FD refers to, through
// which the file cannot be written: the file on a detached, read-only clone
// of its mount (open_tree OPEN_TREE_CLONE + mount_setattr MOUNT_ATTR_RDONLY;
// needs CAP_SYS_ADMIN over the current mount namespace and Linux 5.12), or
// else a sealed memfd copy of it (F_SEAL_WRITE and the rest, as runc and
// crun do). `name` names the file in errors. Throws rt::Error when neither
// can be made.
UniqueFd read_only_exe(int fd, std::string_view name);

}  // namespace rt
