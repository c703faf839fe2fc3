// The command table, option parsing and dispatch, and `help`.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "chain.hpp"
#include "error.hpp"
#include "parse.hpp"
#include "repl.hpp"

namespace rt::repl {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"help", nullptr, "help [COMMAND]", "list the commands, or show one command's usage and options", nullptr,
       Operand::command, cmd_help},
      {"info", nullptr, "info [--json]",
       "show the runtime: version, kernel, cgroups, namespaces, stores, containers and images", opts_info,
       Operand::none, cmd_info},
      {"version", nullptr, "version", "print rt's version", nullptr, Operand::none, cmd_version},
      {"ps", nullptr, "ps [-a] [-q] [--no-trunc] [--json]", "list running containers (-a: all of them)", opts_ps,
       Operand::none, cmd_ps},
      {"ls", "list", "ls [-q] [--no-trunc] [--json]", "list every container, running or not (ps -a)", opts_ps,
       Operand::none, cmd_ls},
      {"images", nullptr, "images [-q] [--no-trunc] [--json]", "list the images in the local store", opts_images,
       Operand::none, cmd_images},
      {"run", nullptr, "run [OPTIONS] IMAGE|--rootfs DIR [COMMAND [ARG...]]",
       "run a command in a new container (rt-run's options; see rt-run(1))", nullptr, Operand::run, cmd_run, true,
       true},
      {"pull", nullptr, "pull [OPTIONS] REFERENCE", "fetch an image into the local store (rt-pull's options)", nullptr,
       Operand::image, cmd_pull, true, true},
      {"stop", nullptr, "stop [-t SECONDS] [-s SIGNAL] CONTAINER...",
       "stop containers: SIGTERM, then SIGKILL after 10 seconds", opts_stop, Operand::running, cmd_stop},
      {"kill", nullptr, "kill [-s SIGNAL] CONTAINER...", "send a signal to containers (SIGKILL unless -s says)",
       opts_kill, Operand::running, cmd_kill},
      {"wait", nullptr, "wait CONTAINER...", "wait until containers exit, print their exit codes", nullptr,
       Operand::container, cmd_wait},
      {"rm", nullptr, "rm [-f] CONTAINER...", "remove containers (-f: kill running ones first)", opts_rm,
       Operand::container, cmd_rm},
      {"rmi", nullptr, "rmi [-f] IMAGE...", "remove images from the local store", opts_rmi, Operand::image, cmd_rmi},
      {"exec", nullptr, "exec [-d] [-i] [-t] [-u USER] [-e K=V] [-w DIR] CONTAINER COMMAND [ARG...]",
       "run a command in a running container", opts_exec, Operand::running, cmd_exec, true},
      {"logs", nullptr, "logs [-f] [--tail N] [-t] CONTAINER", "print the output of a detached container", opts_logs,
       Operand::container, cmd_logs},
      {"inspect", nullptr, "inspect [--type container|image] [--json] NAME...",
       "print what rt knows about containers or images, as JSON", opts_inspect, Operand::container, cmd_inspect},
      {"stats", nullptr, "stats [-a] [--no-stream] [--json] [CONTAINER...]",
       "live CPU, memory, pids and I/O of running containers", opts_stats, Operand::running, cmd_stats},
      {"port", nullptr, "port CONTAINER", "list a container's published ports (HOST -> CONTAINER)", nullptr,
       Operand::container, cmd_port},
      {"network", nullptr, "network ls|create|inspect|rm [ARGS...]",
       "manage networks (rt-net's commands; see rt-net(1))", nullptr, Operand::none, cmd_network, true, true},
      {"gc", nullptr, "gc", "clean up: dead containers, stale cgroups, unused image blobs and layers", nullptr,
       Operand::none, cmd_gc},
      {"clear", nullptr, "clear", "clear the screen", nullptr, Operand::none, cmd_clear},
      {"exit", "quit", "exit [STATUS]", "leave the shell (or end the script) with STATUS (default 0)", nullptr,
       Operand::none, cmd_exit},
  };
  return table;
}

const Command* find_command(std::string_view name) {
  for (const auto& c : commands())
    if (name == c.name || (c.alias && name == c.alias)) return &c;
  return nullptr;
}

po::options_description options_of(const Command& c) {
  po::options_description desc("Options");
  if (c.options) c.options(desc);
  // clang-format off
  desc.add_options()("help", "show this command's usage and options");
  // clang-format on
  return desc;
}

bool Parsed::has(const char* flag) const {
  auto it = vm.find(flag);
  if (it == vm.end() || it->second.empty()) return false;
  if (auto b = boost::any_cast<bool>(&it->second.value())) return *b;
  return true;
}

static Parsed parse(const Command& c, const Words& words) {
  Parsed p;
  p.cmd = &c;
  p.args.assign(words.begin() + 1, words.end());
  if (c.passthrough) {
    p.operands = p.args;
    return p;
  }
  po::options_description desc = options_of(c);
  Words opts = p.args;
  if (c.options_first) {
    // Options end at the first operand (CONTAINER of exec).
    std::vector<char*> argv{const_cast<char*>(c.name)};
    for (auto& w : opts) argv.push_back(w.data());
    int start = find_program_start(static_cast<int>(argv.size()), argv.data(), desc);
    int end = start;
    if (end > 1 && std::string_view(argv[end - 1]) == "--") --end;
    p.operands.assign(p.args.begin() + start - 1, p.args.end());
    opts.assign(p.args.begin(), p.args.begin() + end - 1);
  }
  po::options_description all = desc;
  // clang-format off
  all.add_options()("operands", po::value<Words>());
  // clang-format on
  po::positional_options_description pos;
  pos.add("operands", -1);
  try {
    namespace cls = po::command_line_style;
    auto style = cls::unix_style & ~cls::allow_guessing;
    auto parser = po::command_line_parser(opts).options(all).style(style);
    if (!c.options_first) parser.positional(pos);
    po::store(parser.run(), p.vm);
    po::notify(p.vm);
  } catch (const po::error& e) {
    throw Error(str(e.what(), " (try 'help ", c.name, "')"));
  }
  if (!c.options_first) p.operands = p.get<Words>("operands");
  return p;
}

static std::string usage_text(const Command& c) {
  std::ostringstream os;
  os << "Usage: " << c.usage << "\n" << c.summary << "\n";
  if (c.alias) os << "Also: " << c.alias << "\n";
  if (!c.passthrough) os << "\n" << options_of(c);
  return os.str();
}

int dispatch(Env& env, const Words& words, const std::string& where) {
  if (words.empty()) return 0;
  std::string prefix = where.empty() ? "" : where + ": ";
  const Command* c = find_command(words[0]);
  if (!c) {
    print_error(str(prefix, "unknown command '", words[0], "' (try 'help')"));
    return kExitToolFailure;
  }
  env.prefix = str(prefix, c->name, ": ");
  try {
    Parsed p = parse(*c, words);
    if (!c->passthrough && p.has("help")) {
      std::cout << usage_text(*c) << std::flush;
      return 0;
    }
    int rc = c->run(env, p);
    std::cout.flush();
    return rc;
  } catch (const ExitRequest&) {
    throw;
  } catch (const Error& e) {
    std::cout.flush();
    print_error(str(prefix, c->name, ": ", e.what()));
    return e.status();
  } catch (const std::exception& e) {
    std::cout.flush();
    print_error(str(prefix, c->name, ": ", e.what()));
    return kExitToolFailure;
  }
}

void report_error(const Env& env, std::string_view msg) {
  std::cout.flush();
  print_error(str(env.prefix, msg));
}

int cmd_help(Env& env, const Parsed& p) {
  if (p.operands.size() > 1) throw Error("too many arguments (usage: help [COMMAND])");
  if (p.operands.empty()) {
    std::cout << "Commands (COMMAND --help or help COMMAND for its options):\n\n";
    size_t w = 0;
    for (const auto& c : commands())
      w = std::max(w, std::string(c.name).size() + (c.alias ? std::string(c.alias).size() + 1 : 0));
    for (const auto& c : commands()) {
      std::string n = c.name;
      if (c.alias) n += std::string("/") + c.alias;
      std::cout << "  " << n << std::string(w - n.size() + 3, ' ') << c.summary << "\n";
    }
    std::cout << "\nOne command a line; quote with '...', \"...\" or \\ as in sh. Ctrl-C interrupts a command,\n"
                 "Ctrl-D or exit leaves. See rt-repl(1).\n";
    return 0;
  }
  const Command* c = find_command(p.operands[0]);
  if (!c) throw Error(str("unknown command '", p.operands[0], "' (try 'help')"));
  std::cout << usage_text(*c) << std::flush;
  if (c->passthrough) {
    std::cout << "\n";
    std::cout.flush();
    const char* tool = c == find_command("run") ? "rt-run" : c == find_command("network") ? "rt-net" : "rt-pull";
    return run_program(env, {tool_path(env, tool), "--help"});
  }
  return 0;
}

int cmd_exit(Env&, const Parsed& p) {
  if (p.operands.size() > 1) throw Error("too many arguments (usage: exit [STATUS])");
  int status = p.operands.empty() ? 0 : static_cast<int>(parse_uint(p.operands[0], "exit status", 255));
  throw ExitRequest{status};
}

}  // namespace rt::repl
