// Unit tests of copy.cpp: the vfs driver's merge of layers into one tree.
#include "copy.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "error.hpp"
#include "fs.hpp"
#include "unit_support.hpp"

using namespace rt;
using rt::unit::temp_dir;

namespace {

void put(const std::string& path, const std::string& text, mode_t mode = 0644) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  REQUIRE(fd);
  REQUIRE(::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  REQUIRE(::fchmod(fd.get(), mode) == 0);
}

std::string get(const std::string& path) { return try_read_file(path).value_or("<missing>"); }

}  // namespace

TEST_CASE("copy_layers: upper layers replace lower ones; modes, times, links, hard links kept") {
  std::string t = temp_dir();
  std::string low = t + "/low", up = t + "/up", dest = t + "/dest";
  for (const auto& d : {low, up, dest, low + "/etc", low + "/ro", low + "/was_dir", up + "/etc"})
    REQUIRE(::mkdir(d.c_str(), 0755) == 0);
  put(low + "/etc/a", "low a");
  put(low + "/etc/b", "low b", 0600);
  put(up + "/etc/a", "up a");
  put(low + "/was_dir/inner", "x");
  put(up + "/was_dir", "now a file");
  put(low + "/ro/f", "in a read-only directory");
  REQUIRE(::chmod((low + "/ro").c_str(), 0555) == 0);
  put(up + "/h1", "hard");
  REQUIRE(::link((up + "/h1").c_str(), (up + "/h2").c_str()) == 0);
  REQUIRE(::symlink("/etc/a", (up + "/link").c_str()) == 0);
  REQUIRE(::mkfifo((up + "/fifo").c_str(), 0640) == 0);
  const timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
  REQUIRE(::utimensat(AT_FDCWD, (low + "/etc/b").c_str(), old, 0) == 0);

  UniqueFd d(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(d);
  mnt::CopyStats s = mnt::copy_layers({up, low}, d.get());
  CHECK(get(dest + "/etc/a") == "up a");
  CHECK(get(dest + "/etc/b") == "low b");
  CHECK(get(dest + "/was_dir") == "now a file");
  CHECK(get(dest + "/ro/f") == "in a read-only directory");
  struct stat st {};
  REQUIRE(::stat((dest + "/etc/b").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_mtim.tv_sec == 1000000000);
  REQUIRE(::stat((dest + "/ro").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0555);
  struct stat h1 {
  }, h2{};
  REQUIRE(::stat((dest + "/h1").c_str(), &h1) == 0);
  REQUIRE(::stat((dest + "/h2").c_str(), &h2) == 0);
  CHECK(h1.st_ino == h2.st_ino);
  char target[64] = {};
  REQUIRE(::readlink((dest + "/link").c_str(), target, sizeof target - 1) > 0);
  CHECK(std::string(target) == "/etc/a");
  REQUIRE(::lstat((dest + "/fifo").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  CHECK(s.bytes > 0);
  CHECK(s.entries >= 10);
  ::chmod((low + "/ro").c_str(), 0755);
  ::chmod((dest + "/ro").c_str(), 0755);
  CHECK(!remove_tree(t));
}

TEST_CASE("copy_layers: a whiteout removes what is below it, an opaque directory hides it") {
  if (::geteuid() != 0) return;  // a whiteout is a device node: root's to make
  std::string t = temp_dir();
  std::string low = t + "/low", up = t + "/up", dest = t + "/dest";
  for (const auto& d : {low, up, dest, low + "/gone", low + "/opq", up + "/opq"})
    REQUIRE(::mkdir(d.c_str(), 0755) == 0);
  put(low + "/file", "deleted above");
  put(low + "/gone/f", "x");
  put(low + "/opq/old", "hidden above");
  put(up + "/opq/new", "new");
  REQUIRE(::mknod((up + "/file").c_str(), S_IFCHR | 0, makedev(0, 0)) == 0);
  REQUIRE(::mknod((up + "/gone").c_str(), S_IFCHR | 0, makedev(0, 0)) == 0);
  REQUIRE(::setxattr((up + "/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);
  UniqueFd d(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(d);
  mnt::copy_layers({up, low}, d.get());
  CHECK(!path_exists(dest + "/file"));
  CHECK(!path_exists(dest + "/gone"));
  CHECK(!path_exists(dest + "/opq/old"));
  CHECK(get(dest + "/opq/new") == "new");
  char v[4];
  CHECK(::getxattr((dest + "/opq").c_str(), "trusted.overlay.opaque", v, sizeof v) < 0);
  CHECK(!remove_tree(t));
}
