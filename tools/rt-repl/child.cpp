// Ctrl-C, the environment every command gets, and running the sibling
// tools (rt-run, rt-pull) in the foreground.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "chain.hpp"
#include "error.hpp"
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
  std::vector<std::string> copy = words;
  std::vector<char*> argv;
  for (auto& w : copy) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("cannot fork");
  if (pid == 0) {
    // The handler is reset by exec; SIGINT reaches the program from the
    // terminal (same process group).
    if (env.script) {
      int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null >= 0) ::dup2(null, STDIN_FILENO);
    }
    exec_program(argv.data());
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) throw_errno(str("cannot wait for ", words[0]));
  }
  return exit_code_from_wait(st);
}

}  // namespace rt::repl
