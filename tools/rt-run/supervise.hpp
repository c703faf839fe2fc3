// Starting the chain and staying with it: the container's state, its
// terminal or log, the signals sent to rt-run, the hooks, the cleanup.
#pragma once
#include <functional>

#include "container.hpp"
#include "netns_early.hpp"
#include "pipeline.hpp"
#include "spec.hpp"
#include "userns_early.hpp"

namespace rt::run {

struct Launch {
  const ContainerStore& store;
  ContainerState& state;
  const Spec& spec;
  const Plan& plan;
  const Chain& chain;
  int seccomp_src = -1;             // an open seccomp profile (fd >= 10), handed down as plan.seccomp_fd
  int env_src = -1;                 // the environment (a memfd, fd >= 10), handed down as plan.env_fd
  EarlyUserns* userns = nullptr;    // started: its namespace is handed down as plan.userns_fd
  cgroup::RunLeaf* leaf = nullptr;  // entered: the detached supervisor leaves it as it ends
  EarlyNetns* netns = nullptr;      // prepared: its socket is handed down as plan.net_from_fd
  // Set where the chain waits for rt-run before it mounts anything (the
  // network namespace above): writes the container's /etc files, layer dirs
  // and record, run by the supervisor right after the chain's fork, while
  // rt-cgroup execs (main.cpp). Unset, rt-run wrote them before.
  std::function<void()> write_container = {};
};

// The calling process becomes the container's supervisor in its record
// (pid and start time, for gc), unless it is already.
void claim_supervision(ContainerState& c);

// Run in the foreground: stdio attached (or a pty with -t). Returns the
// container's exit code.
int run_foreground(Launch& l);
// Start a supervisor in the background, print the id once the container is
// running. Returns rt-run's exit code.
int run_detached(Launch& l);

// Run rt-net up (plan.net_up, then `more` words); its result gives the
// container's addresses and ports. rt-net's one-line error is passed on.
void network_up(ContainerState& c, const Plan& p, const std::vector<std::string>& more = {});

// Remove what --rm (or a failed start) must not leave: writable layer and
// record.
void remove_container_files(const ContainerStore& store, const ContainerState& c);

}  // namespace rt::run
