// Unit tests of exe_seal.cpp: the fd rt execs its own tools through inside
// a container runs the file and cannot be written, on both paths (a
// read-only clone of the mount, and the sealed memfd copy used where no
// clone can be made).
#include "exe_seal.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "error.hpp"
#include "process.hpp"
#include "unit_support.hpp"

using namespace rt;

namespace {

// A private copy of /bin/true: if a check failed, a write would land there.
struct TrueCopy {
  std::string dir, path;
  TrueCopy() : dir(unit::temp_dir()), path(dir + "/true") { REQUIRE(run_and_wait({"cp", "/bin/true", path}) == 0); }
  ~TrueCopy() {
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }
  off_t size() const {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
  }
};

// 0: not writable through fd and it runs; 1: writable; 2: does not run.
int check(int fd) {
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  int w = ::open(self.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (w >= 0) {
    bool wrote = ::write(w, "x", 1) == 1;
    ::close(w);
    if (wrote) return 1;
  }
  return run_and_wait({self}) == 0 ? 0 : 2;
}

}  // namespace

TEST_CASE("read_only_exe: runs the file, never writes it (read-only clone as root, memfd otherwise)") {
  TrueCopy t;
  off_t before = t.size();
  UniqueFd fd(::open(t.path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fd);
  UniqueFd ro = read_only_exe(fd.get(), t.path);
  REQUIRE(ro);
  CHECK(check(ro.get()) == 0);
  CHECK(t.size() == before);
}

TEST_CASE("read_only_exe: without CAP_SYS_ADMIN over the mount namespace, a sealed memfd copy") {
  TrueCopy t;
  off_t before = t.size();
  UniqueFd fd(::open(t.path.c_str(), O_RDONLY | O_CLOEXEC));  // before: the new user cannot enter the directory
  REQUIRE(fd);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    run_child([&]() -> int {
      // A new user namespace: no capability over the mount namespace we
      // are still in, so open_tree(OPEN_TREE_CLONE) is refused.
      if (::unshare(CLONE_NEWUSER) != 0) return 77;
      UniqueFd ro = read_only_exe(fd.get(), t.path);
      int seals = ::fcntl(ro.get(), F_GET_SEALS);
      if (seals < 0 || !(seals & F_SEAL_WRITE)) return 4;
      return check(ro.get());
    });
  }
  int code = exit_code_from_wait(wait_child(pid));
  if (code == 77) {
    MESSAGE("skipped: no unprivileged user namespaces on this host");
    return;
  }
  CHECK(code == 0);
  CHECK(t.size() == before);
}
