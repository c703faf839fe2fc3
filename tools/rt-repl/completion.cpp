// Tab completion: command names, each command's flags, container names and
// ids, image references, signal names and paths.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "error.hpp"
#include "fd.hpp"
#include "image_store.hpp"
#include "parse.hpp"
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

// The flags of another tool, read from its --help (boost's format:
// "  -f [ --rootfs ] DIR   text" or "  --rm   text").
Flags flags_of_tool(const std::string& path) {
  Flags out;
  Pipe p = make_pipe();
  pid_t pid = ::fork();
  if (pid < 0) return out;
  if (pid == 0) {
    ::dup2(p.write.get(), STDOUT_FILENO);
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDERR_FILENO);
    }
    ::execl(path.c_str(), path.c_str(), "--help", static_cast<char*>(nullptr));
    _exit(127);
  }
  p.write.reset();
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(p.read.get(), buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) text.append(buf, static_cast<size_t>(n));
  int st;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  for (const auto& line : split(text, '\n')) {
    if (!starts_with(line, "  -")) continue;
    std::vector<std::string> names;
    bool value = false;
    for (const auto& w : split(line.substr(2), ' ')) {
      if (w.empty()) break;  // two spaces: the description starts
      if (w == "[" || w == "]") continue;
      if (w[0] == '-') names.push_back(w);
      else value = true;
    }
    for (const auto& nm : names) out.emplace_back(nm, value);
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
  DIR* d = ::opendir(dir.empty() ? "." : dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (n[0] == '.' && (base.empty() || base[0] != '.')) continue;
    if (!starts_with(n, base)) continue;
    struct stat st {};
    bool is_dir = ::stat((dir + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    out.push_back(dir + n + (is_dir ? "/" : ""));
  }
  ::closedir(d);
  return out;
}

Words signal_words() {
  return {"HUP",    "INT",    "QUIT",    "KILL",    "USR1",    "USR2",    "TERM",    "CONT",    "STOP",    "WINCH",
          "SIGHUP", "SIGINT", "SIGQUIT", "SIGKILL", "SIGUSR1", "SIGUSR2", "SIGTERM", "SIGCONT", "SIGSTOP", "SIGWINCH"};
}

// Values for a flag of `cmd` that takes one.
Words value_words(Env& env, const std::string& cmd, const std::string& flag, const std::string& partial) {
  if (flag == "--signal" || flag == "-s") return signal_words();
  if (cmd == "inspect" && flag == "--type") return {"container", "image"};
  if (cmd == "run") {
    if (flag == "--network" || flag == "--net") return {"none", "host", "bridge"};
    if (flag == "--pull") return {"missing", "always", "never"};
    if (flag == "--rootfs" || flag == "-f" || flag == "--env-file" || flag == "-v" || flag == "--volume")
      return path_words(partial);
    if (flag == "--log-level") return {"error", "warn", "info", "debug", "trace"};
  }
  if (cmd == "pull" && flag == "--import") return path_words(partial);
  (void)env;
  return {};
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
  Words cands;
  if (words.empty()) {
    for (const auto& cmd : commands()) {
      cands.emplace_back(cmd.name);
      if (cmd.alias) cands.emplace_back(cmd.alias);
    }
  } else if (const Command* cmd = find_command(words[0])) {
    std::string name = cmd->name;
    Flags flags;
    if (name == "run") {
      if (env.run_flags.empty()) env.run_flags = flags_of_tool(tool_path(env, "rt-run"));
      flags = env.run_flags;
    } else if (name == "pull") {
      if (env.pull_flags.empty()) env.pull_flags = flags_of_tool(tool_path(env, "rt-pull"));
      flags = env.pull_flags;
    } else {
      flags = flags_of(*cmd);
    }
    // Where are we: after a flag that wants a value? how many operands so far?
    size_t operands = 0;
    bool value_of_prev = false;
    bool options_over = false;
    for (size_t i = 1; i < words.size(); ++i) {
      const std::string& w = words[i];
      value_of_prev = false;
      if (!options_over && w == "--") {
        options_over = true;
      } else if (!options_over && w.size() > 1 && w[0] == '-') {
        if (takes_value(flags, w)) {
          if (i + 1 == words.size()) value_of_prev = true;
          else ++i;
        }
      } else {
        ++operands;
        if (cmd->options_first) options_over = true;
      }
    }
    if (value_of_prev) {
      cands = value_words(env, name, words.back(), c.word);
    } else if (!options_over && !c.word.empty() && c.word[0] == '-') {
      for (const auto& [f, v] : flags) cands.push_back(f);
    } else if (operands == 0 || !cmd->options_first) {
      switch (cmd->operand) {
        case Operand::command:
          if (operands == 0)
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
        case Operand::path: cands = path_words(c.word); break;
        case Operand::none: break;
      }
    }
  }
  std::set<std::string> uniq;
  for (auto& w : cands)
    if (starts_with(w, c.word)) uniq.insert(w);
  c.candidates.assign(uniq.begin(), uniq.end());
  c.directory = c.candidates.size() == 1 && c.candidates[0].back() == '/';
  return c;
}

}  // namespace rt::repl
