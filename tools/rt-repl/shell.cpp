// The interactive shell (libedit: line editing, history, completion) and
// the script runner (one command a line from stdin).
#include <histedit.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <iostream>

#include "error.hpp"
#include "fs.hpp"
#include "repl.hpp"
#include "table.hpp"

namespace rt::repl {

std::string history_path() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state && *state == '/') return std::string(state) + "/rt/history";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/") + "/.local/state/rt/history";
}

namespace {

struct Shell {
  Env& env;
  EditLine* el = nullptr;
  History* hist = nullptr;
  std::string pending;  // an unfinished line (open quote, trailing backslash)
  std::string hist_file;
  bool hist_warned = false;
  std::string held;  // bytes read as Ctrl-C came: the next line gets them

  explicit Shell(Env& e) : env(e) {}
  ~Shell() {
    if (el) el_end(el);
    if (hist) history_end(hist);
  }

  void save_history() {
    HistEvent ev;
    try {
      auto dir = hist_file.substr(0, hist_file.rfind('/'));
      mkdir_p(dir, 0700);
      std::string tmp = hist_file + ".tmp." + std::to_string(::getpid());
      // Only the user reads it: lines may hold secrets (-e PASSWORD=...).
      if (history(hist, &ev, H_SAVE, tmp.c_str()) < 0 || ::chmod(tmp.c_str(), 0600) != 0 ||
          std::rename(tmp.c_str(), hist_file.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw Error(str("cannot save the history to ", hist_file), errno);
      }
    } catch (const Error& e) {
      if (!hist_warned) warn(e.what());
      hist_warned = true;
    }
  }
};

Shell* shell_of(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return static_cast<Shell*>(data);
}

char* prompt(EditLine* el) {
  static char main_prompt[] = "rt> ", more[] = "> ";
  return shell_of(el)->pending.empty() ? main_prompt : more;
}

// Backslash-escape what the word splitter would otherwise take apart.
std::string escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(" \t\n'\"\\#$`;&|<>()*?[]!{}~").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// libedit's input: one character from stdin. Ctrl-C (the flag) ends the
// line being edited even when the signal came between two reads, which
// libedit's own reader would miss; a character read in that moment is kept
// for the next line.
int getc_fn(EditLine* el, wchar_t* wc) {
  Shell* sh = shell_of(el);
  std::mbstate_t mb{};
  std::string bytes;
  for (;;) {
    if (interrupted()) {
      sh->held = bytes + sh->held;
      errno = EINTR;
      return -1;
    }
    char c;
    if (!sh->held.empty()) {
      c = sh->held[0];
      sh->held.erase(0, 1);
    } else {
      ssize_t n = ::read(STDIN_FILENO, &c, 1);
      if (n == 0) return 0;
      if (n < 0) {
        if (errno != EINTR) return -1;
        if (take_continued()) {  // back from Ctrl-Z: the job's shell left the terminal cooked
          el_set(el, EL_PREP_TERM, 0);
          el_set(el, EL_PREP_TERM, 1);
          el_set(el, EL_REFRESH);
        }
        continue;
      }
    }
    bytes.push_back(c);
    if (interrupted()) continue;  // the signal came with this byte: keep it for the next line
    size_t r = std::mbrtowc(wc, &c, 1, &mb);
    if (r == static_cast<size_t>(-2)) continue;  // more bytes of one character
    if (r == static_cast<size_t>(-1)) *wc = static_cast<unsigned char>(c);
    return 1;
  }
}

int terminal_columns() {
  winsize ws{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

unsigned char complete_fn(EditLine* el, int) {
  Shell* sh = shell_of(el);
  const LineInfo* li = el_line(el);
  std::string before(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
  Completion c = complete(sh->env, before);
  if (c.candidates.empty()) return CC_REFRESH_BEEP;
  std::string common = c.candidates[0];
  for (const auto& w : c.candidates) {
    size_t i = 0;
    while (i < common.size() && i < w.size() && common[i] == w[i]) ++i;
    common.resize(i);
  }
  bool quoted = c.word_start < before.size() && (before[c.word_start] == '\'' || before[c.word_start] == '"');
  std::string add = common.size() > c.word.size() ? common.substr(c.word.size()) : "";
  if (c.candidates.size() == 1) {
    if (!quoted) add = escape(add);
    if (!c.directory) add += quoted ? std::string(1, before[c.word_start]) + " " : " ";
    el_insertstr(el, add.c_str());
    return CC_REFRESH;
  }
  if (!add.empty()) {
    el_insertstr(el, (quoted ? add : escape(add)).c_str());
    return CC_REFRESH;
  }
  // Nothing to add: list the choices under the line.
  size_t w = 0;
  for (const auto& x : c.candidates) w = std::max(w, text_width(x));
  size_t per_line = std::max<size_t>(1, static_cast<size_t>(terminal_columns()) / (w + 2));
  std::string out = "\n";
  for (size_t i = 0; i < c.candidates.size(); ++i) {
    out += c.candidates[i];
    bool eol = (i + 1) % per_line == 0 || i + 1 == c.candidates.size();
    out += eol ? "\n" : std::string(w + 2 - text_width(c.candidates[i]), ' ');
  }
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  return CC_REDISPLAY;
}

}  // namespace

int shell(Env& env) {
  std::setlocale(LC_CTYPE, "");
  install_continue_handler();
  Shell sh(env);
  HistEvent ev;
  sh.hist = history_init();
  if (!sh.hist) throw Error("cannot initialise the history");
  history(sh.hist, &ev, H_SETSIZE, 1000);
  history(sh.hist, &ev, H_SETUNIQUE, 1);
  sh.hist_file = history_path();
  if (path_exists(sh.hist_file)) history(sh.hist, &ev, H_LOAD, sh.hist_file.c_str());

  sh.el = el_init("rt-repl", stdin, stdout, stderr);
  if (!sh.el) throw Error("cannot initialise line editing (libedit)");
  el_set(sh.el, EL_CLIENTDATA, &sh);
  el_set(sh.el, EL_EDITOR, "emacs");
  el_set(sh.el, EL_HIST, history, sh.hist);
  el_set(sh.el, EL_PROMPT, prompt);
  el_set(sh.el, EL_GETCFN, getc_fn);
  el_set(sh.el, EL_ADDFN, "rt-complete", "complete a command, flag, container or image", complete_fn);
  el_set(sh.el, EL_BIND, "^I", "rt-complete", nullptr);
  el_source(sh.el, nullptr);  // ~/.editrc

  int status = 0;
  for (;;) {
    clear_interrupt();
    int count = 0;
    errno = 0;
    const char* line = el_gets(sh.el, &count);
    if (!line) {
      if (interrupted() || (count < 0 && errno == EINTR)) {  // Ctrl-C at the prompt: a fresh line
        std::fputs("\n", stdout);
        std::fflush(stdout);
        sh.pending.clear();
        el_reset(sh.el);
        continue;
      }
      std::fputs("\n", stdout);  // Ctrl-D
      break;
    }
    std::string text = sh.pending + line;
    Split s = split_words(text);
    if (s.incomplete) {
      sh.pending = text;
      continue;
    }
    sh.pending.clear();
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    if (text.find_first_not_of(" \t") != std::string::npos) {
      history(sh.hist, &ev, H_ENTER, text.c_str());
      sh.save_history();
    }
    try {
      status = dispatch(env, s.words);
    } catch (const ExitRequest& e) {
      status = e.status;
      break;
    }
    if (interrupted()) {  // the terminal echoed ^C: the prompt goes below it
      std::fputs("\n", stdout);
      std::fflush(stdout);
    }
  }
  return status;
}

int run_script(Env& env, int fd, bool keep_going) {
  env.script = true;
  int first_failure = 0;
  std::string buf, pending;
  int lineno = 0, start_line = 0;
  bool eof = false;
  while (!eof) {
    // The next line (the last one may lack its newline).
    size_t nl;
    while ((nl = buf.find('\n')) == std::string::npos) {
      char chunk[4096];
      ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) {
        if (interrupted()) return kInterruptedStatus;
        continue;
      }
      if (n < 0) throw Error("cannot read the script from stdin", errno);
      if (n == 0) {
        eof = true;
        break;
      }
      buf.append(chunk, static_cast<size_t>(n));
    }
    std::string line;
    if (nl != std::string::npos) {
      line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
    } else {
      line.swap(buf);
      if (line.empty()) break;
    }
    ++lineno;
    if (pending.empty()) start_line = lineno;
    std::string text = pending.empty() ? line : pending + "\n" + line;
    Split s = split_words(text);
    if (s.incomplete) {
      pending = text;
      continue;
    }
    pending.clear();
    if (s.words.empty()) continue;
    int rc;
    try {
      rc = dispatch(env, s.words, str("line ", start_line));
    } catch (const ExitRequest& e) {
      return e.status;
    }
    if (interrupted()) return rc ? rc : kInterruptedStatus;
    if (rc != 0) {
      if (!keep_going) return rc;
      if (!first_failure) first_failure = rc;
    }
  }
  if (!pending.empty()) {
    print_error(str("line ", start_line, ": unterminated quote or trailing backslash at the end of the script"));
    if (!first_failure) first_failure = kExitToolFailure;
  }
  return first_failure;
}

}  // namespace rt::repl
