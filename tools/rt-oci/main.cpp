// rt-oci: the OCI runtime command line (runc's) over a bundle, composing
// the rt chain. What containerd's runc shim and podman call.
//
//   rt-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug]
//          [--systemd-cgroup] [--explain] COMMAND [OPTIONS] [ID]
//
// create runs the chain (rt-oci --explain create prints it):
//   rt-cgroup --no-wait (the group stays; nothing waits)
//   rt-unshare --hand-over (the pid namespace's parent exits; the caller reaps)
//   rt-mount (the config's mounts in order)
//   rt-exec --ready-fd R --sync-fd S (signals "set up", waits for start)
// and returns once rt-exec is ready; no rt process stays. start writes the
// byte rt-exec waits for into the state directory's exec.fifo. The state,
// the cgroup and the FIFO are removed by delete.
#include <cstdio>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "error.hpp"
#include "format.hpp"
#include "log.hpp"
#include "parse.hpp"

namespace {
using namespace rt;
using namespace rt::oci;

// The global options, up to the command: parsed by their table
// (cli.cpp). Returns the index of the command, or -1 when --help or
// --version answered.
int parse_global(int argc, char** argv) {
  int i = 1;
  for (; i < argc; ++i) {
    std::string w = argv[i];
    if (w.size() < 2 || w[0] != '-') break;
    std::string key = w.substr(w[1] == '-' ? 2 : 1), val;
    auto eq = key.find('=');
    bool inline_val = eq != std::string::npos;
    if (inline_val) val = key.substr(eq + 1), key.resize(eq);
    auto find = [&]() -> const Option& {
      for (const auto& g : global_options())
        if (key == g.name || (key.size() == 1 && w[1] != '-' && key[0] == g.letter)) return g;
      fail(str("unknown option '", w, "' (see rt-oci --help)"));
    };
    const Option& o = find();
    std::string name = o.name;
    if (o.value && !inline_val) {
      if (i + 1 >= argc) fail(str("--", name, " needs a value"));
      val = argv[++i];
    }
    if (name == "root") g_opts.root = val;
    else if (name == "log") g_opts.log_file = val;
    else if (name == "log-format") g_opts.log_format = val;
    else if (name == "debug") g_opts.debug = true;
    else if (name == "systemd-cgroup") g_opts.systemd_cgroup = true;
    else if (name == "explain") g_opts.explain = true;
    else if (name == "help") {
      std::fputs(usage().c_str(), stdout);
      return -1;
    } else if (name == "version") {
      std::printf("rt-oci version %s\nspec: 1.0.2\n", RT_VERSION);
      return -1;
    }
  }
  return i;
}

// COMMAND's words without an id (list, spec, features): none at all.
void no_words(const Args& a, const std::string& cmd) {
  if (!a.words.empty()) fail(str(cmd, ": unexpected argument '", a.words[0], "'"));
}

int run_main(int argc, char** argv) {
  int i = parse_global(argc, argv);
  if (i < 0) return 0;
  if (g_opts.log_format != "text" && g_opts.log_format != "json")
    fail(str("invalid --log-format '", g_opts.log_format, "': expected text or json"));
  if (g_opts.debug) log::set_level(log::Level::debug, true);
  if (i >= argc) fail("no command given (see rt-oci --help)");
  std::string cmd = argv[i];
  const Command* c = find_command(cmd);
  if (!c) fail(str("unknown command '", cmd, "' (see rt-oci --help)"));
  if (g_opts.explain && cmd != "create" && cmd != "run" && cmd != "update")
    fail("--explain applies to create, run and update");
  Args a = parse_args(std::vector<std::string>(argv + i + 1, argv + argc), *c);
  if (cmd == "create" || cmd == "run") {
    std::string id = one_id(a, cmd);
    if (g_opts.explain) {
      do_create(a, id, true);
      return 0;
    }
    if (cmd == "run") return do_run(a, id);
    do_create(a, id, false);
  } else if (cmd == "start") {
    do_start(one_id(a, cmd));
  } else if (cmd == "state") {
    print_state(one_id(a, cmd));
  } else if (cmd == "kill") {
    do_kill(a);
  } else if (cmd == "delete") {
    do_delete(a);
  } else if (cmd == "list") {
    no_words(a, cmd);
    do_list(a);
  } else if (cmd == "exec") {
    return do_exec(a);
  } else if (cmd == "spec") {
    no_words(a, cmd);
    do_spec(a);
  } else if (cmd == "features") {
    no_words(a, cmd);
    do_features();
  } else if (cmd == "events") {
    do_events(a);
  } else if (cmd == "update") {
    return do_update(a);
  } else if (cmd == "pause" || cmd == "resume") {
    do_freeze(a, cmd == "pause");
  } else if (cmd == "ps") {
    do_ps(a);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Every failure also goes to --log, where the engines look for it.
  try {
    return run_main(argc, argv);
  } catch (const rt::Error& e) {
    log_line("error", e.what());
    rt::die(e.what(), e.status());
  } catch (const std::exception& e) {
    log_line("error", e.what());
    rt::die(e.what());
  }
}
