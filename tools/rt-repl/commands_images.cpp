// Images: images, rmi; and the commands that are other tools: run (rt-run)
// and pull (rt-pull), exec'd with the user's words untouched.
#include <algorithm>
#include <iostream>
#include <set>

#include "error.hpp"
#include "image_store.hpp"
#include "parse.hpp"
#include "repl.hpp"
#include "table.hpp"

namespace rt::repl {

void opts_images(po::options_description& d) {
  // clang-format off
  d.add_options()
      ("quiet,q", po::bool_switch(), "print only the image ids")
      ("no-trunc", po::bool_switch(), "print full image ids")
      ("json", po::bool_switch(), "print a JSON array (fields in rt-repl(1))");
  // clang-format on
}

// "docker.io/library/alpine" -> "alpine", "docker.io/user/x" -> "user/x",
// as docker lists them.
static std::string familiar_repository(const std::string& repo) {
  for (std::string_view p : {"docker.io/library/", "docker.io/"})
    if (starts_with(repo, p)) return repo.substr(p.size());
  return repo;
}

int cmd_images(Env& env, const Parsed& p) {
  if (!p.operands.empty()) throw Error(str("unexpected argument '", p.operands[0], "' (usage: images [-q] [--json])"));
  auto list = list_images(env.ctx.image_root);
  bool full = p.has("no-trunc");
  auto shown_id = [&](const std::string& id) { return full ? id : short_image_id(id); };
  if (p.has("json")) {
    std::cout << images_json(list).dump(2) << "\n";
    return 0;
  }
  if (p.has("quiet")) {
    std::set<std::string> seen;
    for (const auto& im : list)
      if (seen.insert(im.id).second) std::cout << shown_id(im.id) << "\n";
    return 0;
  }
  Table t({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
  for (const auto& im : list)
    t.add({familiar_repository(im.repository), im.tag, shown_id(im.id),
           im.created > 0 ? ago(static_cast<int64_t>(::time(nullptr)) - im.created) : "N/A",
           human_size(im.size) + (im.complete ? "" : " (incomplete)")});
  std::cout << t.render();
  return 0;
}

void opts_rmi(po::options_description& d) {
  // clang-format off
  d.add_options()("force,f", po::bool_switch(), "remove an image with several references, or untag one a container uses");
  // clang-format on
}

int cmd_rmi(Env& env, const Parsed& p) {
  if (p.operands.empty()) throw Error("no image given (usage: rmi [-f] IMAGE...)");
  return for_each_operand(env, p.operands, [&](const std::string& ref) {
    RemoveResult r = remove_image(env.ctx.image_root, ref, env.ctx.store.root(), p.has("force"));
    for (const auto& u : r.untagged) std::cout << "Untagged: " << u << "\n";
    for (const auto& d : r.deleted) std::cout << "Deleted: " << d << "\n";
    std::cout.flush();
  });
}

static int pass_to(Env& env, const char* tool, const Parsed& p) {
  Words argv{tool_path(env, tool)};
  argv.insert(argv.end(), p.args.begin(), p.args.end());
  return run_program(env, argv);
}

int cmd_run(Env& env, const Parsed& p) { return pass_to(env, "rt-run", p); }
int cmd_pull(Env& env, const Parsed& p) { return pass_to(env, "rt-pull", p); }

// network: rt-net's network commands (not up/down: containers' networks are
// rt-run's to make and remove).
int cmd_network(Env& env, const Parsed& p) {
  std::string verb = p.args.empty() ? "" : p.args[0];
  if (verb != "ls" && verb != "create" && verb != "inspect" && verb != "rm")
    throw Error("usage: network ls|create|inspect|rm [ARGS...] (see rt-net(1))");
  return pass_to(env, "rt-net", p);
}

}  // namespace rt::repl
