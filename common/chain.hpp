// The chain protocol: `rt-TOOL [OPTIONS] [--] PROGRAM [ARGS...]`.
//
// Option parsing stops at `--` or at the first word that is not an option;
// the rest is exec'd untouched. Options themselves are parsed by
// Boost.Program_options.
#pragma once
#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace rt {
namespace po = boost::program_options;

struct ToolInfo {
  const char* usage;    // "rt-mount [OPTIONS] [--] PROGRAM [ARGS...]"
  const char* summary;  // one sentence
  bool program_required = true;
};

// Parse argv up to the program into `vm`. Adds --help and --version to
// `desc` and handles them (exit 0). Initialises logging. Bad options give a
// one-line error and exit 125. Returns the index in argv where the program
// starts (argc when there is none).
int parse_chain(int argc, char** argv, po::options_description& desc, po::variables_map& vm,
                const ToolInfo& info);

// Index of the first word after the options (the program), by the rules
// above, without parsing values. Exposed for tools with their own front end.
int find_program_start(int argc, char** argv, const po::options_description& desc);

// execvp(argv[0], argv); on failure print "cannot execute X: why" and exit
// 127 (not found) or 126 (cannot execute).
[[noreturn]] void exec_program(char* const* argv);
// The same with an explicit environment (PATH lookup uses `path`).
[[noreturn]] void exec_program_env(char* const* argv, char* const* envp, const char* path);

// Map a wait status to an exit code: status passes through, signal N -> 128+N.
int exit_code_from_wait(int wstatus);

// argv[from..argc) as strings.
std::vector<std::string> rest_of(int argc, char** argv, int from);

// Convenience for option lookups.
template <typename T>
T opt(const po::variables_map& vm, const char* name, T dflt = T{}) {
  auto it = vm.find(name);
  return it == vm.end() || it->second.empty() ? dflt : it->second.as<T>();
}
inline bool flag(const po::variables_map& vm, const char* name) {
  auto it = vm.find(name);
  return it != vm.end() && !it->second.empty() && it->second.as<bool>();
}
template <typename T>
std::vector<T> opts(const po::variables_map& vm, const char* name) {
  return opt<std::vector<T>>(vm, name);
}

}  // namespace rt
