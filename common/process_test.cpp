// Unit tests of process.cpp: waiting for a child with a deadline, and the
// signal-forwarding wait reaping the orphans a subreaper is handed.
#include "process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cerrno>
#include <optional>
#include <sstream>
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

namespace {
// The CPU a task last ran on: field 39 of /proc/PID/stat (after the
// command's closing parenthesis, field 3 is the 1st).
int last_cpu(const std::string& stat) {
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 39 && in >> field; ++i) {
  }
  return std::stoi(field);
}
}  // namespace

TEST_CASE("detail::SameCpu pins the caller to the CPU it is on until the child's release, and restores it anyway") {
  cpu_set_t all;
  REQUIRE(::sched_getaffinity(0, sizeof all, &all) == 0);
  if (CPU_COUNT(&all) < 2) {
    MESSAGE("one CPU only: nothing to choose");
    return;
  }
  cpu_set_t now;
  {
    detail::SameCpu here;
    REQUIRE(::sched_getaffinity(0, sizeof now, &now) == 0);
    int cpu = ::sched_getcpu();  // pinned: it cannot change any more
    CHECK(CPU_COUNT(&now) == 1);
    CHECK(CPU_ISSET(cpu, &now));
    here.release();  // as the child would (for itself and for us; here both are us)
    REQUIRE(::sched_getaffinity(0, sizeof now, &now) == 0);
    CHECK(CPU_EQUAL(&now, &all));
  }
  {
    detail::SameCpu here;  // no child: the destructor gives it back
  }
  REQUIRE(::sched_getaffinity(0, sizeof now, &now) == 0);
  CHECK(CPU_EQUAL(&now, &all));
}

TEST_CASE("vfork_child: the child starts on the caller's CPU, and both keep the caller's affinity") {
  cpu_set_t all;
  REQUIRE(::sched_getaffinity(0, sizeof all, &all) == 0);
  if (CPU_COUNT(&all) < 2) {
    MESSAGE("one CPU only: nothing to choose");
    return;
  }
  const pid_t caller = ::getpid();
  const std::string stat_path = "/proc/" + std::to_string(caller) + "/stat";
  for (int round = 0; round < 5; ++round) {
    // What the child sees, in buffers we set aside for it.
    int child_cpu = -1;
    char stat[1024] = {};
    cpu_set_t child_mask, caller_mask;
    CPU_ZERO(&child_mask);
    CPU_ZERO(&caller_mask);
    pid_t child = vfork_child([&]() noexcept -> int {
      child_cpu = ::sched_getcpu();
      int fd = ::open(stat_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        ssize_t n = ::read(fd, stat, sizeof stat - 1);
        (void)n;
        ::close(fd);
      }
      ::sched_getaffinity(0, sizeof child_mask, &child_mask);
      ::sched_getaffinity(caller, sizeof caller_mask, &caller_mask);
      return 0;
    });
    REQUIRE(child > 0);
    CHECK(exit_code_from_wait(wait_child(child)) == 0);
    // The caller slept from its clone to the child's exit: the CPU it last
    // ran on is the one it cloned on.
    CHECK(child_cpu == last_cpu(stat));
    CHECK(CPU_EQUAL(&child_mask, &all));
    CHECK(CPU_EQUAL(&caller_mask, &all));
    cpu_set_t now;
    REQUIRE(::sched_getaffinity(0, sizeof now, &now) == 0);
    CHECK(CPU_EQUAL(&now, &all));
  }
  // A caller that may run on one CPU only: the child may too.
  int cpu = ::sched_getcpu();
  REQUIRE(cpu >= 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  REQUIRE(::sched_setaffinity(0, sizeof one, &one) == 0);
  cpu_set_t child_mask;
  CPU_ZERO(&child_mask);
  pid_t child = vfork_child([&]() noexcept -> int {
    ::sched_getaffinity(0, sizeof child_mask, &child_mask);
    return 0;
  });
  REQUIRE(child > 0);
  CHECK(exit_code_from_wait(wait_child(child)) == 0);
  CHECK(CPU_EQUAL(&child_mask, &one));
  cpu_set_t now;
  REQUIRE(::sched_getaffinity(0, sizeof now, &now) == 0);
  CHECK(CPU_EQUAL(&now, &one));
  REQUIRE(::sched_setaffinity(0, sizeof all, &all) == 0);
}
