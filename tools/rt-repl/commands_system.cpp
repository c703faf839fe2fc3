// The runtime as a whole: info, version, gc, clear.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "cgroup.hpp"
#include "dir.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "image_store.hpp"
#include "parse.hpp"
#include "repl.hpp"
#include "storage.hpp"
#include "table.hpp"
#include "userns.hpp"
#include "userns_cache.hpp"

#ifndef RT_VERSION
#define RT_VERSION "0.0.0"
#endif

namespace rt::repl {
using json = nlohmann::ordered_json;

int cmd_version(Env&, const Parsed& p) {
  if (!p.operands.empty()) throw Error(str("unexpected argument '", p.operands[0], "' (usage: version)"));
  std::cout << "rt-repl " << RT_VERSION << "\n";
  return 0;
}

int cmd_clear(Env&, const Parsed& p) {
  if (!p.operands.empty()) throw Error(str("unexpected argument '", p.operands[0], "' (usage: clear)"));
  if (::isatty(STDOUT_FILENO)) std::cout << "\033[H\033[2J\033[3J" << std::flush;
  return 0;
}

void opts_info(po::options_description& d) {
  // clang-format off
  d.add_options()("json", po::bool_switch(), "print a JSON object (fields in rt-repl(1))");
  // clang-format on
}

namespace {

// Disk use of a directory tree (st_blocks, hard links counted once, not
// crossing into other file systems). 0 when it does not exist. nftw(3)
// takes no context, so the walk is a small recursion of our own, from each
// directory's fd (openat O_NOFOLLOW): no link followed, no path re-resolved.
void du(int dirfd, uint64_t& total, std::set<std::pair<dev_t, ino_t>>& seen, dev_t dev, int depth) {
  if (depth > 256) return;
  DIR* d = ::fdopendir(dirfd);
  if (!d) {
    ::close(dirfd);
    return;
  }
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (st.st_dev != dev) continue;
    if (st.st_nlink > 1 && !S_ISDIR(st.st_mode) && !seen.insert({st.st_dev, st.st_ino}).second) continue;
    total += static_cast<uint64_t>(st.st_blocks) * 512;
    if (S_ISDIR(st.st_mode)) {
      int fd = ::openat(::dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) du(fd, total, seen, dev, depth + 1);
    }
  }
  ::closedir(d);
}

uint64_t disk_use(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat st {};
  ::fstat(fd, &st);
  uint64_t total = static_cast<uint64_t>(st.st_blocks) * 512;
  std::set<std::pair<dev_t, ino_t>> seen;
  du(fd, total, seen, st.st_dev, 0);
  return total;
}

json cgroup_info() {
  try {
    cgroup::Host host = cgroup::detect();
    json hs = json::array();
    std::set<std::string> controllers;
    for (const auto& h : host.hierarchies) {
      std::vector<std::string> ctl = h.controllers;
      if (h.v2) {
        ctl.clear();
        if (auto text = try_read_file(h.mount + "/cgroup.controllers"))
          for (const auto& w : split(*text, ' '))
            if (!w.empty() && w != "\n") ctl.push_back(w.back() == '\n' ? w.substr(0, w.size() - 1) : w);
      }
      for (const auto& c : ctl)
        if (!starts_with(c, "name=")) controllers.insert(c);
      hs.push_back({{"version", h.v2 ? 2 : 1}, {"mount", h.mount}, {"controllers", ctl}});
    }
    return {{"mode", cgroup::mode_name(host.mode)},
            {"controllers", std::vector<std::string>(controllers.begin(), controllers.end())},
            {"hierarchies", hs}};
  } catch (const Error& e) {
    return {{"mode", nullptr}, {"controllers", json::array()}, {"hierarchies", json::array()}, {"error", e.what()}};
  }
}

std::vector<std::string> namespaces() {
  std::vector<std::string> out = dir_names("/proc/self/ns");
  std::erase_if(out, [](const std::string& n) { return n.find("_for_children") != std::string::npos; });
  return out;
}

// How containers' roots are assembled (storage.hpp): the driver rt-run
// would use now (RT_STORAGE_DRIVER, else the first that works here), and
// without root the id map too.
json storage_info(const Env& env) {
  const char* asked = std::getenv(storage::kEnvVar);
  json j;
  try {
    storage::Choice c = storage::choose(asked ? asked : "", storage::kEnvVar, env.ctx.store.root(), env.ctx.image_root);
    const char* what =
        c.driver == storage::Driver::fuse ? "overlayfs served by fuse-overlayfs"
        : c.driver == storage::Driver::vfs
            ? "a copy of the image's layers per container"
            : (::geteuid() == 0 ? "the kernel's overlayfs" : "the kernel's overlayfs in a user namespace, userxattr");
    j = {{"driver", storage::name(c.driver)}, {"description", what}, {"forced", c.forced}};
    if (!c.why.empty()) j["fallback"] = c.why;
  } catch (const Error& e) {
    j = {{"driver", nullptr}, {"error", e.what()}};
  }
  if (::geteuid() != 0) {
    std::string note;
    IdMaps maps = rootless_maps(note);
    json m = json::array();
    for (const auto& x : maps.uid) m.push_back(str(x.inner, ":", x.outer, ":", x.count));
    j["uid_map"] = m;
  }
  return j;
}

// Rootless: the user's user namespace cache (userns_cache.hpp), its
// holder's pid when one answers; null for root, who has none.
json userns_cache_info(const Env& env) {
  if (::geteuid() == 0) return nullptr;
  json j = {{"dir", userns_cache::dir(env.ctx.store.root())}, {"pid", nullptr}};
  if (auto pid = userns_cache::holder(env.ctx.store.root())) j["pid"] = *pid;
  return j;
}

// "overlay (the kernel's overlayfs, ...)", with why a fallback was taken.
std::string storage_line(const json& s) {
  if (s["driver"].is_null()) return str("unknown (", s["error"].get<std::string>(), ")");
  std::string out = str(s["driver"].get<std::string>(), " (", s["description"].get<std::string>(),
                        s["forced"].get<bool>() ? str(", set by ", storage::kEnvVar) : "", ")");
  if (s.contains("fallback")) out += str("\n  Why:           ", s["fallback"].get<std::string>());
  return out;
}

}  // namespace

int cmd_info(Env& env, const Parsed& p) {
  if (!p.operands.empty()) throw Error(str("unexpected argument '", p.operands[0], "' (usage: info [--json])"));
  utsname u{};
  ::uname(&u);
  auto all = ops::list(env.ctx, true);
  size_t running = std::count_if(all.begin(), all.end(), [](const auto& c) { return c.status == "running"; });
  std::set<std::string> ids;
  for (const auto& im : list_images(env.ctx.image_root)) ids.insert(im.id);
  json j = {
      {"version", RT_VERSION},
      {"kernel", u.release},
      {"architecture", u.machine},
      {"cgroup", cgroup_info()},
      {"namespaces", namespaces()},
      {"rootless", ::geteuid() != 0},
      {"userns_cache", userns_cache_info(env)},
      {"storage", storage_info(env)},
      {"tool_dir", env.ctx.tool_dir},
      {"state_root", env.ctx.store.root()},
      {"state_size", disk_use(env.ctx.store.root())},
      {"image_root", env.ctx.image_root},
      {"image_size", disk_use(env.ctx.image_root)},
      {"containers", {{"total", all.size()}, {"running", running}, {"stopped", all.size() - running}}},
      {"images", ids.size()},
  };
  if (p.has("json")) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  auto list = [](const json& a) {
    std::string s;
    for (const auto& v : a) s += (s.empty() ? "" : " ") + v.get<std::string>();
    return s.empty() ? "none" : s;
  };
  const json& cg = j["cgroup"];
  std::cout << "rt version:      " << RT_VERSION << "\n"
            << "Kernel:          " << u.release << " (" << u.machine << ")\n"
            << "Cgroups:         "
            << (cg["mode"].is_null() ? "none (" + cg["error"].get<std::string>() + ")" : cg["mode"].get<std::string>())
            << "\n"
            << "  Controllers:   " << list(cg["controllers"]) << "\n";
  for (const auto& h : cg["hierarchies"]) {
    std::string ctl = list(h["controllers"]);
    std::cout << "  " << (h["version"] == 2 ? "v2" : "v1") << " hierarchy:  " << h["mount"].get<std::string>()
              << (h["controllers"].empty() ? "" : " (" + ctl + ")") << "\n";
  }
  std::cout << "Namespaces:      " << list(j["namespaces"]) << "\n"
            << "Rootless:        " << (j["rootless"].get<bool>() ? "yes" : "no") << "\n";
  if (const json& u = j["userns_cache"]; !u.is_null())
    std::cout << "  Userns cache:  "
              << (u["pid"].is_null() ? std::string("none")
                                     : str("pid ", u["pid"].get<int>(), " (", u["dir"].get<std::string>(), ")"))
              << "\n";
  std::cout << "Storage:         " << storage_line(j["storage"]) << "\n";
  if (j["storage"].contains("uid_map")) std::cout << "  uid map:       " << list(j["storage"]["uid_map"]) << "\n";
  std::cout << "Tools:           " << env.ctx.tool_dir << "\n"
            << "State store:     " << env.ctx.store.root() << " (" << human_size(j["state_size"]) << ")\n"
            << "Image store:     " << env.ctx.image_root << " (" << human_size(j["image_size"]) << ")\n"
            << "Containers:      " << all.size() << "\n"
            << "  Running:       " << running << "\n"
            << "  Stopped:       " << all.size() - running << "\n"
            << "Images:          " << ids.size() << "\n";
  return 0;
}

int cmd_gc(Env& env, const Parsed& p) {
  if (!p.operands.empty()) throw Error(str("unexpected argument '", p.operands[0], "' (usage: gc)"));
  ops::GcReport r = ops::gc(env.ctx);
  for (const auto& n : r.exited) std::cout << "stopped: " << n << " (its supervisor was gone)\n";
  for (const auto& n : r.removed) std::cout << "removed: " << n << "\n";
  for (const auto& n : r.cgroups) std::cout << "removed cgroup: rt-" << n << "\n";
  GcResult g = gc_store(env.ctx.image_root, env.ctx.store.root());
  std::cout << "image store: " << g.blobs << " blobs, " << g.layers << " layers, " << g.temps
            << " temporary files freed (" << human_size(g.bytes) << ")\n";
  return 0;
}

}  // namespace rt::repl
