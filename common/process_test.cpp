// Unit tests of process.cpp: waiting for a child with a deadline, and the
// signal-forwarding wait reaping the orphans a subreaper is handed.
#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cerrno>
#include <optional>
#include <string>

using namespace rt;

TEST_CASE("wait_child_for: the status of a child that ends in time, nullopt for one that does not") {
  pid_t quick = spawn({"sh", "-c", "exit 7"});
  std::optional<int> st = wait_child_for(quick, 60000);
  REQUIRE(st.has_value());
  CHECK(exit_code_from_wait(*st) == 7);

  pid_t slow = spawn({"sleep", "60"});
  CHECK_FALSE(wait_child_for(slow, 50).has_value());
  CHECK(::kill(slow, 0) == 0);  // still there: the caller decides
  ::kill(slow, SIGKILL);
  CHECK(exit_code_from_wait(wait_child(slow)) == 128 + SIGKILL);

  CHECK_THROWS_AS(wait_child_for(slow, 10), Error);  // reaped: no such child
}

TEST_CASE("SignalForwarder::wait with reap_others reaps the orphans handed to a subreaper") {
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
  SignalForwarder sigs;
  // The child orphans a sleep (its shell exits at once, so it comes to us)
  // and waits until that is reaped: it stays a zombie of ours, which
  // `kill -0` still finds, until our wait reaps it. Status 1 after 10 s
  // means nobody did.
  pid_t child = spawn({"sh", "-c",
                       "p=$(sh -c 'sleep 0.1 >/dev/null 2>&1 & echo $!'); i=0;"
                       "while kill -0 $p 2>/dev/null; do i=$((i+1)); [ $i -lt 1000 ] || exit 1; sleep 0.01; done"},
                      {.mask = &sigs.original_mask()});
  int st = sigs.wait(child, {.reap_others = true});
  CHECK(exit_code_from_wait(st) == 0);
  CHECK(::waitpid(-1, nullptr, WNOHANG) == -1);
  CHECK(errno == ECHILD);
  sigs.restore();
  ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

TEST_CASE("vfork_child: the child runs in the caller's memory until it exits, with its pid known to it") {
  int seen = 0;
  pid_t own = 0, told = 0;
  pid_t child = vfork_child(
      [&]() noexcept -> int {
        seen = 42;  // the caller's variable: fork would change a copy
        own = ::getpid();
        return 7;
      },
      -1, &told);
  REQUIRE(child > 0);
  CHECK(seen == 42);
  CHECK(own == child);
  CHECK(told == child);
  CHECK(exit_code_from_wait(wait_child(child)) == 7);

  // A failure is one line on stderr and the status, written with write(2)
  // from the child's stack.
  Pipe err = make_pipe();
  child = vfork_child([&]() noexcept -> int {
    ::dup2(err.write.get(), STDERR_FILENO);
    vfork_die(ENOENT, 99, {"cannot open ", std::string_view("a\nb"), " here"});
  });
  REQUIRE(child > 0);
  CHECK(exit_code_from_wait(wait_child(child)) == 99);
  err.write.reset();
  char buf[256];
  ssize_t n = ::read(err.read.get(), buf, sizeof buf);
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<size_t>(n)) ==
        std::string(tool_name()) + ": cannot open a b here: No such file or directory\n");

  // vfork_exec: 127 for a program that is not there.
  child = vfork_child([&]() noexcept -> int {
    char name[] = "rt-no-such-program", *argv[] = {name, nullptr};
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDERR_FILENO);
    vfork_exec(argv);
  });
  REQUIRE(child > 0);
  CHECK(exit_code_from_wait(wait_child(child)) == 127);

  // A child that execs: the caller runs again once it has.
  child = vfork_child([&]() noexcept -> int {
    char sh[] = "sh", c[] = "-c", cmd[] = "exit 3";
    char* argv[] = {sh, c, cmd, nullptr};
    ::execvp("sh", argv);
    return 127;
  });
  REQUIRE(child > 0);
  CHECK(exit_code_from_wait(wait_child(child)) == 3);
}
