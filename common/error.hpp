// Errors: one line on stderr, "rt-TOOL: what failed: on what: why", and the
// exit-code convention every tool keeps.
#pragma once
#include <cerrno>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

namespace rt {

// Exit codes (the docker/podman/env convention).
inline constexpr int kExitToolFailure = 125;  // the tool itself failed
inline constexpr int kExitCannotExec = 126;   // program found but not executable
inline constexpr int kExitNotFound = 127;     // program not found
inline constexpr int kExitSignalBase = 128;   // payload killed by signal N -> 128+N

// Concatenate anything streamable into one string.
template <typename... Args> std::string str(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

// The tool's name as it prefixes every message ("rt-mount").
const char* tool_name();

// Print "rt-TOOL: MSG" on stderr.
void print_error(std::string_view msg);
// Print "rt-TOOL: warning: MSG" on stderr.
void warn(std::string_view msg);

// Print "rt-TOOL: MSG" and exit with `code` (125 unless told otherwise).
[[noreturn]] void die(std::string_view msg, int code = kExitToolFailure);
// Print "rt-TOOL: WHAT: strerror(err)" and exit 125.
[[noreturn]] void die_sys(int err, std::string_view what, int code = kExitToolFailure);
// Same, with errno.
[[noreturn]] inline void die_errno(std::string_view what) { die_sys(errno, what); }

// std::error_code from errno, for functions that report instead of dying.
inline std::error_code errno_code(int err = errno) { return {err, std::generic_category()}; }

// An error that carries a message, an errno value (0 when not a system
// error) and the exit status it ends the tool with (125 unless told
// otherwise). Thrown inside a tool and caught at one place per process (see
// HACKING.md, "Errors"): never leaves a tool as an uncaught exception.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg, int err = 0, int status = kExitToolFailure)
      : std::runtime_error(err ? msg + ": " + std::generic_category().message(err) : msg),
        errno_(err),
        status_(status) {}
  int err() const { return errno_; }
  int status() const { return status_; }

 private:
  int errno_;
  int status_;
};

// Throw Error("WHAT: strerror(errno)").
[[noreturn]] inline void throw_errno(const std::string& what, int err = errno) { throw Error(what, err); }

// Run `body`, turning any escaping exception into a one-line message and its
// status (125 for anything but an rt::Error that says otherwise). Every
// tool's main() goes through this.
int guarded_main(int (*body)(int, char**), int argc, char** argv);

}  // namespace rt
