#include "cli.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "error.hpp"
#include "format.hpp"
#include "state.hpp"

namespace rt::oci {

Global g_opts;

void log_line(const char* level, const std::string& msg) {
  if (g_opts.log_file.empty()) return;
  int fd = ::open(g_opts.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string line = g_opts.log_format == "json"
                         ? json{{"level", level}, {"msg", msg}, {"time", rfc3339_now()}}.dump() + "\n"
                         : str(rfc3339_now(), " ", level, ": ", msg, "\n");
  if (::write(fd, line.data(), line.size()) < 0) {
  }
  ::close(fd);
}

void fail(const std::string& msg) {
  log_line("error", msg);
  die(msg);
}
void fail_errno(const std::string& what) {
  int e = errno;
  fail(str(what, ": ", std::strerror(e)));
}

Args parse_args(const std::vector<std::string>& in, const std::string& cmd, const std::vector<std::string>& with_value,
                const std::vector<std::string>& switches, const std::map<std::string, std::string>& shorts) {
  Args a;
  for (size_t i = 0; i < in.size(); ++i) {
    std::string w = in[i];
    if (w == "--") {
      for (++i; i < in.size(); ++i) a.words.push_back(in[i]);
      break;
    }
    if (w.size() < 2 || w[0] != '-' || (!a.words.empty() && cmd != "kill")) {
      if (cmd == "exec" && a.words.empty()) {  // ID, then the command untouched
        a.words.push_back(w);
        for (++i; i < in.size(); ++i) a.words.push_back(in[i]);
        break;
      }
      a.words.push_back(w);
      continue;
    }
    if (auto s = shorts.find(w); s != shorts.end()) w = s->second;
    std::string key = w.substr(w[1] == '-' ? 2 : 1), val;
    auto eq = key.find('=');
    bool inline_val = eq != std::string::npos;
    if (inline_val) val = key.substr(eq + 1), key.resize(eq);
    if (std::find(with_value.begin(), with_value.end(), key) != with_value.end()) {
      if (!inline_val) {
        if (i + 1 >= in.size()) fail(str(cmd, ": --", key, " needs a value"));
        val = in[++i];
      }
      a.opts[key] = val;
      a.multi[key].push_back(val);
    } else if (std::find(switches.begin(), switches.end(), key) != switches.end()) {
      a.opts[key] = inline_val ? val : "true";
    } else if (cmd == "kill" && !a.words.empty()) {
      a.words.push_back(w);  // a signal like -9 is not an option
    } else {
      fail(str(cmd, ": unknown option '", in[i], "' (see rt-oci --help)"));
    }
  }
  return a;
}

std::string one_id(const Args& a, const std::string& cmd, size_t max_words) {
  if (a.words.empty()) fail(str(cmd, ": no container id given"));
  if (a.words.size() > max_words) fail(str(cmd, ": unexpected argument '", a.words[max_words], "'"));
  check_id(a.words[0]);
  return a.words[0];
}

}  // namespace rt::oci
