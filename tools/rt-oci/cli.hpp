// rt-oci's command line: the global options, --log, the one-line failure
// that also goes to --log, and the parsing of a command's options.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace rt::oci {

struct Global {
  std::string root = "/run/rt-oci";
  std::string log_file, log_format = "text";
  bool debug = false, systemd_cgroup = false, explain = false;
};
extern Global g_opts;  // the parsed global options

// A message in --log (runc's format: text, or JSON lines with level, msg
// and time, whose last error line containerd shows its user).
void log_line(const char* level, const std::string& msg);
// die, with the message in --log too.
[[noreturn]] void fail(const std::string& msg);
[[noreturn]] void fail_errno(const std::string& what);

struct Args {
  std::vector<std::string> words;  // positional
  std::map<std::string, std::string> opts;
  std::map<std::string, std::vector<std::string>> multi;  // every value of a repeated option
  bool has(const std::string& k) const { return opts.count(k) > 0; }
  std::vector<std::string> all(const std::string& k) const {
    auto it = multi.find(k);
    return it == multi.end() ? std::vector<std::string>{} : it->second;
  }
  std::string get(const std::string& k, const std::string& d = "") const {
    auto it = opts.find(k);
    return it == opts.end() ? d : it->second;
  }
};

// A command's option: --NAME (also -NAME, and -LETTER where runc has one),
// with a value (--NAME V or --NAME=V) when VALUE names it, else a switch.
struct Option {
  const char* name;
  char letter = 0;
  const char* value = nullptr;  // "DIR" in --help; nullptr: a switch
  const char* help = "";        // one line
  bool hidden = false;          // accepted for runc's callers, not in --help nor completed
};

// How a command's words and options mix.
enum class Operands {
  id_first,          // options, then the words (an option after the first word is a word)
  options_anywhere,  // kill: options among the words; a word like -9 is a word (a signal)
  id_then_args,      // exec: after the id, the rest untouched (the command and its options)
};

// One command: the table that parses its options, prints its --help and
// (through that --help) drives the shells' completion.
struct Command {
  const char* name;
  const char* operands;  // in the usage line: "ID", "ID [SIGNAL]", ""
  const char* help;      // one line
  std::vector<Option> options;
  Operands mode = Operands::id_first;
};

// Every command, in --help's order.
const std::vector<Command>& commands();
const Command* find_command(const std::string& name);
// The global options (before the command).
const std::vector<Option>& global_options();

// rt-oci --help: the commands with their options, the global options.
std::string usage();
// rt-oci COMMAND --help.
std::string command_usage(const Command& c);

// Parse the words after COMMAND by its table. --help prints its usage and
// exits 0; a bad option is one line and exit 125.
Args parse_args(const std::vector<std::string>& in, const Command& c);

// The container id of a command (its first word, checked); dies when there
// is none or more than MAX_WORDS words.
std::string one_id(const Args& a, const std::string& cmd, size_t max_words = 1);

}  // namespace rt::oci
