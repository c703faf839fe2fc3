// Unit tests of userns_cache.cpp: names, maps, the idle time, and the
// holder's loop (serve) in a child of the test, in the test's own user
// namespace: it serves, ends when idle or told to go, and cleans up.
#include "userns_cache.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "dir.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "parse.hpp"

using namespace rt;

TEST_CASE("holder_of: PID.sock names a holder, nothing else does") {
  CHECK(userns_cache::holder_of("123.sock") == 123);
  CHECK(userns_cache::holder_of("4194304.sock") == 4194304);
  for (const char* bad : {".sock", "0.sock", "012.sock", "12a.sock", "123.soc", "123", "current", "1234567890.sock",
                          "current.123", "-1.sock"})
    CHECK_MESSAGE(!userns_cache::holder_of(bad), bad);
}

TEST_CASE("parse_proc_map: the kernel's padded lines, in order; same_maps compares all three fields") {
  auto m = userns_cache::parse_proc_map("         0       1000          1\n         1     100000      65536\n");
  REQUIRE(m.size() == 2);
  CHECK(m[1].inner == 1);
  CHECK(m[1].outer == 100000);
  CHECK(m[1].count == 65536);
  CHECK(userns_cache::same_maps(m, {{0, 1000, 1}, {1, 100000, 65536}}));
  CHECK(!userns_cache::same_maps(m, {{0, 1000, 1}, {1, 100000, 65535}}));
  CHECK(!userns_cache::same_maps(m, {{0, 1000, 1}}));
  CHECK(!userns_cache::same_maps(m, {{1, 100000, 65536}, {0, 1000, 1}}));
  CHECK(userns_cache::parse_proc_map("").empty());  // not mapped yet
  CHECK_THROWS_AS(userns_cache::parse_proc_map("0 1000\n"), Error);
  CHECK_THROWS_AS(userns_cache::parse_proc_map("0 x 1\n"), Error);
}

TEST_CASE("idle_ms: 60 s unless the test variable says otherwise, 1 to 3600 s") {
  CHECK(userns_cache::idle_ms(nullptr) == 60000);
  CHECK(userns_cache::idle_ms("2") == 2000);
  CHECK(userns_cache::idle_ms("3600") == 3600000);
  for (const char* bad : {"0", "", "x", "1.5", "3601", "-1"}) CHECK_THROWS_AS(userns_cache::idle_ms(bad), Error);
}

namespace {

std::string read_link(const std::string& path) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

// A holder of the test's own user namespace (no new one: serve does not
// care), in a child, with the cache directory below a temporary dir.
struct Holder {
  std::string root, dir;
  pid_t pid = -1;
  int go = -1;

  explicit Holder(int idle_ms) {
    char tmpl[] = "/tmp/rt-userns-cache-test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl));
    root = tmpl;
    dir = userns_cache::dir(root);
    REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
    int p[2];
    REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
    userns_cache::HolderPlan plan{dir.c_str(), p[0], idle_ms};
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) userns_cache::serve(plan);
    ::close(p[0]);
    go = p[1];
  }
  ~Holder() {
    if (go >= 0) ::close(go);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    remove_tree(root);
  }
  // The go-ahead, then wait until the link is in place.
  void serving() {
    REQUIRE(::write(go, "x", 1) == 1);
    while (!path_exists(dir + "/" + userns_cache::kLink)) ::usleep(1000);
  }
  // Its exit status, once it has ended by itself.
  int ended() {
    int st = 0;
    REQUIRE(::waitpid(pid, &st, 0) == pid);
    pid = -1;
    return st;
  }
  // Serving, then SIGKILLed (no clean-up of its files) and reaped: its pid.
  pid_t killed_while_serving() {
    serving();
    pid_t was = pid;
    ::kill(pid, SIGKILL);
    ended();
    return was;
  }
  // The maps /proc shows for our own namespace, which the holder is in.
  static IdMaps own_maps() {
    return {userns_cache::parse_proc_map(read_file("/proc/self/uid_map")),
            userns_cache::parse_proc_map(read_file("/proc/self/gid_map"))};
  }
};

}  // namespace

TEST_CASE(
    "serve: after the go-ahead it sends its namespace to each client, then ends when idle and removes its files") {
  Holder h(300);
  h.serving();
  CHECK(path_exists(h.dir + "/" + std::to_string(h.pid) + ".sock"));
  CHECK(read_link(h.dir + "/current") == std::to_string(h.pid) + ".sock");
  for (int i = 0; i < 2; ++i) {
    std::string why;
    auto j = userns_cache::join(h.root, Holder::own_maps(), why);
    REQUIRE_MESSAGE(j, why);
    CHECK(j->holder == h.pid);
    struct stat got {
    }, ours{};
    REQUIRE(::fstat(j->ns.get(), &got) == 0);
    REQUIRE(::stat("/proc/self/ns/user", &ours) == 0);
    CHECK(got.st_ino == ours.st_ino);
  }
  CHECK(userns_cache::holder(h.root) == h.pid);
  pid_t pid = h.pid;
  int st = h.ended();  // no more connections: idle
  CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0));
  CHECK(!path_exists(h.dir + "/current"));
  CHECK(!path_exists(h.dir + "/" + std::to_string(pid) + ".sock"));
  std::string why;
  CHECK(!userns_cache::join(h.root, Holder::own_maps(), why));
  CHECK(why == "none yet");
  CHECK(!userns_cache::holder(h.root));
}

TEST_CASE("serve: without the go-ahead (the maps failed) it ends at once and makes nothing") {
  Holder h(60000);
  ::close(std::exchange(h.go, -1));
  int st = h.ended();
  CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0));
  CHECK(dir_names(h.dir).empty());
}

TEST_CASE("join: a holder whose maps are not the ones asked for is not joined, and is told to go (SIGTERM)") {
  Holder h(60000);
  h.serving();
  IdMaps other = Holder::own_maps();
  other.uid.push_back({1, 2, 3});
  std::string why;
  CHECK(!userns_cache::join(h.root, other, why));
  CHECK(why.find("are not ours now (told it to go)") != std::string::npos);
  pid_t pid = h.pid;
  int st = h.ended();  // SIGTERM, read from its signalfd: it cleans up and exits 0
  CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0));
  CHECK(!path_exists(h.dir + "/current"));
  CHECK(!path_exists(h.dir + "/" + std::to_string(pid) + ".sock"));
}

TEST_CASE("join: a holder killed without clean-up is not joined; its socket is removed") {
  Holder h(60000);
  pid_t pid = h.killed_while_serving();
  CHECK(path_exists(h.dir + "/" + std::to_string(pid) + ".sock"));
  std::string why;
  CHECK(!userns_cache::join(h.root, Holder::own_maps(), why));
  CHECK(why == "its holder is gone");
  CHECK(!path_exists(h.dir + "/" + std::to_string(pid) + ".sock"));
  CHECK(!path_exists(h.dir + "/current"));
}

TEST_CASE("join: a dead holder's files are removed only under the directory's lock, never waited for") {
  Holder h(60000);
  pid_t pid = h.killed_while_serving();
  std::string sock = h.dir + "/" + std::to_string(pid) + ".sock";
  UniqueFd lock(::open(h.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(::flock(lock.get(), LOCK_EX) == 0);  // a holder changing the link
  std::string why;
  CHECK(!userns_cache::join(h.root, Holder::own_maps(), why));
  CHECK(why == "its holder is gone");
  CHECK(path_exists(sock));
  CHECK(read_link(h.dir + "/current") == std::to_string(pid) + ".sock");
  lock.reset();
  CHECK(!userns_cache::join(h.root, Holder::own_maps(), why));
  CHECK(!path_exists(sock));
  CHECK(!path_exists(h.dir + "/current"));
}

namespace {
// PID waits for an flock (/proc/locks: "N: -> FLOCK ADVISORY WRITE PID ...").
bool waits_for_lock(pid_t pid) {
  for (const auto& line : split(read_file("/proc/locks"), '\n')) {
    std::vector<std::string> f;
    for (const auto& w : split(line, ' '))
      if (!w.empty()) f.push_back(w);
    if (f.size() > 5 && f[1] == "->" && f[2] == "FLOCK" && f[5] == std::to_string(pid)) return true;
  }
  return false;
}
}  // namespace

TEST_CASE("serve: an ending holder removes the link under the directory's lock, and only while it is its own") {
  Holder h(60000);
  h.serving();
  UniqueFd lock(::open(h.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(::flock(lock.get(), LOCK_EX) == 0);
  ::kill(h.pid, SIGTERM);
  int i = 0;
  while (!waits_for_lock(h.pid) && ++i < 10000) ::usleep(1000);
  REQUIRE_MESSAGE(waits_for_lock(h.pid), "the ending holder does not wait for the directory's lock");
  CHECK(read_link(h.dir + "/current") == std::to_string(h.pid) + ".sock");
  // Meanwhile a newer holder (this test, holding the lock) links its socket.
  REQUIRE(::symlinkat("999999.sock", lock.get(), "current.999999") == 0);
  REQUIRE(::renameat(lock.get(), "current.999999", lock.get(), "current") == 0);
  lock.reset();
  pid_t pid = h.pid;
  int st = h.ended();
  CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0));
  CHECK(!path_exists(h.dir + "/" + std::to_string(pid) + ".sock"));
  CHECK(read_link(h.dir + "/current") == "999999.sock");
}

TEST_CASE("holder: names the running holder without connecting: asked over and over, it still ends when idle") {
  Holder h(500);
  h.serving();
  CHECK(userns_cache::holder(h.root) == h.pid);
  // (no timed assertion: asked every 20 ms, a holder whose idle time each
  // question restarted would never end; this one ends 0.5 s after it began)
  pid_t pid = h.pid, got = 0;
  int st = 0;
  for (int i = 0; i < 1000 && got == 0; ++i) {
    auto named = userns_cache::holder(h.root);
    CHECK((!named || *named == pid));
    ::usleep(20000);
    got = ::waitpid(pid, &st, WNOHANG);
  }
  REQUIRE_MESSAGE(got == pid, "the holder did not end while asked");
  h.pid = -1;
  CHECK((WIFEXITED(st) && WEXITSTATUS(st) == 0));
  CHECK(!userns_cache::holder(h.root));
  CHECK(!path_exists(h.dir + "/current"));
}

TEST_CASE("holder: nothing for a link whose process is gone or is not a holder") {
  Holder h(60000);
  pid_t pid = h.killed_while_serving();
  CHECK(!userns_cache::holder(h.root));  // its files are still there
  // a link to a socket named for a process that is no holder (this test)
  std::string self = std::to_string(::getpid()) + ".sock";
  REQUIRE(::rename((h.dir + "/" + std::to_string(pid) + ".sock").c_str(), (h.dir + "/" + self).c_str()) == 0);
  REQUIRE(::unlink((h.dir + "/current").c_str()) == 0);
  REQUIRE(::symlink(self.c_str(), (h.dir + "/current").c_str()) == 0);
  CHECK(!userns_cache::holder(h.root));
}
