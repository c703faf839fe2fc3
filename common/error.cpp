#include "error.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>

extern char* program_invocation_short_name;  // glibc

namespace rt {

const char* tool_name() { return program_invocation_short_name; }

static void write_line(std::string_view prefix, std::string_view msg) {
  std::string line;
  line.reserve(prefix.size() + msg.size() + 16);
  line.append(tool_name()).append(": ").append(prefix).append(msg);
  // One line, no embedded newlines.
  for (char& c : line)
    if (c == '\n') c = ' ';
  line.push_back('\n');
  // A single write(2) so lines from the chain's tools never interleave.
  ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
  (void)n;
}

void print_error(std::string_view msg) { write_line("", msg); }
void warn(std::string_view msg) { write_line("warning: ", msg); }

void die(std::string_view msg, int code) {
  print_error(msg);
  std::_Exit(code);
}

void die_sys(int err, std::string_view what, int code) {
  std::string m(what);
  m.append(": ").append(std::strerror(err));
  die(m, code);
}

int guarded_main(int (*body)(int, char**), int argc, char** argv) {
  try {
    return body(argc, argv);
  } catch (const Error& e) {
    die(e.what(), e.status());
  } catch (const std::bad_alloc&) {
    die("out of memory");
  } catch (const std::exception& e) {
    die(e.what());
  } catch (...) {
    die("internal error");
  }
}

}  // namespace rt
