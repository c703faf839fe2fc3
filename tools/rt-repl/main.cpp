// rt-repl: the interactive shell and batch front end of rt.
//
//   rt-repl                      a shell (on a terminal): line editing,
//                                history, tab completion
//   rt-repl COMMAND [ARG...]     run one command, exit with its status
//   rt-repl [--keep-going] < F   one command a line, stop at the first
//                                failure (unless --keep-going)
//
// The commands (tools/rt-repl/commands*.cpp, exec.cpp, stats.cpp) work on
// the stores through common/ (container_ops, image_store, cgroup); run and
// pull are rt-run and rt-pull, exec'd from the same directory.
#include <unistd.h>

#include "chain.hpp"
#include "error.hpp"
#include "repl.hpp"

namespace {
using namespace rt;
using namespace rt::repl;

int repl_main(int argc, char** argv) {
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()("keep-going,k", po::bool_switch(), "in a script: go on after a failing command");
  // clang-format on
  po::variables_map vm;
  int cmd = parse_chain(argc, argv, desc, vm,
                        {"rt-repl [--keep-going] [COMMAND [ARG...]]",
                         "The rt shell: with a COMMAND run it and exit; else read commands from the terminal "
                         "(with line editing) or, one a line, from stdin. 'rt-repl help' lists the commands.",
                         false});
  Env env = make_env();
  install_interrupt_handler();
  try {
    if (cmd < argc) return dispatch(env, rest_of(argc, argv, cmd));
    if (::isatty(STDIN_FILENO)) {
      env.interactive = true;
      return shell(env);
    }
    return run_script(env, STDIN_FILENO, flag(vm, "keep-going"));
  } catch (const ExitRequest& e) {
    return e.status;
  }
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(repl_main, argc, argv); }
