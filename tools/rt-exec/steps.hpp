// The steps of rt-exec, each worked out first (no side effect, so bad input
// changes nothing) and then applied in the order main() gives.
#pragma once
#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "caps.hpp"
#include "passwd.hpp"

namespace rt::exec {

// ---- environment
struct EnvSpec {
  bool clear = false;
  std::vector<std::string> files;  // --env-file, in order
  std::vector<std::string> vars;   // --env, in order (applied after the files)
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
// The current environment (unless clear), then each --env-file, then each
// --env. Throws rt::Error on bad lines or unreadable files.
Environment build_env(const EnvSpec& spec);
inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// ---- resource limits
struct Rlimit {
  int resource;
  std::string name;
  rlimit value;
};
// "nofile=1024:4096", "core=0", "stack=unlimited". Throws rt::Error.
Rlimit parse_rlimit(const std::string& spec);
void apply_rlimit(const Rlimit& r);

// ---- user, groups, capabilities
struct Privileges {
  std::optional<Identity> user;              // --user
  std::optional<std::vector<gid_t>> groups;  // --groups (replaces the user's)
  bool set_caps = false;                     // any of --caps, --cap-add, --cap-drop
  caps::Set current = 0;                     // this process's bounding set
  caps::Set bounding = 0;                    // the container's set
  caps::Set ambient = 0;                     // raised for a non-root user
};
// The capabilities the program can end up holding, which decide the
// capability-gated rules of the seccomp profiles: for root, the bounding
// set; for another user with no_new_privs, only what it keeps (its
// ambient set); without no_new_privs a set-user-ID program could regain
// anything in the bounding set.
caps::Set holdable_caps(const Privileges& p, bool no_new_privs);
// Work out the capability sets from the options. Named capabilities that
// this process cannot grant are an error; ALL and docker are cut down to
// what it has.
void plan_caps(Privileges& p, const std::optional<std::string>& base, const std::vector<std::string>& add,
               const std::vector<std::string>& drop);
// Bounding set, then groups and ids (keeping capabilities across the
// switch), then permitted/effective/inheritable, then ambient.
void apply_privileges(const Privileges& p);

// ---- file descriptors
// Mark every fd from 3+keep up CLOEXEC.
void cloexec_from(unsigned first);

}  // namespace rt::exec
