// rt-oci's commands, one function each (main.cpp parses the global options
// and calls them): the lifecycle (lifecycle.cpp), exec (exec.cpp), the
// queries (query.cpp), update and pause/resume (update.cpp), events and
// stats (events.cpp), spec and features (spec.cpp).
#pragma once
#include <sys/types.h>

#include <string>

#include "chain.hpp"
#include "cli.hpp"
#include "state.hpp"

namespace rt::oci {

// create: set container ID up from --bundle, its process waiting for start;
// with EXPLAIN only print the chain. Returns the init's pid (0 with EXPLAIN).
pid_t do_create(const Args& a, const std::string& id, bool explain);
// start: release a created container's process (after startContainer hooks).
void do_start(const std::string& id);
// run: create + start, and unless --detach wait, delete, return the status.
int do_run(const Args& a, const std::string& id);
void do_kill(const Args& a);
void do_delete(const Args& a);

// exec: a process in a running container; its status unless --detach.
int do_exec(const Args& a);
// What a process run in container ST gets (exec, a startContainer hook):
// rt-oci's tool directory, the container's cgroup, init and personality,
// the environment on fd BASE and the ready pipe on BASE+1, and the
// container's seccomp profile (its path in `seccomp_file`, "" when it has
// none), which launch opens on BASE+3.
ExecContext exec_context(const State& st, int base, std::string& seccomp_file);

// state, list, ps.
void print_state(const std::string& id);
void do_list(const Args& a);
void do_ps(const Args& a);

// update: new limits through rt-cgroup --update.
int do_update(const Args& a);
// pause (FREEZE) or resume.
void do_freeze(const Args& a, bool freeze);

// events: stats and oom events until the container stops (--stats: one).
void do_events(const Args& a);

// spec: a default config.json; features: what rt-oci supports.
void do_spec(const Args& a);
void do_features();

}  // namespace rt::oci
