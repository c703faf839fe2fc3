// The chain protocol: `rt-TOOL [OPTIONS] [--] PROGRAM [ARGS...]`.
//
// Option parsing stops at `--` or at the first word that is not an option;
// the rest is exec'd untouched. Options themselves are parsed by
// Boost.Program_options.
#pragma once
#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "fd.hpp"

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
int parse_chain(int argc, char** argv, po::options_description& desc, po::variables_map& vm, const ToolInfo& info);

// Index of the first word after the options (the program), by the rules
// above, without parsing values. Exposed for tools with their own front end.
int find_program_start(int argc, char** argv, const po::options_description& desc);

// The PATH a container's program gets when neither the image nor the user
// sets one (docker's and runc's default).
inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// execvp(argv[0], argv); on failure print "cannot execute X: why" and exit
// 127 (not found) or 126 (cannot execute).
[[noreturn]] void exec_program(char* const* argv);
// The same with an explicit environment (PATH lookup uses `path`).
[[noreturn]] void exec_program_env(char* const* argv, char* const* envp, const char* path);

// The next link of a chain may be another rt tool (rt-exec) that is not in
// the container's root: after rt-mount's pivot_root, or once rt-unshare has
// joined a container's mount namespace. PROGRAM is one when its name starts
// with "rt-" and it lies in the running tool's own directory (a bare name is
// looked up there). open_chain_tool opens it before the root changes (an
// empty fd for any other program, which is looked up in the new root) and
// exec_chain_tool runs it through that fd. It must be static: a dynamic one
// would load its libraries from the container's root with the host tool's
// privileges (refused with exit 126). An image that ships its own rt-exec
// never gets it run in place of the host's. The fd is the file on a
// read-only clone of its mount, or a sealed copy (exe_seal.hpp): the
// container the tool then runs in cannot write the host's file through
// /proc/PID/exe.
//
// Which directory is the running tool's: the one /proc/self/exe names, or,
// for a tool itself started by exec_chain_tool (its /proc/self/exe names no
// directory of this namespace), the one the previous link opened it from,
// whose st_dev:st_ino that link hands down in RT_CHAIN_DIR (taken out of
// the environment before main). A directory of a joined mount namespace
// that is not that very directory (a planted copy, a hard link of the tool
// next to another "rt-exec") is refused, as is a tool that is a mount over
// a file of it.
struct ChainTool {
  UniqueFd fd;         // empty: PROGRAM is not a sibling rt tool
  std::string dir_id;  // "DEV:INO" of the directory it was opened from
  std::string path;    // the path it was opened from (in this mount namespace)
  explicit operator bool() const { return static_cast<bool>(fd); }
};
ChainTool open_chain_tool(const char* prog);
[[noreturn]] void exec_chain_tool(const ChainTool& tool, char* const* argv);
// exec_chain_tool in two steps, for a vfork_child body (see process.hpp):
// the environment it passes (ours, with the directory's identity for the
// next link) made before, the exec in the child.
std::vector<std::string> chain_tool_env(const ChainTool& tool);
[[noreturn]] void vfork_exec_chain_tool(const ChainTool& tool, char* const* argv, char* const* envp) noexcept;

// argv[from..argc) as strings.
std::vector<std::string> rest_of(int argc, char** argv, int from);

// Convenience for option lookups.
template <typename T> T opt(const po::variables_map& vm, const char* name, T dflt = T{}) {
  auto it = vm.find(name);
  return it == vm.end() || it->second.empty() ? dflt : it->second.as<T>();
}
inline bool flag(const po::variables_map& vm, const char* name) {
  auto it = vm.find(name);
  return it != vm.end() && !it->second.empty() && it->second.as<bool>();
}
template <typename T> std::vector<T> opts(const po::variables_map& vm, const char* name) {
  return opt<std::vector<T>>(vm, name);
}

}  // namespace rt
