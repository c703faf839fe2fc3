// Containers: ps/ls, stop, kill, rm, logs, inspect.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "container.hpp"
#include "container_ops.hpp"
#include "error.hpp"
#include "image_store.hpp"
#include "parse.hpp"
#include "repl.hpp"
#include "table.hpp"

namespace rt::repl {
using json = nlohmann::ordered_json;

void opts_ps(po::options_description& d) {
  // clang-format off
  d.add_options()
      ("all,a", po::bool_switch(), "show every container (default: the running ones)")
      ("quiet,q", po::bool_switch(), "print only the container ids")
      ("no-trunc", po::bool_switch(), "do not shorten ids and commands")
      ("json", po::bool_switch(), "print a JSON array (fields in rt-repl(1))");
  // clang-format on
}

// The JSON fields of ps/ls (documented in rt-repl(1)).
static json container_json(const ContainerState& c) {
  std::string st = ops::effective_status(c);
  return json{
      {"id", c.id},
      {"name", c.name},
      {"image", c.image},
      {"image_id", c.image_id},
      {"rootfs", c.rootfs},
      {"command", c.command},
      {"created", c.created},
      {"started", c.started},
      {"finished", c.finished},
      {"status", st},
      {"status_text", ops::status_text(c)},
      {"exit_code", st == "exited" && c.exit_code >= 0 ? json(c.exit_code) : json(nullptr)},
      {"pid", st == "running" ? c.pid : 0},
      {"network", c.network},
      {"ips", c.ips},
      {"ports", c.ports},
      {"storage_driver", c.storage_driver},
  };
}

static int list_containers(Env& env, const Parsed& p, bool all) {
  auto list = ops::list(env.ctx, all);
  std::sort(list.begin(), list.end(),
            [](const auto& a, const auto& b) { return parse_rfc3339_ns(a.created) > parse_rfc3339_ns(b.created); });
  bool full = p.has("no-trunc");
  if (p.has("json")) {
    json arr = json::array();
    for (const auto& c : list) arr.push_back(container_json(c));
    std::cout << arr.dump(2) << "\n";
    return 0;
  }
  if (p.has("quiet")) {
    for (const auto& c : list) std::cout << (full ? c.id : c.short_id()) << "\n";
    return 0;
  }
  Table t({"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"});
  for (const auto& c : list) {
    std::string cmd = join(c.command, " ");
    t.add({full ? c.id : c.short_id(), c.image.empty() ? c.rootfs : c.image, go_quote(full ? cmd : ellipsis(cmd, 20)),
           ago(seconds_since(c.created)), ops::status_text(c), join(c.ports, ", "), c.name});
  }
  std::cout << t.render();
  return 0;
}

int cmd_ps(Env& env, const Parsed& p) {
  if (!p.operands.empty()) throw Error(str("unexpected argument '", p.operands[0], "' (usage: ps [-a] [-q] [--json])"));
  return list_containers(env, p, p.has("all"));
}

int cmd_ls(Env& env, const Parsed& p) {
  if (!p.operands.empty()) throw Error(str("unexpected argument '", p.operands[0], "' (usage: ls [-q] [--json])"));
  return list_containers(env, p, true);
}

// for_each_operand, printing each operand that succeeded.
template <typename Fn> static int each(Env& env, const Parsed& p, const char* usage, Fn fn) {
  if (p.operands.empty()) throw Error(str("no container given (usage: ", usage, ")"));
  return for_each_operand(env, p.operands, [&](const std::string& ref) {
    fn(ref);
    std::cout << ref << "\n" << std::flush;
  });
}

void opts_stop(po::options_description& d) {
  // clang-format off
  d.add_options()
      ("time,t", po::value<std::string>()->value_name("SECONDS"), "seconds to wait before SIGKILL (default 10; -1: forever)")
      ("signal,s", po::value<std::string>()->value_name("SIGNAL"), "signal to stop with (default TERM)");
  // clang-format on
}

int cmd_stop(Env& env, const Parsed& p) {
  int64_t secs = 10;
  if (p.vm.count("time")) {
    std::string t = p.get<std::string>("time");
    secs = t == "-1" ? -1 : static_cast<int64_t>(parse_uint(t, "--time", 1000000000));
  }
  int64_t ms = secs < 0 ? INT64_MAX / 2 : secs * 1000;
  int sig = p.vm.count("signal") ? ops::parse_signal(p.get<std::string>("signal")) : SIGTERM;
  return each(env, p, "stop [-t SECONDS] CONTAINER...",
              [&](const std::string& ref) { ops::stop(env.ctx, ref, ms, sig, [] { return interrupted(); }); });
}

void opts_kill(po::options_description& d) {
  // clang-format off
  d.add_options()("signal,s", po::value<std::string>()->value_name("SIGNAL"), "signal to send (default KILL)");
  // clang-format on
}

int cmd_kill(Env& env, const Parsed& p) {
  int sig = p.vm.count("signal") ? ops::parse_signal(p.get<std::string>("signal")) : SIGKILL;
  return each(env, p, "kill [-s SIGNAL] CONTAINER...", [&](const std::string& ref) { ops::kill(env.ctx, ref, sig); });
}

// docker wait: block until each container has exited, print its status.
// docker port: "80/tcp -> 127.0.0.1:8080", one line per published port.
int cmd_port(Env& env, const Parsed& p) {
  if (p.operands.size() != 1) throw Error("usage: port CONTAINER");
  ContainerState c = env.ctx.store.resolve(p.operands[0]);
  for (const auto& m : c.ports) {
    auto arrow = m.find("->");
    if (arrow == std::string::npos) continue;
    std::cout << m.substr(arrow + 2) << " -> " << m.substr(0, arrow) << "\n";
  }
  return 0;
}

int cmd_wait(Env& env, const Parsed& p) {
  if (p.operands.empty()) throw Error("no container given (usage: wait CONTAINER...)");
  return for_each_operand(env, p.operands, [&](const std::string& ref) {
    std::cout << ops::wait(env.ctx, ref, [] { return interrupted(); }) << "\n" << std::flush;
  });
}

void opts_rm(po::options_description& d) {
  // clang-format off
  d.add_options()("force,f", po::bool_switch(), "kill and remove running containers too");
  // clang-format on
}

int cmd_rm(Env& env, const Parsed& p) {
  bool force = p.has("force");
  return each(env, p, "rm [-f] CONTAINER...", [&](const std::string& ref) { ops::remove(env.ctx, ref, force); });
}

void opts_logs(po::options_description& d) {
  // clang-format off
  d.add_options()
      ("follow,f", po::bool_switch(), "keep printing new output until the container exits (or Ctrl-C)")
      ("tail,n", po::value<std::string>()->value_name("N"), "only the last N lines (default all)")
      ("timestamps,t", po::bool_switch(), "prefix each line with its RFC 3339 time");
  // clang-format on
}

int cmd_logs(Env& env, const Parsed& p) {
  if (p.operands.size() != 1) throw Error("expected one container (usage: logs [-f] [--tail N] [-t] CONTAINER)");
  ops::LogOptions o;
  o.follow = p.has("follow");
  o.timestamps = p.has("timestamps");
  std::string tail = p.get<std::string>("tail", "all");
  o.tail = tail == "all" ? -1 : static_cast<long>(parse_uint(tail, "--tail", 1u << 30));
  std::cout.flush();
  ops::logs(env.ctx, p.operands[0], o, STDOUT_FILENO, STDERR_FILENO, [] { return interrupted(); });
  return interrupted() ? kInterruptedStatus : 0;
}

void opts_inspect(po::options_description& d) {
  // clang-format off
  d.add_options()
      ("type", po::value<std::string>()->value_name("TYPE"), "container or image (default: a container, else an image)")
      ("json", po::bool_switch(), "JSON output (the default and only format)");
  // clang-format on
}

int cmd_inspect(Env& env, const Parsed& p) {
  if (p.operands.empty()) throw Error("no container or image given (usage: inspect [--type container|image] NAME...)");
  std::string type = p.get<std::string>("type");
  if (!type.empty() && type != "container" && type != "image")
    throw Error(str("invalid --type '", type, "' (expected container or image)"));
  json arr = json::array();
  int rc = for_each_operand(env, p.operands, [&](const std::string& name) {
    if (type != "image") {
      try {
        json j = json::parse(ops::inspect(env.ctx, name));
        j["type"] = "container";
        arr.push_back(std::move(j));
        return;
      } catch (const Error&) {
        if (!type.empty()) throw;
      }
    }
    std::optional<LocalImage> im;
    try {
      im = find_image(env.ctx.image_root, name);
    } catch (const Error&) {
      if (!type.empty()) throw;
    }
    if (!im) throw Error(str("no such ", type.empty() ? "container or image" : type, ": ", name));
    json j = {{"type", "image"}};
    j.update(image_json(*im));
    arr.push_back(std::move(j));
  });
  std::cout << arr.dump(2) << "\n";
  return rc;
}

}  // namespace rt::repl
