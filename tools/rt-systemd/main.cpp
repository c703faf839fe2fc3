// rt-systemd: where systemd is the init, make this process's cgroup a
// transient systemd scope (so systemd, which owns the cgroup tree there,
// knows the group and keeps its limits), then exec the rest of the chain;
// or stop, freeze or thaw such a scope.
//
//   rt-systemd --scope SLICE:PREFIX:NAME [--description TEXT] [LIMITS...] [--] PROGRAM [ARGS...]
//   rt-systemd --update UNIT LIMITS...
//   rt-systemd --stop UNIT [--only-description TEXT]
//   rt-systemd --freeze UNIT | --thaw UNIT
//
// --scope asks systemd's manager for StartTransientUnit PREFIX-NAME.scope in
// SLICE holding this process (Delegate=yes: the group below the scope is
// the chain's; the limits as unit properties), waits for the job, execs
// PROGRAM: it runs in the scope's group. Nothing stays: the scope goes when
// its last process ends, or with --stop (KillUnit SIGKILL, StopUnit).
// --update changes the limits of a scope (SetUnitProperties).
// --freeze/--thaw ask systemd to freeze or thaw it (FreezeUnit, ThawUnit),
// so that systemd knows; exit 3 says this systemd cannot (no v2 freezer,
// or older than 246) and nothing was done: the caller uses the cgroup
// freezer itself.
// Linked dynamically (Debian ships no static libsystemd): only rt-oci
// --systemd-cgroup runs it, on hosts that run systemd.
#include <unistd.h>

#include "bus.hpp"
#include "cgroup_limit_options.hpp"
#include "cgroup_limits.hpp"
#include "cgroup_systemd.hpp"
#include "chain.hpp"
#include "error.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "properties.hpp"

namespace {
using namespace rt;

// --freeze/--thaw: this systemd cannot freeze the unit; nothing was done.
constexpr int kCannotFreeze = 3;

bool unit_name_ok(const std::string& u) {
  if (u.size() <= 6 || u.compare(u.size() - 6, 6, ".scope") != 0) return false;
  for (char c : u)
    if (c == '/' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  return true;
}

int run(int argc, char** argv) {
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("scope", po::value<std::string>()->value_name("SLICE:PREFIX:NAME"), "run PROGRAM in the new transient scope PREFIX-NAME.scope in SLICE (empty: system.slice), as OCI runtimes name it")
      ("description", po::value<std::string>()->value_name("TEXT"), "with --scope: the unit's description (default: rt scope NAME)")
      ("update", po::value<std::string>()->value_name("UNIT"), "change the limits of scope UNIT to those given (systemd writes them to its group)")
      ("stop", po::value<std::string>()->value_name("UNIT"), "kill what is left in scope UNIT and stop it (no such unit: nothing to do)")
      ("only-description", po::value<std::string>()->value_name("TEXT"), "with --stop: only a unit described as TEXT (--description of its --scope); another of that name is left alone")
      ("freeze", po::value<std::string>()->value_name("UNIT"), "have systemd freeze scope UNIT (FreezeUnit); exit 3 when it cannot (no v2 freezer)")
      ("thaw", po::value<std::string>()->value_name("UNIT"), "have systemd thaw scope UNIT (ThawUnit); exit 3 when it cannot (no v2 freezer)");
  // clang-format on
  // The limits a scope takes as unit properties (properties.hpp).
  cgroup::add_limit_options(desc, cgroup::LimitTool::scope);
  po::variables_map vm;
  int prog =
      parse_chain(argc, argv, desc, vm,
                  {"rt-systemd --scope SLICE:PREFIX:NAME [OPTIONS] [--] PROGRAM [ARGS...]\n"
                   "       rt-systemd --update UNIT LIMITS...\n"
                   "       rt-systemd --stop UNIT [--only-description TEXT]\n"
                   "       rt-systemd --freeze UNIT | --thaw UNIT",
                   "Run PROGRAM in a new transient systemd scope with limits, or stop, freeze or thaw one.", false});
  bool has_prog = prog < argc;

  // Validate every value before asking systemd for anything.
  if (vm.count("scope") + vm.count("update") + vm.count("stop") + vm.count("freeze") + vm.count("thaw") > 1)
    die("give one of --scope, --update, --stop, --freeze and --thaw");
  if (vm.count("freeze") || vm.count("thaw")) {
    const char* o = vm.count("freeze") ? "freeze" : "thaw";
    if (auto l = cgroup::first_limit_given(vm, cgroup::LimitTool::scope))
      die(str("--", *l, " only applies with --scope or --update"));
    if (vm.count("description")) die("--description only applies with --scope");
    if (vm.count("only-description")) die("--only-description only applies with --stop");
    if (has_prog) die(str("unexpected program '", argv[prog], "' with --", o));
    std::string unit = opt<std::string>(vm, o);
    if (!unit_name_ok(unit)) die(str("invalid --", o, " '", unit, "': expected a scope unit name (NAME.scope)"));
    systemd::Manager manager;
    return manager.freeze(unit, vm.count("freeze") > 0) ? 0 : kCannotFreeze;
  }
  if (vm.count("stop")) {
    if (auto o = cgroup::first_limit_given(vm, cgroup::LimitTool::scope))
      die(str("--", *o, " only applies with --scope or --update"));
    if (vm.count("description")) die("--description only applies with --scope");
    if (has_prog) die(str("unexpected program '", argv[prog], "' with --stop"));
    std::string unit = opt<std::string>(vm, "stop");
    if (!unit_name_ok(unit)) die(str("invalid --stop '", unit, "': expected a scope unit name (NAME.scope)"));
    std::string only = vm.count("only-description") ? opt<std::string>(vm, "only-description") : "";
    if (vm.count("only-description") && only.empty()) die("invalid --only-description '': empty value");
    systemd::Manager manager;
    if (!manager.stop(unit, only)) log::step("no unit ", unit, " of ours: nothing to stop");
    return 0;
  }
  if (vm.count("only-description")) die("--only-description only applies with --stop");
  cgroup::LimitArgs la = cgroup::limit_args(vm, cgroup::LimitTool::scope);
  std::vector<systemd::Property> props;
  try {
    props = systemd::scope_properties(cgroup::parse_limits(la), vm.count("update") > 0);
  } catch (const Error& e) {
    die(e.what());
  }

  if (vm.count("update")) {
    if (vm.count("description")) die("--description only applies with --scope");
    if (has_prog) die(str("unexpected program '", argv[prog], "' with --update"));
    std::string unit = opt<std::string>(vm, "update");
    if (!unit_name_ok(unit)) die(str("invalid --update '", unit, "': expected a scope unit name (NAME.scope)"));
    if (props.empty()) die("--update needs at least one limit to change");
    systemd::Manager manager;
    manager.set_properties(unit, props);
    return 0;
  }
  if (!vm.count("scope"))
    die("give --scope SLICE:PREFIX:NAME (or --update, --stop, --freeze or --thaw UNIT); see --help");
  if (!has_prog) die("no program given (usage: rt-systemd --scope SLICE:PREFIX:NAME [--] PROGRAM [ARGS...])");
  cgroup::SystemdUnit unit;
  try {
    unit = cgroup::systemd_unit(opt<std::string>(vm, "scope"), "--scope");
  } catch (const Error& e) {
    die(e.what());
  }
  if (!unit_name_ok(unit.unit))
    die(str("invalid --scope '", opt<std::string>(vm, "scope"), "': NAME makes a slice, not a scope"));
  std::string description = vm.count("description") ? opt<std::string>(vm, "description") : "rt scope " + unit.unit;
  {
    // The scope goes by itself when its last process ends: an exec that
    // fails below leaves nothing.
    systemd::Manager manager;
    manager.start_scope(unit.unit, unit.slice, description, ::getpid(), props);
  }
  log::step("exec ", argv[prog], " in ", unit.path);
  exec_program(argv + prog);
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run, argc, argv); }
