// The steps of rt-exec, each worked out first (no side effect, so bad input
// changes nothing) and then applied in the order main() gives.
#pragma once
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "caps.hpp"
#include "fd.hpp"
#include "passwd.hpp"
#include "rlimit.hpp"

namespace rt::exec {

// ---- environment
struct EnvSpec {
  bool clear = false;
  std::vector<std::string> files;  // --env-file, in order
  std::vector<int> fds;            // --env-fd, in order (after the files)
  std::vector<std::string> vars;   // --env, in order (applied last)
};
// The payload's environment, "K=V" each.
class Environment {
 public:
  // `given`: set by --env or --env-file (not inherited).
  void set(const std::string& key, const std::string& value, bool given = false);
  const char* get(const std::string& key) const;  // the value, or null
  bool given(const std::string& key) const;
  std::vector<char*> envp();  // pointers into this object, null-terminated

 private:
  struct Var {
    std::string kv;
    bool given;
  };
  Var* find(const std::string& key);
  const Var* find(const std::string& key) const;
  std::vector<Var> vars_;
};
// The current environment (unless clear), then each --env-file, each
// --env-fd (read to its end, then closed), each --env. Throws rt::Error on
// bad lines or unreadable files.
Environment build_env(const EnvSpec& spec);

// ---- resource limits
// Rlimit and parse_rlimit: common/rlimit.hpp (rt-oci checks the config's).
void apply_rlimit(const Rlimit& r);

// ---- user, groups, capabilities
struct Privileges {
  std::optional<Identity> user;              // --user
  std::optional<std::vector<gid_t>> groups;  // --groups (replaces the user's)
  bool set_caps = false;                     // any of --caps, --cap-add, --cap-drop
  caps::Set current = 0;                     // this process's bounding set (with set_caps: or a superset)
  caps::Set bounding = 0;                    // the container's set
  caps::Set ambient = 0;                     // raised for a non-root user
  caps::Set inheritable = 0;                 // kept across execve (empty unless asked)
};
// The capabilities the program can end up holding, which decide the
// capability-gated rules of the seccomp profiles: for root, the bounding
// set; for another user with no_new_privs, only what it keeps (its
// ambient set); without no_new_privs a set-user-ID program could regain
// anything in the bounding set.
caps::Set holdable_caps(const Privileges& p, bool no_new_privs);
// --cap-inheritable and --cap-ambient (OCI's inheritable and ambient sets,
// for rt-oci): replace the inheritable and ambient sets, each within the
// bounding set (ambient also raises inheritable, as the kernel requires).
// Throws rt::Error.
void set_extra_caps(Privileges& p, const std::optional<std::string>& inheritable,
                    const std::optional<std::string>& ambient);
// Work out the capability sets from the options. Named capabilities that
// this process cannot grant are an error; ALL and docker are cut down to
// what it has.
void plan_caps(Privileges& p, const std::optional<std::string>& base, const std::vector<std::string>& add,
               const std::vector<std::string>& drop);
// Bounding set, then groups and ids (keeping capabilities across the
// switch), then permitted/effective/inheritable, then ambient.
void apply_privileges(const Privileges& p);

// ---- working directory
// Change to DIR, resolved inside the current root (an absolute DIR) or from
// the current directory, without following magic links (/proc/self/fd/N,
// /proc/PID/cwd), then check the result is below the root. Throws rt::Error.
void change_dir(const std::string& dir);

// ---- terminal
// A pty of the root's devpts (rt::open_devpts_pty on /): the window size set,
// bound on /dev/console when asked, the master sent over SOCKET, the other
// end made stdin, stdout and stderr. Throws rt::Error.
void attach_console(UniqueFd socket, const std::optional<winsize>& size, bool bind_console);

// ---- file descriptors
// Mark every fd from 3+keep up CLOEXEC.
void cloexec_from(unsigned first);

}  // namespace rt::exec
