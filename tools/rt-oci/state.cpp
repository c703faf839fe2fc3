#include "state.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "cgroup.hpp"
#include "chain.hpp"
#include "dir.hpp"
#include "error.hpp"
#include "fd.hpp"
#include "fs.hpp"
#include "parse.hpp"
#include "paths.hpp"
#include "process.hpp"

namespace rt::oci {
namespace cg = rt::cgroup;

void check_id(const std::string& id) {
  bool ok = !id.empty() && id.size() <= 128 && id[0] != '.' && id[0] != '-';
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) ok = false;
  if (!ok) die(str("invalid container id '", id, "': expected letters, digits, '_', '.' and '-' (not first)"));
}

void save_state(const std::string& root, const State& st) {
  json j = {{"id", st.id},
            {"bundle", st.bundle},
            {"rootfs", st.rootfs},
            {"created", st.created},
            {"annotations", st.annotations},
            {"pid", st.pid},
            {"pid_start", st.pid_start},
            {"creator", st.creator},
            {"creator_start", st.creator_start},
            {"cgroup_name", st.cgroup_name},
            {"cgroup_parent", st.cgroup_parent},
            {"systemd_unit", st.systemd_unit},
            {"hooks", st.hooks},
            {"process", st.process},
            {"personality", st.personality}};
  write_file_atomic(root + "/" + st.id + "/state.json", j.dump(), 0600, false);
}

std::optional<State> load_state(const std::string& root, const std::string& id) {
  auto text = try_read_file(root + "/" + id + "/state.json");
  if (!text) return std::nullopt;
  State st;
  try {
    json j = json::parse(*text);
    st.id = j.at("id");
    st.bundle = j.at("bundle");
    st.rootfs = j.at("rootfs");
    st.created = j.at("created");
    st.annotations = j.value("annotations", json::object());
    st.pid = j.at("pid");
    st.pid_start = j.at("pid_start");
    st.creator = j.at("creator");
    st.creator_start = j.at("creator_start");
    st.cgroup_name = j.at("cgroup_name");
    st.cgroup_parent = j.at("cgroup_parent");
    st.systemd_unit = j.value("systemd_unit", "");
    st.hooks = j.value("hooks", json::object());
    st.process = j.value("process", json());
    st.personality = j.value("personality", "");
  } catch (const json::exception& e) {
    throw Error(str("corrupt state of container ", id, ": ", e.what()));
  }
  return st;
}

State load_state_or_die(const std::string& root, const std::string& id) {
  auto st = load_state(root, id);
  if (!st) throw Error(str("container ", id, " does not exist"));
  return *st;
}

std::vector<State> list_states(const std::string& root) {
  std::vector<State> out;
  for (const auto& name : dir_names(root)) {
    if (name[0] == '.') continue;
    if (auto st = load_state(root, name)) out.push_back(std::move(*st));
  }
  std::sort(out.begin(), out.end(), [](const State& a, const State& b) { return a.id < b.id; });
  return out;
}

std::optional<cg::Group> group_of(const State& st) { return cg::find_on_host(st.cgroup_name, st.cgroup_parent); }

namespace {

bool frozen(const State& st) {
  auto g = group_of(st);
  if (!g) return false;
  for (const auto& p : g->parts) {
    if (p.h.v2) {
      auto f = try_read_file(p.dir + "/cgroup.freeze");
      if (f && starts_with(*f, "1")) return true;
    } else if (p.h.has("freezer")) {
      auto f = try_read_file(p.dir + "/freezer.state");
      if (f && (starts_with(*f, "FROZEN") || starts_with(*f, "FREEZING"))) return true;
    }
  }
  return false;
}

}  // namespace

std::string status_of(const std::string& root, const State& st) {
  if (st.pid <= 0) return process_matches(st.creator, st.creator_start) ? "creating" : "stopped";
  if (!process_matches(st.pid, st.pid_start)) return "stopped";
  if (path_exists(root + "/" + st.id + "/exec.fifo")) return "created";
  return frozen(st) ? "paused" : "running";
}

json state_json(const std::string& root, const State& st) {
  std::string s = status_of(root, st);
  json j = {
      {"ociVersion", "1.0.2"}, {"id", st.id},         {"status", s},           {"pid", s == "stopped" ? 0 : st.pid},
      {"bundle", st.bundle},   {"rootfs", st.rootfs}, {"created", st.created}, {"owner", ""}};
  if (!st.annotations.empty()) j["annotations"] = st.annotations;
  return j;
}

std::vector<pid_t> container_pids(const State& st) {
  std::vector<pid_t> out;
  auto g = group_of(st);
  if (!g) return out;
  for (const auto& p : g->parts) {
    auto procs = try_read_file(p.leaf + "/cgroup.procs");
    if (!procs) continue;
    for (const auto& w : split(*procs, '\n'))
      if (!w.empty()) {
        pid_t pid = static_cast<pid_t>(std::stol(w));
        if (std::find(out.begin(), out.end(), pid) == out.end()) out.push_back(pid);
      }
    if (!out.empty()) break;  // every hierarchy holds the same processes
  }
  std::sort(out.begin(), out.end());
  return out;
}

void set_frozen(const State& st, bool freeze) {
  auto g = group_of(st);
  if (!g) throw Error(str("container ", st.id, " has no cgroup"));
  for (const auto& p : g->parts) {
    std::string file = p.h.v2 ? p.dir + "/cgroup.freeze" : p.dir + "/freezer.state";
    if (p.h.v2 ? !path_exists(file) : !p.h.has("freezer")) continue;
    if (std::error_code ec = write_file(file, p.h.v2 ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED")))
      throw Error(str("cannot ", freeze ? "freeze" : "thaw", " ", file), ec.value());
    if (freeze && !p.h.v2) {
      // v1 reports FREEZING until every task is stopped.
      for (int i = 0; i < 100 && !starts_with(try_read_file(file).value_or(""), "FROZEN"); ++i) ::usleep(10000);
    }
    return;
  }
  throw Error(str("container ", st.id, ": no freezer (neither the v1 freezer nor cgroup.freeze)"));
}

HookStarter spawn_hook(std::vector<std::string> prefix) {
  return [prefix = std::move(prefix)](const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                      UniqueFd in) {
    // env -i: the hook gets its own environment only, as runtime-spec says.
    std::vector<std::string> a = {"/usr/bin/env", "-i"};
    a.insert(a.end(), env.begin(), env.end());
    a.insert(a.end(), prefix.begin(), prefix.end());
    a.insert(a.end(), argv.begin(), argv.end());
    SpawnOptions so;
    so.in = in.get();
    return spawn(a, so);
  };
}

void run_hooks(const std::string& root, const State& st, const char* stage, const HookStarter& start,
               const char* status) {
  if (!st.hooks.contains(stage)) return;
  json sj = state_json(root, st);
  if (status) {
    // The status the stage runs at, whatever the init did meanwhile: its
    // pid too (a stopped container's state says 0).
    sj["status"] = status;
    sj["pid"] = st.pid;
  }
  std::string state = sj.dump();
  HookStarter spawn_it = start ? start : spawn_hook();
  for (const auto& h : st.hooks[stage]) {
    std::string path = h.value("path", "");
    if (path.empty()) throw Error(str("hooks.", stage, ": a hook without a path"));
    std::vector<std::string> argv = {path}, env;
    auto args = h.value("args", json::array());
    for (size_t i = 1; i < args.size(); ++i) argv.push_back(args[i].get<std::string>());
    for (const auto& e : h.value("env", json::array())) env.push_back(e.get<std::string>());
    // The state on a memfd: a hook that exits without reading it neither
    // blocks rt-oci nor ends it with SIGPIPE before it cleans up.
    pid_t pid;
    try {
      pid = spawn_it(argv, env, input_fd("oci-state", state));
    } catch (const Error& e) {
      throw Error(str("hooks.", stage, ": ", path, ": ", e.what()));
    }
    int timeout = h.value("timeout", 0);
    std::optional<int> status = timeout > 0 ? wait_child_for(pid, int64_t{timeout} * 1000) : wait_child(pid);
    if (!status) {
      ::kill(pid, SIGKILL);
      wait_child(pid);
      throw Error(str("hooks.", stage, ": ", path, " timed out after ", timeout, "s"));
    }
    if (int code = exit_code_from_wait(*status))
      throw Error(str("hooks.", stage, ": ", path, " failed with status ", code));
  }
}

std::string remove_container(const std::string& root, const State& st, bool kill) {
  if (kill && st.pid > 0 && process_matches(st.pid, st.pid_start)) ::kill(st.pid, SIGKILL);
  std::string err;
  if (!st.systemd_unit.empty()) {
    // systemd's group: what is in it killed, the scope stopped and removed
    // by systemd; only the scope rt-systemd made for this container (a
    // create that failed because a unit of that name existed leaves that
    // one alone).
    if (run_and_wait({self_dir() + "/rt-systemd", "--stop", st.systemd_unit, "--only-description",
                      systemd_description(st.id)}) != 0)
      err = str("cannot stop systemd unit ", st.systemd_unit, " (rt-systemd's message is above)");
  } else if (auto g = group_of(st)) {
    err = g->remove();
  }
  if (std::error_code ec = remove_tree(root + "/" + st.id); ec && ec.value() != ENOENT)
    err = str("cannot remove ", root, "/", st.id, ": ", ec.message());
  return err;
}

}  // namespace rt::oci
