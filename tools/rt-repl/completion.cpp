// Tab completion: command names, each command's flags, container names and
// ids, image references, network, signal and capability names, and paths;
// for rt-repl's own shell and, through `rt-repl __complete`, for the shell
// completion of every rt tool (completion/rt.bash).
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "caps.hpp"
#include "dir.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "image_store.hpp"
#include "parse.hpp"
#include "paths.hpp"
#include "process.hpp"
#include "repl.hpp"

namespace rt::repl {
namespace {

using Flags = std::vector<std::pair<std::string, bool>>;

// The flags of a command from its options (name, takes a value).
Flags flags_of(const Command& c) {
  Flags out;
  po::options_description desc = options_of(c);
  for (const auto& o : desc.options()) {
    bool value = o->semantic()->min_tokens() > 0;
    std::string l = o->long_name(), s = o->canonical_display_name(po::command_line_style::allow_dash_for_short);
    if (!l.empty()) out.emplace_back("--" + l, value);
    if (s.size() == 2 && s[0] == '-' && s[1] != '-') out.emplace_back(s, value);
  }
  return out;
}

// What `ARGV --help` prints ("" when it fails: no completion of its flags
// is not worth a message under the prompt).
std::string help_of(Words argv) {
  std::string text;
  argv.emplace_back("--help");
  try {
    run_and_read(argv, text, {.in = kDevNull, .err = kDevNull});
  } catch (const Error&) {
    return "";
  }
  return text;
}

// The flags of another tool (or of one of rt-oci's commands: {path, verb}),
// read from its --help (boost's format: "  -f [ --rootfs ] DIR   text",
// "  --rm   text"; rt-oci's: "  -b, --bundle DIR   text").
Flags flags_of_tool(const Words& argv) {
  Flags out;
  std::string text = help_of(argv);
  for (const auto& line : split(text, '\n')) {
    if (!starts_with(line, "  -")) continue;
    std::vector<std::string> names;
    bool value = false;
    for (const auto& w : split(line.substr(2), ' ')) {
      if (w.empty()) break;  // two spaces: the description starts
      if (w == "[" || w == "]") continue;
      if (w[0] == '-') names.push_back(w.back() == ',' ? w.substr(0, w.size() - 1) : w);
      else value = true;
    }
    for (const auto& nm : names) out.emplace_back(nm, value);
  }
  return out;
}

// A tool's commands (rt-oci's, rt-net's), from the "Commands" section of
// its --help: the first word of each line indented by two.
Words commands_of_tool(const std::string& path) {
  Words out;
  bool in = false;
  for (const auto& line : split(help_of({path}), '\n')) {
    if (starts_with(line, "Commands")) in = true;
    else if (line.empty() || line[0] != ' ') in = false;
    else if (in && line.size() > 2 && line[2] != ' ' && line[2] != '-') out.push_back(split(line.substr(2), ' ')[0]);
  }
  return out;
}

bool takes_value(const Flags& flags, const std::string& w) {
  if (w.find('=') != std::string::npos) return false;
  for (const auto& [n, v] : flags)
    if (n == w) return v;
  // -ab cluster: the last letter decides
  if (w.size() > 2 && w[0] == '-' && w[1] != '-') return takes_value(flags, std::string("-") + w.back());
  return false;
}

Words container_words(Env& env, bool running_only) {
  Words out;
  try {
    for (const auto& c : ops::list(env.ctx, !running_only)) {
      out.push_back(c.name);
      out.push_back(c.short_id());
    }
  } catch (const std::exception&) {
  }
  return out;
}

Words image_words(Env& env) {
  Words out;
  try {
    for (const auto& im : list_images(env.ctx.image_root)) {
      if (!im.ref.empty()) {
        out.push_back(im.ref);
        try {
          out.push_back(parse_reference(im.ref).familiar());
        } catch (const Error&) {
        }
      }
      std::string hex = im.id.substr(im.id.find(':') + 1);
      out.push_back(hex.substr(0, 12));
    }
  } catch (const std::exception&) {
  }
  return out;
}

Words path_words(const std::string& partial) {
  Words out;
  auto slash = partial.rfind('/');
  std::string dir = slash == std::string::npos ? "" : partial.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? partial : partial.substr(slash + 1);
  for (const auto& n : dir_names(dir.empty() ? "." : dir)) {
    if (n[0] == '.' && (base.empty() || base[0] != '.')) continue;
    if (!starts_with(n, base)) continue;
    struct stat st {};
    bool is_dir = ::stat((dir + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    out.push_back(dir + n + (is_dir ? "/" : ""));
  }
  return out;
}

Words signal_words() {
  return {"HUP",    "INT",    "QUIT",    "KILL",    "USR1",    "USR2",    "TERM",    "CONT",    "STOP",    "WINCH",
          "SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGTERM", "SIGCONT", "SIGSTOP", "SIGWINCH"};
}

// ALL and every capability rt knows, without CAP_ (as docker's flags take them).
Words capability_words() {
  Words out{"ALL"};
  for (int i = 0; i <= caps::table_last(); ++i)
    if (const char* n = caps::name(i)) out.emplace_back(std::string_view(n).substr(4));
  return out;
}

// NAME of every DIR/NAME.SUFFIX.
Words names_in(const std::string& dir, std::string_view suffix) {
  Words out;
  for (const auto& n : dir_names(dir))
    if (n[0] != '.' && n.size() > suffix.size() && n.ends_with(suffix))
      out.push_back(n.substr(0, n.size() - suffix.size()));
  return out;
}

// The networks of rt-net (CONFIG/networks/NAME.conflist; bridge is written
// on first use), and with `modes` the modes --network takes besides.
Words network_words(bool modes) {
  Words out = names_in(default_config_root() + "/networks", ".conflist");
  out.emplace_back("bridge");
  if (modes)
    for (const char* m : {"none", "host", "pasta", "slirp4netns", "container:", "ns:"}) out.emplace_back(m);
  return out;
}

// Where the operands of a command line stand: how many there were, whether
// the word being completed is the value of a flag (which), whether `--` or
// an operand (options_first) ended the options, and where the operands start.
struct Position {
  size_t operands = 0;
  std::string value_of;  // the flag whose value is being typed
  bool options_over = false;
  size_t first_operand = 0;  // index in words (words.size() when none)
};

Position walk(const Words& words, size_t from, const Flags& flags, bool options_first) {
  Position p;
  p.first_operand = words.size();
  for (size_t i = from; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (!p.options_over && w == "--") {
      p.options_over = true;
      if (options_first && p.first_operand == words.size()) p.first_operand = i + 1;
    } else if (!p.options_over && w.size() > 1 && w[0] == '-') {
      if (takes_value(flags, w)) {
        if (i + 1 == words.size()) p.value_of = w;
        else ++i;
      }
    } else {
      if (p.first_operand == words.size()) p.first_operand = i;
      ++p.operands;
      if (options_first) p.options_over = true;
    }
  }
  if (!p.value_of.empty()) p.operands = 0;
  return p;
}

// Values of FLAG of rt-repl's command CMD or of the tool CMD (rt-run, ...).
// Sets c.files where a path is wanted.
Words value_words(Env& env, const std::string& cmd, const std::string& flag, Completion& c) {
  auto is = [&](std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (flag == n) return true;
    return false;
  };
  if ((cmd == "stop" || cmd == "kill") && is({"--signal", "-s"})) return signal_words();
  if (cmd == "inspect" && flag == "--type") return {"container", "image"};
  if (cmd == "run" || cmd == "rt-run") {
    if (is({"--network", "--net"})) {
      if (starts_with(c.word, "container:")) {
        Words out;
        for (const auto& n : container_words(env, true)) out.push_back("container:" + n);
        return out;
      }
      return network_words(true);
    }
    if (flag == "--pull") return {"missing", "always", "never"};
    if (is({"--cap-add", "--cap-drop"})) return capability_words();
    if (flag == "--security-opt") return {"seccomp=unconfined", "seccomp=", "no-new-privileges"};
    if (flag == "--log-level") return {"error", "warn", "info", "debug", "trace"};
    if (is({"--rootfs", "-f", "--env-file", "-v", "--volume"})) return c.files = true, Words{};
  }
  if (cmd == "pull" || cmd == "rt-pull") {
    if (is({"--inspect", "--remove"})) return image_words(env);
    if (is({"--import", "--root", "--state"})) return c.files = true, Words{};
  }
  if (cmd == "rt-exec") {
    if (is({"--caps", "--cap-add", "--cap-drop", "--cap-inheritable", "--cap-ambient"})) {
      Words w = capability_words();
      if (flag == "--caps") w.insert(w.end(), {"docker", "none"});
      return w;
    }
    if (flag == "--seccomp") return c.files = true, Words{"default", "unconfined"};
    if (is({"--env-file", "--workdir"})) return c.files = true, Words{};
  }
  if (cmd == "rt-net" && flag == "--network") return network_words(false);
  if (cmd == "rt-cgroup" && flag == "--devices") return {"docker"};
  if (cmd == "rt-unshare" && flag == "--join")
    return {"cgroup=", "ipc=", "mnt=", "net=", "pid=", "time=", "user=", "uts="};
  if (cmd == "rt-unshare" && flag == "--pid-file") return c.files = true, Words{};
  if (cmd == "rt-mount" && is({"--rootfs", "--lower", "--upper", "--work"})) return c.files = true, Words{};
  if (cmd == "rt-oci") {
    if (flag == "--log-format") return {"text", "json"};
    if (is({"--format", "-f"})) return {"table", "json"};
    if (is({"--cap", "-c"})) {
      Words w;
      for (const auto& n : capability_words())
        if (n != "ALL") w.push_back("CAP_" + n);
      return w;
    }
    if (is({"--root", "--log", "--bundle", "-b", "--pid-file", "--console-socket", "--process", "-p", "--resources",
            "-r"}))
      return c.files = true, Words{};
  }
  return {};
}

bool is_rt_tool(const std::string& w) {
  static const char* const tools[] = {"rt-cgroup", "rt-exec", "rt-mount", "rt-net",     "rt-oci",
                                      "rt-pull",   "rt-repl", "rt-run",   "rt-systemd", "rt-unshare"};
  std::string base = w.substr(w.rfind('/') + 1);
  return std::find(std::begin(tools), std::end(tools), base) != std::end(tools);
}

Completion complete_command(Env& env, const Words& words, Completion c);

// rt-oci GLOBAL... COMMAND OPTIONS... OPERANDS: the commands and each
// command's options from its --help (the table rt-oci parses them by), the
// values of its options, container ids from --root, kill's signal.
Completion complete_oci(Env& env, const Words& words, const Position& global, Completion c) {
  std::string path = tool_path(env, "rt-oci");
  if (global.first_operand >= words.size()) {
    c.candidates = commands_of_tool(path);
    return c;
  }
  const std::string& verb = words[global.first_operand];
  Flags flags = flags_of_tool({path, verb});
  // (kill takes options among its operands; the others none after the first)
  Position p = walk(words, global.first_operand + 1, flags, verb != "kill");
  if (!p.value_of.empty()) {
    c.candidates = value_words(env, "rt-oci", p.value_of, c);
    return c;
  }
  if (!p.options_over && starts_with(c.word, "-")) {
    for (const auto& [f, v] : flags) c.candidates.push_back(f);
    return c;
  }
  if (verb == "kill" && p.operands == 1) {
    c.candidates = signal_words();
    return c;
  }
  // The id of an existing container (create, run: a new one; list, spec,
  // features: none).
  if (p.operands > 0 || verb == "create" || verb == "run" || verb == "list" || verb == "spec" || verb == "features")
    return c;
  std::string root = "/run/rt-oci";
  for (size_t i = 1; i < global.first_operand; ++i) {
    if (words[i] == "--root" && i + 1 < global.first_operand) root = words[i + 1];
    else if (starts_with(words[i], "--root=")) root = words[i].substr(7);
  }
  for (auto& n : subdir_names(root))
    if (n[0] != '.') c.candidates.push_back(std::move(n));
  return c;
}

// The command line of the tool words[0] (rt-run, rt-cgroup, ...: a path or
// a name), up to the word being completed (c.word).
Completion complete_tool(Env& env, const Words& words, Completion c) {
  std::string tool = words[0].substr(words[0].rfind('/') + 1);
  auto with = [&](const char* cmd) {
    Words w{cmd};
    w.insert(w.end(), words.begin() + 1, words.end());
    return complete_command(env, w, c);
  };
  if (tool == "rt-run") return with("run");
  if (tool == "rt-pull") return with("pull");
  if (tool == "rt-repl") {
    Flags own{{"--keep-going", false}, {"-k", false}, {"--help", false}, {"--version", false}};
    Position p = walk(words, 1, own, true);
    if (p.operands > 0 || p.options_over) {
      if (p.first_operand == words.size()) return c;  // after "--": a command comes next
      return complete_command(env, Words(words.begin() + static_cast<long>(p.first_operand), words.end()), c);
    }
    if (starts_with(c.word, "-"))
      for (const auto& [f, v] : own) c.candidates.push_back(f);
    else return complete_command(env, {}, c);
    return c;
  }
  Flags flags = flags_of_tool({tool_path(env, tool.c_str())});
  bool chain =
      tool == "rt-cgroup" || tool == "rt-unshare" || tool == "rt-mount" || tool == "rt-exec" || tool == "rt-systemd";
  Position p = walk(words, 1, flags, chain || tool == "rt-oci");
  if (!p.value_of.empty()) {
    c.candidates = value_words(env, tool, p.value_of, c);
    return c;
  }
  if (!p.options_over && starts_with(c.word, "-")) {
    for (const auto& [f, v] : flags) c.candidates.push_back(f);
    return c;
  }
  if (chain) {
    if (p.first_operand == words.size()) {  // the program: a command, or another link of the chain
      c.commands = true;
      return c;
    }
    const std::string& prog = words[p.first_operand];
    if (is_rt_tool(prog))
      return complete_tool(env, Words(words.begin() + static_cast<long>(p.first_operand), words.end()), c);
    c.files = true;  // the program's own arguments
    return c;
  }
  if (tool == "rt-oci") return complete_oci(env, words, p, c);
  if (tool == "rt-net") {
    Words ops(words.begin() + static_cast<long>(std::min(p.first_operand, words.size())), words.end());
    // (the options of a command come after it: a walk from there)
    if (ops.empty()) {
      c.candidates = commands_of_tool(tool_path(env, "rt-net"));
      return c;
    }
    const std::string& verb = ops[0];
    if (verb == "inspect" || verb == "rm") c.candidates = network_words(false);
    if (verb == "down" || verb == "show") c.candidates = names_in(default_state_root() + "/netns", ".json");
    return c;
  }
  return c;
}

// An rt-repl command line: words[0] is the command (none yet: empty).
Completion complete_command(Env& env, const Words& words, Completion c) {
  Words& cands = c.candidates;
  if (words.empty()) {
    for (const auto& cmd : commands()) {
      cands.emplace_back(cmd.name);
      if (cmd.alias) cands.emplace_back(cmd.alias);
    }
    return c;
  }
  const Command* cmd = find_command(words[0]);
  if (!cmd) return c;
  std::string name = cmd->name;
  if (name == "network") {
    Words w{"rt-net"};
    w.insert(w.end(), words.begin() + 1, words.end());
    return complete_tool(env, w, c);
  }
  Flags flags;
  if (name == "run") {
    if (env.run_flags.empty()) env.run_flags = flags_of_tool({tool_path(env, "rt-run")});
    flags = env.run_flags;
  } else if (name == "pull") {
    if (env.pull_flags.empty()) env.pull_flags = flags_of_tool({tool_path(env, "rt-pull")});
    flags = env.pull_flags;
  } else {
    flags = flags_of(*cmd);
  }
  Position p = walk(words, 1, flags, cmd->options_first);
  if (!p.value_of.empty()) {
    cands = value_words(env, name, p.value_of, c);
  } else if (!p.options_over && starts_with(c.word, "-")) {
    for (const auto& [f, v] : flags) cands.push_back(f);
  } else if (p.operands == 0 || !cmd->options_first) {
    switch (cmd->operand) {
      case Operand::command:
        if (p.operands == 0)
          for (const auto& x : commands()) cands.emplace_back(x.name);
        break;
      case Operand::container:
        cands = container_words(env, false);
        if (name == "inspect") {
          Words im = image_words(env);
          cands.insert(cands.end(), im.begin(), im.end());
        }
        break;
      case Operand::running: cands = container_words(env, true); break;
      case Operand::image:
      case Operand::run: cands = image_words(env); break;
      case Operand::path: c.files = true; break;
      case Operand::none: break;
    }
  }
  return c;
}

// The candidates that extend c.word, sorted, once each; path names where
// files are wanted (for rt-repl's shell: a shell's completion does its own).
Completion finish(Completion c, bool paths) {
  if (c.files && paths) {
    Words p = path_words(c.word);
    c.candidates.insert(c.candidates.end(), p.begin(), p.end());
  }
  std::set<std::string> uniq;
  for (auto& w : c.candidates)
    if (starts_with(w, c.word)) uniq.insert(w);
  c.candidates.assign(uniq.begin(), uniq.end());
  c.directory = c.candidates.size() == 1 && c.candidates[0].back() == '/';
  return c;
}

}  // namespace

Completion complete(Env& env, std::string_view line) {
  Split s = split_words(line);
  Completion c;
  Words words = s.words;
  if (s.in_word && !words.empty()) {
    c.word = words.back();
    words.pop_back();
    c.word_start = s.last_start;
  } else {
    c.word_start = line.size();
  }
  return finish(complete_command(env, words, c), true);
}

int complete_shell_words(Env& env, const Words& words) {
  if (words.size() < 2 || !is_rt_tool(words[0])) return 0;
  Completion c;
  c.word = words.back();
  c = finish(complete_tool(env, Words(words.begin(), words.end() - 1), c), false);
  std::string out;
  if (c.files) out += ":files\n";
  if (c.commands) out += ":commands\n";
  for (const auto& w : c.candidates) out += w + "\n";
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace rt::repl
