// Unit tests of fd_pass.cpp: an fd and its message over a socketpair, and
// errno (not a signal, not an exception) when the peer has gone.
#include "fd_pass.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

using namespace rt;

namespace {
struct Pair {
  UniqueFd a, b;
  Pair() {
    int s[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) == 0);
    a.reset(s[0]);
    b.reset(s[1]);
  }
};
}  // namespace

TEST_CASE("send_fd_raw: the fd and the message arrive; receive_fd gives the same file, CLOEXEC") {
  Pair p;
  UniqueFd f(::open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC));
  REQUIRE(f);
  CHECK(send_fd_raw(p.a.get(), f.get(), "/dev/ptmx", 9) == 0);
  UniqueFd got = receive_fd(p.b.get());
  REQUIRE(got);
  CHECK(got.get() != f.get());
  struct stat s1 {
  }, s2{};
  REQUIRE(::fstat(f.get(), &s1) == 0);
  REQUIRE(::fstat(got.get(), &s2) == 0);
  CHECK(s1.st_ino == s2.st_ino);
  CHECK(s1.st_dev == s2.st_dev);
  CHECK((::fcntl(got.get(), F_GETFD) & FD_CLOEXEC) != 0);
  // the rest of the message (receive_fd reads one byte) is on the socket
  char rest[16] = {};
  CHECK(::read(p.b.get(), rest, sizeof rest) == 8);
  CHECK(std::string(rest) == "dev/ptmx");
}

TEST_CASE("send_fd_raw: a peer that has gone is EPIPE, no SIGPIPE; a bad fd is EBADF; receive_fd of no fd is empty") {
  {
    Pair p;
    p.b.reset();
    // SIGPIPE would end this test program
    CHECK(send_fd_raw(p.a.get(), 0, "x", 1) == EPIPE);
  }
  {
    Pair p;
    CHECK(send_fd_raw(p.a.get(), 12345, "x", 1) == EBADF);
    REQUIRE(::write(p.a.get(), "y", 1) == 1);  // a message without an fd
    CHECK(!receive_fd(p.b.get()));
    p.a.reset();
    CHECK(!receive_fd(p.b.get()));  // EOF
  }
}
