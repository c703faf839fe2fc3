// rt-pull: fetch an image from a registry (Docker Hub by default) into the
// local store, or import one from an archive or an OCI layout; print its id.
//
//   rt-pull [--platform OS/ARCH[/VARIANT]] [--insecure] [--quiet] [--json]
//           [--max-concurrent N] [--max-layer-size SIZE] [--max-layer-entries N]
//           REFERENCE
//   rt-pull --import FILE|oci:DIR[:TAG] [--tag REFERENCE]
//   rt-pull --list | --inspect IMAGE | --remove IMAGE [--force] | --gc
//
// The store is an OCI image layout under RT_ROOT (see image_store.hpp);
// layers are fetched in parallel and streamed through sha256, decompression
// and a safe unpacker (image_unpack.hpp) in one pass.
#include <sys/stat.h>
#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "chain.hpp"
#include "error.hpp"
#include "format.hpp"
#include "image_store.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "progress.hpp"
#include "pull.hpp"
#include "userns.hpp"

namespace {
using namespace rt;
using rt::pull::json;

void print_line(const std::string& s) {
  std::string l = s + "\n";
  if (std::fwrite(l.data(), 1, l.size(), stdout) != l.size()) die("cannot write to standard output");
}

std::string short_id(const std::string& id) { return id.substr(id.rfind(':') + 1, 12); }

int list(const std::string& root, bool as_json) {
  auto images = list_images(root);
  if (as_json) {
    print_line(images_json(images).dump());
    return 0;
  }
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-44s %-16s %-12s %-20s %s", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
  print_line(buf);
  for (const auto& s : images) {
    std::snprintf(
        buf, sizeof buf, "%-44s %-16s %-12s %-20s %s%s", s.repository.c_str(), s.tag.c_str(), short_id(s.id).c_str(),
        (s.created > 0 ? ago(static_cast<int64_t>(std::time(nullptr)) - s.created) : std::string("unknown")).c_str(),
        human_size(s.size).c_str(), s.complete ? "" : " (incomplete)");
    print_line(buf);
  }
  return 0;
}

int run(int argc, char** argv) {
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
      ("platform", po::value<std::string>()->value_name("OS/ARCH[/VARIANT]"), "the platform to pull from a multi-platform image (default: this host's)")
      ("insecure", po::bool_switch(), "allow plain http, or https without certificate verification, for this registry")
      ("quiet,q", po::bool_switch(), "no progress output")
      ("json", po::bool_switch(), "print a JSON summary on stdout instead of the image id")
      ("max-concurrent", po::value<unsigned>()->value_name("N")->default_value(3), "layers fetched and unpacked at once")
      ("max-layer-size", po::value<std::string>()->value_name("SIZE"), "refuse a layer that unpacks to more than SIZE (default: RT_MAX_LAYER_SIZE, else 64G)")
      ("max-layer-entries", po::value<std::string>()->value_name("N"), "refuse a layer of more than N files, directories and links (default: RT_MAX_LAYER_ENTRIES, else 10000000)")
      ("import", po::value<std::string>()->value_name("FILE|oci:DIR[:TAG]"), "import a docker-archive or OCI archive FILE, or an OCI layout")
      ("tag", po::value<std::string>()->value_name("REFERENCE"), "with --import: the name to store the image under")
      ("root", po::value<std::string>()->value_name("DIR"), "the image store (default: RT_ROOT, /var/lib/rt as root, else $XDG_DATA_HOME/rt)")
      ("list", po::bool_switch(), "list the images in the store")
      ("inspect", po::value<std::string>()->value_name("IMAGE"), "print what the store knows of IMAGE (reference or id) as JSON")
      ("remove", po::value<std::string>()->value_name("IMAGE"), "remove IMAGE's reference, and the image when it was its last (rmi)")
      ("force", po::bool_switch(), "with --remove: remove every reference of an image id, and the references of an image a container uses")
      ("state", po::value<std::string>()->value_name("DIR"), "with --remove and --gc: container state (default: RT_STATE, /run/rt as root)")
      ("gc", po::bool_switch(), "remove dangling images no container uses; free blobs and layers nothing uses, and leftovers of interrupted pulls");
  // clang-format on
  po::variables_map vm;
  int first = parse_chain(
      argc, argv, desc, vm,
      {"rt-pull [OPTIONS] REFERENCE | --import FILE|oci:DIR[:TAG] | --list | --inspect IMAGE | --remove IMAGE | --gc",
       "Fetch an image from a registry into the local store (or import one), and print its id.", false});
  // Options may follow the reference too (rt-pull alpine --quiet).
  std::vector<std::string> words = rest_of(argc, argv, first);
  std::vector<std::string> positional;
  if (!words.empty()) {
    positional.push_back(words.front());
    std::vector<std::string> more(words.begin() + 1, words.end());
    if (!more.empty()) {
      try {
        namespace cls = po::command_line_style;
        po::store(po::command_line_parser(more).options(desc).style(cls::unix_style & ~cls::allow_guessing).run(), vm);
        po::notify(vm);
      } catch (const po::error& e) {
        die(str(e.what(), " (rt-pull takes one reference; try 'rt-pull --help')"));
      }
    }
  }
  std::setlocale(LC_CTYPE, "C.UTF-8");  // libarchive: UTF-8 names in pax headers
  ::umask(022);

  const std::string root = vm.count("root") ? opt<std::string>(vm, "root") : default_image_root();
  const bool as_json = flag(vm, "json");
  int modes = !positional.empty() + vm.count("import") + flag(vm, "list") + vm.count("inspect") + vm.count("remove") +
              flag(vm, "gc");
  if (modes == 0) die("no image named (usage: rt-pull [OPTIONS] REFERENCE; try 'rt-pull --help')");
  if (modes > 1) die("give one of REFERENCE, --import, --list, --inspect, --remove, --gc");
  if (vm.count("tag") && !vm.count("import")) die("--tag goes with --import");
  if (flag(vm, "force") && !vm.count("remove")) die("--force goes with --remove");
  unsigned conc = opt<unsigned>(vm, "max-concurrent", 3);
  if (conc < 1 || conc > 64) die(str("invalid --max-concurrent ", conc, ": expected 1 to 64"));

  const std::string state = vm.count("state")                      ? opt<std::string>(vm, "state")
                            : vm.count("remove") || flag(vm, "gc") ? default_state_root()
                                                                   : std::string();
  // Without root: as root of the user namespace rt-run's containers get
  // (the caller's subordinate ids mapped), so that unpacked files keep the
  // owners the image gives them, and removing them works.
  if (::geteuid() != 0 && (!positional.empty() || vm.count("import") || vm.count("remove") || flag(vm, "gc")) &&
      enter_rootless_userns())
    log::step("entered a user namespace with the subordinate ids mapped");

  if (flag(vm, "list")) return list(root, as_json);
  if (vm.count("inspect")) {
    auto img = find_image(root, opt<std::string>(vm, "inspect"));
    if (!img) die(str("no such image: ", opt<std::string>(vm, "inspect")));
    print_line(image_json(*img).dump(2));
    return 0;
  }
  if (vm.count("remove")) {
    auto r = remove_image(root, opt<std::string>(vm, "remove"), state, flag(vm, "force"));
    if (as_json) {
      print_line(json{{"untagged", r.untagged}, {"deleted", r.deleted}}.dump());
    } else {
      for (const auto& u : r.untagged) print_line("Untagged: " + u);
      for (const auto& d : r.deleted) print_line("Deleted: " + d);
    }
    return 0;
  }
  if (flag(vm, "gc")) {
    auto r = gc_store(root, state);
    if (as_json)
      print_line(json{
          {"images", r.images}, {"blobs", r.blobs}, {"layers", r.layers}, {"temporaries", r.temps}, {"bytes", r.bytes}}
                     .dump());
    else
      print_line(str("removed ", r.images, " dangling images; freed ", r.blobs, " blobs, ", r.layers, " layers, ",
                     r.temps, " leftovers: ", human_size(r.bytes)));
    return 0;
  }

  pull::Options po_;
  po_.root = root;
  po_.insecure = flag(vm, "insecure");
  po_.max_concurrent = static_cast<int>(conc);
  po_.limits = unpack_limits_from_env();
  if (vm.count("max-layer-size"))
    po_.limits.max_bytes = parse_size(opt<std::string>(vm, "max-layer-size"), "--max-layer-size");
  if (vm.count("max-layer-entries"))
    po_.limits.max_entries = parse_uint(opt<std::string>(vm, "max-layer-entries"), "--max-layer-entries");
  po_.platform_given = vm.count("platform") > 0;
  po_.platform = po_.platform_given ? pull::parse_platform(opt<std::string>(vm, "platform")) : pull::host_platform();
  po_.tag = opt<std::string>(vm, "tag");
  pull::Progress progress(pull::Progress::detect(flag(vm, "quiet") || as_json));
  po_.progress = &progress;
  auto t0 = log::now_us();

  std::vector<pull::Result> results;
  if (vm.count("import")) {
    if (!po_.tag.empty()) (void)normalize_reference(po_.tag);
    progress.set_verb("copying");
    results = pull::import_images(opt<std::string>(vm, "import"), po_);
  } else {
    Reference ref = parse_reference(positional.front());
    results.push_back(pull::pull_image(ref, po_));
  }
  double secs = static_cast<double>(log::now_us() - t0) / 1e6;
  if (as_json) {
    json out = json::array();
    for (auto& r : results) {
      json j = r.to_json();
      j["seconds"] = secs;
      out.push_back(j);
    }
    print_line((vm.count("import") ? out : out.front()).dump());
    return 0;
  }
  for (const auto& r : results) {
    if (!r.up_to_date) {
      size_t fetched = 0;
      for (const auto& l : r.layers) fetched += l.status == "downloaded";
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.2f", secs);
      progress.note(str(r.refs.empty() ? std::string("image") : r.refs.front(), ": ", r.id.substr(0, 19), " (",
                        r.platform, "), ", r.layers.size(), " layers, ", fetched,
                        vm.count("import") ? " copied (" : " downloaded (", human_size(r.downloaded), "), ",
                        human_size(r.size), " unpacked, in ", buf, " s"));
    }
    print_line(r.id);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return rt::guarded_main(run, argc, argv); }
