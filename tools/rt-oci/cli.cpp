#include "cli.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "error.hpp"
#include "format.hpp"
#include "state.hpp"

namespace rt::oci {

Global g_opts;

void log_line(const char* level, const std::string& msg) {
  if (g_opts.log_file.empty()) return;
  int fd = ::open(g_opts.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string line = g_opts.log_format == "json"
                         ? json{{"level", level}, {"msg", msg}, {"time", rfc3339_now()}}.dump() + "\n"
                         : str(rfc3339_now(), " ", level, ": ", msg, "\n");
  if (::write(fd, line.data(), line.size()) < 0) {
  }
  ::close(fd);
}

void fail(const std::string& msg) {
  log_line("error", msg);
  die(msg);
}
void fail_errno(const std::string& what) {
  int e = errno;
  fail(str(what, ": ", std::strerror(e)));
}

namespace {

// clang-format off
const Option kPidFile{"pid-file", 0, "FILE", "write the process's pid to FILE (as runc: no newline)"};
const Option kConsoleSocket{"console-socket", 0, "PATH",
                            "send the terminal's master to the unix socket PATH (SCM_RIGHTS)"};
const Option kPreserveFds{"preserve-fds", 0, "N", "pass the caller's fds 3 to 2+N on"};
const Option kBundle{"bundle", 'b', "DIR", "the bundle: config.json and its root (default: .)"};

const std::vector<Option> kCreate = {
    kBundle, kPidFile, kConsoleSocket,
    {"no-pivot", 0, nullptr, "chroot instead of pivot_root (rt-mount --chroot)"},
    {"no-new-keyring", 0, nullptr, "accepted: rt never makes a session keyring"},
    kPreserveFds,
    {"allow-host-root-userns", 0, nullptr,
     "join a user namespace (linux.namespaces path) that maps the host's uid 0: its root is the host's"},
};

std::vector<Option> run_options() {
  std::vector<Option> o = kCreate;
  o.push_back({"detach", 'd', nullptr, "return once started: neither wait for the container nor delete it"});
  return o;
}

const std::vector<Command> kCommands = {
    {"create", "ID", "set the container up; its process waits for start", kCreate},
    {"start", "ID", "run the created container's process", {}},
    {"run", "ID", "create + start, then wait for it and delete it (unless --detach)", run_options()},
    {"state", "ID", "the runtime-spec state as JSON", {}},
    {"kill", "ID [SIGNAL]", "send SIGNAL (a name or number; default SIGTERM) to the init",
     {{"all", 'a', nullptr, "to every process in the container's cgroup"}}, Operands::options_anywhere},
    {"delete", "ID", "remove a stopped or created container, its cgroup and state",
     {{"force", 'f', nullptr, "kill a running one first; no error when there is none"}}},
    {"list", "", "the containers under --root",
     {{"format", 'f', "FORMAT", "table or json"},
      {"quiet", 'q', nullptr, "only the ids"}}},
    {"ps", "ID", "the processes in the container's cgroup",
     {{"format", 'f', "FORMAT", "table or json"}}},
    {"exec", "ID [ARGS...]", "run a process in a running container",
     {{"process", 'p', "FILE", "the process as runtime-spec JSON (instead of ARGS and the options below)"},
      {"detach", 'd', nullptr, "do not wait for the process"},
      kPidFile, kConsoleSocket,
      {"tty", 't', nullptr, "a terminal (needs --console-socket)"},
      {"env", 'e', "K=V", "add to the environment (repeatable)"},
      {"cwd", 0, "DIR", "the working directory in the container"},
      {"user", 'u', "UID[:GID]", "run as UID and GID"},
      {"cap", 'c', "CAP", "add capability CAP (CAP_...; repeatable)"},
      {"no-new-privs", 0, nullptr, "set no_new_privs"},
      kPreserveFds,
      {"process-label", 0, "LABEL", "accepted and ignored (rt has no SELinux support)"},
      {"apparmor", 0, "PROFILE", "accepted and ignored (rt has no AppArmor support)"}},
     Operands::id_then_args},
    {"pause", "ID", "freeze the container's cgroup", {}},
    {"resume", "ID", "thaw the container's cgroup", {}},
    {"events", "ID", "stats every --interval and oom events, as JSON lines, until it stops",
     {{"interval", 0, "DURATION", "between two stats events (default 5s)"},
      {"stats", 0, nullptr, "one stats event, then exit"}}},
    {"update", "ID", "change the limits of a running container (rt-cgroup --update)",
     {{"resources", 'r', "FILE", "a linux.resources JSON object (- for stdin); the options below go over it"},
      {"memory", 0, "BYTES", "memory limit (-1: none)"},
      {"memory-swap", 0, "BYTES", "memory plus swap limit"},
      {"memory-reservation", 0, "BYTES", "memory soft limit"},
      {"kernel-memory", 0, "BYTES", "accepted and ignored with a warning in --log (deprecated)"},
      {"kernel-memory-tcp", 0, "BYTES", "kernel TCP buffer limit"},
      {"cpu-shares", 0, "N", "CPU weight (v1 shares)"},
      {"cpu-quota", 0, "USEC", "CPU time per period"},
      {"cpu-period", 0, "USEC", "the period of --cpu-quota"},
      {"cpuset-cpus", 0, "LIST", "the CPUs allowed"},
      {"cpuset-mems", 0, "LIST", "the memory nodes allowed"},
      {"pids-limit", 0, "N", "most processes"},
      {"blkio-weight", 0, "N", "block I/O weight"},
      {"cpu-rt-period", 0, "USEC", "refused unless 0 (no real-time CPU limits)"},
      {"cpu-rt-runtime", 0, "USEC", "refused unless 0 (no real-time CPU limits)"},
      {"l3-cache-schema", 0, "SCHEMA", "refused (no Intel RDT)"},
      {"mem-bw-schema", 0, "SCHEMA", "refused (no Intel RDT)"}}},
    {"spec", "", "write a default config.json",
     {kBundle,
      {"rootless", 0, nullptr, "for a user namespace: the caller's uid and gid mapped to root"}}},
    {"features", "", "what rt-oci supports, as runtime-spec features JSON", {}},
};

const std::vector<Option> kGlobal = {
    {"root", 0, "DIR", "state directory (default /run/rt-oci)"},
    {"log", 0, "FILE", "append messages to FILE"},
    {"log-format", 0, "FORMAT", "text or json (one object a line: level, msg, time)"},
    {"debug", 0, nullptr, "log the chain's timeline (RT_LOG=debug)"},
    {"systemd-cgroup", 0, nullptr,
     "cgroupsPath as SLICE:PREFIX:NAME: where systemd runs a transient scope (rt-systemd), elsewhere a group where systemd would make it"},
    {"explain", 0, nullptr, "with create, run or update: print the chain (or rt-cgroup) as a shell command and exit"},
    {"rootless", 0, "VALUE", "", true},  // runc's: accepted, ignored
    {"criu", 0, "PATH", "", true},
    {"help", 'h', nullptr, "this help (COMMAND --help: the command's)"},
    {"version", 'v', nullptr, "print the version"},
};
// clang-format on

// "  -b, --bundle DIR      help" (the shape rt-repl's completion reads).
void append_option(std::string& out, const Option& o, size_t indent) {
  if (o.hidden) return;
  std::string names = std::string(indent, ' ') + (o.letter ? str("-", o.letter, ", ") : "") + "--" + o.name;
  if (o.value) names += str(" ", o.value);
  constexpr size_t kColumn = 34;
  names += names.size() + 2 <= kColumn ? std::string(kColumn - names.size(), ' ') : "  ";
  out += names + o.help + "\n";
}

std::string usage_line(const Command& c) {
  return str("rt-oci [GLOBAL OPTIONS] ", c.name, c.options.empty() ? "" : " [OPTIONS]", *c.operands ? " " : "",
             c.operands);
}

}  // namespace

const std::vector<Command>& commands() { return kCommands; }

const Command* find_command(const std::string& name) {
  for (const auto& c : kCommands)
    if (name == c.name) return &c;
  return nullptr;
}

const std::vector<Option>& global_options() { return kGlobal; }

std::string usage() {
  std::string out =
      "Usage: rt-oci [GLOBAL OPTIONS] COMMAND [OPTIONS] [ID]\n"
      "Run OCI bundles through the rt chain, with runc's command line.\n\n"
      "Commands (rt-oci COMMAND --help: one command):\n";
  for (const auto& c : kCommands) {
    std::string head = str("  ", c.name, *c.operands ? " " : "", c.operands);
    constexpr size_t kColumn = 34;
    head += head.size() + 2 <= kColumn ? std::string(kColumn - head.size(), ' ') : "  ";
    out += head + c.help + "\n";
    for (const auto& o : c.options) append_option(out, o, 6);
  }
  out += "\nGlobal options:\n";
  for (const auto& o : kGlobal) append_option(out, o, 2);
  return out;
}

std::string command_usage(const Command& c) {
  std::string out = str("Usage: ", usage_line(c), "\n", c.help, "\n\nOptions:\n");
  for (const auto& o : c.options) append_option(out, o, 2);
  append_option(out, {"help", 'h', nullptr, "this help"}, 2);
  return out;
}

Args parse_args(const std::vector<std::string>& in, const Command& c) {
  const std::string cmd = c.name;
  auto find = [&](const std::string& w) -> const Option* {
    for (const auto& o : c.options)
      if (w == o.name || (w.size() == 1 && w[0] == o.letter)) return &o;
    return nullptr;
  };
  Args a;
  for (size_t i = 0; i < in.size(); ++i) {
    const std::string& w = in[i];
    if (w == "--") {
      for (++i; i < in.size(); ++i) a.words.push_back(in[i]);
      break;
    }
    bool anywhere = c.mode == Operands::options_anywhere;
    if (w.size() < 2 || w[0] != '-' || (!a.words.empty() && !anywhere)) {
      if (c.mode == Operands::id_then_args && a.words.empty()) {  // ID, then the command untouched
        a.words.push_back(w);
        for (++i; i < in.size(); ++i) a.words.push_back(in[i]);
        break;
      }
      a.words.push_back(w);
      continue;
    }
    std::string key = w.substr(w[1] == '-' ? 2 : 1), val;
    auto eq = key.find('=');
    bool inline_val = eq != std::string::npos;
    if (inline_val) val = key.substr(eq + 1), key.resize(eq);
    // A one-letter spelling is -b only (as runc), never --b.
    const Option* o = key.size() == 1 && w[1] == '-' ? nullptr : find(key);
    if (!o && (key == "help" || w == "-h")) {
      std::fputs(command_usage(c).c_str(), stdout);
      std::exit(0);
    }
    if (o && o->value) {
      if (!inline_val) {
        if (i + 1 >= in.size()) fail(str(cmd, ": --", o->name, " needs a value"));
        val = in[++i];
      }
      a.opts[o->name] = val;
      a.multi[o->name].push_back(val);
    } else if (o) {
      a.opts[o->name] = inline_val ? val : "true";
    } else if (anywhere && !a.words.empty()) {
      a.words.push_back(w);  // a signal like -9 is not an option
    } else {
      fail(str(cmd, ": unknown option '", w, "' (see rt-oci ", cmd, " --help)"));
    }
  }
  return a;
}

std::string one_id(const Args& a, const std::string& cmd, size_t max_words) {
  if (a.words.empty()) fail(str(cmd, ": no container id given"));
  if (a.words.size() > max_words) fail(str(cmd, ": unexpected argument '", a.words[max_words], "'"));
  check_id(a.words[0]);
  return a.words[0];
}

}  // namespace rt::oci
