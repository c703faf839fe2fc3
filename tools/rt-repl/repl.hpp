// rt-repl's pieces: the command table, how a command line is split into
// words, the interactive shell, completion, and the helpers the commands
// share (tables, child processes, Ctrl-C).
#pragma once
#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "container_ops.hpp"
#include "error.hpp"

namespace rt::repl {
namespace po = boost::program_options;

using Words = std::vector<std::string>;

// What every command gets: the stores and where the other tools are.
struct Env {
  ops::Context ctx;          // container state store, image root, tool dir
  bool interactive = false;  // the shell on a terminal
  bool script = false;       // one command a line from stdin
  std::string prefix;        // "line 3: stop: " while a command runs
  // Completion's cache of another tool's flags (from its --help): name,
  // and whether it takes a value.
  std::vector<std::pair<std::string, bool>> run_flags, pull_flags;
};
// Print "rt-repl: PREFIX MSG" (a command that goes on after an error).
void report_error(const Env& env, std::string_view msg);
Env make_env();

// What completes a command's positional arguments.
enum class Operand { none, container, running, image, command, run, path };

struct Parsed;
struct Command {
  const char* name;
  const char* alias;                          // nullptr: none
  const char* usage;                          // "stop [OPTIONS] CONTAINER..."
  const char* summary;                        // one line
  void (*options)(po::options_description&);  // its flags (nullptr: none)
  Operand operand;
  int (*run)(Env&, const Parsed&);
  // Options end at the first word that is not one (exec, run, pull: the
  // rest belongs to somebody else), else they may come anywhere.
  bool options_first = false;
  // The arguments go to another program untouched (run, pull).
  bool passthrough = false;
};

struct Parsed {
  const Command* cmd = nullptr;
  po::variables_map vm;
  Words operands;  // positional words
  Words args;      // everything after the command name, as typed
  bool has(const char* flag) const;
  template <typename T> T get(const char* name, T dflt = T{}) const {
    auto it = vm.find(name);
    return it == vm.end() || it->second.empty() ? dflt : it->second.as<T>();
  }
};

const std::vector<Command>& commands();
const Command* find_command(std::string_view name);
// The options of a command (with --help), for help and completion.
po::options_description options_of(const Command& c);

// Run one command line (already split into words): parse, run, turn any
// error into one line on stderr. `where` prefixes messages ("line 3").
// Returns the command's exit status.
int dispatch(Env& env, const Words& words, const std::string& where = "");

// A line of input split into words with shell-like quoting: 'single',
// "double" (\" \\ \$ \` escaped), backslash outside quotes, # comments at
// the start of a word. No expansion of any kind.
struct Split {
  Words words;
  bool incomplete = false;  // an open quote or a trailing backslash
  // For completion: where the last word starts in the line, and whether the
  // line ends inside it (no separator after it yet).
  size_t last_start = 0;
  bool in_word = false;
};
Split split_words(std::string_view line);

// Commands (each in commands_*.cpp / stats.cpp).
int cmd_ps(Env&, const Parsed&);
int cmd_ls(Env&, const Parsed&);
int cmd_images(Env&, const Parsed&);
int cmd_run(Env&, const Parsed&);
int cmd_pull(Env&, const Parsed&);
int cmd_stop(Env&, const Parsed&);
int cmd_kill(Env&, const Parsed&);
int cmd_rm(Env&, const Parsed&);
int cmd_wait(Env&, const Parsed&);
int cmd_rmi(Env&, const Parsed&);
int cmd_exec(Env&, const Parsed&);
int cmd_logs(Env&, const Parsed&);
int cmd_inspect(Env&, const Parsed&);
int cmd_stats(Env&, const Parsed&);
int cmd_info(Env&, const Parsed&);
int cmd_version(Env&, const Parsed&);
int cmd_gc(Env&, const Parsed&);
int cmd_port(Env&, const Parsed&);
int cmd_network(Env&, const Parsed&);
int cmd_help(Env&, const Parsed&);
int cmd_clear(Env&, const Parsed&);
int cmd_exit(Env&, const Parsed&);
void opts_ps(po::options_description&);
void opts_images(po::options_description&);
void opts_stop(po::options_description&);
void opts_kill(po::options_description&);
void opts_rm(po::options_description&);
void opts_rmi(po::options_description&);
void opts_exec(po::options_description&);
void opts_logs(po::options_description&);
void opts_inspect(po::options_description&);
void opts_stats(po::options_description&);
void opts_info(po::options_description&);

// `exit [N]` throws this; the shell and scripts end with the status.
struct ExitRequest {
  int status;
};

// Ctrl-C: while rt-repl runs, SIGINT only sets a flag (a command checks it
// and returns; a child process got the signal itself). Installed once.
void install_interrupt_handler();
bool interrupted();
void clear_interrupt();
inline constexpr int kInterruptedStatus = 130;  // 128 + SIGINT

// Apply `fn` to every operand; report each failure and go on, as docker
// does. Ctrl-C ends it: the operand at hand fails and none after it runs.
template <typename Fn> int for_each_operand(const Env& env, const std::vector<std::string>& operands, Fn fn) {
  int rc = 0;
  for (const auto& operand : operands) {
    if (interrupted()) return kInterruptedStatus;
    try {
      fn(operand);
    } catch (const std::exception& e) {
      report_error(env, e.what());
      rc = interrupted() ? kInterruptedStatus : kExitToolFailure;
    }
  }
  return rc;
}
// SIGCONT (fg after Ctrl-Z) sets a flag the shell's reader checks: the
// terminal must go back to line-editing mode and the line be redrawn.
void install_continue_handler();
bool take_continued();

// Run another program (rt-run, rt-pull) in the foreground: same terminal
// and process group, so Ctrl-C reaches it; stdin is /dev/null in a script.
// Returns its exit status (128+N for signal N, 127/126 when it cannot be
// executed).
int run_program(const Env& env, const Words& argv);
// The path of a sibling tool (rt-run next to rt-repl).
std::string tool_path(const Env& env, const char* tool);

// The interactive shell (libedit). Returns the exit status.
int shell(Env& env);
// One command a line from `fd` (stdin): returns the status of the first
// failing command, or 0.
int run_script(Env& env, int fd, bool keep_going);

// Completion candidates for the word being typed at the end of `line`.
struct Completion {
  std::string word;        // the partial word as typed (unquoted)
  size_t word_start = 0;   // where it starts in the line
  Words candidates;        // full words that extend it
  bool directory = false;  // the single candidate is a directory: no space after
  bool files = false;      // a path is wanted here (the shell's own completion of file names)
  bool commands = false;   // a program is wanted here (a command name)
};
Completion complete(Env& env, std::string_view line);
// `rt-repl __complete WORD...`, for shell completion scripts: WORDs are the
// command line up to the word being completed (the last, maybe empty), the
// first an rt tool (rt-run, /usr/bin/rt-cgroup, ...). Prints one candidate
// a line; ":files" first where file names complete, ":commands" where a
// command name does. Never fails.
int complete_shell_words(Env& env, const Words& words);

// Where history lives: $XDG_STATE_HOME/rt/history (~/.local/state/rt/history).
std::string history_path();

}  // namespace rt::repl
