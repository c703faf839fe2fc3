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

// Parse a command's options: `with_value` take one (as --k v or --k=v),
// `switches` none. runc's single-dash spellings (-d, -f, -a) are taken too.
Args parse_args(const std::vector<std::string>& in, const std::string& cmd, const std::vector<std::string>& with_value,
                const std::vector<std::string>& switches, const std::map<std::string, std::string>& shorts = {});

// The container id of a command (its first word, checked); dies when there
// is none or more than MAX_WORDS words.
std::string one_id(const Args& a, const std::string& cmd, size_t max_words = 1);

}  // namespace rt::oci
