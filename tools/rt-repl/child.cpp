// Ctrl-C, the environment every command gets, and running the sibling
// tools (rt-run, rt-pull) in the foreground.
#include <signal.h>

#include <csignal>
#include <cstdio>

#include "error.hpp"
#include "process.hpp"
#include "repl.hpp"

namespace rt::repl {
namespace {
// The only global state: what the signal handlers may touch.
volatile sig_atomic_t g_interrupted = 0;
volatile sig_atomic_t g_continued = 0;
void on_sigint(int) { g_interrupted = 1; }
void on_sigcont(int) { g_continued = 1; }
}  // namespace

void install_continue_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigcont;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCONT, &sa, nullptr);
}
bool take_continued() {
  bool c = g_continued != 0;
  g_continued = 0;
  return c;
}

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking read or poll returns EINTR
  sigaction(SIGINT, &sa, nullptr);
}
bool interrupted() { return g_interrupted != 0; }
void clear_interrupt() { g_interrupted = 0; }

Env make_env() {
  Env env;
  env.ctx.tool_dir = ops::own_dir();
  return env;
}

std::string tool_path(const Env& env, const char* tool) { return env.ctx.tool_dir + "/" + tool; }

int run_program(const Env& env, const Words& words) {
  std::fflush(stdout);
  std::fflush(stderr);
  // The SIGINT handler is reset by exec; SIGINT reaches the program from
  // the terminal (same process group).
  return run_and_wait(words, {.in = env.script ? kDevNull : kInherit});
}

}  // namespace rt::repl
