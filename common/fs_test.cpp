// Unit tests of fs.cpp: the tree remover every store uses.
#include "fs.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "dir.hpp"
#include "error.hpp"
#include "unit_support.hpp"

using namespace rt;
using rt::unit::temp_dir;

namespace {

void make_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  REQUIRE(fd);
}

// Drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the effective set
// while alive (a rootless user has neither), puts them back after.
class NoDacOverride {
 public:
  NoDacOverride() : saved_(cap_get_proc()) {
    cap_t c = cap_dup(saved_);
    cap_value_t v[] = {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH};
    cap_set_flag(c, CAP_EFFECTIVE, 2, v, CAP_CLEAR);
    REQUIRE(cap_set_proc(c) == 0);
    cap_free(c);
  }
  ~NoDacOverride() {
    cap_set_proc(saved_);
    cap_free(saved_);
  }
  NoDacOverride(const NoDacOverride&) = delete;
  NoDacOverride& operator=(const NoDacOverride&) = delete;

 private:
  cap_t saved_;
};

}  // namespace

TEST_CASE("remove_tree: files, nested directories, a symlink's target left alone") {
  std::string t = temp_dir();
  std::string outside = t + "/outside";
  mkdir_p(outside);
  make_file(outside + "/keep");
  mkdir_p(t + "/tree/a/b/c");
  make_file(t + "/tree/a/b/c/f");
  make_file(t + "/tree/top");
  REQUIRE(::symlink(outside.c_str(), (t + "/tree/a/link").c_str()) == 0);
  CHECK_FALSE(remove_tree(t + "/tree"));
  CHECK_FALSE(path_exists(t + "/tree"));
  CHECK(path_exists(outside + "/keep"));
  CHECK_FALSE(remove_tree(t + "/tree"));  // gone already: success
  CHECK_FALSE(remove_tree(t));
  CHECK_FALSE(path_exists(t));
}

TEST_CASE("remove_tree_at with remove_dirs_overlapped: deep and wide trees; names as the walk's own") {
  std::string t = temp_dir();
  // The walk moves emptied directories into the top as .rt-removing-N: a
  // tree that has such names already loses nothing more and keeps no part.
  for (const char* d : {"/tree/.rt-removing-0/x/y", "/tree/.rt-removing-1", "/tree/upper/etc/a/b",
                        "/tree/work/work/incompat/volatile", "/tree/w1/w2/w3/w4/w5/w6"})
    mkdir_p(t + d);
  make_file(t + "/tree/.rt-removing-0/x/y/f");
  make_file(t + "/tree/work/work/incompat/volatile/dirty");
  make_file(t + "/tree/w1/w2/w3/w4/w5/w6/f");
  for (int i = 0; i < 40; ++i) mkdir_p(t + "/tree/many/d" + std::to_string(i) + "/e");
  mkdir_p(t + "/outside");
  make_file(t + "/outside/keep");
  REQUIRE(::symlink((t + "/outside").c_str(), (t + "/tree/w1/w2/link").c_str()) == 0);
  size_t fds = dir_names("/proc/self/fd").size();
  std::error_code ec = remove_tree_at(AT_FDCWD, t + "/tree", remove_dirs_overlapped);
  CHECK_MESSAGE(!ec, ec.message());
  CHECK_FALSE(path_exists(t + "/tree"));
  CHECK(path_exists(t + "/outside/keep"));
  // Each directory is held open across its rmdir; the helper may still be
  // closing its last one, but none stays open.
  for (int i = 0; i < 200 && dir_names("/proc/self/fd").size() > fds; ++i) ::usleep(10000);
  CHECK(dir_names("/proc/self/fd").size() == fds);
  CHECK_FALSE(remove_tree_at(AT_FDCWD, t + "/tree", remove_dirs_overlapped));  // gone already: success
  remove_tree(t);
}

// A helper thread that has not had a CPU yet is not waited for: the caller,
// pinned to one CPU at SCHED_FIFO (the helper inherits both, so it cannot
// run before the caller blocks or lowers its priority), removes every
// directory itself and returns while the helper has still not run (3 tasks:
// the test's, the caller, the helper). Joining it instead (the old way) lets
// it run and end first (2 tasks). On a tmpfs (/dev/shm): no removal there
// waits for a disk, which would give the helper the CPU.
TEST_CASE("remove_dirs_overlapped: returns without waiting for a helper that got no CPU") {
  std::string t = "/dev/shm/rt-unit.XXXXXX";
  REQUIRE(::mkdtemp(t.data()) != nullptr);
  for (int i = 0; i < 6; ++i) mkdir_p(t + "/top/d" + std::to_string(i));
  size_t tasks = 0;
  bool ran = false;
  std::error_code ec;
  std::thread caller([&] {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    sched_param fifo{};
    fifo.sched_priority = 1;
    if (::sched_setaffinity(0, sizeof one, &one) != 0 || ::sched_setscheduler(0, SCHED_FIFO, &fifo) != 0) return;
    ran = true;
    UniqueFd top(::open((t + "/top").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ec = remove_dirs_overlapped(top.get(), {"d0", "d1", "d2", "d3", "d4", "d5"});
    tasks = dir_names("/proc/self/task").size();
    sched_param other{};
    ::sched_setscheduler(0, SCHED_OTHER, &other);
  });
  caller.join();
  if (!ran) {
    MESSAGE("skipped: SCHED_FIFO not permitted here (needs CAP_SYS_NICE and RT time)");
  } else {
    CHECK_MESSAGE(!ec, ec.message());
    for (int i = 0; i < 6; ++i) CHECK_FALSE(path_exists(t + "/top/d" + std::to_string(i)));
    CHECK(tasks == 3);  // the test's main thread, the caller, the helper not yet run
  }
  remove_tree(t);
}

TEST_CASE("remove_tree: directories nobody may read (mode 000), without CAP_DAC_OVERRIDE") {
  std::string t = temp_dir();
  mkdir_p(t + "/layer/locked/inner");
  make_file(t + "/layer/locked/inner/f");
  make_file(t + "/layer/locked/g");
  REQUIRE(::chmod((t + "/layer/locked/inner").c_str(), 0) == 0);
  REQUIRE(::chmod((t + "/layer/locked").c_str(), 0) == 0);
  {
    NoDacOverride no_override;
    // the precondition: without the capability, the directory is unreadable
    UniqueFd probe(::open((t + "/layer/locked").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    REQUIRE_FALSE(probe);
    std::error_code ec = remove_tree(t + "/layer");
    CHECK_MESSAGE(!ec, ec.message());
  }
  CHECK_FALSE(path_exists(t + "/layer"));
  remove_tree(t);
}

TEST_CASE("remove_tree_at: relative to a directory fd") {
  std::string t = temp_dir();
  mkdir_p(t + "/d/e");
  make_file(t + "/d/e/f");
  UniqueFd dir(::open(t.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(dir);
  CHECK_FALSE(remove_tree_at(dir.get(), "d"));
  CHECK_FALSE(path_exists(t + "/d"));
  make_file(t + "/plain");
  CHECK_FALSE(remove_tree_at(dir.get(), "plain"));
  CHECK_FALSE(path_exists(t + "/plain"));
  remove_tree(t);
}

TEST_CASE("write_all: more than a pipe holds at once reaches the reader whole; a failure names what") {
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  UniqueFd r(p[0]), w(p[1]);
  std::string data(1 << 20, 'x');  // a pipe holds 64 KiB: many writes
  std::string got;
  std::thread reader([&] {
    char buf[65536];
    for (ssize_t n; (n = ::read(r.get(), buf, sizeof buf)) != 0;)
      if (n > 0) got.append(buf, static_cast<size_t>(n));
  });
  CHECK_NOTHROW(write_all(w.get(), data, "the pipe"));
  w.reset();
  reader.join();
  CHECK(got == data);
  CHECK_THROWS_WITH_AS(write_all(-1, "x", "nothing"), "cannot write nothing: Bad file descriptor", Error);
}

TEST_CASE("PendingPidFile: the pid written and renamed into place on commit, the temporary file gone without") {
  std::string d = temp_dir();
  {
    PendingPidFile f(d + "/pid");
    CHECK(dir_names(d).size() == 1);  // the temporary file, under a name of its own
    CHECK(!path_exists(d + "/pid"));
    CHECK(f.commit(1234) == nullptr);
  }
  CHECK(read_file(d + "/pid") == "1234\n");
  CHECK(dir_names(d).size() == 1);
  { PendingPidFile f(d + "/other"); }  // never committed: nothing left
  CHECK(dir_names(d).size() == 1);
  write_pid_file(d + "/pid", 56);
  CHECK(read_file(d + "/pid") == "56\n");
  CHECK_THROWS_AS(PendingPidFile(d + "/"), Error);
  remove_tree(d);
}
