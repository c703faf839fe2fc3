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
#include "process.hpp"
#include "repl.hpp"

namespace {
using namespace rt;
using namespace rt::repl;

// The K=V values of -e/--env options in a command line (`run`, `exec`).
std::vector<std::string> env_values(const Words& words) {
  std::vector<std::string> out;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if ((w == "-e" || w == "--env") && i + 1 < words.size()) out.push_back(words[++i]);
    else if (w.rfind("--env=", 0) == 0) out.push_back(w.substr(6));
    else if (w.size() > 2 && w.rfind("-e", 0) == 0) out.push_back(w.substr(2));
  }
  return out;
}

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
  // (shell completion: completion/rt.bash; not a command of the shell)
  if (cmd < argc && std::string_view(argv[cmd]) == "__complete")
    return complete_shell_words(env, rest_of(argc, argv, cmd + 1));
  install_interrupt_handler();
  try {
    if (cmd < argc) {
      Words words = rest_of(argc, argv, cmd);
      // `rt-repl run -e K=V` and `exec -e K=V` can live as long as their
      // container: the values leave this command line, which every user
      // can read (rt-run hides them in its own).
      hide_argv_values(argc, argv, argc, env_values(words));
      return dispatch(env, words);
    }
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
