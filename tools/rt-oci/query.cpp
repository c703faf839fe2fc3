// The queries: state, list, ps.
#include <cstdio>

#include "commands.hpp"
#include "state.hpp"

namespace rt::oci {

void print_state(const std::string& id) {
  State st = load_state_or_die(g_opts.root, id);
  std::printf("%s\n", state_json(g_opts.root, st).dump(2).c_str());
}

void do_list(const Args& a) {
  auto all = list_states(g_opts.root);
  std::string fmt = a.get("format", "table");
  if (fmt == "json") {
    json arr = json::array();
    for (auto& st : all) arr.push_back(state_json(g_opts.root, st));
    std::printf("%s\n", arr.dump().c_str());
    return;
  }
  if (a.has("quiet")) {
    for (auto& st : all) std::printf("%s\n", st.id.c_str());
    return;
  }
  std::printf("%-20s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
  for (auto& st : all) {
    std::string s = status_of(g_opts.root, st);
    std::printf("%-20s %-8d %-10s %-40s %-30s %s\n", st.id.c_str(), s == "stopped" ? 0 : st.pid, s.c_str(),
                st.bundle.c_str(), st.created.c_str(), "root");
  }
}

void do_ps(const Args& a) {
  std::string id = one_id(a, "ps");
  State st = load_state_or_die(g_opts.root, id);
  auto pids = container_pids(st);
  if (a.get("format", "table") == "json") {
    std::printf("%s\n", json(pids).dump().c_str());
    return;
  }
  std::printf("PID\n");
  for (pid_t p : pids) std::printf("%d\n", p);
}

}  // namespace rt::oci
