#include "image_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <set>

#include "dir.hpp"
#include "error.hpp"
#include "format.hpp"
#include "fs.hpp"
#include "log.hpp"
#include "parse.hpp"
#include "userns.hpp"

namespace rt {
namespace {

using layout::annotation;
using layout::json;

std::vector<std::string> string_list(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key) || !j[key].is_array()) return out;
  for (const auto& v : j[key])
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::vector<std::string> object_keys(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.contains(key) || !j[key].is_object()) return out;
  for (auto it = j[key].begin(); it != j[key].end(); ++it) out.push_back(it.key());
  return out;
}

std::string_view digest_hex_view(std::string_view d) { return d.substr(0, 7) == "sha256:" ? d.substr(7) : d; }

bool is_hex_string(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The parsed image config blob.
struct ConfigDoc {
  ImageConfig config;
  std::vector<std::string> diff_ids;
  int64_t created = 0;
};

ConfigDoc read_config(const std::string& root, const std::string& id) {
  json j = json::parse(layout::read_blob(root, id), nullptr, false);
  if (!j.is_object())
    throw Error(str("image config ", id, " in ", root, " is not a JSON object (the store is damaged)"));
  ConfigDoc d;
  d.config.os = j.value("os", "");
  d.config.architecture = j.value("architecture", "");
  d.config.variant = j.value("variant", "");
  if (j.contains("created") && j["created"].is_string()) d.created = parse_rfc3339(j["created"].get<std::string>());
  if (j.contains("rootfs") && j["rootfs"].is_object()) d.diff_ids = string_list(j["rootfs"], "diff_ids");
  if (j.contains("config") && j["config"].is_object()) {
    const json& c = j["config"];
    d.config.entrypoint = string_list(c, "Entrypoint");
    d.config.cmd = string_list(c, "Cmd");
    d.config.env = string_list(c, "Env");
    if (c.contains("WorkingDir") && c["WorkingDir"].is_string()) d.config.workdir = c["WorkingDir"];
    if (c.contains("User") && c["User"].is_string()) d.config.user = c["User"];
    if (c.contains("StopSignal") && c["StopSignal"].is_string()) d.config.stop_signal = c["StopSignal"];
    if (c.contains("Labels") && c["Labels"].is_object())
      for (auto it = c["Labels"].begin(); it != c["Labels"].end(); ++it)
        if (it.value().is_string()) d.config.labels[it.key()] = it.value().get<std::string>();
    d.config.exposed_ports = object_keys(c, "ExposedPorts");
    d.config.volumes = object_keys(c, "Volumes");
  }
  return d;
}

uint64_t layer_size(const std::string& root, const std::string& diff_id) {
  auto text = try_read_file(layout::layer_path(root, diff_id) + "/info.json");
  if (!text) return 0;
  json j = json::parse(*text, nullptr, false);
  return j.is_object() && j.contains("size") && j["size"].is_number_unsigned() ? j["size"].get<uint64_t>() : 0;
}

bool layers_complete(const std::string& root, const std::vector<std::string>& diff_ids) {
  for (const auto& d : diff_ids)
    if (!is_sha256_digest(d) || !is_dir(layout::layer_fs(root, d))) return false;
  return true;
}

// Index entries (positions in index["manifests"]) that `ref_or_id` names,
// and whether it was a reference (false: an id or id prefix).
struct Match {
  std::vector<size_t> entries;
  std::string id;
  bool by_ref = false;
  std::string ref;
};

Match match_entries(const std::string& root, const json& index, const std::string& ref_or_id) {
  const json& ms = index["manifests"];
  Match m;
  std::string normalized;
  std::optional<Error> ref_error;
  try {
    normalized = normalize_reference(ref_or_id);
  } catch (const Error& e) {
    ref_error = e;
  }
  for (size_t i = 0; i < ms.size(); ++i) {
    std::string name = annotation(ms[i], layout::kRefName);
    if (!name.empty() && (name == normalized || name == ref_or_id)) {
      m.entries.push_back(i);
      m.id = layout::entry_image_id(root, ms[i]);
      m.by_ref = true;
      m.ref = name;
      return m;
    }
  }
  // name@sha256:... also finds an image pulled by tag whose registry digest
  // or manifest digest that is (docker's RepoDigests).
  if (!normalized.empty()) {
    Reference r = parse_reference(ref_or_id);
    if (!r.digest.empty()) {
      for (size_t i = 0; i < ms.size(); ++i) {
        std::string name = annotation(ms[i], layout::kRefName);
        if (name.empty()) continue;
        Reference other;
        try {
          other = parse_reference(name);
        } catch (const Error&) {
          continue;
        }
        if (other.name() == r.name() &&
            (annotation(ms[i], layout::kAnnRepoDigest) == r.digest || ms[i].value("digest", "") == r.digest)) {
          m.entries.push_back(i);
          m.id = layout::entry_image_id(root, ms[i]);
          m.by_ref = false;  // an id-like lookup: the reference itself is not in the store
          m.ref = name;
          return m;
        }
      }
    }
  }
  // An id or id prefix.
  std::string_view hex = ref_or_id;
  if (hex.substr(0, 7) == "sha256:") hex = hex.substr(7);
  if (hex.size() >= 4 && hex.size() <= 64 && is_hex_string(hex)) {
    std::set<std::string> ids;
    for (size_t i = 0; i < ms.size(); ++i) {
      std::string id = layout::entry_image_id(root, ms[i]);
      if (digest_hex_view(id).substr(0, hex.size()) == hex) {
        ids.insert(id);
        m.entries.push_back(i);
      }
    }
    if (ids.size() > 1)
      throw Error(str("image id prefix '", ref_or_id, "' is ambiguous: it matches ", ids.size(), " images"));
    if (ids.size() == 1) m.id = *ids.begin();
    return m;
  }
  if (ref_error) throw *ref_error;
  return m;
}

}  // namespace

std::pair<std::string, std::string> split_repository_tag(const std::string& ref) {
  if (ref.empty()) return {"<none>", "<none>"};
  std::string name = ref;
  std::string tag = "<none>";
  if (auto at = name.find('@'); at != std::string::npos) name.resize(at);
  auto slash = name.rfind('/');
  auto colon = name.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    tag = name.substr(colon + 1);
    name.resize(colon);
  }
  return {name, tag};
}

std::optional<LocalImage> find_image(const std::string& root, const std::string& ref_or_id) {
  if (!layout::layout_exists(root)) {
    // Still reject a malformed reference, so callers get the same error.
    std::string_view hex = ref_or_id;
    if (hex.substr(0, 7) == "sha256:") hex = hex.substr(7);
    if (!(hex.size() >= 4 && hex.size() <= 64 && is_hex_string(hex))) (void)parse_reference(ref_or_id);
    return std::nullopt;
  }
  json index = layout::read_index(root);
  Match m = match_entries(root, index, ref_or_id);
  if (m.entries.empty() || m.id.empty()) return std::nullopt;
  const json& desc = index["manifests"][m.entries.front()];
  LocalImage img;
  img.id = m.id;
  img.ref = m.by_ref ? m.ref : "";
  img.manifest_digest = desc.value("digest", "");
  img.repo_digest = annotation(desc, layout::kAnnRepoDigest);
  ConfigDoc c = read_config(root, img.id);
  if (c.diff_ids.empty() || !layers_complete(root, c.diff_ids)) {
    log::debug("image ", ref_or_id, " (", img.id, ") is not completely unpacked in ", root);
    return std::nullopt;
  }
  img.config = std::move(c.config);
  img.diff_ids = c.diff_ids;
  for (auto it = c.diff_ids.rbegin(); it != c.diff_ids.rend(); ++it)
    img.layer_dirs.push_back(layout::layer_fs(root, *it));
  img.created = c.created;
  std::string size = annotation(desc, layout::kAnnSize);
  if (!size.empty()) img.size = std::strtoull(size.c_str(), nullptr, 10);
  else
    for (const auto& d : c.diff_ids) img.size += layer_size(root, d);
  return img;
}

std::vector<ImageSummary> list_images(const std::string& root) {
  std::vector<ImageSummary> out;
  if (!layout::layout_exists(root)) return out;
  json index = layout::read_index(root);
  std::set<std::string> named_ids;
  std::set<std::string> dangling_seen;
  std::vector<ImageSummary> dangling;
  for (const auto& desc : index["manifests"]) {
    ImageSummary s;
    s.ref = annotation(desc, layout::kRefName);
    s.id = layout::entry_image_id(root, desc);
    s.manifest_digest = desc.value("digest", "");
    std::tie(s.repository, s.tag) = split_repository_tag(s.ref);
    std::string size = annotation(desc, layout::kAnnSize), created = annotation(desc, layout::kAnnCreated);
    try {
      ConfigDoc c = read_config(root, s.id);
      s.complete = !c.diff_ids.empty() && layers_complete(root, c.diff_ids);
      s.created = c.created;
      if (size.empty())
        for (const auto& d : c.diff_ids) s.size += layer_size(root, d);
    } catch (const Error&) {
      s.complete = false;
    }
    if (!size.empty()) s.size = std::strtoull(size.c_str(), nullptr, 10);
    if (!created.empty()) s.created = std::strtoll(created.c_str(), nullptr, 10);
    if (s.ref.empty()) {
      if (dangling_seen.insert(s.id).second) dangling.push_back(std::move(s));
    } else {
      named_ids.insert(s.id);
      out.push_back(std::move(s));
    }
  }
  for (auto& d : dangling)
    if (!named_ids.count(d.id)) out.push_back(std::move(d));
  std::sort(out.begin(), out.end(), [](const ImageSummary& a, const ImageSummary& b) {
    return std::tie(a.repository, a.tag, a.id) < std::tie(b.repository, b.tag, b.id);
  });
  return out;
}

nlohmann::ordered_json images_json(const std::vector<ImageSummary>& images) {
  auto a = nlohmann::ordered_json::array();
  for (const auto& s : images)
    a.push_back({{"repository", s.repository},
                 {"tag", s.tag},
                 {"reference", s.ref},
                 {"id", s.id},
                 {"manifest_digest", s.manifest_digest},
                 {"created", rfc3339_of(s.created)},
                 {"size", s.size},
                 {"complete", s.complete}});
  return a;
}

nlohmann::ordered_json image_json(const LocalImage& im) {
  auto [repository, tag] = im.ref.empty() ? std::pair<std::string, std::string>{"", ""} : split_repository_tag(im.ref);
  const ImageConfig& c = im.config;
  return {{"repository", repository},
          {"tag", tag},
          {"reference", im.ref},
          {"id", im.id},
          {"manifest_digest", im.manifest_digest},
          {"repo_digest", im.repo_digest},
          {"created", rfc3339_of(im.created)},
          {"size", im.size},
          {"os", c.os},
          {"architecture", c.architecture},
          {"variant", c.variant},
          {"diff_ids", im.diff_ids},
          {"layers", im.layer_dirs},
          {"config",
           {{"entrypoint", c.entrypoint},
            {"cmd", c.cmd},
            {"env", c.env},
            {"workdir", c.workdir},
            {"user", c.user},
            {"stop_signal", c.stop_signal},
            {"labels", c.labels},
            {"exposed_ports", c.exposed_ports},
            {"volumes", c.volumes}}}};
}

namespace {

// Blobs (hex) and layers (diff_id hex) that the descriptors reach.
struct Reachable {
  std::set<std::string> blobs, layers;
};

void reach(const std::string& root, const json& desc, Reachable& r, int depth = 0) {
  std::string digest = desc.value("digest", "");
  if (!is_sha256_digest(digest) || depth > 4) return;
  r.blobs.insert(std::string(digest_hex_view(digest)));
  json m;
  try {
    m = json::parse(layout::read_blob(root, digest), nullptr, false);
  } catch (const Error&) {
    return;  // a missing manifest: nothing more is reachable through it
  }
  if (!m.is_object()) return;
  if (m.contains("manifests") && m["manifests"].is_array())
    for (const auto& child : m["manifests"]) reach(root, child, r, depth + 1);
  if (m.contains("config") && m["config"].is_object()) {
    std::string cd = m["config"].value("digest", "");
    if (is_sha256_digest(cd)) {
      r.blobs.insert(std::string(digest_hex_view(cd)));
      try {
        ConfigDoc doc = read_config(root, cd);
        for (const auto& d : doc.diff_ids)
          if (is_sha256_digest(d)) r.layers.insert(std::string(digest_hex_view(d)));
      } catch (const Error&) {
      }
    }
  }
  if (m.contains("layers") && m["layers"].is_array())
    for (const auto& l : m["layers"]) {
      std::string ld = l.is_object() ? l.value("digest", "") : "";
      if (is_sha256_digest(ld)) r.blobs.insert(std::string(digest_hex_view(ld)));
    }
}

Reachable reach_all(const std::string& root, const json& index) {
  Reachable r;
  for (const auto& desc : index["manifests"]) reach(root, desc, r);
  return r;
}

struct ContainerImage {
  std::string container;  // "abcdef123456 (name)"
  std::string image_id;   // "sha256:..."
};

// The image of every container in STATE/containers/*/state.json
// ("image": {"id": ...}), whatever its status.
std::vector<ContainerImage> container_images(const std::string& state_root) {
  std::vector<ContainerImage> out;
  std::string dir = state_root + "/containers";
  for (const auto& id : dir_names(dir)) {
    if (id[0] == '.') continue;
    auto text = try_read_file(dir + "/" + id + "/state.json");
    if (!text) continue;
    json j = json::parse(*text, nullptr, false);
    if (!j.is_object()) continue;
    std::string used;
    if (j.contains("image") && j["image"].is_object()) used = j["image"].value("id", "");
    else if (j.contains("image_id") && j["image_id"].is_string()) used = j["image_id"];
    if (used.empty()) continue;
    if (used.compare(0, 7, "sha256:") != 0) used = "sha256:" + used;
    std::string name = j.value("name", "");
    out.push_back({id.substr(0, 12) + (name.empty() ? "" : " (" + name + ")"), used});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.container < b.container; });
  return out;
}

std::vector<std::string> containers_using(const std::string& state_root, const std::string& id) {
  std::vector<std::string> users;
  for (const auto& c : container_images(state_root))
    if (c.image_id == id) users.push_back(c.container);
  return users;
}

// What containers need of images no index entry names any more: their
// configs and layers (belt and braces: rmi keeps such images dangling).
void reach_containers(const std::string& root, const std::string& state_root, Reachable& r) {
  for (const auto& c : container_images(state_root)) {
    if (!is_sha256_digest(c.image_id)) continue;
    try {
      ConfigDoc doc = read_config(root, c.image_id);
      r.blobs.insert(std::string(digest_hex_view(c.image_id)));
      for (const auto& d : doc.diff_ids)
        if (is_sha256_digest(d)) r.layers.insert(std::string(digest_hex_view(d)));
    } catch (const Error&) {
    }
  }
}

// Make a layer disappear at once (rename into tmp/), then delete it.
uint64_t drop_layer(const std::string& root, const std::string& hex) {
  uint64_t size = layer_size(root, hex);
  std::string from = root + "/layers/" + hex;
  std::string to = str(root, "/tmp/deleting-", hex, ".", ::getpid());
  if (::rename(from.c_str(), to.c_str()) != 0) {
    if (errno == ENOENT) return 0;
    throw_errno(str("cannot remove layer ", from));
  }
  if (auto ec = remove_tree_as_owner(to)) warn(str("cannot remove ", to, ": ", ec.message()));
  return size;
}

uint64_t drop_blob(const std::string& root, const std::string& hex) {
  std::string p = root + "/blobs/sha256/" + hex;
  struct stat st {};
  uint64_t size = ::lstat(p.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) throw_errno(str("cannot remove blob ", p));
  return size;
}

}  // namespace

RemoveResult remove_image(const std::string& root, const std::string& ref_or_id, const std::string& state_root_in,
                          bool force) {
  std::string state_root = state_root_in.empty() ? default_state_root() : state_root_in;
  if (!layout::layout_exists(root)) {
    (void)find_image(root, ref_or_id);  // reject a bad reference first
    throw Error(str("no such image: ", ref_or_id));
  }
  layout::Lock store(root, "store", true);  // no pull runs while images go
  layout::Lock idx(root, "index", true);
  json index = layout::read_index(root);
  json& ms = index["manifests"];
  Match m = match_entries(root, index, ref_or_id);
  if (m.entries.empty()) throw Error(str("no such image: ", ref_or_id));
  const std::string id = m.id;

  // Which entries go: the named reference, or every entry of the image.
  std::set<size_t> drop(m.entries.begin(), m.entries.end());
  if (!m.by_ref) {
    drop.clear();
    std::vector<std::string> names;
    for (size_t i = 0; i < ms.size(); ++i)
      if (layout::entry_image_id(root, ms[i]) == id) {
        drop.insert(i);
        if (std::string n = annotation(ms[i], layout::kRefName); !n.empty()) names.push_back(n);
      }
    if (names.size() > 1 && !force)
      throw Error(str("cannot remove image ", id.substr(0, 19), ": it is referenced by ", names.size(), " references (",
                      join(names, ", "), "); remove them by name, or use force"));
  }
  // Other names of the image that stay: then it is only untagged.
  bool others = false;
  for (size_t i = 0; i < ms.size(); ++i)
    if (!drop.count(i) && !annotation(ms[i], layout::kRefName).empty() && layout::entry_image_id(root, ms[i]) == id)
      others = true;
  if (!others)  // the image goes: its nameless entries too
    for (size_t i = 0; i < ms.size(); ++i)
      if (annotation(ms[i], layout::kRefName).empty() && layout::entry_image_id(root, ms[i]) == id) drop.insert(i);

  RemoveResult res;
  json kept = json::array();
  std::vector<json> dropped;
  for (size_t i = 0; i < ms.size(); ++i) {
    if (drop.count(i)) dropped.push_back(ms[i]);
    else kept.push_back(ms[i]);
  }
  for (const auto& d : dropped)
    if (std::string n = annotation(d, layout::kRefName); !n.empty()) res.untagged.push_back(n);

  if (!others) {
    auto users = containers_using(state_root, id);
    if (!users.empty()) {
      if (!force)
        throw Error(str("cannot remove image ", ref_or_id, " (", id.substr(0, 19), "): container",
                        users.size() > 1 ? "s " : " ", join(users, ", "), users.size() > 1 ? " use" : " uses",
                        " it; remove the container first"));
      // Forced: the references go, the image stays (dangling) for the container.
      json keep = dropped.front();
      layout::make_dangling(keep, id);
      kept.push_back(keep);
      index["manifests"] = kept;
      layout::write_index(root, index);
      return res;
    }
  }
  index["manifests"] = kept;
  layout::write_index(root, index);
  if (others) return res;

  // The image is gone from the index: free what nothing else reaches.
  Reachable still = reach_all(root, index);
  reach_containers(root, state_root, still);
  Reachable was;
  for (const auto& d : dropped) reach(root, d, was);
  res.deleted.push_back(id);
  for (const auto& hex : was.layers)
    if (!still.layers.count(hex)) {
      drop_layer(root, hex);
      res.deleted.push_back("sha256:" + hex);
    }
  for (const auto& hex : was.blobs)
    if (!still.blobs.count(hex)) drop_blob(root, hex);
  log::debug("removed image ", id, ": ", was.blobs.size(), " blobs, ", was.layers.size(), " layers considered");
  return res;
}

GcResult gc_store(const std::string& root, const std::string& state_root_in) {
  GcResult res;
  if (!layout::layout_exists(root)) return res;
  std::string state_root = state_root_in.empty() ? default_state_root() : state_root_in;
  layout::Lock store(root, "store", true);
  layout::Lock idx(root, "index", true);
  json index = layout::read_index(root);
  // Dangling images (no name) that no container uses go first.
  {
    std::set<std::string> used;
    for (const auto& c : container_images(state_root)) used.insert(c.image_id);
    json kept = json::array();
    for (const auto& d : index["manifests"]) {
      if (annotation(d, layout::kRefName).empty() && !used.count(layout::entry_image_id(root, d))) {
        ++res.images;
        continue;
      }
      kept.push_back(d);
    }
    if (res.images) {
      index["manifests"] = kept;
      layout::write_index(root, index);
    }
  }
  Reachable keep = reach_all(root, index);
  reach_containers(root, state_root, keep);
  for (const auto& name : dir_names(root + "/blobs/sha256"))
    if (!keep.blobs.count(name)) {
      res.bytes += drop_blob(root, name);
      ++res.blobs;
    }
  for (const auto& name : dir_names(root + "/layers"))
    if (!keep.layers.count(name)) {
      res.bytes += drop_layer(root, name);
      ++res.layers;
    }
  for (const char* sub : {"/tmp", "/ingest"})
    for (const auto& name : dir_names(root + sub)) {
      if (auto ec = remove_tree_as_owner(root + sub + "/" + name))
        warn(str("cannot remove ", root, sub, "/", name, ": ", ec.message()));
      ++res.temps;
    }
  for (const auto& name : dir_names(root + "/locks"))
    if (name != "store" && name != "index") ::unlink((root + "/locks/" + name).c_str());
  return res;
}

layout::Lock lock_store_shared(const std::string& root) {
  if (!layout::layout_exists(root)) return {};
  return layout::Lock(root, "store", false);
}

}  // namespace rt
