// Network interfaces of the calling process's network namespace.
#pragma once

namespace rt {

// Bring the loopback interface up (SIOCSIFFLAGS). In a new network
// namespace lo starts down and without addresses; once up, the kernel gives
// it 127.0.0.1/8 and ::1. Throws rt::Error naming the step that failed.
void loopback_up();

}  // namespace rt
