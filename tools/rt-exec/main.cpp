// rt-exec: the last link of the chain. Set the payload's identity,
// privileges, limits, environment and working directory, then exec it.
//
//   rt-exec [--user U[:G]] [--groups LIST] [--caps SET] [--cap-drop LIST]
//           [--cap-add LIST] [--no-new-privs] [--seccomp FILE|default|unconfined]
//           [--rlimit NAME=SOFT[:HARD]]... [--env K=V]... [--env-file FILE]...
//           [--clear-env] [--workdir DIR] [--preserve-fds N] [--] PROGRAM [ARGS...]
//
// Everything is parsed and checked first (users, groups, capability names,
// limits, env files, the seccomp profile), so bad input changes nothing.
// Then, in this order: rlimits, no_new_privs, seccomp when no_new_privs is
// off (it needs CAP_SYS_ADMIN), bounding set, groups and ids, capabilities,
// working directory, close-on-exec for the fds, seccomp when no_new_privs
// is on (as late as possible), exec.
#include <sys/prctl.h>
#include <unistd.h>

#include <climits>

#include "chain.hpp"
#include "error.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "passwd.hpp"
#include "seccomp.hpp"
#include "steps.hpp"

namespace {
using namespace rt;
using strings = std::vector<std::string>;

seccomp::Filter make_filter(const std::string& spec, caps::Set bounding) {
  if (spec.empty() || spec == "unconfined") return {};
  if (spec == "default") return seccomp::default_profile(bounding);
  return seccomp::from_file(spec, bounding);
}

int run(int argc, char** argv) {
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("user", po::value<std::string>()->value_name("USER[:GROUP]"), "run as USER (name or uid) and GROUP (name or gid), resolved in the current root's /etc/passwd and /etc/group")
      ("groups", po::value<std::string>()->value_name("LIST"), "supplementary groups, names or gids separated by commas ('' for none); default with --user: the user's groups in /etc/group")
      ("caps", po::value<std::string>()->value_name("SET"), "base capability set: a list of names, ALL, docker or none (default: the current bounding set)")
      ("cap-drop", po::value<strings>()->composing()->value_name("LIST"), "drop capabilities from the base set (names or ALL); repeatable")
      ("cap-add", po::value<strings>()->composing()->value_name("LIST"), "add capabilities after the drops (names or ALL); repeatable")
      ("no-new-privs", po::bool_switch(), "set no_new_privs: execve can never grant privileges again")
      ("seccomp", po::value<std::string>()->value_name("PROFILE"), "seccomp filter: a docker/OCI JSON profile FILE, default (rt's built-in profile) or unconfined")
      ("rlimit", po::value<strings>()->composing()->value_name("NAME=SOFT[:HARD]"), "set a resource limit (nofile, nproc, core, ...; unlimited); repeatable")
      ("env", po::value<strings>()->composing()->value_name("K=V"), "set K to V (K alone: copy K from this environment); repeatable")
      ("env-file", po::value<strings>()->composing()->value_name("FILE"), "read K=V lines from FILE (docker's --env-file format); repeatable")
      ("clear-env", po::bool_switch(), "start from an empty environment instead of this one")
      ("workdir", po::value<std::string>()->value_name("DIR"), "change to DIR (it must exist)")
      ("preserve-fds", po::value<std::string>()->value_name("N"), "keep fds 3 to 2+N open in the program (default 0: only stdin, stdout, stderr)");
  // clang-format on
  po::variables_map vm;
  int prog = parse_chain(argc, argv, desc, vm,
                         {"rt-exec [OPTIONS] [--] PROGRAM [ARGS...]",
                          "Set the program's user, capabilities, seccomp filter, limits, environment and working "
                          "directory, then exec it."});

  // 1. Work everything out before changing anything.
  exec::Privileges privs;
  if (vm.count("user")) privs.user = resolve_user(opt<std::string>(vm, "user"));
  if (vm.count("groups")) privs.groups = resolve_groups(opt<std::string>(vm, "groups"));
  exec::plan_caps(privs, vm.count("caps") ? std::optional(opt<std::string>(vm, "caps")) : std::nullopt,
                  opts<std::string>(vm, "cap-add"), opts<std::string>(vm, "cap-drop"));

  std::vector<exec::Rlimit> limits;
  for (const auto& r : opts<std::string>(vm, "rlimit")) limits.push_back(exec::parse_rlimit(r));

  exec::Environment env =
      exec::build_env({flag(vm, "clear-env"), opts<std::string>(vm, "env-file"), opts<std::string>(vm, "env")});
  // HOME: the target user's, unless --env/--env-file gave one (or, without
  // --user, this environment has one).
  if (privs.user ? !env.given("HOME") : !env.get("HOME"))
    env.set("HOME", privs.user ? privs.user->home : home_of(::geteuid()));
  if (!env.get("PATH")) env.set("PATH", exec::kDefaultPath);

  unsigned keep_fds =
      static_cast<unsigned>(parse_uint(opt<std::string>(vm, "preserve-fds", "0"), "--preserve-fds", INT_MAX - 3));
  std::string workdir = opt<std::string>(vm, "workdir");
  if (vm.count("workdir") && workdir.empty()) die("invalid --workdir '': expected a directory");

  bool nnp = flag(vm, "no-new-privs");
  if (vm.count("seccomp") && opt<std::string>(vm, "seccomp").empty())
    die("invalid --seccomp '': expected a profile FILE, default or unconfined");
  seccomp::Filter filter = make_filter(opt<std::string>(vm, "seccomp"), exec::holdable_caps(privs, nnp));
  log::step("checked options");

  // 2. Apply, in the documented order.
  for (const auto& l : limits) exec::apply_rlimit(l);
  if (nnp) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die_errno("cannot set no_new_privs");
    log::step("no_new_privs set");
  }
  if (filter && !nnp) {
    filter.load();  // while CAP_SYS_ADMIN is still there
    log::step("seccomp filter loaded (", filter.rules(), " rules)");
  }
  exec::apply_privileges(privs);
  if (!workdir.empty() && ::chdir(workdir.c_str()) != 0) die_errno(str("cannot change to working directory ", workdir));
  exec::cloexec_from(3 + keep_fds);
  if (filter && nnp) {
    filter.load();
    log::step("seccomp filter loaded (", filter.rules(), " rules)");
  }

  std::string path = env.get("PATH");
  auto envp = env.envp();
  log::step("exec ", argv[prog]);
  exec_program_env(argv + prog, envp.data(), path.c_str());
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run, argc, argv); }
