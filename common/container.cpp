#include "container.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "dir.hpp"
#include "error.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "userns.hpp"

namespace rt {
using json = nlohmann::json;

std::string to_json(const ContainerState& c, int indent) {
  json j = {
      {"id", c.id},
      {"name", c.name},
      {"status", c.status},
      {"pid", c.pid},
      {"pid_start", c.pid_start},
      {"supervisor", c.supervisor},
      {"supervisor_start", c.supervisor_start},
      {"exit_code", c.exit_code},
      {"created", c.created},
      {"started", c.started},
      {"finished", c.finished},
      {"command", c.command},
      {"rootfs", c.rootfs},
      {"image", {{"ref", c.image}, {"id", c.image_id}}},
      {"hostname", c.hostname},
      {"cgroup", c.cgroup},
      {"cgroup_paths", c.cgroup_paths},
      {"bundle", c.bundle},
      {"log_path", c.log_path},
      {"auto_remove", c.auto_remove},
      {"detached", c.detached},
      {"tty", c.tty},
      {"exec_args", c.exec_args},
      {"env", c.env},
      {"hooks", c.hooks},
      {"network", c.network},
      {"ips", c.ips},
      {"ports", c.ports},
      {"storage_driver", c.storage_driver},
      {"error", c.error},
  };
  return j.dump(indent);
}

ContainerState state_from_json(const std::string& text, const std::string& where) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(str("corrupt container state ", where));
  ContainerState c;
  try {
    c.id = j.value("id", "");
    c.name = j.value("name", "");
    c.status = j.value("status", "created");
    c.pid = j.value("pid", 0);
    c.pid_start = j.value("pid_start", uint64_t{0});
    c.supervisor = j.value("supervisor", 0);
    c.supervisor_start = j.value("supervisor_start", uint64_t{0});
    c.exit_code = j.value("exit_code", -1);
    c.created = j.value("created", "");
    c.started = j.value("started", "");
    c.finished = j.value("finished", "");
    c.command = j.value("command", std::vector<std::string>{});
    c.rootfs = j.value("rootfs", "");
    if (j.contains("image") && j["image"].is_object()) {
      c.image = j["image"].value("ref", "");
      c.image_id = j["image"].value("id", "");
    }
    c.hostname = j.value("hostname", "");
    c.cgroup = j.value("cgroup", "");
    c.cgroup_paths = j.value("cgroup_paths", std::vector<std::string>{});
    c.bundle = j.value("bundle", "");
    c.log_path = j.value("log_path", "");
    c.auto_remove = j.value("auto_remove", false);
    c.detached = j.value("detached", false);
    c.tty = j.value("tty", false);
    c.exec_args = j.value("exec_args", std::vector<std::string>{});
    c.env = j.value("env", std::vector<std::string>{});
    c.hooks = j.value("hooks", std::vector<std::string>{});
    c.network = j.value("network", "");
    c.ips = j.value("ips", std::vector<std::string>{});
    c.ports = j.value("ports", std::vector<std::string>{});
    c.storage_driver = j.value("storage_driver", "");
    c.error = j.value("error", "");
  } catch (const json::exception&) {
    throw Error(str("corrupt container state ", where));
  }
  if (c.id.size() != 64) throw Error(str("corrupt container state ", where, ": bad id"));
  return c;
}

std::string env_block(const std::vector<std::string>& env) {
  std::string out;
  for (const auto& kv : env) {
    if (kv.find('\0') != std::string::npos)
      throw Error(str("environment variable ", kv.substr(0, kv.find_first_of(std::string("=\0", 2))),
                      " holds a NUL byte, which no environment can carry"));
    out += kv;
    out.push_back('\0');
  }
  return out;
}

UniqueFd env_memfd(const std::vector<std::string>& env) {
  std::string block = env_block(env);
  UniqueFd fd(::memfd_create("rt-env", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) throw_errno("cannot create a memfd for the environment");
  write_all(fd.get(), block, "the environment to a memfd");
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) throw_errno("cannot rewind the environment's memfd");
  // Read-only from here on, for whoever holds it.
  ::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  return fd;
}

std::string new_container_id() {
  unsigned char b[32];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot get random bytes for a container id");
    }
    got += static_cast<size_t>(n);
  }
  static const char hex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char c : b) {
    id.push_back(hex[c >> 4]);
    id.push_back(hex[c & 15]);
  }
  // Like docker, never an all-digit short id (it would read as a number).
  if (std::all_of(id.begin(), id.begin() + 12, [](char c) { return c >= '0' && c <= '9'; })) id[0] = 'a';
  return id;
}

std::string random_name() {
  static const char* const adjectives[] = {
      "agile", "bold",  "brave", "calm",   "clever", "cosmic", "eager",  "fancy",  "gentle", "happy",
      "jolly", "keen",  "lucid", "merry",  "nimble", "noble",  "plucky", "quick",  "quiet",  "rapid",
      "sharp", "shy",   "snowy", "spry",   "stoic",  "sunny",  "swift",  "tidy",   "vivid",  "witty",
      "wise",  "zesty", "amber", "silent", "steady", "upbeat", "frosty", "dreamy", "hungry", "lively"};
  static const char* const nouns[] = {
      "babbage", "bell",   "curie",   "darwin", "dijkstra", "einstein", "euler",    "fermi",      "galois",
      "gauss",   "hopper", "hypatia", "kepler", "knuth",    "lamport",  "lovelace", "maxwell",    "meitner",
      "morse",   "newton", "noether", "pascal", "planck",   "ritchie",  "shannon",  "tesla",      "thompson",
      "turing",  "volta",  "wozniak", "yalow",  "zuse",     "hamilton", "lamarr",   "mirzakhani", "ramanujan"};
  uint32_t r = 0;
  if (::getrandom(&r, sizeof r, 0) != sizeof r) r = static_cast<uint32_t>(::getpid() ^ ::time(nullptr));
  return str(adjectives[r % std::size(adjectives)], "_", nouns[(r / std::size(adjectives)) % std::size(nouns)]);
}

bool valid_container_name(const std::string& n) {
  if (n.empty() || n.size() > 128) return false;
  if (!std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

ContainerStore::ContainerStore(std::string root) : root_(std::move(root)) {}

static bool claim_name(const std::string& path, const std::string& id) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    if (errno == EEXIST) return false;
    throw_errno(str("cannot claim container name ", path));
  }
  if (::write(fd.get(), id.data(), id.size()) != static_cast<ssize_t>(id.size()))
    throw_errno(str("cannot write ", path));
  return true;
}

// A directory of the store, for its owner alone (as docker keeps
// /var/lib/docker/containers): records hold the containers' environments.
// One an older rt made with wider modes is narrowed.
static void private_dir(const std::string& path) {
  mkdir_p(path, 0700);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw_errno(str("cannot stat ", path));
  if (!S_ISDIR(st.st_mode)) throw Error(str("cannot use ", path, ": not a directory"));
  if ((st.st_mode & 077) && st.st_uid == ::geteuid() && ::chmod(path.c_str(), 0700) != 0)
    throw_errno(str("cannot make ", path, " private"));
}

ContainerState ContainerStore::begin(const std::string& name) const {
  if (!name.empty() && !valid_container_name(name))
    throw Error(str("invalid container name '", name,
                    "': use letters, digits, '_', '.' and '-', starting with a letter or digit"));
  ContainerState c;
  c.id = new_container_id();
  return c;
}

void ContainerStore::claim(ContainerState& c, const std::string& name) const {
  private_dir(root_ + "/containers");
  private_dir(root_ + "/names");
  if (!name.empty()) {
    if (!claim_name(root_ + "/names/" + name, c.id))
      throw Error(
          str("the container name '", name, "' is already in use (remove that container or choose another name)"));
    c.name = name;
  } else {
    for (int attempt = 0; c.name.empty(); ++attempt) {
      std::string n = random_name();
      if (attempt >= 10) n += str("_", attempt);
      if (claim_name(root_ + "/names/" + n, c.id)) c.name = n;
    }
  }
  if (::mkdir(dir(c.id).c_str(), 0700) != 0) {
    int e = errno;
    ::unlink((root_ + "/names/" + c.name).c_str());
    c.name.clear();
    throw_errno(str("cannot create ", dir(c.id)), e);
  }
  c.created = rfc3339_now();
}

void ContainerStore::save(const ContainerState& c) const {
  write_file_atomic(dir(c.id) + "/state.json", to_json(c, 2) + "\n", 0600, /*durable=*/false);
}

std::optional<ContainerState> ContainerStore::load(const std::string& id) const {
  auto text = try_read_file(dir(id) + "/state.json");
  if (!text) return std::nullopt;
  return state_from_json(*text, dir(id) + "/state.json");
}

static bool all_hex(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

ContainerState ContainerStore::resolve(const std::string& ref) const {
  if (ref.empty()) throw Error("no container given");
  if (ref.size() == 64 && all_hex(ref))
    if (auto c = load(ref)) return *c;
  if (valid_container_name(ref))
    if (auto id = try_read_file(root_ + "/names/" + ref))
      if (auto c = load(*id)) return *c;
  if (all_hex(ref)) {
    std::vector<std::string> hits;
    for (auto& id : dir_names(root_ + "/containers"))
      if (starts_with(id, ref)) hits.push_back(std::move(id));
    if (hits.size() == 1)
      if (auto c = load(hits[0])) return *c;
    if (hits.size() > 1)
      throw Error(str("container id prefix '", ref, "' is ambiguous (", hits.size(), " containers match)"));
  }
  throw Error(str("no such container: ", ref));
}

std::vector<ContainerState> ContainerStore::list() const {
  std::vector<ContainerState> out;
  for (const auto& id : dir_names(root_ + "/containers")) {
    if (id[0] == '.') continue;
    try {
      if (auto c = load(id)) out.push_back(std::move(*c));
    } catch (const Error& err) {
      warn(err.what());
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ContainerState& a, const ContainerState& b) { return a.created > b.created; });
  return out;
}

// The layer's two directories in one removal: the upper directory is moved
// into the work directory first (the same file system), so that its
// directories and the work directory's are removed by one overlapped
// removal (remove_tree_as_owner) and only the work directory is left for
// last. Where the move fails (an older record's bundle, which holds both;
// an upper directory its container made unwritable) each goes on its own.
static void remove_layer(const std::string& bundle) {
  std::string work = layer_work_dir(bundle);
  std::string moved = work + "/.rt-upper";
  std::vector<std::string> dirs{work};
  if (::rename(bundle.c_str(), moved.c_str()) != 0) dirs.insert(dirs.begin(), bundle);
  for (const auto& dir : dirs)
    if (auto ec = remove_tree_as_owner(dir)) throw Error(str("cannot remove ", dir), ec.value());
}

void ContainerStore::remove(const ContainerState& c) const {
  if (!c.bundle.empty()) {
    remove_layer(c.bundle);
    log::step("removed the writable layer");
  }
  std::string name_file = root_ + "/names/" + c.name;
  if (auto owner = c.name.empty() ? std::nullopt : try_read_file(name_file); owner && *owner == c.id)
    ::unlink(name_file.c_str());
  if (auto ec = remove_tree(dir(c.id))) throw Error(str("cannot remove ", dir(c.id)), ec.value());
  log::step("removed the record");
}

std::vector<std::string> ContainerStore::remove_half_made(int64_t min_age_s) const {
  std::vector<std::string> out;
  auto old = [&](const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && ::time(nullptr) - st.st_mtime >= min_age_s;
  };
  auto entries = [](const std::string& dir) {
    std::vector<std::string> names = dir_names(dir);
    std::erase_if(names, [](const std::string& n) { return n[0] == '.'; });
    return names;
  };
  for (const auto& id : entries(root_ + "/containers"))
    if (!path_exists(dir(id) + "/state.json") && old(dir(id)) && !remove_tree(dir(id))) out.push_back(id.substr(0, 12));
  for (const auto& name : entries(root_ + "/names")) {
    std::string file = root_ + "/names/" + name;
    auto id = try_read_file(file);
    if (id && !path_exists(dir(*id)) && old(file) && ::unlink(file.c_str()) == 0) out.push_back(name);
  }
  return out;
}

UniqueFd ContainerStore::lock(const std::string& id) const {
  UniqueFd fd(::open((dir(id) + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) throw_errno(str("cannot open lock of container ", id.substr(0, 12)));
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw_errno(str("cannot lock container ", id.substr(0, 12)));
  return fd;
}

}  // namespace rt
