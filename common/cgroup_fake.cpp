// RT_CGROUP_FS=DIR: a tree of plain files that stands for the cgroup
// filesystems in tests (see detect() in cgroup_host.hpp). Its pids are
// nobody's: nothing in it is ever signalled, and a move (Tree::move) only
// rewrites two of its files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "cgroup_files.hpp"
#include "cgroup_host.hpp"
#include "dir.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"

namespace rt::cgroup {
namespace {

class FakeTree final : public Tree {
 public:
  explicit FakeTree(std::string root) : root_(std::move(root)) {}

  std::vector<Hierarchy> hierarchies(const std::vector<Membership>& self) const override {
    std::vector<Hierarchy> out;
    auto add_v2 = [&](const std::string& mount) {
      Hierarchy h;
      h.v2 = true;
      h.id = 0;
      h.mount = mount;
      for (const auto& s : self)
        if (s.id == 0 && s.controllers.empty()) h.self = s.path;
      out.push_back(std::move(h));
    };
    if (exists(root_ + "/cgroup.controllers")) {
      add_v2(root_);
      return out;
    }
    for (const auto& sub : groups_below(root_)) {
      std::string mount = root_ + "/" + sub;
      if (exists(mount + "/cgroup.controllers")) {
        add_v2(mount);
        continue;
      }
      Hierarchy h;
      h.mount = mount;
      h.controllers = split(sub == "systemd" ? "name=systemd" : sub, ',');
      for (const auto& s : self)
        if (!s.controllers.empty() && contains(h.controllers, s.controllers[0])) {
          h.id = s.id;
          h.self = s.path;
        }
      out.push_back(std::move(h));
    }
    return out;
  }

  // Directories whose name starts with '.' (.template) are no groups.
  std::vector<std::string> groups_below(const std::string& dir) const override {
    std::vector<std::string> out;
    for (auto& d : subdir_names(dir))
      if (d[0] != '.') out.push_back(std::move(d));
    return out;
  }

  // A new directory gets the files the kernel would create: copies of the
  // hierarchy's .template/ files.
  bool make(const Hierarchy& h, const std::string& dir) const override {
    if (::mkdir(dir.c_str(), 0755) != 0) {
      if (errno == EEXIST) return false;
      throw_errno(str("cannot create cgroup ", dir));
    }
    std::string tpl = h.mount + "/.template";
    for (const auto& name : dir_names(tpl)) {
      std::string src = tpl + "/" + name;
      struct stat st {};
      if (::stat(src.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      auto data = try_read_file(src);
      std::string dst = dir + "/" + name;
      UniqueFd fd(::open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (!fd || !data) continue;
      const std::string& bytes = *data;
      ssize_t n = ::write(fd.get(), bytes.data(), bytes.size());
      (void)n;
    }
    log::step("created ", dir);
    return true;
  }

  // Its files are deleted first (cgroupfs's go with the directory).
  int remove(const std::string& dir) const override {
    for (const auto& name : dir_names(dir)) {
      std::string f = dir + "/" + name;
      struct stat st {};
      if (::lstat(f.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) ::unlink(f.c_str());
    }
    return ::rmdir(dir.c_str()) == 0 ? 0 : errno;
  }

  // The pid leaves `from`'s cgroup.procs and is added to `to`'s.
  int move(const std::string& from, const std::string& to, pid_t pid) const override {
    std::string p = std::to_string(pid);
    auto without = [&](const std::string& file) {
      std::string out;
      for (const auto& w : words(try_read_file(file).value_or("")))
        if (w != p) out += w + "\n";
      return out;
    };
    if (!exists(to + "/cgroup.procs")) return ENOENT;
    if (auto ec = write_cg(from + "/cgroup.procs", without(from + "/cgroup.procs"))) return ec.value();
    return write_cg(to + "/cgroup.procs", without(to + "/cgroup.procs") + p + "\n").value();
  }

  // cgroup.subtree_control's words, with `enable` added and `disable` gone;
  // ENOENT for one cgroup.controllers does not list.
  int control(const std::string& dir, const std::vector<std::string>& enable,
              const std::vector<std::string>& disable) const override {
    auto have = words(try_read_file(dir + "/cgroup.controllers").value_or(""));
    std::vector<std::string> out;
    for (const auto& w : words(try_read_file(dir + "/cgroup.subtree_control").value_or("")))
      if (!contains(disable, w)) out.push_back(w);
    for (const auto& c : enable) {
      if (!contains(have, c)) return ENOENT;
      if (!contains(out, c)) out.push_back(c);
    }
    return write_cg(dir + "/cgroup.subtree_control", join(out, " ") + "\n").value();
  }

  bool live() const override { return false; }

 private:
  std::string root_;
};

}  // namespace

std::shared_ptr<const Tree> fake_tree(const std::string& dir) {
  if (!is_dir(dir)) throw Error(str("RT_CGROUP_FS=", dir, ": not a directory"));
  return std::make_shared<const FakeTree>(dir);
}

}  // namespace rt::cgroup
